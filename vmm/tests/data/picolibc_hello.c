/* A bare-metal C program on picolibc for QEMU virt: stdout on the 16550 UART at 0x1000_0000,
 * exit through the SiFive test device at 0x10_0000. It prints integer and floating-point
 * results, then exits with status 7 (returning from main calls exit, which calls _exit). The
 * `picolibc` test runs it on ospite and on qemu-system-riscv64 and compares. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int uart_putc(char c, FILE *file) {
    (void)file;
    volatile uint8_t *uart = (volatile uint8_t *)0x10000000;
    while ((uart[5] & 0x20) == 0) /* LSR.THRE */
        ;
    uart[0] = (uint8_t)c;
    return (unsigned char)c;
}

static FILE console = FDEV_SETUP_STREAM(uart_putc, NULL, NULL, _FDEV_SETUP_WRITE);
FILE *const stdout = &console;

void _exit(int code) {
    volatile uint32_t *test = (volatile uint32_t *)0x100000;
    *test = code == 0 ? 0x5555 : ((uint32_t)code << 16) | 0x3333;
    for (;;)
        __asm__ volatile("wfi");
}

static int primes_below(int n) {
    static unsigned char composite[10000];
    int count = 0;
    for (int i = 2; i < n; i++) {
        if (composite[i])
            continue;
        count++;
        for (int j = 2 * i; j < n; j += i)
            composite[j] = 1;
    }
    return count;
}

static uint64_t gcd(uint64_t a, uint64_t b) {
    while (b) {
        uint64_t t = a % b;
        a = b;
        b = t;
    }
    return a;
}

/* A volatile keeps the compiler from folding the floating point at build time. */
static volatile double seed = 2.0;

int main(void) {
    printf("hello from picolibc on RV64GC\n");
    printf("primes below 10000: %d\n", primes_below(10000));
    uint64_t f = 1;
    for (int i = 2; i <= 20; i++)
        f *= (uint64_t)i;
    printf("20! = %llu, gcd(20!, 3^20) = %llu\n", (unsigned long long)f,
           (unsigned long long)gcd(f, 3486784401ull));
    int64_t q = -1234567890123LL;
    printf("%lld / 97 = %lld rem %lld, >> 7 = %lld, hex %llx\n", (long long)q,
           (long long)(q / 97), (long long)(q % 97), (long long)(q >> 7),
           (unsigned long long)q);

    double x = seed;
    double r = x;
    for (int i = 0; i < 6; i++) /* Newton's square root of 2 */
        r = 0.5 * (r + x / r);
    double sum = 0;
    for (int k = 0; k < 1000; k++) /* Leibniz: pi / 4 */
        sum += (k % 2 ? -1.0 : 1.0) / (2 * k + 1);
    float third = (float)(x / 6.0);
    printf("sqrt(2) = %.15f\n", r);
    printf("pi ~ %.10f (%e), %g, %a\n", 4 * sum, 4 * sum, 4 * sum, 4 * sum);
    printf("third %f, %.3e, 1e300 * 1e10 = %f, -0.0 = %g\n", (double)third, (double)third,
           1e300 * (x * 5e9), -0.0 * x);
    printf("strtod(\"6.02214076e23\") / 1e23 = %.8f\n", strtod("6.02214076e23", NULL) / 1e23);
    printf("strlen = %zu, exiting with 7\n", strlen("ospite"));
    return 7;
}
