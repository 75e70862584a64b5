/* SPDX-License-Identifier: MIT */
/* CRC24A and CRC24B of TS 36.212 5.1.1, bit-serial over unpacked bits. */
#include "fec_internal.h"
#include "qsdr/fec.h"

/* generator polynomials without the x^24 term */
#define CRC24A_POLY 0x864CFBu /* D^24+D^23+D^18+D^17+D^14+D^11+D^10+D^7+D^6+D^5+D^4+D^3+D+1 */
#define CRC24B_POLY 0x800063u /* D^24+D^23+D^6+D^5+D+1 */

uint32_t qsdr_crc24_poly(qsdr_crc_type t) { return t == QSDR_CRC24A ? CRC24A_POLY : CRC24B_POLY; }

uint32_t qsdr_crc24(qsdr_crc_type t, const uint8_t *bits, size_t n)
{
    uint32_t poly = qsdr_crc24_poly(t), r = 0;
    for (size_t i = 0; i < n; i++) {
        uint32_t fb = ((r >> 23) & 1u) ^ (bits[i] & 1u);
        r = (r << 1) & 0xFFFFFFu;
        if (fb) r ^= poly;
    }
    return r;
}

void qsdr_crc24_attach(qsdr_crc_type t, uint8_t *bits, size_t n)
{
    uint32_t r = qsdr_crc24(t, bits, n);
    for (int i = 0; i < 24; i++) bits[n + (size_t)i] = (uint8_t)((r >> (23 - i)) & 1u);
}

bool qsdr_crc24_check(qsdr_crc_type t, const uint8_t *bits, size_t n) { return qsdr_crc24(t, bits, n + 24) == 0; }
