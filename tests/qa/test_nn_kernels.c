/* SPDX-License-Identifier: MIT */
/* NN kernel QA: every int8-GEMM, bit-GEMM, bit-plane-packing, NHWC and one-bit-lookup variant the CPU
 * supports against the generic reference on seeded input: M, N, K over 0..67 (odd sizes), plus
 * one large shape, with unaligned pointers and a canary after C. Results must match exactly. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "nn/kernels/qsdr_k_bitgemm.h"
#include "nn/kernels/qsdr_k_gemm_s8.h"
#include "nn/kernels/qsdr_k_nhwc.h"
#include "nn/kernels/qsdr_k_onebit_lookup.h"
#include "nn/kernels/qsdr_k_pack_planes.h"
#include "nn/nn_internal.h"
#include "qsdr/common.h"
#include "qsdr_test.h"

static uint64_t lcg(uint64_t *s)
{
    *s = *s * 6364136223846793005ull + 1442695040888963407ull;
    return *s >> 11;
}

#define CANARY 0x5eadbeef

/* shapes: (M, N, K) triples covering 0..67 and a large one */
static const size_t shapes[][3] = {{0, 0, 0}, {1, 1, 1},   {1, 1, 3},    {2, 3, 4},    {3, 5, 7},    {4, 16, 64},
                                   {5, 17, 65}, {6, 31, 63}, {7, 32, 67},  {13, 15, 1},  {1, 67, 66},  {67, 1, 5},
                                   {9, 47, 33}, {12, 33, 128}, {3, 64, 8}, {0, 5, 5},    {5, 0, 5},    {5, 5, 0},
                                   {64, 256, 256}, {37, 61, 300},
                                   {3, 17, 700} /* bit GEMMs: K up to 2100, more words than byte counters hold */};

QSDR_TEST(qa_nn_gemm_s8_variants, "qa", "int8 GEMM: every variant equals the generic reference exactly")
{
    const qsdr_k_variant *tab = qsdr_nn_gemm_s8_variants(), *gen = qsdr_k_find(tab, "generic");
    QSDR_REQUIRE(gen);
    const qsdr_k_gemm_s8_ops *g = gen->ops;
    uint64_t seed = 12345;
    int tested = 0;
    for (const qsdr_k_variant *v = tab; v->name; v++) {
        if (!qsdr_k_supported(v)) {
            printf("  variant %s: not supported by this CPU, skipped\n", v->name);
            continue;
        }
        tested++;
        const qsdr_k_gemm_s8_ops *o = v->ops;
        for (size_t s = 0; s < sizeof shapes / sizeof *shapes; s++)
            for (int off = 0; off < 2; off++) {
                size_t M = shapes[s][0], N = shapes[s][1], K = shapes[s][2];
                size_t lda = K + (size_t)off, ldb = K + 2 * (size_t)off, ldc = N + (size_t)off;
                int8_t *A = malloc(M * lda + 2), *B = malloc(N * ldb + 2);
                int32_t *want = calloc(M * ldc + 2, 4), *got = calloc(M * ldc + 3, 4);
                void *pg = qsdr_aligned_alloc(g->packed_size(N, K)), *po = qsdr_aligned_alloc(o->packed_size(N, K));
                QSDR_REQUIRE(A && B && want && got && pg && po);
                int8_t *a = A + off, *b = B + off; /* unaligned when off = 1 */
                for (size_t i = 0; i < M * lda + 1; i++) A[i] = (int8_t)(lcg(&seed) % 256 - 128); /* any value */
                for (size_t i = 0; i < N * ldb + 1; i++) B[i] = (int8_t)(lcg(&seed) % 255 - 127); /* [-127, 127] */
                if (s == 2) memset(B, 127, N * ldb + 1), memset(A, 0x80, M * lda + 1); /* extremes */
                int32_t *c = got + off;
                for (size_t i = 0; i < M * ldc + 3 - (size_t)off; i++) c[i] = CANARY;
                g->pack(pg, b, ldb, N, K);
                g->gemm(want, ldc, a, lda, pg, M, N, K);
                o->pack(po, b, ldb, N, K);
                o->gemm(c, ldc, a, lda, po, M, N, K);
                size_t bad = 0;
                for (size_t i = 0; i < M; i++)
                    for (size_t j = 0; j < N; j++)
                        if (want[i * ldc + j] != c[i * ldc + j] && bad++ < 3)
                            qsdr_test_fail(__FILE__, __LINE__, "%s M=%zu N=%zu K=%zu off=%d: C[%zu][%zu] expected %d, got %d", v->name, M, N,
                                           K, off, i, j, want[i * ldc + j], c[i * ldc + j]);
                /* padding columns (ldc > N) and the canary after C stay untouched */
                for (size_t i = 0; i < M && off; i++) QSDR_CHECK_EQ_INT(c[i * ldc + N], CANARY);
                QSDR_CHECK_EQ_INT(c[M ? (M - 1) * ldc + N + (size_t)off : 0], M ? CANARY : CANARY);
                free(A), free(B), free(want), free(got);
                qsdr_aligned_free(pg), qsdr_aligned_free(po);
            }
    }
    QSDR_CHECK(tested >= 1);
}

QSDR_TEST(qa_nn_bitgemm_variants, "qa", "XNOR and bit-plane GEMMs: every variant equals the generic reference exactly")
{
    const qsdr_k_variant *tab = qsdr_nn_bitgemm_variants(), *gen = qsdr_k_find(tab, "generic");
    QSDR_REQUIRE(gen);
    const qsdr_k_bitgemm_ops *g = gen->ops;
    uint64_t seed = 777;
    int tested = 0;
    static const int32_t cb[3] = {1, 2, -4}, ca[3] = {1, 2, 4};
    for (const qsdr_k_variant *v = tab; v->name; v++) {
        if (!qsdr_k_supported(v)) {
            printf("  variant %s: not supported by this CPU, skipped\n", v->name);
            continue;
        }
        tested++;
        const qsdr_k_bitgemm_ops *o = v->ops;
        for (size_t s = 0; s < sizeof shapes / sizeof *shapes; s++)
            for (int off = 0; off < 2; off++)
                for (size_t nb = 1; nb <= 3; nb++) {
                    size_t na = 4 - nb;
                    size_t M = shapes[s][0], N = shapes[s][1], K = shapes[s][2] * 3, W = (K + 63) / 64;
                    size_t lda = na * W + (size_t)off, ldb = nb * W + (size_t)off, ldc = N + (size_t)off;
                    uint64_t *A = calloc(M * lda + 2, 8), *B = calloc(N * ldb + 2, 8);
                    int32_t *want = calloc(M * ldc + 2, 4), *got = calloc(M * ldc + 3, 4);
                    void *pg = qsdr_aligned_alloc(g->packed_size(N, nb, W)), *po = qsdr_aligned_alloc(o->packed_size(N, nb, W));
                    QSDR_REQUIRE(A && B && want && got && pg && po);
                    /* words whose bits past K are zero, as the contract requires */
                    for (size_t r = 0; r < M; r++)
                        for (size_t j = 0; j < na * W; j++) {
                            uint64_t w = (uint64_t)lcg(&seed) << 11 ^ lcg(&seed);
                            if (W > 31 && r == 0) w = ~0ull; /* dense rows: byte counters must not overflow */
                            if (j % W == W - 1 && K % 64) w &= (1ull << (K % 64)) - 1;
                            A[r * lda + j + (size_t)off] = w;
                        }
                    for (size_t r = 0; r < N; r++)
                        for (size_t j = 0; j < nb * W; j++) {
                            uint64_t w = (uint64_t)lcg(&seed) << 11 ^ lcg(&seed);
                            if (W > 31 && r < 2) w = r == 0 ? ~0ull : 0; /* full AND / XOR counts with A row 0 */
                            if (j % W == W - 1 && K % 64) w &= (1ull << (K % 64)) - 1;
                            B[r * ldb + j + (size_t)off] = w;
                        }
                    const uint64_t *a = A + off, *b = B + off;
                    int32_t *c = got + off;
                    for (int kind = 0; kind < 2; kind++) {
                        for (size_t i = 0; i < M * ldc + 3 - (size_t)off; i++) c[i] = CANARY;
                        g->pack(pg, b, ldb, N, nb, W);
                        o->pack(po, b, ldb, N, nb, W);
                        if (kind == 0) {
                            /* XNOR on plane 0 of each row: strides cover the other planes */
                            uint64_t *p2g = qsdr_aligned_alloc(g->packed_size(N, 1, W)), *p2o = qsdr_aligned_alloc(o->packed_size(N, 1, W));
                            QSDR_REQUIRE(p2g && p2o);
                            g->pack(p2g, b, ldb, N, 1, W);
                            o->pack(p2o, b, ldb, N, 1, W);
                            g->xnor(want, ldc, a, lda, p2g, M, N, W, K);
                            o->xnor(c, ldc, a, lda, p2o, M, N, W, K);
                            qsdr_aligned_free(p2g), qsdr_aligned_free(p2o);
                        } else {
                            g->planes(want, ldc, a, lda, na, ca, pg, nb, cb + (3 - nb), M, N, W);
                            o->planes(c, ldc, a, lda, na, ca, po, nb, cb + (3 - nb), M, N, W);
                        }
                        size_t bad = 0;
                        for (size_t i = 0; i < M; i++)
                            for (size_t j = 0; j < N; j++)
                                if (want[i * ldc + j] != c[i * ldc + j] && bad++ < 3)
                                    qsdr_test_fail(__FILE__, __LINE__, "%s %s M=%zu N=%zu K=%zu na=%zu nb=%zu off=%d: C[%zu][%zu] expected %d, got %d",
                                                   v->name, kind ? "planes" : "xnor", M, N, K, na, nb, off, i, j, want[i * ldc + j], c[i * ldc + j]);
                        for (size_t i = 0; i < M && off; i++) QSDR_CHECK_EQ_INT(c[i * ldc + N], CANARY);
                    }
                    free(A), free(B), free(want), free(got);
                    qsdr_aligned_free(pg), qsdr_aligned_free(po);
                }
    }
    QSDR_CHECK(tested >= 1);
}

QSDR_TEST(qa_nn_xnor_meaning, "qa", "XNOR GEMM equals the +-1 dot product it stands for")
{
    const qsdr_k_bitgemm_ops *o = qsdr_nn_bitgemm_selected()->ops;
    uint64_t seed = 99;
    for (size_t K = 1; K <= 200; K += 13) {
        size_t W = (K + 63) / 64, M = 3, N = 5;
        int8_t a[3][200], b[5][200];
        uint64_t A[3 * 4] = {0}, B[5 * 4] = {0};
        for (size_t i = 0; i < M; i++)
            for (size_t k = 0; k < K; k++) {
                a[i][k] = lcg(&seed) & 1 ? 1 : -1;
                if (a[i][k] > 0) A[i * W + k / 64] |= 1ull << (k % 64);
            }
        for (size_t i = 0; i < N; i++)
            for (size_t k = 0; k < K; k++) {
                b[i][k] = lcg(&seed) & 1 ? 1 : -1;
                if (b[i][k] > 0) B[i * W + k / 64] |= 1ull << (k % 64);
            }
        void *p = qsdr_aligned_alloc(o->packed_size(N, 1, W));
        QSDR_REQUIRE(p);
        o->pack(p, B, W, N, 1, W);
        int32_t C[15];
        o->xnor(C, N, A, W, p, M, N, W, K);
        for (size_t i = 0; i < M; i++)
            for (size_t j = 0; j < N; j++) {
                int d = 0;
                for (size_t k = 0; k < K; k++) d += a[i][k] * b[j][k];
                QSDR_CHECK_EQ_INT(C[i * N + j], d);
            }
        qsdr_aligned_free(p);
    }
}

QSDR_TEST(qa_nn_pack_planes_variants, "qa", "bit-plane packing: every variant equals the generic reference exactly")
{
    const qsdr_k_variant *tab = qsdr_nn_pack_planes_variants();
    const qsdr_k_variant *g = qsdr_k_find(tab, "generic");
    QSDR_REQUIRE(g);
    qsdr_k_pack_planes_fn gen = (qsdr_k_pack_planes_fn)g->fn;
    uint64_t seed = 5;
    for (const qsdr_k_variant *v = tab; v->name; v++) {
        if (!qsdr_k_supported(v)) continue;
        qsdr_k_pack_planes_fn fn = (qsdr_k_pack_planes_fn)v->fn;
        for (size_t K = 0; K <= 200; K += (K < 68 ? 1 : 61))
            for (int n = 1; n <= 8; n++)
                for (int pm1 = 0; pm1 < 2; pm1++) {
                    if (pm1 && n > 1) continue;
                    size_t rows = 3, ld = K + 1, W = (K + 63) / 64;
                    int16_t *c = malloc((rows * ld + 2) * 2);
                    uint64_t *a = calloc(rows * (size_t)n * W + 1, 8), *b = calloc(rows * (size_t)n * W + 2, 8);
                    for (size_t i = 0; i < rows * ld + 2; i++) c[i] = (int16_t)((int)(lcg(&seed) % 511) - 255);
                    b[rows * (size_t)n * W] = CANARY;
                    gen(a, c + 1, ld, rows, K, n, pm1); /* +1: unaligned codes */
                    fn(b, c + 1, ld, rows, K, n, pm1);
                    QSDR_CHECK_MSG(memcmp(a, b, rows * (size_t)n * W * 8) == 0, "%s K=%zu n=%d pm1=%d differs", v->name, K, n, pm1);
                    QSDR_CHECK_EQ_INT(b[rows * (size_t)n * W], CANARY);
                    free(c), free(a), free(b);
                }
    }
}

QSDR_TEST(qa_nn_onebit_lookup_variants, "qa",
          "one-bit table lookup (autoencoder receiver): every variant equals the generic reference exactly, also where "
          "it must stop (zero, -0, NaN, infinity, a second magnitude)")
{
    const qsdr_k_variant *tab = qsdr_nn_onebit_lookup_variants();
    const qsdr_k_variant *g = qsdr_k_find(tab, "generic");
    QSDR_REQUIRE(g);
    qsdr_k_onebit_lookup_fn gen = (qsdr_k_onebit_lookup_fn)g->fn;
    const float mags[] = {1.0f, 0.5f, 1e-30f, 3e38f, 1.4e-45f /* denormal */};
    const float breakers[] = {0.0f, -0.0f, NAN, INFINITY, -INFINITY, 0.75f};
    uint64_t seed = 11;
    int tested = 0, stops = 0;
    for (const qsdr_k_variant *v = tab; v->name; v++) {
        if (!qsdr_k_supported(v)) continue;
        tested++;
        qsdr_k_onebit_lookup_fn fn = (qsdr_k_onebit_lookup_fn)v->fn;
        for (size_t F = 1; F <= 8; F++)
            for (size_t m = 1; m <= 4; m++)
                for (int trial = 0; trial < 40; trial++) {
                    size_t groups = 1 + lcg(&seed) % 50, nt = ((size_t)1 << F) * m;
                    float *x = malloc(groups * F * sizeof(float) + 1), *t = malloc(nt * sizeof(float));
                    float *a = malloc((groups * m + 1) * sizeof(float)), *b = malloc((groups * m + 1) * sizeof(float));
                    QSDR_REQUIRE(x && t && a && b);
                    for (size_t i = 0; i < nt; i++) t[i] = (float)(int)(lcg(&seed) % 4001) / 100.0f - 20.0f;
                    float c = mags[lcg(&seed) % (sizeof mags / sizeof *mags)];
                    for (size_t i = 0; i < groups * F; i++) x[i] = lcg(&seed) & 1 ? -c : c;
                    if (trial % 4 == 1) /* one value that ends the run, somewhere */
                        x[lcg(&seed) % (groups * F)] = breakers[lcg(&seed) % (sizeof breakers / sizeof *breakers)];
                    if (trial % 4 == 3) { /* a whole group of zeros (either sign), infinities or NaNs */
                        float z = breakers[lcg(&seed) % 4];
                        size_t g0 = lcg(&seed) % groups;
                        for (size_t j = 0; j < F; j++) x[g0 * F + j] = lcg(&seed) & 1 ? -z : z;
                    }
                    for (size_t i = 0; i <= groups * m; i++) a[i] = b[i] = -99.0f; /* untouched past the run */
                    size_t na = gen(x, groups, F, t, m, a), nb = fn(x, groups, F, t, m, b);
                    stops += na < groups;
                    QSDR_CHECK_MSG(na == nb, "%s F=%zu m=%zu: %zu groups looked up, generic %zu", v->name, F, m, nb, na);
                    QSDR_CHECK_MSG(memcmp(a, b, (groups * m + 1) * sizeof(float)) == 0, "%s F=%zu m=%zu: outputs differ", v->name, F,
                                   m);
                    free(x), free(t), free(a), free(b);
                }
    }
    QSDR_CHECK(tested >= 1);
    QSDR_CHECK(stops > 100); /* the breakers did end runs early */
}

QSDR_TEST(qa_nn_nhwc_variants, "qa", "convolution codes NCHW -> NHWC (int8 with offset, int16): every variant equals the generic reference exactly")
{
    const qsdr_k_variant *tab = qsdr_nn_nhwc_variants(), *g = qsdr_k_find(tab, "generic");
    QSDR_REQUIRE(g);
    qsdr_k_nhwc_fn gen = (qsdr_k_nhwc_fn)g->fn;
    static const size_t Cs[] = {1, 3, 8, 16, 24, 32, 5, 64}, HWs[] = {1, 7, 8, 16, 64, 72, 256, 13};
    uint64_t seed = 17;
    int tested = 0;
    for (const qsdr_k_variant *v = tab; v->name; v++) {
        if (!qsdr_k_supported(v)) continue;
        tested++;
        qsdr_k_nhwc_fn fn = (qsdr_k_nhwc_fn)v->fn;
        for (size_t ci = 0; ci < sizeof Cs / sizeof *Cs; ci++)
            for (size_t hi = 0; hi < sizeof HWs / sizeof *HWs; hi++)
                for (int mode = 0; mode < 3; mode++) { /* int8 codes, int8 0..255 shifted by 128, int16 codes */
                    size_t C = Cs[ci], HW = HWs[hi], n = C * HW;
                    int out8 = mode < 2;
                    int16_t sub = mode == 1 ? 128 : 0;
                    int16_t *src = malloc(n * sizeof *src);
                    unsigned char *a = malloc(2 * n + 16), *b = malloc(2 * n + 16);
                    QSDR_REQUIRE(src && a && b);
                    for (size_t i = 0; i < n; i++)
                        src[i] = (int16_t)(mode == 0 ? (int)(lcg(&seed) % 256) - 128 : mode == 1 ? (int)(lcg(&seed) % 256) : (int)(lcg(&seed) % 65536) - 32768);
                    memset(a, 0x5a, 2 * n + 16), memset(b, 0x5a, 2 * n + 16); /* the bytes past the output stay */
                    gen(a, src, C, HW, sub, out8);
                    fn(b, src, C, HW, sub, out8);
                    QSDR_CHECK_MSG(memcmp(a, b, 2 * n + 16) == 0, "%s C=%zu HW=%zu mode %d differs", v->name, C, HW, mode);
                    /* the reference itself: spot-check the definition */
                    size_t c = C / 2, p = HW / 3;
                    if (out8) QSDR_CHECK_EQ_INT(((int8_t *)a)[p * C + c], src[c * HW + p] - sub);
                    else QSDR_CHECK_EQ_INT(((int16_t *)a)[p * C + c], src[c * HW + p]);
                    free(src), free(a), free(b);
                }
    }
    QSDR_CHECK(tested >= 1);
}
