/* CRC-32 (IEEE, reflected) of a 64 KiB buffer: bitwise for the table, table-driven for the data. */
#include "rt.h"

static uint32_t table[256];
static uint8_t buf[65536];

int main(void) {
    for (uint32_t i = 0; i < 256; i++) {
        uint32_t c = i;
        for (int k = 0; k < 8; k++) c = (c & 1) ? 0xedb88320u ^ (c >> 1) : c >> 1;
        table[i] = c;
    }
    for (unsigned i = 0; i < sizeof buf; i++) buf[i] = (uint8_t)rnd();
    uint64_t sum = 0;
    for (int round = 0; round < 48 * SCALE; round++) {
        uint32_t crc = 0xffffffffu;
        for (unsigned i = 0; i < sizeof buf; i++) crc = table[(crc ^ buf[i]) & 0xff] ^ (crc >> 8);
        crc ^= 0xffffffffu;
        buf[round & 0xffff] ^= (uint8_t)crc;
        sum = sum * 31 + crc;
    }
    report("crc32", sum);
    return 0;
}
