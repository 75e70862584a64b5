/* SPDX-License-Identifier: MIT */
/* Layout change of one sample's activation codes for the im2row of quantized convolutions:
 *
 *   dst[p * C + c] = src[c * HW + p] - sub        c < C, p < HW   (NCHW -> NHWC)
 *
 * dst is int8 (out8: the int8 GEMM's codes, which the caller guarantees fit after the offset)
 * or int16. Bit-exact across variants. */
#ifndef QSDR_K_NHWC_H
#define QSDR_K_NHWC_H

#include <stddef.h>
#include <stdint.h>
#include "phy/kernels/qsdr_k_transpose8x8.h"

typedef void (*qsdr_k_nhwc_fn)(void *dst, const int16_t *src, size_t C, size_t HW, int16_t sub, int out8);

/* Reference: 64-pixel blocks, so the strided writes stay in cache. */
__attribute__((unused)) static void qsdr_k_nhwc_generic(void *dst, const int16_t *src, size_t C, size_t HW, int16_t sub, int out8)
{
    int8_t *d8 = dst;
    int16_t *d16 = dst;
    for (size_t p0 = 0; p0 < HW; p0 += 64) {
        size_t pe = p0 + 64 < HW ? p0 + 64 : HW;
        for (size_t c = 0; c < C; c++) {
            const int16_t *s = src + c * HW;
            if (out8)
                for (size_t p = p0; p < pe; p++) d8[p * C + c] = (int8_t)(s[p] - sub);
            else
                for (size_t p = p0; p < pe; p++) d16[p * C + c] = (int16_t)(s[p] - sub);
        }
    }
}

#if defined(__x86_64__)
/* SSE2: 8 channels x 8 pixels transposed in registers (int8: packed with signed saturation,
 * exact on codes that fit); channel and pixel counts that are not multiples of 8 go to the
 * reference. */
__attribute__((unused)) static void qsdr_k_nhwc_sse2(void *dst, const int16_t *src, size_t C, size_t HW, int16_t sub, int out8)
{
    if (C % 8 || HW % 8) {
        qsdr_k_nhwc_generic(dst, src, C, HW, sub, out8);
        return;
    }
    const __m128i vs = _mm_set1_epi16(sub);
    for (size_t p0 = 0; p0 < HW; p0 += 8)
        for (size_t c0 = 0; c0 < C; c0 += 8) {
            __m128i r[8];
            for (int j = 0; j < 8; j++) r[j] = _mm_sub_epi16(_mm_loadu_si128((const __m128i *)(src + (c0 + (size_t)j) * HW + p0)), vs);
            qsdr_k_transpose8x8_epi16(r); /* rows: channels c0..c0+7 -> rows: pixels p0..p0+7 */
            for (int j = 0; j < 8; j++) {
                size_t o = (p0 + (size_t)j) * C + c0;
                if (out8) _mm_storel_epi64((__m128i *)((int8_t *)dst + o), _mm_packs_epi16(r[j], r[j]));
                else _mm_storeu_si128((__m128i *)((int16_t *)dst + o), r[j]);
            }
        }
}
#endif

#endif
