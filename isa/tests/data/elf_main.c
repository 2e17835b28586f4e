/* The entry point that links the other sources with picolibc into one bare-metal program, so the
 * objdump comparison also covers a linked executable and the C library's own code. */
#include <stdio.h>
#include <string.h>

long arith(long, long, int, unsigned);
long muldiv(long, long, int, int, unsigned long, unsigned long);
long atomics(long *, int *, long, int);
long bits(unsigned long, unsigned long, unsigned, long, long);
long index_and_bits(long *, int *, unsigned, long, unsigned long, unsigned);
unsigned long carryless(unsigned long, unsigned long);
int loop(const unsigned char *, int);
double dops(double, double, double);
float fops(float, float, float);
long conversions(double, float, int, unsigned, long, unsigned long);
void store(double *, float *, long);

/* The console is QEMU virt's 16550 UART; exit goes through its SiFive test device. */
static int uart_putc(char c, FILE *file) {
    (void)file;
    volatile unsigned char *uart = (volatile unsigned char *)0x10000000;
    while ((uart[5] & 0x20) == 0)
        ;
    uart[0] = (unsigned char)c;
    return (unsigned char)c;
}

static FILE console = FDEV_SETUP_STREAM(uart_putc, NULL, NULL, _FDEV_SETUP_WRITE);
FILE *const stdout = &console;

void _exit(int code) {
    volatile unsigned int *test = (volatile unsigned int *)0x100000;
    *test = code == 0 ? 0x5555 : ((unsigned)code << 16) | 0x3333;
    for (;;)
        __asm__ volatile("wfi");
}

int main(void) {
    static long l[8] = {1, 2, 3, 4, 5, 6, 7, 8};
    static int i[8] = {1, 2, 3, 4, 5, 6, 7, 8};
    static double d[8];
    static float f[8];
    long r = arith(1, 2, 3, 4) + muldiv(5, 6, 7, 8, 9, 10) + atomics(l, i, 3, 4);
    r += bits(1, 2, 3, 4, 5) + index_and_bits(l, i, 1, 2, 3, 4) + (long)carryless(6, 7);
    r += loop((const unsigned char *)"hello", 5);
    store(d, f, 4);
    printf("%ld %g %g %ld %zu\n", r, dops(1.5, 2.5, 3.5), (double)fops(1.5f, 2.5f, 3.5f),
           conversions(1.5, 2.5f, 3, 4, 5, 6), strlen("ospite"));
    return 0;
}
