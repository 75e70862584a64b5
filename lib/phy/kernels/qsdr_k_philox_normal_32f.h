/* SPDX-License-Identifier: MIT */
/* Kernel: standard normal floats from Philox4x32-10 counters via Box-Muller.
 *
 *   void qsdr_k_philox_normal_32f_<isa>(float *out, uint64_t key, uint64_t block0, size_t nblocks)
 *
 * out[4j .. 4j+3] are the four normals of Philox block (block0 + j) under `key`, counter words
 * (lo32(block), hi32(block), 0, 0). Box-Muller: u1 = ((o0 >> 1) + 0.5) 2^-31 in (0, 1],
 * u2 = (o1 >> 8) 2^-24 in [0, 1): (r cos 2pi u2, r sin 2pi u2), r = sqrt(-2 ln u1); likewise
 * (o2, o3). ln, sin and cos are polynomial: |error| < 1e-6 * max(1, |x|) against the
 * exact transform of the same float u1, u2 (tests/qa/test_kernels.c).
 *
 * Numeric contract: bit-exact with _generic (the file is compiled with -ffp-contract=off and
 * every variant runs the same sequence of IEEE operations; only the vector width differs).
 * Pointers need no alignment. */
#ifndef QSDR_K_PHILOX_NORMAL_32F_H
#define QSDR_K_PHILOX_NORMAL_32F_H

#include <stddef.h>
#include <stdint.h>

#define QSDR_PHILOX_M0 0xD2511F53u
#define QSDR_PHILOX_M1 0xCD9E8D57u
#define QSDR_PHILOX_W0 0x9E3779B9u
#define QSDR_PHILOX_W1 0xBB67AE85u
#define QSDR_K_NORMAL_BATCH 32

typedef union {
    float f;
    uint32_t u;
} qsdr_k_f32u;

/* ln(u) for u in (0, 1]: exponent + atanh series on a mantissa in [sqrt(1/2), sqrt(2)). */
static inline __attribute__((always_inline)) float qsdr_k_ln_unit(float u)
{
    qsdr_k_f32u b = {.f = u};
    int32_t e = (int32_t)((b.u >> 23) & 0xffu) - 127;
    qsdr_k_f32u m = {.u = (b.u & 0x7fffffu) | 0x3f800000u};
    int32_t big = m.f > 1.41421356f;
    qsdr_k_f32u mh = {.u = m.u - ((uint32_t)big << 23)}; /* m / 2 when big: exact */
    float mf = mh.f;
    float ef = (float)(e + big);
    float s = (mf - 1.0f) / (mf + 1.0f);
    float s2 = s * s;
    float p = 1.0f + s2 * (0.333333333f + s2 * (0.2f + s2 * (0.142857143f + s2 * 0.111111111f)));
    return ef * 0.693147181f + 2.0f * s * p;
}

/* Two normals from two 32-bit words. */
static inline __attribute__((always_inline)) void qsdr_k_box_muller(uint32_t w1, uint32_t w2, float *n_cos,
                                                                     float *n_sin)
{
    float u1 = ((float)(int32_t)(w1 >> 1) + 0.5f) * 0x1p-31f;
    float u2 = (float)(int32_t)(w2 >> 8) * 0x1p-24f;
    float r = __builtin_sqrtf(-2.0f * qsdr_k_ln_unit(u1));
    int32_t q = (int32_t)(u2 * 4.0f + 0.5f);                 /* nearest quarter turn, 0..4 */
    float a = (u2 - (float)q * 0.25f) * 6.28318531f;         /* |a| <= pi/4 */
    float a2 = a * a;
    float sn = a * (1.0f - a2 * (1.0f / 6.0f) * (1.0f - a2 * (1.0f / 20.0f) * (1.0f - a2 * (1.0f / 42.0f) * (1.0f - a2 * (1.0f / 72.0f)))));
    float cs = 1.0f - a2 * 0.5f * (1.0f - a2 * (1.0f / 12.0f) * (1.0f - a2 * (1.0f / 30.0f) * (1.0f - a2 * (1.0f / 56.0f) * (1.0f - a2 * (1.0f / 90.0f)))));
    /* selects and sign flips on the bits (exactly the float ternaries they replace): GCC
       if-converts these for AVX2 too, not only for AVX-512's masks */
    uint32_t swap = 0u - (uint32_t)(q & 1);
    qsdr_k_f32u sb = {.f = sn}, cb = {.f = cs}, c, s;
    c.u = ((sb.u & swap) | (cb.u & ~swap)) ^ ((uint32_t)((q + 1) & 2) << 30);
    s.u = ((cb.u & swap) | (sb.u & ~swap)) ^ ((uint32_t)(q & 2) << 30);
    *n_cos = r * c.f;
    *n_sin = r * s.f;
}

static inline __attribute__((always_inline)) void qsdr_k_philox_normal_batch(float *out, uint32_t k0, uint32_t k1,
                                                                              uint64_t block0, size_t nb)
{
    uint32_t a[QSDR_K_NORMAL_BATCH], b[QSDR_K_NORMAL_BATCH], c[QSDR_K_NORMAL_BATCH], d[QSDR_K_NORMAL_BATCH];
    float n0[QSDR_K_NORMAL_BATCH], n1[QSDR_K_NORMAL_BATCH], n2[QSDR_K_NORMAL_BATCH], n3[QSDR_K_NORMAL_BATCH];
    for (size_t j = 0; j < QSDR_K_NORMAL_BATCH; j++) {
        uint64_t ctr = block0 + j;
        a[j] = (uint32_t)ctr;
        b[j] = (uint32_t)(ctr >> 32);
        c[j] = 0;
        d[j] = 0;
    }
    for (uint32_t r = 0; r < 10; r++) {
        uint32_t kk0 = k0 + r * QSDR_PHILOX_W0, kk1 = k1 + r * QSDR_PHILOX_W1;
        for (size_t j = 0; j < QSDR_K_NORMAL_BATCH; j++) {
            uint64_t p0 = (uint64_t)QSDR_PHILOX_M0 * a[j];
            uint64_t p1 = (uint64_t)QSDR_PHILOX_M1 * c[j];
            uint32_t na = (uint32_t)(p1 >> 32) ^ b[j] ^ kk0;
            uint32_t nc = (uint32_t)(p0 >> 32) ^ d[j] ^ kk1;
            b[j] = (uint32_t)p1;
            d[j] = (uint32_t)p0;
            a[j] = na;
            c[j] = nc;
        }
    }
    for (size_t j = 0; j < QSDR_K_NORMAL_BATCH; j++) {
        qsdr_k_box_muller(a[j], b[j], &n0[j], &n1[j]);
        qsdr_k_box_muller(c[j], d[j], &n2[j], &n3[j]);
    }
    for (size_t j = 0; j < nb; j++) {
        out[4 * j + 0] = n0[j];
        out[4 * j + 1] = n1[j];
        out[4 * j + 2] = n2[j];
        out[4 * j + 3] = n3[j];
    }
}

#define QSDR_K_PHILOX_NORMAL_BODY                                                                   \
    {                                                                                               \
        uint32_t k0 = (uint32_t)key, k1 = (uint32_t)(key >> 32);                                    \
        while (nblocks) {                                                                           \
            size_t nb = nblocks < QSDR_K_NORMAL_BATCH ? nblocks : QSDR_K_NORMAL_BATCH;              \
            qsdr_k_philox_normal_batch(out, k0, k1, block0, nb);                                    \
            out += 4 * nb;                                                                          \
            block0 += nb;                                                                           \
            nblocks -= nb;                                                                          \
        }                                                                                           \
    }

static inline void qsdr_k_philox_normal_32f_generic(float *out, uint64_t key, uint64_t block0, size_t nblocks)
    QSDR_K_PHILOX_NORMAL_BODY

#if defined(__x86_64__) || defined(__i386__)
#define QSDR_HAVE_X86 1
__attribute__((target("avx2"), unused)) static void qsdr_k_philox_normal_32f_avx2(float *out, uint64_t key, uint64_t block0,
                                                                         size_t nblocks)
    QSDR_K_PHILOX_NORMAL_BODY

__attribute__((target("avx512f,avx512dq,avx512vl,avx512bw"), unused)) static void
qsdr_k_philox_normal_32f_avx512f(float *out, uint64_t key, uint64_t block0, size_t nblocks)
    QSDR_K_PHILOX_NORMAL_BODY
#endif

typedef void (*qsdr_k_philox_normal_32f_fn)(float *, uint64_t, uint64_t, size_t);

#endif
