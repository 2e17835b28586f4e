/* Floating-point code for the objdump comparison: F and D arithmetic, fused multiply-add,
 * comparisons, sign injection, classification, moves and every integer conversion, in C;
 * tests/data/elf_system.S adds every rounding mode explicitly. */
double dops(double a, double b, double c) {
    double r = a + b - c * a / b;
    r += __builtin_fma(a, b, c) + __builtin_fma(a, b, -c) + __builtin_fma(-a, b, c) + __builtin_fma(-a, b, -c);
    r += __builtin_sqrt(a) + __builtin_fmin(a, b) + __builtin_fmax(a, c);
    r += __builtin_copysign(a, b) + __builtin_fabs(c) - (-b);
    r += (a < b) + (a <= c) + (b == c) + __builtin_isnan(a) + __builtin_isinf(b);
    return r;
}

float fops(float a, float b, float c) {
    float r = a + b - c * a / b;
    r += __builtin_fmaf(a, b, c) + __builtin_fmaf(a, b, -c) + __builtin_fmaf(-a, b, c) + __builtin_fmaf(-a, b, -c);
    r += __builtin_sqrtf(a) + __builtin_fminf(a, b) + __builtin_fmaxf(a, c);
    r += __builtin_copysignf(a, b) + __builtin_fabsf(c) - (-b);
    r += (a < b) + (a <= c) + (b == c) + __builtin_isnan(a) + __builtin_isinf(b);
    return r;
}

long conversions(double d, float f, int i, unsigned u, long l, unsigned long ul) {
    long r = (int)d + (unsigned)d + (long)d + (long)(unsigned long)d;
    r += (int)f + (unsigned)f + (long)f + (long)(unsigned long)f;
    double x = (double)i + (double)u + (double)l + (double)ul + (double)f;
    float y = (float)i + (float)u + (float)l + (float)ul + (float)d;
    r += __builtin_lround(d) + __builtin_lrint(d) + __builtin_lroundf(f);
    union { double d; unsigned long u; } ud = { x };
    union { float f; unsigned int u; } uf = { y };
    return r + (long)ud.u + uf.u;
}

void store(double *pd, float *pf, long n) {
    for (long i = 0; i < n; i++) {
        pd[i] = pd[i + 1] * 2.5 + pf[i];
        pf[i] = pf[i + 2] * 0.5f;
    }
}
