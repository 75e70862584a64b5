/* SPDX-License-Identifier: MIT */
/* Table lookup of a network's outputs for one-bit input (the autoencoder receiver):
 *
 *   for g = 0, 1, ... while group g of x (F values) is one-bit, i.e. every |x[g F + j]| equals
 *   one positive finite value:   idx = sum_j (x[g F + j] < 0) << j,
 *                                llr[g m + k] = table[idx m + k]   (k < m)
 *
 * Returns the number of leading one-bit groups looked up; it stops at the first group that is
 * not one-bit (a zero, a NaN or an infinity, or two different magnitudes), which the caller
 * sends through the network itself. Bit-exact across variants. */
#ifndef QSDR_K_ONEBIT_LOOKUP_H
#define QSDR_K_ONEBIT_LOOKUP_H

#include <float.h>
#include <math.h>
#include <stdbool.h>
#include <stddef.h>
#include <string.h>
#if defined(__x86_64__)
#include <emmintrin.h>
#endif

typedef size_t (*qsdr_k_onebit_lookup_fn)(const float *x, size_t groups, size_t F, const float *table, size_t m,
                                          float *llr);

__attribute__((unused)) static size_t qsdr_k_onebit_lookup_generic(const float *x, size_t groups, size_t F,
                                                                   const float *table, size_t m, float *llr)
{
    size_t g = 0;
    for (; g < groups; g++) {
        const float *v = x + g * F;
        float c = fabsf(v[0]);
        size_t idx = 0;
        bool onebit = c > 0 && isfinite(c);
        for (size_t j = 0; j < F && onebit; j++) {
            onebit = fabsf(v[j]) == c;
            idx |= (size_t)(v[j] < 0) << j;
        }
        if (!onebit) break;
        for (size_t k = 0; k < m; k++) llr[g * m + k] = table[idx * m + k];
    }
    return g;
}

#if defined(__x86_64__)
/* SSE2 (the x86-64 baseline) for F = 4 values per group (one complex sample pair: both shipped
 * autoencoders): one compare of the four magnitudes against the first, the sign bits are the
 * index (a one-bit group has no zeros, so sign bit and "< 0" agree), and a fixed-size copy for
 * m = 2 or 4. Other shapes take the generic loop. About 5x the generic one (bench/chain). */
__attribute__((unused)) static size_t qsdr_k_onebit_lookup_sse2(const float *x, size_t groups, size_t F,
                                                                const float *table, size_t m, float *llr)
{
    if (F != 4 || (m != 2 && m != 4)) return qsdr_k_onebit_lookup_generic(x, groups, F, table, m, llr);
    const __m128 absmask = _mm_castsi128_ps(_mm_set1_epi32(0x7fffffff));
    size_t g = 0;
    for (; g < groups; g++) {
        __m128 v = _mm_loadu_ps(x + g * 4), av = _mm_and_ps(v, absmask);
        float c = _mm_cvtss_f32(av);
        /* a NaN compares unequal, so it fails the first test; c rules out zero and infinity */
        if (_mm_movemask_ps(_mm_cmpeq_ps(av, _mm_shuffle_ps(av, av, 0))) != 0xf || !(c > 0) || !(c <= FLT_MAX)) break;
        const float *t = table + (size_t)_mm_movemask_ps(v) * m;
        if (m == 2) memcpy(llr + g * 2, t, 2 * sizeof(float));
        else memcpy(llr + g * 4, t, 4 * sizeof(float));
    }
    return g;
}
#endif

#endif
