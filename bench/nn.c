/* SPDX-License-Identifier: MIT */
/* bench/nn: forward speed of a 256x256 linear layer (batch 64) and a 3x3 convolution, float
 * path against OpenBLAS sgemm on the same GEMM shape, and the int8 (W8A8) and 1-bit (W1A1,
 * XNOR-popcount) integer-engine paths against the float path, all measured in this run.
 * Every path includes its per-call work (activation quantization, im2row, rescaling); weight
 * packing happens once at a bit-width switch and is not timed. One thread: run with
 * OPENBLAS_NUM_THREADS=1 (make bench does), else OpenBLAS's idle pool threads spin on the
 * second core and steal time from the integer paths. */
#include <cblas.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "nn/nn_internal.h"
#include "qsdr/nn.h"

static double now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

/* best-of-5 seconds per call of f(ctx), each timing at least ~0.2 s, after one warm-up call
 * (buffers, weight packing) */
static double time_best(void (*f)(void *), void *ctx)
{
    f(ctx);
    size_t reps = 1;
    double t;
    for (;;) {
        double t0 = now();
        for (size_t r = 0; r < reps; r++) f(ctx);
        t = now() - t0;
        if (t > 0.2) break;
        reps *= 2;
    }
    double best = t / (double)reps;
    for (int k = 0; k < 4; k++) {
        double t0 = now();
        for (size_t r = 0; r < reps; r++) f(ctx);
        double v = (now() - t0) / (double)reps;
        best = v < best ? v : best;
    }
    return best;
}

typedef struct {
    qsdr_nn_model *m;
    const float *x;
    size_t B;
} fwd_ctx;
static void run_forward(void *p)
{
    fwd_ctx *c = p;
    qsdr_nn_forward(c->m, c->x, c->B);
}
static double time_model(qsdr_nn_model *m, const float *x, size_t B) { return time_best(run_forward, &(fwd_ctx){m, x, B}); }

/* C (M, N) = A (M, K) B^T with B (N, K): the faster of OpenBLAS's layouts for these shapes
 * (the convolution's own, weights x per-sample im2col blocks, measured 10-15 % slower) */
typedef struct {
    size_t M, N, K;
    float *a, *b, *c;
} gemm_ctx;
static void run_sgemm(void *p)
{
    gemm_ctx *g = p;
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, (int)g->M, (int)g->N, (int)g->K, 1, g->a, (int)g->K, g->b, (int)g->K, 0, g->c,
                (int)g->N);
}
static double time_sgemm(size_t M, size_t N, size_t K)
{
    gemm_ctx g = {M, N, K, calloc(M * K, 4), calloc(N * K, 4), calloc(M * N, 4)};
    for (size_t i = 0; i < M * K; i++) g.a[i] = (float)(i % 13) * 0.1f;
    for (size_t i = 0; i < N * K; i++) g.b[i] = (float)(i % 7) * 0.1f;
    double t = time_best(run_sgemm, &g);
    free(g.a), free(g.b), free(g.c);
    return t;
}

static void row(const char *name, double flops, double t, double base, const char *kern)
{
    printf("  %-26s %9.3f ms %9.2f GOP/s %8.2fx   %s\n", name, t * 1e3, flops / t / 1e9, base / t, kern);
}

static void bench_layer(const char *title, const char *spec, size_t B, size_t M, size_t N, size_t K)
{
    qsdr_nn_model *m = qsdr_nn_model_from_spec(spec, title);
    if (!m) {
        fprintf(stderr, "%s\n", qsdr_last_error());
        exit(1);
    }
    size_t Fi = qsdr_nn_in_features(m);
    float *x = malloc(B * Fi * sizeof(float));
    for (size_t i = 0; i < B * Fi; i++) x[i] = (float)((i * 2654435761u) % 1000) / 500.0f - 1.0f;
    double flops = 2.0 * (double)M * (double)N * (double)K;
    printf("%s: GEMM %zu x %zu x %zu (%.1f MFLOP)\n", title, M, N, K, flops / 1e6);
    printf("  %-26s %12s %15s %9s   %s\n", "path", "time", "rate", "vs float", "kernel");
    double ts = time_sgemm(M, N, K);
    qsdr_nn_set_bits(m, QSDR_NN_ALL_LAYERS, QSDR_NN_FLOAT, QSDR_NN_FLOAT);
    double tf = time_model(m, x, B);
    row("OpenBLAS sgemm alone", flops, ts, tf, "cblas_sgemm, activations x weights^T");
    row("float layer", flops, tf, tf, "cblas_sgemm");
    printf("  %-26s %.0f %% of sgemm's rate (target >= 80 %%)\n", "", 100.0 * ts / tf);
    qsdr_nn_calibrate(m, x, B);
    qsdr_nn_set_engine(m, QSDR_NN_ENGINE_INT);
    static const int cfg[][2] = {{8, 8}, {4, 4}, {2, 2}, {1, 1}};
    for (int c = 0; c < 4; c++) {
        qsdr_nn_set_bits(m, QSDR_NN_ALL_LAYERS, cfg[c][0], cfg[c][1]);
        double t = time_model(m, x, B);
        char name[64];
        snprintf(name, sizeof name, "integer W%dA%d%s", cfg[c][0], cfg[c][1],
                 c == 0 ? " (target >= 2x)" : c == 3 ? " (target >= 5x)" : "");
        row(name, flops, t, tf, qsdr_nn_layer_kernel(m, 0));
    }
    qsdr_nn_model_free(m);
    free(x);
}

int main(void)
{
    openblas_set_num_threads(1);
    printf("bench/nn: one thread; ratios against the float layer measured in this run\n\n");
    bench_layer("linear 256 -> 256, batch 64", "input: [256]\nquant: {weight: dorefa, act: sym}\nlayers:\n  - {type: linear, out: 256}\n", 64,
                64, 256, 256);
    printf("\n");
    bench_layer("conv2d 3x3, 32 -> 64 channels, 16x16, pad 1, batch 16",
                "input: [32, 16, 16]\nquant: {weight: dorefa, act: sym}\nlayers:\n  - {type: conv2d, out: 64, kernel: 3, pad: 1}\n", 16,
                16 * 256, 64, 32 * 9);
    return 0;
}
