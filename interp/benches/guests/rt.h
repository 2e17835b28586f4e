/* The little runtime the benchmark guests share: UART output and the memory functions GCC may
 * call. Each guest is one C file that includes this header. */
#include <stddef.h>
#include <stdint.h>

#ifndef SCALE
#define SCALE 1
#endif

#ifdef NATIVE
/* Built for the host, to compare with native speed: output through stdio. */
#include <stdio.h>
#include <string.h>
static void putc_(char c) {
    putchar(c);
}
#else
#define UART ((volatile uint8_t *)0x10000000)

static void putc_(char c) {
    while (!(UART[5] & 0x20)) {
    }
    UART[0] = (uint8_t)c;
}
#endif

static void puts_(const char *s) {
    while (*s) putc_(*s++);
}

static void puthex(uint64_t v) {
    for (int i = 60; i >= 0; i -= 4) putc_("0123456789abcdef"[(v >> i) & 15]);
}

/* Prints "name checksum". */
static void report(const char *name, uint64_t sum) {
    puts_(name);
    putc_(' ');
    puthex(sum);
    putc_('\n');
}

#ifndef NATIVE
void *memset(void *d, int c, size_t n) {
    uint8_t *p = d;
    while (n--) *p++ = (uint8_t)c;
    return d;
}

void *memcpy(void *d, const void *s, size_t n) {
    uint8_t *p = d;
    const uint8_t *q = s;
    while (n--) *p++ = *q++;
    return d;
}
#endif

/* xorshift64: deterministic input data. */
static uint64_t rng_state = 0x9e3779b97f4a7c15ull;
static uint64_t rnd(void) {
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 7;
    rng_state ^= rng_state << 17;
    return rng_state;
}
