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
#if defined(__x86_64__)
#include <emmintrin.h>
#endif

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
            __m128i r[8], a[8], b[8];
            for (int j = 0; j < 8; j++) r[j] = _mm_sub_epi16(_mm_loadu_si128((const __m128i *)(src + (c0 + (size_t)j) * HW + p0)), vs);
            /* rows: channels c0..c0+7, columns: pixels p0..p0+7 -> rows: pixels */
            for (int j = 0; j < 4; j++) {
                a[2 * j] = _mm_unpacklo_epi16(r[2 * j], r[2 * j + 1]);
                a[2 * j + 1] = _mm_unpackhi_epi16(r[2 * j], r[2 * j + 1]);
            }
            for (int h = 0; h < 2; h++)
                for (int j = 0; j < 2; j++) {
                    b[4 * h + 2 * j] = _mm_unpacklo_epi32(a[4 * j + h], a[4 * j + 2 + h]);
                    b[4 * h + 2 * j + 1] = _mm_unpackhi_epi32(a[4 * j + h], a[4 * j + 2 + h]);
                }
            for (int h = 0; h < 2; h++)
                for (int c = 0; c < 2; c++) {
                    r[4 * h + 2 * c] = _mm_unpacklo_epi64(b[4 * h + c], b[4 * h + 2 + c]);
                    r[4 * h + 2 * c + 1] = _mm_unpackhi_epi64(b[4 * h + c], b[4 * h + 2 + c]);
                }
            for (int j = 0; j < 8; j++) {
                size_t o = (p0 + (size_t)j) * C + c0;
                if (out8) _mm_storel_epi64((__m128i *)((int8_t *)dst + o), _mm_packs_epi16(r[j], r[j]));
                else _mm_storeu_si128((__m128i *)((int16_t *)dst + o), r[j]);
            }
        }
}
#endif

#endif
