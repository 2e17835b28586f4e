/* Integer matrix multiply, 96 x 96, 32-bit elements with 64-bit sums. */
#include "rt.h"

#define N 96
static int32_t a[N][N], b[N][N];
static int64_t c[N][N];

int main(void) {
    for (int i = 0; i < N; i++)
        for (int j = 0; j < N; j++) {
            a[i][j] = (int32_t)(rnd() % 2001) - 1000;
            b[i][j] = (int32_t)(rnd() % 2001) - 1000;
        }
    uint64_t sum = 0;
    for (int round = 0; round < 12 * SCALE; round++) {
        for (int i = 0; i < N; i++)
            for (int j = 0; j < N; j++) {
                int64_t s = 0;
                for (int k = 0; k < N; k++) s += (int64_t)a[i][k] * b[k][j];
                c[i][j] = s;
            }
        a[round % N][round % N] += (int32_t)(c[N - 1][N - 1] & 7);
        sum = sum * 31 + (uint64_t)c[round % N][(round * 7) % N];
    }
    report("matmul", sum);
    return 0;
}
