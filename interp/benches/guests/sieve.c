/* Sieve of Eratosthenes up to 1 M, repeated. */
#include "rt.h"

#define N 1000000
static uint8_t composite[N + 1];

int main(void) {
    uint64_t sum = 0;
    for (int round = 0; round < 8 * SCALE; round++) {
        memset(composite, 0, sizeof composite);
        long count = 0;
        for (long i = 2; i <= N; i++) {
            if (composite[i]) continue;
            count++;
            for (long j = i * i; j <= N; j += i) composite[j] = 1;
        }
        sum = sum * 31 + (uint64_t)count;
    }
    report("sieve", sum);
    return 0;
}
