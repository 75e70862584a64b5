/* SPDX-License-Identifier: MIT */
/* 8 x 8 transposition of int16 in SSE2 registers (every x86-64), shared by the kernels that
 * change a layout in 8 x 8 blocks (the fast turbo decoder's batch, convolution codes to NHWC):
 * r[j] = row j of the block on entry, r[i] = column i on return. */
#ifndef QSDR_K_TRANSPOSE8X8_H
#define QSDR_K_TRANSPOSE8X8_H

#if defined(__x86_64__)
#include <emmintrin.h>

static inline void qsdr_k_transpose8x8_epi16(__m128i r[8])
{
    __m128i a[8], b[8];
    for (int j = 0; j < 4; j++) {
        a[2 * j] = _mm_unpacklo_epi16(r[2 * j], r[2 * j + 1]);
        a[2 * j + 1] = _mm_unpackhi_epi16(r[2 * j], r[2 * j + 1]);
    }
    /* a[2j] = columns 0-3 of rows 2j, 2j+1 interleaved; a[2j+1] = columns 4-7 */
    for (int h = 0; h < 2; h++)
        for (int j = 0; j < 2; j++) {
            b[4 * h + 2 * j] = _mm_unpacklo_epi32(a[4 * j + h], a[4 * j + 2 + h]);
            b[4 * h + 2 * j + 1] = _mm_unpackhi_epi32(a[4 * j + h], a[4 * j + 2 + h]);
        }
    /* b[4h + 2j + c]: rows 4j..4j+3, columns 4h + 2c, 4h + 2c + 1 */
    for (int h = 0; h < 2; h++)
        for (int c = 0; c < 2; c++) {
            r[4 * h + 2 * c] = _mm_unpacklo_epi64(b[4 * h + c], b[4 * h + 2 + c]);
            r[4 * h + 2 * c + 1] = _mm_unpackhi_epi64(b[4 * h + c], b[4 * h + 2 + c]);
        }
}
#endif

#endif
