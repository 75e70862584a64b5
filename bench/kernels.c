/* SPDX-License-Identifier: MIT */
/* bench/kernels: every SIMD variant of every kernel with a variant table, against the kernel's
 * plain C reference ("generic") timed in the same run, one thread. The QA tests prove the
 * variants bit-exact; this table shows whether each is actually faster (a variant the compiler
 * did not vectorise passes QA at generic speed). Rows marked "<- selected" are what the library
 * runs on this CPU (QSDR_SIMD can override). */
#include <complex.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "fec/fec_internal.h"
#include "nn/kernels/qsdr_k_bitgemm.h"
#include "nn/kernels/qsdr_k_gemm_s8.h"
#include "nn/kernels/qsdr_k_nhwc.h"
#include "nn/kernels/qsdr_k_onebit_lookup.h"
#include "nn/kernels/qsdr_k_pack_planes.h"
#include "nn/nn_internal.h"
#include "phy/kernels/qsdr_k_philox_normal_32f.h"
#include "phy/phy_internal.h"
#include "qsdr/qsdr.h"

#include <liquid/liquid.h>

static double now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

/* One kernel call on a fixed workload; ctx carries the variant and the buffers. */
typedef struct {
    const qsdr_k_variant *v;
    void *a, *b, *c, *d;
    size_t n;
} job;

/* best of 5 timings of at least 0.1 s each, seconds per call (after one warm-up call) */
static double time_best(void (*f)(job *), job *j)
{
    f(j);
    size_t reps = 1;
    for (;;) {
        double t = now();
        for (size_t r = 0; r < reps; r++) f(j);
        t = now() - t;
        if (t >= 0.1) break;
        reps *= t > 0.01 ? (size_t)(0.12 / t) + 1 : 16;
    }
    double best = 1e30;
    for (int i = 0; i < 5; i++) {
        double t = now();
        for (size_t r = 0; r < reps; r++) f(j);
        t = (now() - t) / (double)reps;
        if (t < best) best = t;
    }
    return best;
}

/* Times every supported variant of tab; work = units per call, unit_size = 1e6 for "M...",
 * 1e9 for "G..." per second. */
static void family(const char *title, const char *unit, double work, double unit_size, const qsdr_k_variant *tab, const qsdr_k_variant *sel,
                   void (*f)(job *), job *j)
{
    printf("%s\n", title);
    printf("  %-16s %12s %12s %10s\n", "variant", "time/call", unit, "vs generic");
    const qsdr_k_variant *gen = qsdr_k_find(tab, "generic");
    j->v = gen;
    double tg = time_best(f, j);
    for (const qsdr_k_variant *v = tab; v->name; v++) {
        if (!qsdr_k_supported(v)) {
            printf("  %-16s %12s\n", v->name, "(CPU lacks it)");
            continue;
        }
        j->v = v;
        double t = v == gen ? tg : time_best(f, j);
        printf("  %-16s %9.1f us %12.2f %9.2fx%s\n", v->name, t * 1e6, work / t / unit_size, tg / t, v == sel ? "   <- selected" : "");
    }
    printf("\n");
}

static void run_normal(job *j) { ((qsdr_k_philox_normal_32f_fn)j->v->fn)(j->a, 0x0123456789abcdefULL, 7, j->n); }

static void run_gemm_s8(job *j)
{
    const qsdr_k_gemm_s8_ops *o = j->v->ops;
    /* a: A (64 x 256), b: B (256 x 256), c: C, d: packed B of each variant (packed by the caller) */
    o->gemm(j->c, 256, j->a, 256, ((void **)j->d)[j->v - qsdr_nn_gemm_s8_variants()], 64, 256, 256);
}

static void run_xnor(job *j)
{
    const qsdr_k_bitgemm_ops *o = j->v->ops;
    o->xnor(j->c, 256, j->a, 4, ((void **)j->d)[j->v - qsdr_nn_bitgemm_variants()], 64, 256, 4, 256);
}

static void run_planes(job *j)
{
    const qsdr_k_bitgemm_ops *o = j->v->ops;
    static const int32_t w4[4] = {1, 2, 4, -8}; /* 4-bit two's-complement planes */
    o->planes(j->c, 256, j->b, 16, 4, w4, ((void **)j->d)[j->v - qsdr_nn_bitgemm_variants()], 4, w4, 64, 256, 4);
}

static void run_pack_planes(job *j) { ((qsdr_k_pack_planes_fn)j->v->fn)(j->c, j->a, 256, 64, 256, (int)j->n, j->n == 1); }

static void run_nhwc(job *j) { ((qsdr_k_nhwc_fn)j->v->fn)(j->c, j->a, 32, 256, 0, 1); }

static void run_lookup(job *j) { ((qsdr_k_onebit_lookup_fn)j->v->fn)(j->a, j->n, 4, j->b, 2, j->c); }

static void run_transpose(job *j) { ((void (*)(qsdr_turbo_fast_t *))j->v->fn)(j->a); }

/* RRC filters: qsdr_rrc (our polyphase loops) against liquid-dsp's firinterp / firdecim, which
   computed them before, on the same unit-energy taps; j->n symbols per call */
typedef struct {
    qsdr_rrc_t *q;
    firinterp_crcf fi;
    firdecim_crcf fd;
    qsdr_cf32 *x, *y;
} rrc_job;
static rrc_job g_rrc;
static void run_rrc_ours(job *j) { qsdr_rrc_execute(g_rrc.q, g_rrc.x, j->n, g_rrc.y); }
static void run_rrc_liquid(job *j)
{
    if (g_rrc.fi) firinterp_crcf_execute_block(g_rrc.fi, (float complex *)g_rrc.x, (unsigned)j->n, (float complex *)g_rrc.y);
    else firdecim_crcf_execute_block(g_rrc.fd, (float complex *)g_rrc.x, (unsigned)j->n, (float complex *)g_rrc.y);
}

static void rrc_table(void)
{
    const unsigned sps = 2, span = 12, len = 2 * sps * span + 1;
    const float beta = 0.99f;
    float h[2 * 2 * 12 + 1];
    liquid_firdes_prototype(LIQUID_FIRFILT_RRC, sps, span, beta, 0.0f, h);
    double e = 0;
    for (unsigned i = 0; i < len; i++) e += (double)h[i] * h[i];
    for (unsigned i = 0; i < len; i++) h[i] *= (float)(1.0 / sqrt(e));
    job j = {.n = 65536};
    g_rrc.x = malloc(j.n * sps * sizeof *g_rrc.x), g_rrc.y = malloc(j.n * sps * sizeof *g_rrc.y);
    for (size_t i = 0; i < j.n * sps; i++) g_rrc.x[i] = (qsdr_cf32){(float)(i % 7) - 3.0f, (float)(i % 5) - 2.0f};
    printf("RRC filters, sps 2, span 12, roll-off 0.99 (baseline B3), %zu symbols per call\n", j.n);
    printf("  %-16s %12s %12s %12s %10s\n", "filter", "liquid", "qsdr_rrc", "Msymbol/s", "vs liquid");
    for (int interp = 1; interp >= 0; interp--) {
        g_rrc.fi = interp ? firinterp_crcf_create(sps, h, len) : NULL;
        g_rrc.fd = interp ? NULL : firdecim_crcf_create(sps, h, len);
        g_rrc.q = interp ? qsdr_rrc_interp_create(sps, span, beta) : qsdr_rrc_decim_create(sps, span, beta);
        double tl = time_best(run_rrc_liquid, &j), to = time_best(run_rrc_ours, &j);
        printf("  %-16s %9.1f us %9.1f us %12.1f %9.2fx\n", interp ? "pulse shaper" : "matched filter", tl * 1e6, to * 1e6,
               (double)j.n / to / 1e6, tl / to);
        if (g_rrc.fi) firinterp_crcf_destroy(g_rrc.fi);
        if (g_rrc.fd) firdecim_crcf_destroy(g_rrc.fd);
        qsdr_rrc_destroy(&g_rrc.q);
    }
    printf("\n");
    free(g_rrc.x), free(g_rrc.y);
}

static uint64_t lcg(uint64_t *s)
{
    *s = *s * 6364136223846793005ull + 1442695040888963407ull;
    return *s >> 11;
}

int main(void)
{
    printf("qsdr %s bench/kernels: each SIMD variant against the plain C reference in this run, one thread\n\n", QSDR_VERSION_STRING);
    uint64_t seed = 1;
    job j = {0};

    /* Gaussian noise (awgn): 4096 Philox blocks = 16384 normals per call */
    j.n = 4096;
    j.a = malloc(4 * j.n * sizeof(float));
    family("Gaussian noise, Philox4x32-10 + Box-Muller (awgn, qsdr_randn_f32): 16384 normals per call", "Mnormal/s", 4.0 * (double)j.n, 1e6,
           qsdr_k_normal_variants(), qsdr_k_select(qsdr_k_normal_variants()), run_normal, &j);
    free(j.a);

    /* int8 GEMM, 64 x 256 x 256 (a 256 -> 256 layer, batch 64) */
    {
        const qsdr_k_variant *tab = qsdr_nn_gemm_s8_variants();
        size_t nv = 0;
        while (tab[nv].name) nv++;
        int8_t *A = malloc(64 * 256), *B = malloc(256 * 256);
        for (size_t i = 0; i < 64 * 256; i++) A[i] = (int8_t)(lcg(&seed) % 256 - 128);
        for (size_t i = 0; i < 256 * 256; i++) B[i] = (int8_t)(lcg(&seed) % 255 - 127);
        void **packed = calloc(nv, sizeof *packed);
        for (size_t v = 0; v < nv; v++) {
            if (!qsdr_k_supported(&tab[v])) continue;
            const qsdr_k_gemm_s8_ops *o = tab[v].ops;
            packed[v] = qsdr_aligned_alloc(o->packed_size(256, 256));
            o->pack(packed[v], B, 256, 256, 256);
        }
        j = (job){.a = A, .c = malloc(64 * 256 * sizeof(int32_t)), .d = packed};
        family("int8 GEMM 64 x 256 x 256 (quantized layers, W8A8)", "GOP/s", 2.0 * 64 * 256 * 256, 1e9, tab, qsdr_nn_gemm_s8_selected(), run_gemm_s8,
               &j);
        for (size_t v = 0; v < nv; v++) qsdr_aligned_free(packed[v]);
        free(packed), free(A), free(B), free(j.c);
    }

    /* XNOR GEMM, 64 x 256 x 256 (one-bit layers, W1A1), and the bit-plane GEMM at 4 bits (W4A4) */
    for (int planes = 1; planes <= 4; planes += 3) {
        const qsdr_k_variant *tab = qsdr_nn_bitgemm_variants();
        size_t nv = 0;
        while (tab[nv].name) nv++;
        size_t np = (size_t)planes;
        uint64_t *A = malloc(64 * np * 4 * 8), *B = malloc(256 * np * 4 * 8);
        for (size_t i = 0; i < 64 * np * 4; i++) A[i] = lcg(&seed) ^ (lcg(&seed) << 40);
        for (size_t i = 0; i < 256 * np * 4; i++) B[i] = lcg(&seed) ^ (lcg(&seed) << 40);
        void **packed = calloc(nv, sizeof *packed);
        for (size_t v = 0; v < nv; v++) {
            if (!qsdr_k_supported(&tab[v])) continue;
            const qsdr_k_bitgemm_ops *o = tab[v].ops;
            packed[v] = qsdr_aligned_alloc(o->packed_size(256, np, 4));
            o->pack(packed[v], B, np * 4, 256, np, 4);
        }
        j = (job){.a = A, .b = A, .c = malloc(64 * 256 * sizeof(int32_t)), .d = packed};
        if (planes == 1)
            family("XNOR-popcount GEMM 64 x 256 x 256 (one-bit layers, W1A1)", "GOP/s", 2.0 * 64 * 256 * 256, 1e9, tab, qsdr_nn_bitgemm_selected(),
                   run_xnor, &j);
        else
            family("bit-plane GEMM 64 x 256 x 256, 4 x 4 planes (W4A4)", "GOP/s", 2.0 * 64 * 256 * 256, 1e9, tab, qsdr_nn_bitgemm_selected(),
                   run_planes, &j);
        for (size_t v = 0; v < nv; v++) qsdr_aligned_free(packed[v]);
        free(packed), free(A), free(B), free(j.c);
    }

    /* bit-plane packing of 64 rows x 256 int16 codes into 4 planes */
    {
        int16_t *codes = malloc(64 * 256 * sizeof(int16_t));
        for (size_t i = 0; i < 64 * 256; i++) codes[i] = (int16_t)(lcg(&seed) % 16 - 8);
        j = (job){.a = codes, .c = malloc(64 * 4 * 4 * 8), .n = 4};
        family("bit-plane packing, 64 x 256 codes into 4 planes (multi-bit layers)", "Mcode/s", 64.0 * 256, 1e6, qsdr_nn_pack_planes_variants(),
               qsdr_nn_pack_planes_selected(), run_pack_planes, &j);
        j.n = 1;
        family("sign-bit packing, 64 x 256 codes (XNOR layers)", "Mcode/s", 64.0 * 256, 1e6, qsdr_nn_pack_planes_variants(),
               qsdr_nn_pack_planes_selected(), run_pack_planes, &j);
        free(codes), free(j.c);
    }

    /* a convolution input's codes NCHW -> NHWC int8, 32 channels x 16 x 16 pixels */
    {
        int16_t *codes = malloc(32 * 256 * sizeof(int16_t));
        for (size_t i = 0; i < 32 * 256; i++) codes[i] = (int16_t)(lcg(&seed) % 256 - 128);
        j = (job){.a = codes, .c = malloc(32 * 256)};
        family("convolution codes NCHW -> NHWC int8, 32 channels x 256 pixels (int8 convolutions)", "Mcode/s", 32.0 * 256, 1e6,
               qsdr_nn_nhwc_variants(), qsdr_nn_nhwc_selected(), run_nhwc, &j);
        free(codes), free(j.c);
    }

    /* one-bit table lookup, F = 4 samples -> m = 2 LLRs per group (QPSK-rate autoencoder) */
    {
        j = (job){.n = 8192};
        float *x = malloc(j.n * 4 * sizeof(float)), *t = malloc(16 * 2 * sizeof(float));
        for (size_t i = 0; i < j.n * 4; i++) x[i] = lcg(&seed) & 1 ? -0.7f : 0.7f;
        for (size_t i = 0; i < 32; i++) t[i] = (float)(lcg(&seed) % 2001) / 100.0f - 10.0f;
        j.a = x, j.b = t, j.c = malloc(j.n * 2 * sizeof(float));
        family("one-bit table lookup, 8192 groups of 4 samples -> 2 LLRs (ae_decoder)", "Mgroup/s", (double)j.n, 1e6, qsdr_nn_onebit_lookup_variants(),
               qsdr_nn_onebit_lookup_selected(), run_lookup, &j);
        free(x), free(t), free(j.c);
    }

    /* fast turbo decoder's batch transposition, K = 6144, for the selected int16 and int8 decoders */
    for (int bits = 16; bits >= 8; bits -= 8) {
        qsdr_turbo_fast_t *q = qsdr_turbo_fast_create(6144, 6, QSDR_TURBO_R13, bits == 16 ? "int16" : "int8");
        if (!q) return 1;
        for (size_t i = 0; i < q->lanes * 3 * (6144 + 4); i++) q->qd[i] = (int16_t)(lcg(&seed) % 127 - 63);
        char title[160];
        snprintf(title, sizeof title, "turbo decoder input transposition, K = 6144, %zu frames of the %s decoder (%d-bit)", q->lanes,
                 qsdr_turbo_fast_impl(q), bits);
        j = (job){.a = q};
        family(title, "Mitem/s", 3.0 * 6144 * (double)q->lanes, 1e6, qsdr_tf_transpose_variants(), qsdr_k_select(qsdr_tf_transpose_variants()),
               run_transpose, &j);
        qsdr_turbo_fast_destroy(&q);
    }
    rrc_table();
    return 0;
}
