/* SPDX-License-Identifier: MIT */
/* Counter-based RNG front end: Philox4x32-10 (Salmon et al., SC'11) and run-time dispatch of
 * the Gaussian kernel. */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "kernels/qsdr_k_philox_normal_32f.h"
#include "phy_internal.h"
#include "qsdr/rng.h"

void qsdr_philox4x32(const uint32_t ctr[4], const uint32_t key[2], uint32_t out[4])
{
    uint32_t a = ctr[0], b = ctr[1], c = ctr[2], d = ctr[3], k0 = key[0], k1 = key[1];
    for (int r = 0; r < 10; r++) {
        uint64_t p0 = (uint64_t)QSDR_PHILOX_M0 * a;
        uint64_t p1 = (uint64_t)QSDR_PHILOX_M1 * c;
        uint32_t na = (uint32_t)(p1 >> 32) ^ b ^ k0;
        uint32_t nc = (uint32_t)(p0 >> 32) ^ d ^ k1;
        b = (uint32_t)p1;
        d = (uint32_t)p0;
        a = na;
        c = nc;
        k0 += QSDR_PHILOX_W0;
        k1 += QSDR_PHILOX_W1;
    }
    out[0] = a;
    out[1] = b;
    out[2] = c;
    out[3] = d;
}

static const qsdr_k_variant g_normal_variants[] = {
#ifdef QSDR_HAVE_X86
    {"avx512f", (void (*)(void))qsdr_k_philox_normal_32f_avx512f, QSDR_CPU_AVX512},
    {"avx2", (void (*)(void))qsdr_k_philox_normal_32f_avx2, QSDR_CPU_AVX2},
#endif
    {"generic", (void (*)(void))qsdr_k_philox_normal_32f_generic, 0},
    {NULL, NULL, 0},
};

static qsdr_k_philox_normal_32f_fn g_normal;
static const char *g_normal_name;
static pthread_once_t g_once = PTHREAD_ONCE_INIT;

static void pick(void)
{
    const qsdr_k_variant *v = qsdr_k_select(g_normal_variants);
    g_normal = (qsdr_k_philox_normal_32f_fn)v->fn;
    g_normal_name = v->name;
}

const qsdr_k_variant *qsdr_k_normal_variants(void) { return g_normal_variants; }

const char *qsdr_randn_impl(void)
{
    pthread_once(&g_once, pick);
    return g_normal_name;
}

void qsdr_randn_f32(uint64_t seed, uint64_t first, size_t n, float *out)
{
    pthread_once(&g_once, pick);
    float tmp[4];
    /* head: partial Philox block */
    if (n && (first & 3)) {
        g_normal(tmp, seed, first >> 2, 1);
        size_t k = first & 3, m = 4 - k < n ? 4 - k : n;
        memcpy(out, tmp + k, m * sizeof *out);
        out += m;
        first += m;
        n -= m;
    }
    size_t nb = n >> 2;
    if (nb) g_normal(out, seed, first >> 2, nb);
    out += 4 * nb;
    first += 4 * nb;
    n -= 4 * nb;
    if (n) {
        g_normal(tmp, seed, first >> 2, 1);
        memcpy(out, tmp, n * sizeof *out);
    }
}

void qsdr_randn_cf32(uint64_t seed, uint64_t first, size_t n, float var, qsdr_cf32 *out)
{
    float *f = (float *)out;
    qsdr_randn_f32(seed, 2 * first, 2 * n, f);
    if (var != 1.0f) {
        float s = __builtin_sqrtf(var * 0.5f);
        for (size_t i = 0; i < 2 * n; i++) f[i] *= s;
    } else {
        for (size_t i = 0; i < 2 * n; i++) f[i] *= 0.70710678f;
    }
}

static void philox_words(uint64_t seed, uint32_t domain, uint64_t block, uint32_t w[4])
{
    uint32_t ctr[4] = {(uint32_t)block, (uint32_t)(block >> 32), domain, 0};
    uint32_t key[2] = {(uint32_t)seed, (uint32_t)(seed >> 32)};
    qsdr_philox4x32(ctr, key, w);
}

void qsdr_rand_bits(uint64_t seed, uint64_t first, size_t n, uint8_t *out)
{
    uint32_t w[4];
    uint64_t cur = UINT64_MAX;
    for (size_t i = 0; i < n; i++) {
        uint64_t idx = first + i, blk = idx >> 7;
        if (blk != cur) {
            philox_words(seed, 1, blk, w);
            cur = blk;
        }
        unsigned bit = (unsigned)(idx & 127);
        out[i] = (uint8_t)((w[bit >> 5] >> (bit & 31)) & 1u);
    }
}

void qsdr_randu_f32(uint64_t seed, uint64_t first, size_t n, float *out)
{
    uint32_t w[4];
    uint64_t cur = UINT64_MAX;
    for (size_t i = 0; i < n; i++) {
        uint64_t idx = first + i, blk = idx >> 2;
        if (blk != cur) {
            philox_words(seed, 2, blk, w);
            cur = blk;
        }
        out[i] = (float)(w[idx & 3] >> 8) * 0x1p-24f;
    }
}

void qsdr_rand_perm(uint64_t seed, uint64_t first, size_t n, size_t *perm)
{
    float u[256]; /* draws lo..lo+255, refilled going down */
    size_t lo = n;
    for (size_t i = 0; i < n; i++) perm[i] = i;
    for (size_t i = n; i-- > 1;) {
        if (i < lo) {
            lo = i >= 255 ? i - 255 : 0;
            qsdr_randu_f32(seed, first + lo, i - lo + 1, u);
        }
        size_t j = (size_t)(u[i - lo] * (float)(i + 1));
        if (j > i) j = i;
        size_t t = perm[i];
        perm[i] = perm[j], perm[j] = t;
    }
}
