/* Quicksort of 64 Ki pseudo-random 32-bit keys, refilled each round. */
#include "rt.h"

#define N 65536
static uint32_t a[N];

static void sort(uint32_t *v, long lo, long hi) {
    while (lo < hi) {
        uint32_t pivot = v[lo + (hi - lo) / 2];
        long i = lo, j = hi;
        while (i <= j) {
            while (v[i] < pivot) i++;
            while (v[j] > pivot) j--;
            if (i <= j) {
                uint32_t t = v[i]; v[i] = v[j]; v[j] = t;
                i++; j--;
            }
        }
        if (j - lo < hi - i) { sort(v, lo, j); lo = i; } else { sort(v, i, hi); hi = j; }
    }
}

int main(void) {
    uint64_t sum = 0;
    for (int round = 0; round < 6 * SCALE; round++) {
        for (int i = 0; i < N; i++) a[i] = (uint32_t)rnd();
        sort(a, 0, N - 1);
        for (int i = 1; i < N; i++)
            if (a[i - 1] > a[i]) { report("quicksort unsorted", (uint64_t)i); return 1; }
        sum = sum * 31 + a[N / 2] + a[7];
    }
    report("quicksort", sum);
    return 0;
}
