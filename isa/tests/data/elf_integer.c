/* Integer code for the objdump comparison: RV64I, M, A (every memory order), C (the compiler
 * compresses what it can), Zba, Zbb, Zbs from plain C, Zbc and a few odd forms from inline asm.
 * Built by tests/objdump_elf.rs with -march=rv64gc_zba_zbb_zbc_zbs_zicsr_zifencei. */
long arith(long a, long b, int c, unsigned d) {
    long r = a + b - (a << 3) + (b >> 5) + ((unsigned long)a >> 7);
    r ^= a & 0xff0;
    r |= b | 0x3c;
    r += (a < b) + ((unsigned long)a < (unsigned long)b) + (a < 100) + ((unsigned long)b < 9);
    int w = c + (int)d;
    w = w << 3 | (int)((unsigned)w >> 2) | w >> 1;
    w -= c;
    return r + w + (int)(d << c) + (int)(d >> c) + (c >> (d & 31)) + (a << (b & 63));
}

long muldiv(long a, long b, int c, int d, unsigned long u, unsigned long v) {
    long r = a * b + (long)(((__int128)a * b) >> 64) + (long)(((unsigned __int128)u * v) >> 64);
    r += (long)(((__int128)a * (unsigned __int128)v) >> 64);
    r += a / b + a % b + (long)(u / v) + (long)(u % v);
    r += c * d + c / d + c % d + (int)((unsigned)c / (unsigned)d) + (int)((unsigned)c % (unsigned)d);
    return r;
}

long atomics(long *p, int *q, long v, int w) {
    long r = 0;
    r += __atomic_fetch_add(p, v, __ATOMIC_RELAXED);
    r += __atomic_fetch_add(p, v, __ATOMIC_ACQUIRE);
    r += __atomic_fetch_add(p, v, __ATOMIC_RELEASE);
    r += __atomic_fetch_add(p, v, __ATOMIC_ACQ_REL);
    r += __atomic_fetch_add(p, v, __ATOMIC_SEQ_CST);
    r += __atomic_fetch_and(p, v, __ATOMIC_SEQ_CST);
    r += __atomic_fetch_or(p, v, __ATOMIC_ACQUIRE);
    r += __atomic_fetch_xor(p, v, __ATOMIC_RELEASE);
    r += __atomic_exchange_n(p, v, __ATOMIC_ACQ_REL);
    r += __atomic_fetch_add(q, w, __ATOMIC_SEQ_CST);
    r += __atomic_fetch_and(q, w, __ATOMIC_RELAXED);
    r += __atomic_fetch_or(q, w, __ATOMIC_ACQUIRE);
    r += __atomic_fetch_xor(q, w, __ATOMIC_RELEASE);
    r += __atomic_exchange_n(q, w, __ATOMIC_SEQ_CST);
    long e = 5;
    r += __atomic_compare_exchange_n(p, &e, v, 0, __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST);
    int f = 7;
    r += __atomic_compare_exchange_n(q, &f, w, 1, __ATOMIC_ACQUIRE, __ATOMIC_RELAXED);
    r += __atomic_load_n(p, __ATOMIC_ACQUIRE) + __atomic_load_n(q, __ATOMIC_SEQ_CST);
    __atomic_store_n(p, r, __ATOMIC_RELEASE);
    __atomic_store_n(q, (int)r, __ATOMIC_SEQ_CST);
    __atomic_thread_fence(__ATOMIC_ACQUIRE);
    __atomic_thread_fence(__ATOMIC_RELEASE);
    __atomic_thread_fence(__ATOMIC_SEQ_CST);
    return r;
}

/* Zbb: counts, min/max, rotates, byte reversal, logic with inversion, sign/zero extension. */
long bits(unsigned long a, unsigned long b, unsigned int c, long s, long t) {
    long r = __builtin_clzl(a) + __builtin_ctzl(a) + __builtin_popcountl(a);
    r += __builtin_clz(c) + __builtin_ctz(c) + __builtin_popcount(c);
    r += (s < t ? s : t) + (s > t ? s : t) + (long)(a < b ? a : b) + (long)(a > b ? a : b);
    r += (long)((a << (b & 63)) | (a >> (-b & 63)));
    r += (long)((a >> (b & 63)) | (a << (-b & 63)));
    r += (long)((a >> 13) | (a << 51));
    r += (int)((c << (b & 31)) | (c >> (-b & 31)));
    r += (int)((c >> 7) | (c << 25));
    r += (long)__builtin_bswap64(a) + (long)(a & ~b) + (long)(a | ~b) + (long)~(a ^ b);
    r += (signed char)s + (short)t + (unsigned short)s + (long)(unsigned int)t;
    return r;
}

/* Zba: scaled index arithmetic and unsigned-word addressing; Zbs: single-bit operations. */
long index_and_bits(long *p, int *q, unsigned i, long j, unsigned long x, unsigned n) {
    long r = p[j] + q[j] + p[i] + q[i] + ((short *)p)[j] + (long)((unsigned long)i << 5);
    r += (long)(x | (1ul << (n & 63))) + (long)(x & ~(1ul << (n & 63)));
    r += (long)(x ^ (1ul << (n & 63))) + (long)((x >> (n & 63)) & 1);
    r += (long)(x | (1ul << 40)) + (long)(x & ~(1ul << 41)) + (long)(x ^ (1ul << 42)) + (long)((x >> 43) & 1);
    return r;
}

/* Zbc has no builtins in this compiler. */
unsigned long carryless(unsigned long a, unsigned long b) {
    unsigned long lo, hi, rev;
    __asm__("clmul %0,%1,%2" : "=r"(lo) : "r"(a), "r"(b));
    __asm__("clmulh %0,%1,%2" : "=r"(hi) : "r"(a), "r"(b));
    __asm__("clmulr %0,%1,%2" : "=r"(rev) : "r"(a), "r"(b));
    return lo ^ hi ^ rev;
}

int loop(const unsigned char *s, int n) {
    int h = 5381;
    for (int i = 0; i < n; i++) {
        if (s[i] == 0)
            break;
        h = h * 33 + s[i];
    }
    switch (n) {
    case 1: return h + 3;
    case 2: return h ^ 77;
    case 3: return h - 1000;
    case 4: return h << 2;
    case 5: return h | 0x1234;
    case 6: return h & 0x7ff;
    default: return h;
    }
}
