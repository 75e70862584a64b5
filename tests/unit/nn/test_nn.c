/* SPDX-License-Identifier: MIT */
/* NN core: optimizers, model files, training, quantization-aware training, the integer engine,
 * determinism and bad input. */
#include <cblas.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "nn/nn_internal.h"
#include "qsdr/nn.h"
#include "qsdr/rng.h"
#include "qsdr_test.h"

static char *slurp(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    rewind(f);
    char *s = malloc((size_t)n + 1);
    size_t got = fread(s, 1, (size_t)n, f);
    s[got] = 0;
    fclose(f);
    return s;
}

static qsdr_nn_model *example(const char *name)
{
    char p[1024];
    snprintf(p, sizeof p, "%s/examples/%s", qsdr_test_src_dir, name);
    return qsdr_nn_model_load(p);
}

/* ---- optimizers ------------------------------------------------------------------------------- */
QSDR_TEST(nn_optimizers_quadratic, "unit", "SGD (plain, momentum, Nesterov), Adam, AdamW, AMSGrad minimise a quadratic")
{
    static const struct {
        const char *name;
        qsdr_nn_optim_kind k;
        float lr, mom;
        bool nest;
    } cases[] = {{"sgd", QSDR_NN_SGD, 0.05f, 0, false},        {"sgd+momentum", QSDR_NN_SGD, 0.02f, 0.9f, false},
                 {"sgd+nesterov", QSDR_NN_SGD, 0.02f, 0.9f, true}, {"adam", QSDR_NN_ADAM, 0.05f, 0, false},
                 {"adamw", QSDR_NN_ADAMW, 0.05f, 0, false},      {"amsgrad", QSDR_NN_AMSGRAD, 0.05f, 0, false}};
    const float a[4] = {1, 3, 0.5f, 8}, c[4] = {1, -2, 3, 0.5f};
    for (size_t t = 0; t < sizeof cases / sizeof *cases; t++) {
        qsdr_nn_optim_config cfg;
        qsdr_nn_optim_defaults(&cfg);
        cfg.kind = cases[t].k, cfg.lr = cases[t].lr, cfg.momentum = cases[t].mom, cfg.nesterov = cases[t].nest;
        cfg.sched = QSDR_NN_SCHED_COSINE, cfg.min_lr = cfg.lr * 0.01f;
        qsdr_nn_optim *o = qsdr_nn_optim_create(&cfg, 4);
        QSDR_REQUIRE(o);
        float p[4] = {0}, g[4];
        size_t steps = 3000;
        for (size_t s = 0; s < steps; s++) {
            for (int i = 0; i < 4; i++) g[i] = 2 * a[i] * (p[i] - c[i]);
            qsdr_nn_optim_step(o, p, g, 4, s, steps);
        }
        for (int i = 0; i < 4; i++) QSDR_CHECK_MSG(fabsf(p[i] - c[i]) < 2e-3f, "%s: p[%d] = %g, minimum at %g", cases[t].name, i, p[i], c[i]);
        qsdr_nn_optim_free(o);
    }
    /* weight decay moves the minimum of SGD to c a / (a + wd/2) */
    qsdr_nn_optim_config cfg;
    qsdr_nn_optim_defaults(&cfg);
    cfg.kind = QSDR_NN_SGD, cfg.lr = 0.05f, cfg.weight_decay = 1.0f;
    qsdr_nn_optim *o = qsdr_nn_optim_create(&cfg, 1);
    float p = 0, g;
    for (size_t s = 0; s < 2000; s++) g = 2 * (p - 1), qsdr_nn_optim_step(o, &p, &g, 1, s, 2000);
    QSDR_CHECK_NEAR(p, 2.0 / 3.0, 1e-4);
    qsdr_nn_optim_free(o);
    /* clipping: a huge gradient moves SGD by at most lr * clip */
    cfg.weight_decay = 0, cfg.clip_norm = 1.0f;
    o = qsdr_nn_optim_create(&cfg, 1);
    p = 0, g = 1e6f;
    QSDR_CHECK_NEAR(qsdr_nn_optim_step(o, &p, &g, 1, 0, 1), 1e6, 1);
    QSDR_CHECK_NEAR(p, -0.05, 1e-7);
    qsdr_nn_optim_free(o);
    cfg.lr = -1;
    QSDR_CHECK(qsdr_nn_optim_create(&cfg, 1) == NULL);
}

QSDR_TEST(nn_schedules, "unit", "learning-rate schedules: step, cosine, inverse decay")
{
    qsdr_nn_optim_config c;
    qsdr_nn_optim_defaults(&c);
    c.lr = 1.0f;
    c.sched = QSDR_NN_SCHED_STEP, c.step_size = 10, c.gamma = 0.5f;
    QSDR_CHECK_NEAR(qsdr_nn_lr_at(&c, 9, 100), 1.0, 1e-7);
    QSDR_CHECK_NEAR(qsdr_nn_lr_at(&c, 25, 100), 0.25, 1e-7);
    c.sched = QSDR_NN_SCHED_COSINE, c.min_lr = 0.1f;
    QSDR_CHECK_NEAR(qsdr_nn_lr_at(&c, 0, 101), 1.0, 1e-6);
    QSDR_CHECK_NEAR(qsdr_nn_lr_at(&c, 50, 101), 0.55, 1e-6);
    QSDR_CHECK_NEAR(qsdr_nn_lr_at(&c, 100, 101), 0.1, 1e-6);
    c.sched = QSDR_NN_SCHED_INV, c.gamma = 1.0f, c.power = 1.0f;
    QSDR_CHECK_NEAR(qsdr_nn_lr_at(&c, 3, 10), 0.25, 1e-7);
}

/* ---- training ----------------------------------------------------------------------------------- */
/* examples/spirals.yml trained at `bits` (0: as the spec says), with another weight quantizer when
   wq is not NULL */
static double train_spirals_wq(int bits, const char *wq, double *seconds, qsdr_nn_model **keep)
{
    qsdr_nn_model *m = NULL;
    if (wq) {
        char p[1024];
        snprintf(p, sizeof p, "%s/examples/spirals.yml", qsdr_test_src_dir);
        char *t = slurp(p), *at = t ? strstr(t, "weight: dorefa") : NULL;
        if (!at) return free(t), -1;
        char *u = malloc(strlen(t) + 32);
        snprintf(u, strlen(t) + 32, "%.*sweight: %s%s", (int)(at - t), t, wq, at + strlen("weight: dorefa"));
        m = qsdr_nn_model_from_spec(u, "spirals.yml");
        free(t), free(u);
    } else
        m = example("spirals.yml");
    if (!m) return -1;
    if (bits) qsdr_nn_set_bits(m, QSDR_NN_ALL_LAYERS, bits, bits);
    qsdr_nn_train_config c;
    qsdr_nn_dataset tr, te;
    if (qsdr_nn_train_config_from_spec(m, &c, "spirals.yml") || qsdr_nn_dataset_from_spec(m, &tr, &te, "spirals.yml")) return -1;
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    int rc = qsdr_nn_train(m, &tr, &te, &c);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    *seconds = (double)(t1.tv_sec - t0.tv_sec) + 1e-9 * (double)(t1.tv_nsec - t0.tv_nsec);
    double acc = rc ? -1 : qsdr_nn_accuracy(m, &te);
    qsdr_nn_dataset_free(&tr);
    qsdr_nn_dataset_free(&te);
    if (keep) *keep = m;
    else qsdr_nn_model_free(m);
    return acc;
}

static double train_spirals(int bits, double *seconds, qsdr_nn_model **keep) { return train_spirals_wq(bits, NULL, seconds, keep); }

QSDR_TEST(nn_train_spirals, "unit", "examples/spirals.yml trains to >= 97% test accuracy in under a minute")
{
    double s, acc = train_spirals(0, &s, NULL);
    printf("  spirals, float: test accuracy %.4f in %.1f s\n", acc, s);
    QSDR_CHECK(acc >= 0.97);
    QSDR_CHECK(s < 60);
}

QSDR_TEST(nn_qat_lsq_sign, "unit", "quantization-aware training with the LSQ (learned step) and sign weight quantizers: spirals at 2 bits")
{
    static const char *const wq[] = {"lsq", "sign"};
    /* measured 0.979-0.984 / 0.921-0.957 over OpenBLAS kernels (Zen, SkylakeX, Sandybridge, Nehalem): training
       amplifies their last-bit sgemm differences; 1-bit weights as nn_qat_bits at 1 bit */
    static const double need[] = {0.95, 0.85};
    for (int i = 0; i < 2; i++) {
        double s;
        qsdr_nn_model *m = NULL;
        double acc = train_spirals_wq(2, wq[i], &s, &m);
        QSDR_REQUIRE(m);
        printf("  spirals, %s weights, W2A2 QAT: test accuracy %.4f in %.1f s\n", wq[i], acc, s);
        QSDR_CHECK_MSG(acc >= need[i], "%s: accuracy %.4f < %.2f", wq[i], acc, need[i]);
        if (i == 0) { /* LSQ's steps get gradients (LSQ: d(q s)/ds = round(w/s) - w/s inside the range, +-Q outside) */
            qsdr_nn_layer *l = &m->layers[3];
            QSDR_REQUIRE(l->wq.n_param == l->out_c && l->wq.grad);
            float x[8 * 2], dy[8 * 3];
            for (int k = 0; k < 16; k++) x[k] = (float)sin(k * 1.3);
            for (int k = 0; k < 24; k++) dy[k] = (float)cos(k * 0.7);
            qsdr_nn_set_training(m, true);
            qsdr_nn_zero_grad(m);
            QSDR_REQUIRE(qsdr_nn_forward(m, x, 8) && qsdr_nn_backward(m, dy) == QSDR_OK);
            size_t nz = 0;
            for (size_t c = 0; c < l->out_c; c++) nz += l->wq.grad[c] != 0;
            QSDR_CHECK_MSG(nz > l->out_c / 2, "only %zu of %zu LSQ steps have a gradient", nz, l->out_c);
        }
        qsdr_nn_model_free(m);
    }
}

QSDR_TEST(nn_qat_bits, "unit", "quantization-aware training of the spirals model at 8, 4, 2 and 1 bits")
{
    static const int bits[] = {8, 4, 2, 1};
    static const double need[] = {0.97, 0.97, 0.93, 0.85}; /* measured 0.993-0.994 / 0.988-0.993 / 0.978-0.985 / 0.918-0.943 over OpenBLAS kernels */
    for (int i = 0; i < 4; i++) {
        double s;
        qsdr_nn_model *m = NULL;
        double acc = train_spirals(bits[i], &s, &m);
        QSDR_REQUIRE(m);
        /* the same model run by the integer / bit kernels */
        qsdr_nn_dataset tr, te;
        QSDR_REQUIRE(qsdr_nn_dataset_from_spec(m, &tr, &te, "spirals") == QSDR_OK);
        qsdr_nn_set_engine(m, QSDR_NN_ENGINE_INT);
        double acc_int = qsdr_nn_accuracy(m, &te);
        printf("  spirals, W%dA%d QAT: test accuracy %.4f (integer engine %.4f, hidden layers on %s) in %.1f s\n", bits[i], bits[i],
               acc, acc_int, qsdr_nn_layer_kernel(m, 3), s);
        QSDR_CHECK_MSG(acc >= need[i], "%d bits: accuracy %.4f < %.2f", bits[i], acc, need[i]);
        QSDR_CHECK_NEAR(acc_int, acc, 0.002); /* same codes; a rounding tie may flip one example */
        qsdr_nn_dataset_free(&tr);
        qsdr_nn_dataset_free(&te);
        qsdr_nn_model_free(m);
    }
}

QSDR_TEST(nn_train_deterministic, "unit", "same seed, same weights: any BLAS thread count (training pins OpenBLAS to one thread and restores the caller's count); another seed differs")
{
    float *w[3] = {0};
    size_t n = 0;
    for (int run = 0; run < 3; run++) {
        qsdr_nn_model *m = example("spirals.yml");
        QSDR_REQUIRE(m);
        qsdr_nn_set_bits(m, QSDR_NN_ALL_LAYERS, 4, 4);
        qsdr_nn_train_config c;
        qsdr_nn_dataset tr, te;
        QSDR_REQUIRE(qsdr_nn_train_config_from_spec(m, &c, "s") == 0 && qsdr_nn_dataset_from_spec(m, &tr, &te, "s") == 0);
        c.epochs = 3;
        if (run == 2) c.seed = 99;
        openblas_set_num_threads(run == 1 ? 2 : 1);
        QSDR_REQUIRE(qsdr_nn_train(m, &tr, &te, &c) == QSDR_OK);
        QSDR_CHECK_EQ_INT(openblas_get_num_threads(), run == 1 ? 2 : 1); /* the caller's setting is back */
        const float *p = qsdr_nn_params(m, &n);
        w[run] = malloc(n * sizeof(float));
        memcpy(w[run], p, n * sizeof(float));
        qsdr_nn_dataset_free(&tr), qsdr_nn_dataset_free(&te);
        qsdr_nn_model_free(m);
    }
    openblas_set_num_threads(1);
    QSDR_CHECK(memcmp(w[0], w[1], n * sizeof(float)) == 0);
    QSDR_CHECK(memcmp(w[0], w[2], n * sizeof(float)) != 0);
    for (int i = 0; i < 3; i++) free(w[i]);
}

/* ---- the integer engine against fake quantization ---------------------------------------------- */
static void int_vs_fake(const char *spec, int wb, int ab, const char *label)
{
    qsdr_nn_model *m = qsdr_nn_model_from_spec(spec, label);
    QSDR_REQUIRE(m);
    QSDR_REQUIRE(qsdr_nn_set_bits(m, QSDR_NN_ALL_LAYERS, wb, ab) == QSDR_OK);
    size_t B = 7, Fi = qsdr_nn_in_features(m), Fo = qsdr_nn_out_features(m);
    float *x = malloc(B * Fi * sizeof(float)), *ref = malloc(B * Fo * sizeof(float));
    uint64_t s = 1234 + (uint64_t)wb * 16 + (uint64_t)ab;
    for (size_t i = 0; i < B * Fi; i++) {
        s = s * 6364136223846793005ull + 1442695040888963407ull;
        x[i] = (float)((double)(s >> 11) / 9007199254740992.0 * 4 - 1.5);
    }
    QSDR_REQUIRE(qsdr_nn_calibrate(m, x, B) == QSDR_OK);
    qsdr_nn_set_engine(m, QSDR_NN_ENGINE_FLOAT);
    const float *y = qsdr_nn_forward(m, x, B);
    QSDR_REQUIRE(y);
    memcpy(ref, y, B * Fo * sizeof(float));
    qsdr_nn_set_engine(m, QSDR_NN_ENGINE_INT);
    y = qsdr_nn_forward(m, x, B);
    QSDR_REQUIRE(y);
    double mx = 0, md = 0;
    for (size_t i = 0; i < B * Fo; i++) mx = qsdr_test_max(mx, fabs(ref[i])), md = qsdr_test_max(md, fabs((double)y[i] - ref[i]));
    QSDR_CHECK_MSG(md <= 1e-5 * fmax(mx, 1e-3), "%s W%dA%d (%s): max |int - fake| %.3g, max |y| %.3g", label, wb, ab,
                   qsdr_nn_layer_kernel(m, 0), md, mx);
    free(x), free(ref);
    qsdr_nn_model_free(m);
}

QSDR_TEST(nn_int_engine_matches_fake_quant, "unit", "integer/bit kernels reproduce the fake-quant reference, 1..8 bits, linear and conv")
{
    const char *lin = "input: [37]\nquant: {weight: dorefa, act: sym}\nlayers:\n  - {type: linear, out: 19}\n";
    const char *lin_lsq = "input: [70]\nquant: {weight: lsq, act: sym}\nlayers:\n  - {type: linear, out: 33}\n"
                          "  - {type: relu}\n  - {type: linear, out: 5}\n";
    const char *lin_pact = "input: [65]\nquant: {weight: dorefa}\nlayers:\n  - {type: relu}\n  - {type: linear, out: 17}\n";
    const char *conv = "input: [3, 7, 9]\nquant: {weight: dorefa, act: sym}\nlayers:\n  - {type: conv2d, out: 5, kernel: 3, pad: 1}\n"
                       "  - {type: relu}\n  - {type: conv2d, out: 4, kernel: [2, 3], stride: 2}\n";
    /* one padded layer alone: behind a relu, 1-bit sym activations are all +1 (sign of >= 0),
       so the second layer of `conv` cannot see a wrong first layer at 1-bit activations */
    const char *conv_pad = "input: [3, 6, 7]\nquant: {weight: dorefa, act: sym}\nlayers:\n  - {type: conv2d, out: 5, kernel: 3, pad: 1}\n";
    const char *c1d = "input: [2, 40]\nquant: {weight: sign, act: sym}\nlayers:\n  - {type: conv1d, out: 6, kernel: 5, stride: 2}\n";
    /* rows longer than a 64-bit word, taps straddling word boundaries (5 channels x 25 taps),
       pixels of more than one word (70 channels): the XNOR convolution's bit-level im2row */
    const char *conv_wide = "input: [5, 6, 7]\nquant: {weight: dorefa, act: sym}\nlayers:\n  - {type: conv2d, out: 3, kernel: 5, pad: 2}\n";
    const char *conv_deep = "input: [70, 4, 5]\nquant: {weight: dorefa, act: sym}\nlayers:\n  - {type: conv2d, out: 4, kernel: 3, pad: 1, stride: 2}\n";
    /* every kernel whatever this CPU prefers: bit kernels wherever they apply (XNOR, planes up
       to 4 plane pairs), then the int8 GEMM everywhere, then the automatic choice */
    static const int policies[] = {4, 0, -1};
    for (size_t pi = 0; pi < sizeof policies / sizeof *policies; pi++) {
        qsdr_nn_set_planes_max_pairs(policies[pi]);
        for (int wb = 1; wb <= 8; wb++)
            for (int ab = 1; ab <= 8; ab++) {
                int_vs_fake(lin, wb, ab, "linear dorefa/sym");
                int_vs_fake(lin_pact, wb, ab, "linear dorefa/pact");
                int_vs_fake(conv_pad, wb, ab, "conv2d pad, one layer");
                if ((wb + ab) % 3 == 0 || wb == ab) {
                    int_vs_fake(lin_lsq, wb, ab, "mlp lsq/sym+pact");
                    int_vs_fake(conv, wb, ab, "conv2d pad/stride");
                }
                if (wb == ab || wb == 1) {
                    int_vs_fake(conv_wide, wb, ab, "conv2d 5x5 over 5 channels");
                    int_vs_fake(conv_deep, wb, ab, "conv2d over 70 channels");
                }
            }
        int_vs_fake(c1d, 1, 1, "conv1d sign");
        int_vs_fake(c1d, 1, 3, "conv1d sign");
    }
    qsdr_nn_set_planes_max_pairs(-1);
}

QSDR_TEST(nn_int_engine_kernel_choice, "unit",
          "the integer engine runs bit kernels up to qsdr_nn_planes_max_pairs plane pairs and int8 beyond")
{
    const char *spec = "input: [3, 9, 8]\nquant: {weight: dorefa, act: sym}\nlayers:\n  - {type: conv2d, out: 6, kernel: 3, pad: 1}\n";
    static const struct {
        int pairs, wb, ab;
        const char *kind;
    } cases[] = {{4, 1, 1, "xnor/"}, {4, 2, 2, "planes/"}, {4, 1, 4, "planes/"}, {4, 1, 5, "int8/"}, {3, 2, 2, "int8/"},
                 {3, 1, 2, "planes/"}, {1, 1, 1, "xnor/"}, {1, 1, 2, "int8/"}, {0, 1, 1, "int8/"}};
    for (size_t t = 0; t < sizeof cases / sizeof *cases; t++) {
        qsdr_nn_set_planes_max_pairs(cases[t].pairs);
        qsdr_nn_model *m = qsdr_nn_model_from_spec(spec, "choice");
        QSDR_REQUIRE(m);
        QSDR_REQUIRE(qsdr_nn_set_bits(m, QSDR_NN_ALL_LAYERS, cases[t].wb, cases[t].ab) == QSDR_OK);
        qsdr_nn_set_engine(m, QSDR_NN_ENGINE_INT);
        float x[3 * 9 * 8] = {0};
        QSDR_REQUIRE(qsdr_nn_forward(m, x, 1));
        const char *k = qsdr_nn_layer_kernel(m, 0);
        QSDR_CHECK_MSG(!strncmp(k, cases[t].kind, strlen(cases[t].kind)), "max pairs %d, W%dA%d: kernel %s, expected %s...", cases[t].pairs,
                       cases[t].wb, cases[t].ab, k, cases[t].kind);
        qsdr_nn_model_free(m);
    }
    qsdr_nn_set_planes_max_pairs(-1);
    int auto_pairs = qsdr_nn_planes_max_pairs();
    QSDR_CHECK(auto_pairs >= 0 && auto_pairs <= 4);
    printf("  this CPU: bit kernels up to %d plane pairs (%s vs int8/%s)\n", auto_pairs, qsdr_nn_bitgemm_selected()->name,
           qsdr_nn_gemm_s8_selected()->name);
}

QSDR_TEST(nn_int_engine_switch_kernels, "unit", "one conv model switched 1 -> 8 -> 2 -> 1 -> 4/1 bits: each integer kernel change matches fake quant")
{
    const char *spec = "input: [3, 9, 8]\nquant: {weight: dorefa, act: sym}\nlayers:\n  - {type: conv2d, out: 6, kernel: 3, pad: 1}\n";
    qsdr_nn_model *m = qsdr_nn_model_from_spec(spec, "switch");
    QSDR_REQUIRE(m);
    size_t B = 3, Fi = qsdr_nn_in_features(m), Fo = qsdr_nn_out_features(m);
    float *x = malloc(B * Fi * sizeof(float)), *ref = malloc(B * Fo * sizeof(float));
    for (size_t i = 0; i < B * Fi; i++) x[i] = (float)sin(0.37 * (double)i) * 1.3f;
    static const int seq[][2] = {{1, 1}, {8, 8}, {2, 2}, {1, 1}, {4, 1}, {1, 1}};
    for (size_t t = 0; t < sizeof seq / sizeof *seq; t++) {
        QSDR_REQUIRE(qsdr_nn_set_bits(m, QSDR_NN_ALL_LAYERS, seq[t][0], seq[t][1]) == QSDR_OK);
        qsdr_nn_set_engine(m, QSDR_NN_ENGINE_FLOAT);
        memcpy(ref, qsdr_nn_forward(m, x, B), B * Fo * sizeof(float));
        qsdr_nn_set_engine(m, QSDR_NN_ENGINE_INT);
        const float *y = qsdr_nn_forward(m, x, B);
        QSDR_REQUIRE(y);
        double mx = 0, md = 0;
        for (size_t i = 0; i < B * Fo; i++) mx = qsdr_test_max(mx, fabs(ref[i])), md = qsdr_test_max(md, fabs((double)y[i] - ref[i]));
        QSDR_CHECK_MSG(md <= 1e-5 * fmax(mx, 1e-3), "step %zu W%dA%d (%s): max |int - fake| %.3g", t, seq[t][0], seq[t][1],
                       qsdr_nn_layer_kernel(m, 0), md);
    }
    free(x), free(ref);
    qsdr_nn_model_free(m);
}

QSDR_TEST(nn_int_engine_exact_sums, "unit", "integer engine: the accumulations equal sum of code products exactly")
{
    const char *spec = "input: [100]\nquant: {weight: dorefa, act: pact, bits: 8}\nlayers:\n  - {type: linear, out: 9, bias: false}\n";
    static const int cfg[][2] = {{8, 8}, {4, 4}, {2, 2}, {1, 1}, {1, 4}, {3, 8}};
    for (size_t t = 0; t < sizeof cfg / sizeof *cfg; t++) {
        qsdr_nn_model *m = qsdr_nn_model_from_spec(spec, "exact");
        QSDR_REQUIRE(m);
        qsdr_nn_set_bits(m, QSDR_NN_ALL_LAYERS, cfg[t][0], cfg[t][1]);
        float x[300];
        for (int i = 0; i < 300; i++) x[i] = (float)((i * 37) % 101) / 25.0f;
        qsdr_nn_set_engine(m, QSDR_NN_ENGINE_INT);
        const float *y = qsdr_nn_forward(m, x, 3);
        QSDR_REQUIRE(y);
        qsdr_nn_layer *l = &m->layers[0];
        int16_t ac[300];
        float sa;
        l->aq.ops->forward(&l->aq, NULL, ac, &sa, x, 1, 300);
        for (size_t b = 0; b < 3; b++)
            for (size_t n = 0; n < 9; n++) {
                long long acc = 0;
                for (size_t k = 0; k < 100; k++) acc += (long long)l->wcodes[n * 100 + k] * ac[b * 100 + k];
                float want = (float)acc * (l->wscale[n] * sa); /* the engine's own rescaling, exactly */
                QSDR_CHECK_MSG(y[b * 9 + n] == want, "W%dA%d (%s) y[%zu][%zu] = %.9g, sum of codes gives %.9g", cfg[t][0], cfg[t][1],
                               qsdr_nn_layer_kernel(m, 0), b, n, y[b * 9 + n], want);
            }
        qsdr_nn_model_free(m);
    }
}

QSDR_TEST(nn_bits_switch_live, "unit", "bit-width switches back and forth give the same outputs as a fresh model at those bits")
{
    qsdr_nn_model *m = example("spirals.yml");
    QSDR_REQUIRE(m);
    float x[64];
    for (int i = 0; i < 64; i++) x[i] = (float)sin(i * 0.7);
    qsdr_nn_set_engine(m, QSDR_NN_ENGINE_INT);
    float a8[96], a2[96];
    qsdr_nn_set_bits(m, QSDR_NN_ALL_LAYERS, 8, 8);
    memcpy(a8, qsdr_nn_forward(m, x, 32), sizeof a8);
    qsdr_nn_set_bits(m, QSDR_NN_ALL_LAYERS, 2, 2);
    memcpy(a2, qsdr_nn_forward(m, x, 32), sizeof a2);
    QSDR_CHECK(memcmp(a8, a2, sizeof a8) != 0);
    qsdr_nn_set_bits(m, QSDR_NN_ALL_LAYERS, 8, 8);
    QSDR_CHECK(memcmp(a8, qsdr_nn_forward(m, x, 32), sizeof a8) == 0);
    int wb, ab;
    QSDR_CHECK(qsdr_nn_layer_bits(m, 3, &wb, &ab) && wb == 8 && ab == 8);
    QSDR_CHECK(qsdr_nn_layer_bits(m, 0, &wb, &ab) && wb == 8); /* fixed */
    QSDR_CHECK(qsdr_nn_set_bits(m, QSDR_NN_ALL_LAYERS, 9, 8) == QSDR_ERANGE);
    QSDR_CHECK(strstr(qsdr_last_error(), "1..8"));
    QSDR_CHECK(qsdr_nn_set_bits(m, 1, 4, 4) == QSDR_ERANGE); /* batchnorm has no weights */
    qsdr_nn_model_free(m);
}

/* ---- model files ------------------------------------------------------------------------------- */
QSDR_TEST(nn_safetensors_round_trip, "unit", "save -> load is bit-exact: weights, BN sets, quantizer parameters, bit-widths")
{
    const char *spec = "input: [1, 8, 8]\nseed: 9\nquant: {weight: lsq, bits: 4, bn_sets: [4, 2]}\nlayers:\n"
                       "  - {type: conv2d, out: 4, kernel: 3, pad: 1}\n  - {type: batchnorm}\n  - {type: relu}\n"
                       "  - {type: maxpool, kernel: 2}\n  - {type: flatten}\n  - {type: linear, out: 3}\n";
    qsdr_nn_model *m = qsdr_nn_model_from_spec(spec, "rt");
    QSDR_REQUIRE(m);
    float x[4 * 64];
    for (int i = 0; i < 256; i++) x[i] = (float)cos(i * 0.37);
    qsdr_nn_set_training(m, true);
    for (int s = 0; s < 3; s++) qsdr_nn_forward(m, x, 4); /* move the BN statistics */
    qsdr_nn_set_bits(m, QSDR_NN_ALL_LAYERS, 2, 3);
    qsdr_nn_set_training(m, false);
    float y0[12];
    memcpy(y0, qsdr_nn_forward(m, x, 4), sizeof y0);
    char path[1024];
    snprintf(path, sizeof path, "%s/nn_rt.safetensors", qsdr_test_build_dir);
    QSDR_REQUIRE(qsdr_nn_save(m, path, "{\"qsdr.command\": \"test \\\"quoted\\\"\", \"format\": \"pt-test\"}") == QSDR_OK);
    qsdr_nn_model *k = qsdr_nn_model_load(path);
    QSDR_REQUIRE(k);
    /* the header is padded to 8 bytes (the data 8-byte aligned, as safetensors recommends), and an
       extra key replaces the built-in one of the same name ("format"), never a second copy */
    FILE *f = fopen(path, "rb");
    unsigned char len8[8] = {0};
    QSDR_REQUIRE(f && fread(len8, 1, 8, f) == 8);
    uint64_t hl = 0;
    for (int i = 0; i < 8; i++) hl |= (uint64_t)len8[i] << (8 * i);
    char *hdr = calloc(1, (size_t)hl + 1);
    QSDR_REQUIRE(hdr && fread(hdr, 1, (size_t)hl, f) == hl);
    fclose(f);
    QSDR_CHECK_MSG(hl % 8 == 0, "header length %llu", (unsigned long long)hl);
    QSDR_CHECK(strstr(hdr, "\"format\":\"pt-test\"") && !strstr(hdr, "\"format\":\"pt\""));
    free(hdr);
    /* which batch-norm sets hold trained statistics (set 1 became a copy of set 0 at the switch) */
    QSDR_CHECK_EQ_INT(m->bn_trained, 3);
    QSDR_CHECK_EQ_INT(k->bn_trained, m->bn_trained);
    QSDR_CHECK_EQ_INT(k->n_params, m->n_params);
    QSDR_CHECK(memcmp(k->params, m->params, m->n_params * sizeof(float)) == 0);
    QSDR_CHECK(memcmp(k->bufs, m->bufs, m->n_bufs * sizeof(float)) == 0);
    int wb, ab;
    QSDR_CHECK(qsdr_nn_layer_bits(k, 5, &wb, &ab) && wb == 2 && ab == 3);
    QSDR_CHECK_EQ_INT(k->bn_set, 1);
    QSDR_CHECK(memcmp(qsdr_nn_forward(k, x, 4), y0, sizeof y0) == 0);
    char *cmd = qsdr_nn_file_metadata(path, "qsdr.command");
    QSDR_CHECK(cmd && !strcmp(cmd, "test \"quoted\""));
    qsdr_free(cmd);
    qsdr_nn_model_free(k);
    qsdr_nn_model_free(m);
}

QSDR_TEST(nn_calibrate_ptq_keeps_trained_ranges, "unit",
          "post-training calibration leaves ranges learned at their bit-width (fixed layers) and recalibrates switched ones")
{
    const char *spec = "input: [6]\nseed: 3\nquant: {weight: lsq, act: auto}\nlayers:\n"
                       "  - {type: linear, out: 8}\n  - {type: relu}\n"
                       "  - {type: linear, out: 8}\n  - {type: relu}\n"
                       "  - {type: linear, out: 2, quant: {fixed: true, bits: 8}}\n";
    qsdr_nn_model *m = qsdr_nn_model_from_spec(spec, "ptq");
    QSDR_REQUIRE(m);
    float x[64 * 6];
    for (int i = 0; i < 64 * 6; i++) x[i] = (float)(3 * sin(i * 0.61));
    /* what training leaves: a fixed layer's PACT clip and LSQ step learned away from calibration */
    qsdr_nn_layer *fx = &m->layers[4], *sw = &m->layers[2];
    QSDR_REQUIRE(fx->aq.n_param == 1 && fx->wq.n_param >= 1 && sw->aq.n_param == 1);
    fx->aq.param[0] = 0.37f, fx->wq.param[0] = 0.011f;
    qsdr_nn_mark_ranges(m);
    /* a model-wide switch to 4 bits: the switchable layers' ranges are calibrated, the fixed ones kept */
    QSDR_REQUIRE(qsdr_nn_set_bits(m, QSDR_NN_ALL_LAYERS, 4, 4) == QSDR_OK);
    float sw0 = sw->aq.param[0];
    QSDR_REQUIRE(qsdr_nn_calibrate_ptq(m, x, 64) == QSDR_OK);
    QSDR_CHECK(fx->aq.param[0] == 0.37f && fx->wq.param[0] == 0.011f);
    QSDR_CHECK(sw->aq.param[0] != sw0);
    /* calibrated once at 4 bits: a second PTQ at 4 bits keeps that range too */
    sw->aq.param[0] = 1.25f;
    QSDR_REQUIRE(qsdr_nn_calibrate_ptq(m, x, 64) == QSDR_OK);
    QSDR_CHECK(sw->aq.param[0] == 1.25f);
    /* ... another bit-width is calibrated anew */
    QSDR_REQUIRE(qsdr_nn_set_bits(m, QSDR_NN_ALL_LAYERS, 2, 2) == QSDR_OK);
    QSDR_REQUIRE(qsdr_nn_calibrate_ptq(m, x, 64) == QSDR_OK);
    QSDR_CHECK(sw->aq.param[0] != 1.25f && fx->aq.param[0] == 0.37f);
    /* the file keeps the distinction: a loaded model's ranges belong to its stored bit-widths */
    char path[1024];
    snprintf(path, sizeof path, "%s/nn_ptq.safetensors", qsdr_test_build_dir);
    QSDR_REQUIRE(qsdr_nn_save(m, path, NULL) == QSDR_OK);
    qsdr_nn_model *k = qsdr_nn_model_load(path);
    QSDR_REQUIRE(k);
    float a2 = k->layers[2].aq.param[0];
    QSDR_REQUIRE(qsdr_nn_calibrate_ptq(k, x, 64) == QSDR_OK);
    QSDR_CHECK(k->layers[2].aq.param[0] == a2 && k->layers[4].aq.param[0] == 0.37f);
    /* qsdr_nn_calibrate (before quantization-aware training) still sets every range */
    QSDR_REQUIRE(qsdr_nn_calibrate(k, x, 64) == QSDR_OK);
    QSDR_CHECK(k->layers[4].aq.param[0] != 0.37f);
    /* re-initialised parameters hold no learned range: calibrated again */
    qsdr_nn_model_init(k, 5);
    float a0 = k->layers[4].aq.param[0];
    QSDR_REQUIRE(qsdr_nn_calibrate_ptq(k, x, 64) == QSDR_OK);
    QSDR_CHECK(k->layers[4].aq.param[0] != a0);
    qsdr_nn_model_free(k);
    qsdr_nn_model_free(m);
}

QSDR_TEST(nn_load_weights, "unit",
          "qsdr_nn_load_weights: into a built model, all or nothing (a bad tensor late in the file leaves the model as it was); "
          "the file's ranges keep their stored bit-width")
{
    const char *spec = "input: [6]\nseed: 3\nquant: {weight: lsq, act: auto}\nlayers:\n"
                       "  - {type: linear, out: 8}\n  - {type: relu}\n  - {type: linear, out: 2}\n";
    qsdr_nn_model *a = qsdr_nn_model_from_spec(spec, "a");
    QSDR_REQUIRE(a);
    QSDR_REQUIRE(qsdr_nn_set_bits(a, QSDR_NN_ALL_LAYERS, 4, 4) == QSDR_OK);
    float x[16 * 6];
    for (int i = 0; i < 16 * 6; i++) x[i] = (float)(2 * cos(i * 0.43));
    QSDR_REQUIRE(qsdr_nn_forward(a, x, 16)); /* LSQ steps set from the weights */
    a->layers[2].aq.param[0] = 2.5f;         /* a "learned" clip at 4 bits */
    char good[1024], bad[1024];
    snprintf(good, sizeof good, "%s/nn_lw_good.safetensors", qsdr_test_build_dir);
    snprintf(bad, sizeof bad, "%s/nn_lw_bad.safetensors", qsdr_test_build_dir);
    QSDR_REQUIRE(qsdr_nn_save(a, good, NULL) == QSDR_OK);
    float keep = a->params[a->layers[2].b_off];
    a->params[a->layers[2].b_off] = NAN; /* the last layer's bias: read after the others */
    QSDR_REQUIRE(qsdr_nn_save(a, bad, NULL) == QSDR_OK);
    a->params[a->layers[2].b_off] = keep;
    /* another model of the same spec (other seed), at float */
    qsdr_nn_model *b = qsdr_nn_model_from_spec(spec, "b");
    QSDR_REQUIRE(b);
    qsdr_nn_model_init(b, 99);
    size_t n;
    float *pb = qsdr_nn_params(b, &n), *before = malloc(n * sizeof(float));
    QSDR_REQUIRE(before && n == a->n_params);
    memcpy(before, pb, n * sizeof(float));
    QSDR_CHECK_EQ_INT(qsdr_nn_load_weights(b, bad), QSDR_EFORMAT);
    QSDR_CHECK(strstr(qsdr_last_error(), "not finite") != NULL);
    QSDR_CHECK_MSG(memcmp(before, pb, n * sizeof(float)) == 0, "a failed load changed the model");
    QSDR_CHECK_EQ_INT(qsdr_nn_load_weights(b, good), QSDR_OK);
    QSDR_CHECK(memcmp(a->params, pb, n * sizeof(float)) == 0);
    /* the model stays at float; at the file's 4 bits it computes what the saved one did, and
       post-training calibration keeps the clip the file brought for 4 bits */
    int wb, ab;
    QSDR_CHECK(qsdr_nn_layer_bits(b, 2, &wb, &ab) && wb == QSDR_NN_FLOAT);
    QSDR_REQUIRE(qsdr_nn_set_bits(b, QSDR_NN_ALL_LAYERS, 4, 4) == QSDR_OK);
    QSDR_REQUIRE(qsdr_nn_calibrate_ptq(b, x, 16) == QSDR_OK);
    QSDR_CHECK(b->layers[2].aq.param[0] == 2.5f);
    float ya[32];
    memcpy(ya, qsdr_nn_forward(a, x, 16), sizeof ya);
    QSDR_CHECK(memcmp(ya, qsdr_nn_forward(b, x, 16), sizeof ya) == 0);
    free(before);
    qsdr_nn_model_free(a);
    qsdr_nn_model_free(b);
}

QSDR_TEST(nn_safetensors_corrupt, "unit", "every corrupt model file in tests/models/bad fails with its message, never crashes")
{
    char list[1024];
    snprintf(list, sizeof list, "%s/tests/models/bad/cases.txt", qsdr_test_src_dir);
    char *txt = slurp(list);
    QSDR_REQUIRE(txt);
    int n = 0;
    for (char *line = strtok(txt, "\n"); line; line = strtok(NULL, "\n")) {
        char *bar = strchr(line, '|');
        if (!bar || line[0] == '#') continue;
        *bar = 0;
        char path[1024];
        snprintf(path, sizeof path, "%s/tests/models/bad/%s", qsdr_test_src_dir, line);
        qsdr_clear_error();
        qsdr_nn_model *m = qsdr_nn_model_load(path);
        QSDR_CHECK_MSG(m == NULL, "%s: loaded", line);
        QSDR_CHECK_MSG(strstr(qsdr_last_error(), bar + 1) != NULL, "%s: message '%s' lacks '%s'", line, qsdr_last_error(), bar + 1);
        QSDR_CHECK_MSG(strstr(qsdr_last_error(), line) != NULL, "%s: message '%s' does not name the file", line, qsdr_last_error());
        qsdr_nn_model_free(m);
        n++;
    }
    printf("  %d corrupt files rejected\n", n);
    QSDR_CHECK(n >= 15);
    free(txt);
}

QSDR_TEST(nn_safetensors_dtypes, "unit", "F32, F16, BF16, F64, I8, U8 tensors (as PyTorch writes them) load and convert")
{
    char path[1024];
    snprintf(path, sizeof path, "%s/tests/models/dtypes.safetensors", qsdr_test_src_dir);
    char *spec = qsdr_nn_file_metadata(path, "qsdr.spec");
    QSDR_REQUIRE(spec);
    qsdr_nn_model *m = qsdr_nn_model_load(path);
    QSDR_REQUIRE(m);
    /* the generator (tests/models/make_files.py) lists the float32 value each weight must load
       as: signs, fractions, subnormals and range ends of each dtype, F64 values rounded */
    char *expect = qsdr_nn_file_metadata(path, "qsdr.test.expect");
    QSDR_REQUIRE(expect);
    const char *p = expect;
    size_t checked = 0;
    for (size_t i = 0; i < m->n_layers; i++) {
        qsdr_nn_layer *l = &m->layers[i];
        if (l->w_off == (size_t)-1) continue;
        for (size_t j = 0; j < l->n_w; j++) {
            while (*p && strchr("[], ", *p)) p++;
            char *end;
            float want = (float)strtod(p, &end);
            QSDR_REQUIRE(end != p);
            p = end;
            float got = m->params[l->w_off + j];
            QSDR_CHECK_MSG(got == want && signbit(got) == signbit(want), "layer %zu weight %zu: %.9g, want %.9g", i, j, (double)got, (double)want);
            checked++;
        }
    }
    QSDR_CHECK_EQ_INT(checked, 6 * 25);
    qsdr_free(expect);
    qsdr_free(spec);
    qsdr_nn_model_free(m);
}

/* ---- bad specs and input ------------------------------------------------------------------------ */
QSDR_TEST(nn_bad_specs, "unit", "bad model specs name the layer, the key and the allowed range")
{
    static const struct {
        const char *spec, *expect;
    } c[] = {
        {"layers: [{type: linear, out: 3}]\n", "`input`"},
        {"input: [4]\nlayers: []\n", "spec:2: `layers` must be a non-empty list, got an empty list"},
        {"input: [4]\nlayers: [{type: lineer, out: 3}]\n", "unknown type `lineer`"},
        {"input: [4]\nlayers: [{type: linear}]\n", "spec:2: layer 0 (linear): `out` is required"},
        {"input: [4]\nlayers: [{type: linear, out: -2}]\n", "spec:2: layer 0 (linear): `out` must be an integer in [1, 1048576], got -2"},
        {"input: [4]\nlayers: [{type: linear, out: 3, kernal: 3}]\n", "unknown key `kernal`"},
        {"input: [4]\nlayers: [{type: relu}, {type: linear, out: 3, quant: {bits: 9}}]\n", "spec:2: layer 1 (linear) quant: bits must be 1..8 or \"float\", got 9"},
        {"input: [4]\nquant: {weight: wavelet}\nlayers: [{type: linear, out: 3}]\n", "spec:2: unknown quantizer 'wavelet'"},
        {"input: [4]\nquant: {weight: pact}\nlayers: [{type: linear, out: 3}]\n", "not for weights"},
        {"input: [1, 4, 4]\nlayers: [{type: conv2d, out: 3, kernel: 5}]\n", "kernel 5x5 larger than the padded input 4x4"},
        {"input: [2, 3]\nlayers: [{type: dropout, p: 1.5}]\n", "`p` must be a number in [0, 0.99], got 1.5"},
        {"input: [4]\nlayers: [{type: linear, out: 3]\n", "spec:"},
        {"input: [4]\nlayers: [{type: hardtanh, min: 1, max: 0}]\n", "needs min < max"},
        {"input: [4]\nseed: -1\nlayers: [{type: relu}]\n", "spec:2: `seed` must be an integer in [0, 2^53], got -1"},
        /* numbers no integer type holds (found by fuzzing: the cast came before the range test) */
        {"input: [1, 8, 8]\nlayers: [{type: conv2d, out: 4, kernel: 3555555555555555555555555555555}]\n", "`kernel` must be an integer in [1, 64]"},
        {"input: [4]\nlayers: [{type: linear, out: 1e300}]\n", "`out` must be an integer in [1,"},
        {"input: [4]\nlayers: [{type: linear, out: nan}]\n", "`out` must be an integer in [1,"},
        {"input: [inf]\nlayers: [{type: relu}]\n", "`input` entries must be integers"},
        {"input: [1e30]\nlayers: [{type: relu}]\n", "`input` entries must be integers"},
        {"input: [4]\nseed: nan\nlayers: [{type: relu}]\n", "`seed` must be an integer"},
        {"input: [4]\nseed: 1.5\nlayers: [{type: relu}]\n", "`seed` must be an integer"},
        {"input: [1, 8, 8]\nlayers: [{type: maxpool, kernel: [2, 1e40]}]\n", "`kernel` entries must be integers"},
        {"input: [4]\nlayers: [{type: relu}, {type: linear, out: 3, quant: {bits: 1e19}}]\n", "bits must be 1..8"},
        {"input: [4]\nlayers: [{type: dropout, p: nan}]\n", "`p` must be a number in [0, 0.99]"},
        /* a misspelt section was ignored, silently */
        {"input: [4]\ntrian: {epochs: 3}\nlayers: [{type: relu}]\n", "unknown top-level key `trian` (did you mean 'train'? allowed: name, seed,"},
        /* a likely typo gets the near name; the layer's own keys are listed */
        {"input: [4]\nlayers: [{type: lineer, out: 3}]\n", "unknown type `lineer` (did you mean 'linear'? linear, conv1d,"},
        {"input: [4]\nlayers: [{type: linear, out: 3, kernal: 3}]\n", "unknown key `kernal` (allowed: type, name, out, bias, quant)"},
        {"input: [4]\nlayers: [{type: conv1d, out: 3, kernal: 3}]\n", "unknown key `kernal` (did you mean 'kernel'? allowed: type, name, out, kernel,"},
        {"input: [4]\nquant: {weight: dorefaa}\nlayers: [{type: linear, out: 3}]\n", "unknown quantizer 'dorefaa' (did you mean 'dorefa'? built-in:"},
        {"input: [4]\nquant: {wbit: 2}\nlayers: [{type: linear, out: 3}]\n", "quant: unknown key `wbit` (did you mean 'wbits'? allowed:"},
        {"input: [4]\nlayers: [{type: linear, out: 3, quant: {wbit: 2}}]\n", "quant: unknown key `wbit` (did you mean 'wbits'? allowed:"},
        /* values of the wrong kind were read as a default (bias: yes was no bias) */
        {"input: [4]\nlayers: [{type: linear, out: 3, bias: yes}]\n", "spec:2: layer 0 (linear): `bias` must be true or false, got 'yes'"},
        {"input: [4]\nlayers: [{type: linear, out: 3, quant: {fixed: 1}}]\n", "spec:2: layer 0 (linear) quant: `fixed` must be true or false, got 1"},
        {"input: [4]\nquant: {alpha: -1}\nlayers: [{type: linear, out: 3}]\n", "spec:2: quant: `alpha` (the activations' initial clip) must be a number in (0, 1e6], got -1"},
        {"input: [4]\nquant: {weight: 3}\nlayers: [{type: linear, out: 3}]\n", "spec:2: quant: `weight` must name a quantizer, got 3"},
        {"input: [4]\nlayers: [{type: linear, out: 3, quant: {act: [pact]}}]\n", "spec:2: layer 0 (linear) quant: `act` must name a quantizer, got a list"},
        /* the line: of the key (a mapping's value) or of the list item (a layer) */
        {"input: [4]\nlayers:\n  - type: linear\n    out: 3\n  - type: dropout\n    p: 2\n", "spec:6: layer 1 (dropout): `p` must be a number in [0, 0.99], got 2"},
        {"input: [4]\nlayers:\n  - type: relu\n  - type: linear\n    bias: false\n", "spec:4: layer 1 (linear): `out` is required"},
        {"input: [4]\nlayers:\n  - type: relu\n  - type: linear\n    out: 2\n    quant:\n      weight: lsq\n      act: tanh\n", "spec:8: unknown quantizer 'tanh'"},
        {"input: [4]\nlayers:\n  - type: conv2d\n    out: 2\n    kernel: [1, 2, 3]\n", "spec:5: layer 0 (conv2d): `kernel` must be an integer or a pair [h, w], got a list of 3"},
        {"input:\n  - 4\n  - x\nlayers: [{type: relu}]\n", "spec:3: `input` entries must be integers in [1, 10000000], got 'x'"},
    };
    for (size_t i = 0; i < sizeof c / sizeof *c; i++) {
        qsdr_clear_error();
        qsdr_nn_model *m = qsdr_nn_model_from_spec(c[i].spec, "spec");
        QSDR_CHECK_MSG(!m, "case %zu loaded", i);
        QSDR_CHECK_MSG(strstr(qsdr_last_error(), c[i].expect), "case %zu: '%s' lacks '%s'", i, qsdr_last_error(), c[i].expect);
        qsdr_nn_model_free(m);
    }
    /* flow collections nested 20000 deep: refused before libyaml, whose scanner is quadratic in
       the depth (this took about a second, 200000 levels about 90 s) */
    {
        size_t d = 20000;
        char *deep = malloc(2 * d + 64);
        QSDR_REQUIRE(deep);
        size_t k = (size_t)sprintf(deep, "input: [2]\nlayers: ");
        memset(deep + k, '[', d), memset(deep + k + d, ']', d);
        deep[k + 2 * d] = 0;
        qsdr_nn_model *m = qsdr_nn_model_from_spec(deep, "spec");
        QSDR_CHECK(!m);
        QSDR_CHECK_MSG(strstr(qsdr_last_error(), "spec:2: lists or mappings nested more than 64 deep"), "deep spec: '%s'", qsdr_last_error());
        free(deep);
    }
    qsdr_nn_model *m = qsdr_nn_model_from_spec("input: [2]\nlayers: [{type: linear, out: 2}]\n", "x");
    QSDR_REQUIRE(m);
    float x[4] = {1, NAN, 0, 0};
    QSDR_CHECK(qsdr_nn_forward(m, x, 2) == NULL);
    QSDR_CHECK(strstr(qsdr_last_error(), "input value 1 (sample 0, feature 1) is not finite"));
    QSDR_CHECK(qsdr_nn_backward(m, x) != QSDR_OK);
    float y[4] = {3e38f, -3e38f, 0, -INFINITY}; /* squares overflow: still finite; then the Inf */
    QSDR_CHECK(qsdr_nn_forward(m, y, 2) == NULL);
    QSDR_CHECK(strstr(qsdr_last_error(), "input value 3 (sample 1, feature 1) is not finite"));
    y[3] = 0;
    QSDR_CHECK(qsdr_nn_forward(m, y, 2) != NULL);
    qsdr_nn_model_free(m);
}

/* ---- a quantizer registered by the user (qsdr_nn_quantizer_register) ---------------------------- */
/* ternary weights with a learned per-channel step s: code = clamp(rint(w / s), -1, 1), out =
   code s; straight-through for w, d/ds = sum dout code */
static size_t tern_n(size_t channels) { return channels; }
static void tern_init(qsdr_nn_quant *q)
{
    for (size_t i = 0; i < q->n_param; i++) q->param[i] = 0.25f;
}
static void tern_forward(qsdr_nn_quant *q, float *out, int16_t *codes, float *scale, const float *in, size_t C, size_t N)
{
    for (size_t c = 0; c < C; c++)
        for (size_t i = 0; i < N; i++) {
            float v = rintf(in[c * N + i] / q->param[c]);
            int16_t k = (int16_t)(v > 1 ? 1 : v < -1 ? -1 : v);
            if (codes) codes[c * N + i] = k;
            if (out) out[c * N + i] = (float)k * q->param[c];
            if (scale) scale[c] = q->param[c];
        }
}
static void tern_backward(qsdr_nn_quant *q, float *din, const float *dout, const float *in, size_t C, size_t N)
{
    for (size_t c = 0; c < C; c++)
        for (size_t i = 0; i < N; i++) {
            float v = rintf(in[c * N + i] / q->param[c]);
            q->grad[c] += dout[c * N + i] * (v > 1 ? 1 : v < -1 ? -1 : v);
            din[c * N + i] = dout[c * N + i];
        }
}

QSDR_TEST(nn_quantizer_plugin, "unit",
          "a quantizer registered at run time: specs name it, its learned parameters train, save and load under its "
          "name, the integer engine runs its codes; duplicate or incomplete registrations are refused")
{
    static const qsdr_nn_quantizer_ops tern = {"ternary_test", true, false, tern_n, "step", tern_init, tern_forward,
                                               tern_backward, NULL, NULL, true};
    static const qsdr_nn_quantizer_ops no_forward = {"no_forward_test", true, false, NULL, NULL, NULL, NULL, tern_backward,
                                                     NULL, NULL, true};
    QSDR_REQUIRE(qsdr_nn_quantizer_register(&tern) == QSDR_OK);
    QSDR_CHECK(qsdr_nn_quantizer_register(&tern) == QSDR_EINVAL);
    QSDR_CHECK(strstr(qsdr_last_error(), "'ternary_test' is already registered"));
    QSDR_CHECK(qsdr_nn_quantizer_register(&no_forward) == QSDR_EINVAL);
    QSDR_CHECK(qsdr_nn_quantizer_register(NULL) == QSDR_EINVAL);
    QSDR_CHECK(!qsdr_nn_quantizer_find("no_forward_test"));
    /* a misspelt name is suggested among the registered ones */
    QSDR_CHECK(!qsdr_nn_model_from_spec("input: [4]\nquant: {weight: ternary_tset}\nlayers: [{type: linear, out: 3}]\n", "t"));
    QSDR_CHECK_MSG(strstr(qsdr_last_error(), "did you mean 'ternary_test'"), "%s", qsdr_last_error());
    /* activations only take activation quantizers */
    QSDR_CHECK(!qsdr_nn_model_from_spec("input: [4]\nquant: {act: ternary_test}\nlayers: [{type: linear, out: 3}]\n", "t"));
    QSDR_CHECK_MSG(strstr(qsdr_last_error(), "not for activations"), "%s", qsdr_last_error());

    const char *spec = "input: [4]\nseed: 5\nquant: {weight: ternary_test, act: sym, bits: 2}\nlayers: [{type: linear, out: 3}]\n";
    qsdr_nn_model *m = qsdr_nn_model_from_spec(spec, "t");
    QSDR_REQUIRE(m);
    qsdr_nn_layer *l = &m->layers[0];
    QSDR_REQUIRE(l->wq.ops == &tern && l->wq.n_param == 3);
    for (size_t c = 0; c < 3; c++) QSDR_CHECK_NEAR(l->wq.param[c], 0.25f, 0);
    l->wq.param[1] = 0.1f;
    l->wq_dirty = true;
    static const float x[2 * 4] = {0.3f, -0.2f, 0.5f, 0.1f, -0.4f, 0.25f, 0.05f, -0.3f};
    qsdr_nn_set_training(m, true);
    const float *y = qsdr_nn_forward(m, x, 2);
    QSDR_REQUIRE(y);
    /* by hand: the sym-quantized input (alpha 1, Q = 1 at 2 bits) times the ternary weights */
    const float *w = m->params + l->w_off, *b = m->params + l->b_off;
    float want[6], dy[6] = {1, -1, 0.5f, 0.25f, 2, -0.5f}, gs[3] = {0};
    for (int n = 0; n < 2; n++)
        for (int c = 0; c < 3; c++) {
            double s = b[c];
            for (int k = 0; k < 4; k++) {
                float xq = rintf(fminf(fmaxf(x[n * 4 + k], -1), 1));
                float v = rintf(w[c * 4 + k] / l->wq.param[c]), code = v > 1 ? 1 : v < -1 ? -1 : v;
                s += xq * code * l->wq.param[c];
                gs[c] += dy[n * 3 + c] * xq * code;
            }
            want[n * 3 + c] = (float)s;
        }
    for (int i = 0; i < 6; i++) QSDR_CHECK_NEAR(y[i], want[i], 1e-6);
    qsdr_nn_zero_grad(m);
    QSDR_REQUIRE(qsdr_nn_backward(m, dy) == QSDR_OK);
    for (int c = 0; c < 3; c++) QSDR_CHECK_NEAR(l->wq.grad[c], gs[c], 1e-6);
    /* saved under its name, loaded back into the same outputs; the integer engine runs its codes */
    char path[512];
    snprintf(path, sizeof path, "%s/nn_quantizer_plugin.safetensors", qsdr_test_build_dir);
    QSDR_REQUIRE(qsdr_nn_save(m, path, NULL) == QSDR_OK);
    char *file = slurp(path);
    QSDR_REQUIRE(file);
    QSDR_CHECK(strstr(file + 8, "\"0.wq.step\""));
    free(file);
    qsdr_nn_model *m2 = qsdr_nn_model_load(path);
    QSDR_REQUIRE(m2);
    QSDR_CHECK_NEAR(m2->layers[0].wq.param[1], 0.1f, 0);
    const float *y2 = qsdr_nn_forward(m2, x, 2);
    QSDR_REQUIRE(y2);
    for (int i = 0; i < 6; i++) QSDR_CHECK_NEAR(y2[i], want[i], 1e-6);
    qsdr_nn_set_engine(m2, QSDR_NN_ENGINE_INT);
    y2 = qsdr_nn_forward(m2, x, 2);
    QSDR_REQUIRE(y2);
    for (int i = 0; i < 6; i++) QSDR_CHECK_NEAR(y2[i], want[i], 1e-6);
    QSDR_CHECK_MSG(strcmp(qsdr_nn_layer_kernel(m2, 0), "float"), "the integer engine did not run the layer");
    qsdr_nn_model_free(m2);
    qsdr_nn_model_free(m);
    remove(path);
}

/* ---- quantizer formulas and calibration ------------------------------------------------------- */
static double quant_mse(qsdr_nn_quant *q, const float *x, size_t C, size_t N, bool relu_ref)
{
    float *o = malloc(C * N * sizeof *o);
    q->ops->forward(q, o, NULL, NULL, x, C, N);
    double e = 0;
    for (size_t i = 0; i < C * N; i++) {
        double r = relu_ref && x[i] < 0 ? 0 : x[i];
        e += (o[i] - r) * (o[i] - r);
    }
    free(o);
    return e / (double)(C * N);
}

/* the least MSE over a fine grid of the quantizer's one range parameter (a step or a clip):
   500 values up to hi */
static double fine_best_mse(qsdr_nn_quant *q, const float *x, size_t N, double hi, bool relu_ref)
{
    float keep = q->param[0];
    double best = INFINITY;
    for (int i = 1; i <= 500; i++) {
        q->param[0] = (float)(hi * i / 500.0);
        best = fmin(best, quant_mse(q, x, 1, N, relu_ref));
    }
    q->param[0] = keep;
    return best;
}

QSDR_TEST(nn_quantizer_weight_gradients, "unit",
          "weight quantizers' backward passes on hand-made weights: LSQ's step gradient (-Q / round(v) - v / +Q, scaled by 1/sqrt(N Q)) and zero input gradient outside the clip; sign's hardtanh STE")
{
    /* LSQ at 2 bits (Q = 1), step 1: v = w, clipped below -1 and above 1 */
    const float w[4] = {-3.0f, -0.3f, 0.4f, 2.5f}, dout[4] = {1, 1, 1, 1};
    float din[4], param[1] = {1.0f}, grad[1] = {0};
    qsdr_nn_quant q = {0};
    QSDR_REQUIRE(qsdr_nn_quant_setup(&q, "lsq", 2, true, "test") == QSDR_OK);
    q.param = param, q.grad = grad, q.n_param = 1;
    q.ops->backward(&q, din, dout, w, 1, 4);
    /* ds = -Q + (0 - -0.3) + (0 - 0.4) + Q = -0.1; gradient scale 1 / sqrt(N Q) = 1/2 */
    QSDR_CHECK_NEAR(grad[0], -0.05, 1e-6);
    const float want_din[4] = {0, 1, 1, 0};
    for (int i = 0; i < 4; i++) QSDR_CHECK_MSG(din[i] == want_din[i], "lsq din[%d] = %g, expected %g", i, din[i], want_din[i]);
    /* sign (1 bit, mean |w| scale): the gradient passes where |w| <= 1 only */
    const float w1[4] = {-2.0f, -0.5f, 0.5f, 1.5f};
    QSDR_REQUIRE(qsdr_nn_quant_setup(&q, "sign", 1, true, "test") == QSDR_OK);
    q.param = NULL, q.grad = NULL, q.n_param = 0;
    q.ops->backward(&q, din, dout, w1, 1, 4);
    for (int i = 0; i < 4; i++) QSDR_CHECK_MSG(din[i] == want_din[i], "sign din[%d] = %g, expected %g", i, din[i], want_din[i]);
}

QSDR_TEST(nn_quantizer_ranges, "unit",
          "LSQ's initial step is 2 mean|w| / sqrt(Q) (mean|w| at 1 bit), a bit-width switch keeps its clip s Q; calibrated LSQ steps and sym/pact clips give an MSE within 3 % (8 bits: 10 %) of the least over a 500-point search, 1..8 bits")
{
    enum { C = 3, N = 4096, NA = 16384 };
    float *w = malloc(C * N * sizeof *w), *a = malloc(NA * sizeof *a);
    QSDR_REQUIRE(w && a);
    qsdr_randn_f32(51, 0, C * N, w);
    for (size_t c = 0; c < C; c++)
        for (size_t i = 0; i < N; i++) w[c * N + i] *= (float)(c + 1) * 0.1f; /* channels of different ranges */
    qsdr_randn_f32(52, 0, NA, a);
    float param[C], grad[C];
    for (int bits = 1; bits <= 8; bits++) {
        int Q = bits == 1 ? 1 : (1 << (bits - 1)) - 1;
        /* the searches' grids (LSQ: 20 steps up to max|w| / Q; clips: 40 up to the 99.99th
           percentile) cost up to 7 % at 8 bits, where the MSE is steepest in the range */
        const double tol = bits == 8 ? 1.10 : 1.03;
        /* LSQ: the first forward sets the step per channel from the weights */
        qsdr_nn_quant q = {0};
        QSDR_REQUIRE(qsdr_nn_quant_setup(&q, "lsq", bits, true, "test") == QSDR_OK);
        q.param = param, q.grad = grad, q.n_param = C;
        q.ops->init(&q);
        q.ops->forward(&q, NULL, NULL, NULL, w, C, N);
        for (size_t c = 0; c < C; c++) {
            double m = 0;
            for (size_t i = 0; i < N; i++) m += fabs(w[c * N + i]);
            m /= N;
            double want = bits == 1 ? m : 2 * m / sqrt(Q);
            QSDR_CHECK_MSG(fabs(param[c] - want) <= 1e-5 * want, "lsq %d bits channel %zu: initial step %.7g, expected %.7g", bits, c, param[c], want);
        }
        /* a switch to another width keeps the clip s Q (lsq_rebits through the model's switch hook) */
        if (bits > 1) {
            float s_old = param[1]; /* the step at `bits` */
            q.bits = 8;
            q.ops->rebits(&q, bits);
            QSDR_CHECK_MSG(fabs(param[1] * 127.0 - (double)s_old * Q) <= 1e-5 * s_old * Q, "lsq %d -> 8 bits: clip %.6g, was %.6g", bits, param[1] * 127.0,
                           (double)s_old * Q);
            q.bits = bits;
        }
        /* calibration: each channel's step near its least-MSE step */
        q.ops->calibrate(&q, w, C, N);
        for (size_t c = 0; c < C; c++) {
            qsdr_nn_quant one = q;
            one.param = &param[c];
            double mw = 0;
            for (size_t i = 0; i < N; i++) mw = fmax(mw, fabs(w[c * N + i]));
            double got = quant_mse(&one, w + c * N, 1, N, false), best = fine_best_mse(&one, w + c * N, N, 1.2 * mw / Q, false);
            QSDR_CHECK_MSG(got <= tol * best, "lsq %d bits channel %zu: calibrated MSE %.4g, best %.4g (ratio %.3f)", bits, c, got, best, got / best);
            if (c == 0) printf("  %d bits: lsq calibrated / best MSE %.4f", bits, got / best);
        }
        /* activations: sym (signed data) and pact (against relu(x)) clips */
        for (int act = 0; act < 2; act++) {
            qsdr_nn_quant qa = {0};
            float alpha = 0, agrad = 0;
            QSDR_REQUIRE(qsdr_nn_quant_setup(&qa, act ? "pact" : "sym", bits, false, "test") == QSDR_OK);
            qa.param = &alpha, qa.grad = &agrad, qa.n_param = 1;
            qa.ops->init(&qa);
            qa.ops->calibrate(&qa, a, 1, NA);
            double mx = 0;
            for (size_t i = 0; i < NA; i++) mx = fmax(mx, fabs(a[i]));
            double got = quant_mse(&qa, a, 1, NA, act), best = fine_best_mse(&qa, a, NA, 1.2 * mx, act);
            QSDR_CHECK_MSG(got <= tol * best, "%s %d bits: calibrated clip %.4g MSE %.4g, best %.4g (ratio %.3f)", act ? "pact" : "sym", bits,
                           alpha, got, best, got / best);
            printf(", %s %.4f", act ? "pact" : "sym", got / best);
        }
        printf("\n");
    }
    free(w), free(a);
}
