/* SPDX-License-Identifier: MIT */
/* Bit-plane packing of integer codes for the XNOR and bit-plane GEMMs.
 *
 *   out[(r * n + i) * W + k / 64] bit k % 64  =  bit i of codes[r * ld + k]     (pm1 = false)
 *   out[r * W + k / 64] bit k % 64            =  codes[r * ld + k] > 0          (pm1 = true, n = 1)
 *
 * codes: (rows, K) int16 with row stride ld; out: (rows, n, W) words, W = ceil(K / 64), fully
 * written (padding bits 0). Bit-exact across variants. */
#ifndef QSDR_K_PACK_PLANES_H
#define QSDR_K_PACK_PLANES_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>
#if defined(__x86_64__)
#include <immintrin.h>
#endif

typedef void (*qsdr_k_pack_planes_fn)(uint64_t *out, const int16_t *codes, size_t ld, size_t rows, size_t K, int n,
                                      int pm1);

__attribute__((unused)) static void qsdr_k_pack_planes_generic(uint64_t *out, const int16_t *codes, size_t ld,
                                                               size_t rows, size_t K, int n, int pm1)
{
    size_t W = (K + 63) / 64;
    memset(out, 0, rows * (size_t)n * W * sizeof(uint64_t));
    for (size_t r = 0; r < rows; r++)
        for (size_t k = 0; k < K; k++) {
            int v = codes[r * ld + k];
            uint64_t *o = out + r * (size_t)n * W;
            if (pm1) {
                if (v > 0) o[k / 64] |= 1ull << (k % 64);
                continue;
            }
            unsigned u = (unsigned)v;
            for (int i = 0; i < n; i++)
                if (u >> i & 1u) o[(size_t)i * W + k / 64] |= 1ull << (k % 64);
        }
}

#if defined(__x86_64__)
/* AVX2: 64 codes per word; the bit of each code is moved to its int16 sign (compare for pm1,
 * shift for plane i), packed to bytes with signed saturation (which keeps the sign) and read
 * with movemask. packs works per 128-bit lane, so a permute restores the code order. A
 * partial last word goes through a zeroed copy. */
__attribute__((target("avx2"), always_inline)) static inline uint32_t qsdr_k_pack32_avx2(__m256i a, __m256i b)
{
    return (uint32_t)_mm256_movemask_epi8(_mm256_permute4x64_epi64(_mm256_packs_epi16(a, b), 0xD8));
}

__attribute__((target("avx2"), unused)) static void
qsdr_k_pack_planes_avx2(uint64_t *out, const int16_t *codes, size_t ld, size_t rows, size_t K, int n, int pm1)
{
    size_t W = (K + 63) / 64;
    const __m256i zero = _mm256_setzero_si256();
    for (size_t r = 0; r < rows; r++) {
        const int16_t *c = codes + r * ld;
        uint64_t *o = out + r * (size_t)n * W;
        for (size_t w = 0; w < W; w++) {
            size_t k0 = w * 64, left = K - k0;
            int16_t tail[64];
            const int16_t *src = c + k0;
            if (left < 64) {
                memset(tail, 0, sizeof tail);
                memcpy(tail, src, left * sizeof *tail);
                src = tail;
            }
            __m256i v[4];
            for (int j = 0; j < 4; j++) v[j] = _mm256_loadu_si256((const __m256i *)(src + 16 * j));
            if (pm1) {
                __m256i g[4];
                for (int j = 0; j < 4; j++) g[j] = _mm256_cmpgt_epi16(v[j], zero);
                o[w] = qsdr_k_pack32_avx2(g[0], g[1]) | (uint64_t)qsdr_k_pack32_avx2(g[2], g[3]) << 32;
                continue;
            }
            for (int i = 0; i < n; i++) {
                __m128i sh = _mm_cvtsi32_si128(15 - i);
                __m256i t[4];
                for (int j = 0; j < 4; j++) t[j] = _mm256_sll_epi16(v[j], sh);
                o[(size_t)i * W + w] = qsdr_k_pack32_avx2(t[0], t[1]) | (uint64_t)qsdr_k_pack32_avx2(t[2], t[3]) << 32;
            }
        }
    }
}

/* 32 codes per compare: the mask registers are the packed bits */
__attribute__((target("avx512f,avx512bw"), unused)) static void
qsdr_k_pack_planes_avx512bw(uint64_t *out, const int16_t *codes, size_t ld, size_t rows, size_t K, int n, int pm1)
{
    size_t W = (K + 63) / 64;
    const __m512i zero = _mm512_setzero_si512();
    for (size_t r = 0; r < rows; r++) {
        const int16_t *c = codes + r * ld;
        uint64_t *o = out + r * (size_t)n * W;
        for (size_t w = 0; w < W; w++) {
            size_t k0 = w * 64, left = K - k0;
            __mmask32 m0 = left >= 32 ? 0xffffffffu : (__mmask32)((1ull << left) - 1);
            __mmask32 m1 = left >= 64 ? 0xffffffffu : left <= 32 ? 0 : (__mmask32)((1ull << (left - 32)) - 1);
            __m512i v0 = _mm512_maskz_loadu_epi16(m0, c + k0), v1 = _mm512_maskz_loadu_epi16(m1, c + k0 + 32);
            if (pm1) {
                uint64_t lo = _mm512_mask_cmpgt_epi16_mask(m0, v0, zero), hi = _mm512_mask_cmpgt_epi16_mask(m1, v1, zero);
                o[w] = lo | hi << 32;
                continue;
            }
            for (int i = 0; i < n; i++) {
                __m512i b = _mm512_set1_epi16((short)(1 << i));
                uint64_t lo = _mm512_mask_test_epi16_mask(m0, v0, b), hi = _mm512_mask_test_epi16_mask(m1, v1, b);
                o[(size_t)i * W + w] = lo | hi << 32;
            }
        }
    }
}
#endif

#endif
