/* SPDX-License-Identifier: MIT */
/* The training loop as a user sees it: what the spec's `train` and `data` sections set, what
 * each epoch reports, the data order and dropout masks per step, calibration before
 * quantization-aware training and the ranges it leaves for post-training quantization. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "nn/nn_internal.h"
#include "qsdr/nn.h"
#include "qsdr_test.h"

static bool same_set(const qsdr_nn_dataset *a, const qsdr_nn_dataset *b)
{
    return a->n == b->n && a->features == b->features && a->targets == b->targets && a->classes == b->classes &&
           !memcmp(a->x, b->x, a->n * a->features * sizeof(float)) && !memcmp(a->y, b->y, a->n * a->targets * sizeof(float));
}

QSDR_TEST(nn_train_spec_sections, "unit",
          "every key of the spec's train section reaches the training configuration; the data section gives the documented sets "
          "(spirals: test drawn with seed + 1; blobs: test = the examples after n of one draw)")
{
    /* every value differs from its default */
    const char *spec = "input: [2]\nlayers:\n  - {type: linear, out: 4}\n"
                       "train: {epochs: 7, batch: 33, optimizer: sgd, lr: 0.02, momentum: 0.7, nesterov: true, weight_decay: 0.003,\n"
                       "        beta1: 0.8, beta2: 0.95, eps: 0.000001, clip_norm: 2.5, schedule: step, step_size: 17, gamma: 0.3,\n"
                       "        power: 0.6, min_lr: 0.001, loss: mse, seed: 42, calibrate: false}\n"
                       "data: {kind: spirals, n: 300, classes: 4, noise: 0.2, seed: 5, test: 100}\n";
    qsdr_nn_model *m = qsdr_nn_model_from_spec(spec, "keys");
    QSDR_REQUIRE(m);
    qsdr_nn_train_config c;
    QSDR_REQUIRE(qsdr_nn_train_config_from_spec(m, &c, "keys") == QSDR_OK);
    QSDR_CHECK(c.epochs == 7 && c.batch == 33 && c.seed == 42 && c.loss == QSDR_NN_LOSS_MSE && !c.calibrate);
    QSDR_CHECK(c.opt.kind == QSDR_NN_SGD && c.opt.sched == QSDR_NN_SCHED_STEP && c.opt.nesterov && c.opt.step_size == 17);
    const struct {
        const char *key;
        float got, want;
    } f[] = {{"lr", c.opt.lr, 0.02f},          {"momentum", c.opt.momentum, 0.7f}, {"weight_decay", c.opt.weight_decay, 0.003f},
             {"beta1", c.opt.beta1, 0.8f},     {"beta2", c.opt.beta2, 0.95f},      {"eps", c.opt.eps, 1e-6f},
             {"clip_norm", c.opt.clip_norm, 2.5f}, {"gamma", c.opt.gamma, 0.3f},  {"power", c.opt.power, 0.6f},
             {"min_lr", c.opt.min_lr, 0.001f}};
    for (size_t i = 0; i < sizeof f / sizeof *f; i++) QSDR_CHECK_MSG(f[i].got == f[i].want, "train.%s: %g, want %g", f[i].key, f[i].got, f[i].want);

    qsdr_nn_dataset tr, te, rtr, rte;
    QSDR_REQUIRE(qsdr_nn_dataset_from_spec(m, &tr, &te, "keys") == QSDR_OK);
    QSDR_REQUIRE(qsdr_nn_dataset_spirals(&rtr, 300, 4, 0.2f, 5) == QSDR_OK && qsdr_nn_dataset_spirals(&rte, 100, 4, 0.2f, 6) == QSDR_OK);
    QSDR_CHECK_MSG(same_set(&tr, &rtr), "spirals training set is not spirals(n 300, classes 4, noise 0.2, seed 5)");
    QSDR_CHECK_MSG(same_set(&te, &rte), "spirals test set is not spirals(n 100, ..., seed 6)");
    qsdr_nn_dataset_free(&tr), qsdr_nn_dataset_free(&te), qsdr_nn_dataset_free(&rtr), qsdr_nn_dataset_free(&rte);
    qsdr_nn_model_free(m);

    /* blobs: one draw of n + test examples (the same centres), split after n */
    spec = "input: [3]\nlayers:\n  - {type: linear, out: 5}\ndata: {kind: blobs, n: 200, classes: 5, dims: 3, spread: 0.5, seed: 9, test: 50}\n";
    m = qsdr_nn_model_from_spec(spec, "blobs");
    QSDR_REQUIRE(m);
    qsdr_nn_dataset all;
    QSDR_REQUIRE(qsdr_nn_dataset_from_spec(m, &tr, &te, "blobs") == QSDR_OK);
    QSDR_REQUIRE(qsdr_nn_dataset_blobs(&all, 250, 5, 3, 0.5f, 9) == QSDR_OK);
    QSDR_CHECK(tr.n == 200 && te.n == 50 && tr.features == 3 && te.features == 3 && te.classes == 5);
    QSDR_CHECK_MSG(!memcmp(tr.x, all.x, 200 * 3 * sizeof(float)) && !memcmp(tr.y, all.y, 200 * sizeof(float)), "blobs training set");
    QSDR_CHECK_MSG(!memcmp(te.x, all.x + 200 * 3, 50 * 3 * sizeof(float)) && !memcmp(te.y, all.y + 200, 50 * sizeof(float)),
                   "blobs test set is not examples 200..249 of the draw");
    qsdr_nn_dataset_free(&tr), qsdr_nn_dataset_free(&te), qsdr_nn_dataset_free(&all);
    qsdr_nn_model_free(m);
}

/* ---- what each epoch reports ------------------------------------------------------------------ */
typedef struct {
    qsdr_nn_model *m;
    const qsdr_nn_dataset *tr, *te;
    const qsdr_nn_train_config *c;
    size_t steps_per, total, epochs_seen;
    double mean_loss_before; /* the full-data loss of the model the epoch starts from */
    int bad;
} report_check;

static double full_loss(qsdr_nn_model *m, const qsdr_nn_dataset *d)
{
    size_t F = qsdr_nn_out_features(m);
    float *dout = malloc(d->n * F * sizeof(float));
    const float *y = qsdr_nn_forward(m, d->x, d->n);
    double L = y && dout ? qsdr_nn_loss(QSDR_NN_LOSS_CE, dout, y, d->y, d->n, F) : NAN;
    free(dout);
    return L;
}

static int check_epoch(void *user, const qsdr_nn_epoch_stats *s)
{
    report_check *r = user;
    r->epochs_seen++;
    /* accuracies on the sets they name, computed now from the same model */
    double tra = qsdr_nn_accuracy(r->m, r->tr), tea = qsdr_nn_accuracy(r->m, r->te);
    float lr = qsdr_nn_lr_at(&r->c->opt, s->epoch * r->steps_per - 1, r->total);
    /* the mean loss over the epoch's examples: with a learning rate too small to move the model,
       that is the loss of the whole training set at the epoch's start */
    bool ok = s->epoch == r->epochs_seen && s->train_acc == tra && s->test_acc == tea && s->lr == lr &&
              fabs(s->loss - r->mean_loss_before) <= 1e-5 * r->mean_loss_before && s->seconds >= 0;
    if (!ok) {
        printf("  epoch %zu: loss %.7g (full-data %.7g), train acc %.4f (%.4f), test acc %.4f (%.4f), lr %.7g (%.7g)\n", s->epoch,
               s->loss, r->mean_loss_before, s->train_acc, tra, s->test_acc, tea, (double)s->lr, (double)lr);
        r->bad++;
    }
    r->mean_loss_before = full_loss(r->m, r->tr);
    return 0;
}

QSDR_TEST(nn_train_epoch_report, "unit",
          "each epoch reports the mean loss over its examples, train and test accuracy on their own sets, and the learning rate of "
          "its last step")
{
    /* no batch norm or dropout: training-mode and evaluation forwards agree */
    const char *spec = "input: [2]\nseed: 4\nlayers:\n  - {type: linear, out: 16}\n  - {type: relu}\n  - {type: linear, out: 3}\n"
                       "train: {epochs: 3, batch: 70, optimizer: sgd, lr: 0.000000000001, schedule: cosine, min_lr: 0}\n"
                       "data: {kind: spirals, n: 500, classes: 3, seed: 2, test: 300}\n";
    qsdr_nn_model *m = qsdr_nn_model_from_spec(spec, "report");
    QSDR_REQUIRE(m);
    qsdr_nn_train_config c;
    qsdr_nn_dataset tr, te;
    QSDR_REQUIRE(qsdr_nn_train_config_from_spec(m, &c, "r") == QSDR_OK && qsdr_nn_dataset_from_spec(m, &tr, &te, "r") == QSDR_OK);
    /* the test set: the first 300 training points with their labels rotated, after a little real
       training, so that the two sets' accuracies tell them apart */
    for (size_t i = 0; i < te.n; i++) {
        memcpy(te.x + 2 * i, tr.x + 2 * i, 2 * sizeof(float));
        te.y[i] = (float)(((int)tr.y[i] + 1) % 3);
    }
    qsdr_nn_train_config warm = c;
    warm.opt.kind = QSDR_NN_ADAM, warm.opt.lr = 0.01f, warm.opt.sched = QSDR_NN_SCHED_CONST, warm.epochs = 10;
    QSDR_REQUIRE(qsdr_nn_train(m, &tr, &te, &warm) == QSDR_OK);
    double a_tr = qsdr_nn_accuracy(m, &tr), a_te = qsdr_nn_accuracy(m, &te);
    printf("  after warm-up: train accuracy %.4f, test %.4f\n", a_tr, a_te);
    QSDR_REQUIRE(a_tr - a_te > 0.1);
    /* the last batch is partial (500 = 7 x 70 + 10): an unweighted mean of batch losses differs */
    report_check r = {m, &tr, &te, &c, (500 + 69) / 70, 3 * ((500 + 69) / 70), 0, full_loss(m, &tr), 0};
    c.on_epoch = check_epoch, c.user = &r;
    QSDR_REQUIRE(qsdr_nn_train(m, &tr, &te, &c) == QSDR_OK);
    QSDR_CHECK_EQ_INT((int)r.epochs_seen, 3);
    QSDR_CHECK_EQ_INT(r.bad, 0);
    qsdr_nn_dataset_free(&tr), qsdr_nn_dataset_free(&te);
    qsdr_nn_model_free(m);
}

/* ---- data order and dropout masks --------------------------------------------------------------- */
static float *train_copy(const char *spec, size_t epochs, size_t runs)
{
    qsdr_nn_model *m = qsdr_nn_model_from_spec(spec, "order");
    if (!m) return NULL;
    qsdr_nn_train_config c;
    qsdr_nn_dataset tr, te;
    if (qsdr_nn_train_config_from_spec(m, &c, "o") || qsdr_nn_dataset_from_spec(m, &tr, &te, "o")) return NULL;
    c.epochs = epochs;
    for (size_t i = 0; i < runs; i++)
        if (qsdr_nn_train(m, &tr, &te, &c)) return NULL;
    size_t n;
    const float *p = qsdr_nn_params(m, &n);
    float *w = malloc(n * sizeof(float));
    memcpy(w, p, n * sizeof(float));
    qsdr_nn_dataset_free(&tr), qsdr_nn_dataset_free(&te);
    qsdr_nn_model_free(m);
    return w;
}

QSDR_TEST(nn_train_epoch_order, "unit", "every epoch visits the examples in a new order (two epochs differ from one epoch run twice)")
{
    /* plain SGD at a constant rate, no batch norm or dropout: a second call of one epoch repeats
       the first epoch's order, so the only difference from two epochs in one call is the order */
    const char *spec = "input: [2]\nseed: 4\nlayers:\n  - {type: linear, out: 8}\n  - {type: tanh}\n  - {type: linear, out: 3}\n"
                       "train: {batch: 16, optimizer: sgd, lr: 0.05}\ndata: {kind: spirals, n: 160, classes: 3, seed: 2, test: 0}\n";
    float *two = train_copy(spec, 2, 1), *once_twice = train_copy(spec, 1, 2), *again = train_copy(spec, 2, 1);
    QSDR_REQUIRE(two && once_twice && again);
    size_t n = 2 * 8 + 8 + 8 * 3 + 3;
    QSDR_CHECK_MSG(memcmp(two, again, n * sizeof(float)) == 0, "the same training twice gave other weights");
    QSDR_CHECK_MSG(memcmp(two, once_twice, n * sizeof(float)) != 0, "epoch 2 visited the examples in epoch 1's order");
    free(two), free(once_twice), free(again);
}

typedef struct {
    qsdr_nn_model *m;
    float prev[2 * 3];
    unsigned patterns; /* bit p set: a step updated exactly the weight columns of pattern p */
} mask_watch;

static void watch_step(void *user, size_t step, size_t total, float loss)
{
    (void)step, (void)total, (void)loss;
    mask_watch *w = user;
    size_t n;
    const float *p = qsdr_nn_params(w->m, &n); /* linear 2 -> 3 without bias: W (3, 2) */
    unsigned pat = 0;
    for (int o = 0; o < 3; o++)
        for (int i = 0; i < 2; i++)
            if (p[o * 2 + i] != w->prev[o * 2 + i]) pat |= 1u << i;
    w->patterns |= 1u << pat;
    memcpy(w->prev, p, sizeof w->prev);
}

QSDR_TEST(nn_train_dropout_per_step, "unit", "dropout draws a new mask every step (mask from seed, step and layer)")
{
    /* input dropout in front of a bias-free linear layer, one example per step: a step updates the
       weight columns of the inputs its mask kept, so the kept set shows in the update */
    const char *spec = "input: [2]\nseed: 4\nlayers:\n  - {type: dropout, p: 0.5}\n  - {type: linear, out: 3, bias: false}\n"
                       "train: {epochs: 1, batch: 1, optimizer: sgd, lr: 0.1, seed: 8}\ndata: {kind: spirals, n: 40, classes: 3, seed: 2, test: 0}\n";
    qsdr_nn_model *m = qsdr_nn_model_from_spec(spec, "dropout");
    QSDR_REQUIRE(m);
    size_t n;
    QSDR_REQUIRE(qsdr_nn_params(m, &n) && n == 6);
    qsdr_nn_train_config c;
    qsdr_nn_dataset tr, te;
    QSDR_REQUIRE(qsdr_nn_train_config_from_spec(m, &c, "d") == QSDR_OK && qsdr_nn_dataset_from_spec(m, &tr, &te, "d") == QSDR_OK);
    mask_watch w = {m, {0}, 0};
    memcpy(w.prev, qsdr_nn_params(m, &n), sizeof w.prev);
    c.on_step = watch_step, c.user = &w;
    QSDR_REQUIRE(qsdr_nn_train(m, &tr, &te, &c) == QSDR_OK);
    /* 40 steps: "kept input 0 only", "input 1 only" and "both" each show up (and "none") */
    QSDR_CHECK_MSG((w.patterns & 0xe) == 0xe, "update patterns seen over 40 steps: 0x%x (a mask repeated every step?)", w.patterns);
    qsdr_nn_dataset_free(&tr), qsdr_nn_dataset_free(&te);
    qsdr_nn_model_free(m);
}

/* ---- calibration before quantization-aware training, and the ranges it leaves --------------------- */
static void quant_params(qsdr_nn_model *m, float *out, size_t *n)
{
    *n = 0;
    for (size_t i = 0; i < m->n_layers; i++) {
        qsdr_nn_layer *l = &m->layers[i];
        if (l->w_off == (size_t)-1) continue;
        for (size_t k = 0; k < l->aq.n_param; k++) out[(*n)++] = l->aq.param[k];
        for (size_t k = 0; k < l->wq.n_param; k++) out[(*n)++] = l->wq.param[k];
    }
}

QSDR_TEST(nn_train_calibration, "unit",
          "quantization-aware training starts from ranges calibrated on the first 1024 examples (train.calibrate: false keeps the "
          "initial ones); the ranges it ends with, calibrated first or not, are kept by post-training calibration at those bit-widths")
{
    /* a learning rate too small to move anything: the ranges after training are where it started */
    const char *spec = "input: [2]\nseed: 6\nquant: {weight: lsq, act: auto, bits: 4}\nlayers:\n"
                       "  - {type: linear, out: 12}\n  - {type: relu}\n  - {type: linear, out: 3}\n"
                       "train: {epochs: 1, batch: 2000, optimizer: sgd, lr: 0.000000000001}\n"
                       "data: {kind: spirals, n: 2000, classes: 3, seed: 2, test: 0}\n";
    float trained[64], ref[64], init[64], kept[64];
    size_t nt, nr, ni, nk;
    qsdr_nn_model *m = qsdr_nn_model_from_spec(spec, "cal"), *r = qsdr_nn_model_from_spec(spec, "cal");
    QSDR_REQUIRE(m && r);
    qsdr_nn_train_config c;
    qsdr_nn_dataset tr, te;
    QSDR_REQUIRE(qsdr_nn_train_config_from_spec(m, &c, "c") == QSDR_OK && qsdr_nn_dataset_from_spec(m, &tr, &te, "c") == QSDR_OK);
    QSDR_REQUIRE(qsdr_nn_forward(r, tr.x, 1)); /* the initial ranges (LSQ steps are set from the weights on a first forward) */
    quant_params(r, init, &ni);
    QSDR_REQUIRE(ni >= 4 && ni <= 64);
    QSDR_REQUIRE(qsdr_nn_calibrate(r, tr.x, 1024) == QSDR_OK);
    quant_params(r, ref, &nr);
    QSDR_REQUIRE(qsdr_nn_train(m, &tr, &te, &c) == QSDR_OK);
    quant_params(m, trained, &nt);
    QSDR_REQUIRE(nt == nr);
    for (size_t i = 0; i < nr; i++)
        QSDR_CHECK_MSG(fabsf(trained[i] - ref[i]) <= 1e-5f * fabsf(ref[i]), "range %zu: %g after training, %g calibrated on 1024", i,
                       trained[i], ref[i]);
    /* post-training calibration at the bit-width it trained at keeps what training left */
    QSDR_REQUIRE(qsdr_nn_calibrate_ptq(m, tr.x + 1024 * 2, 512) == QSDR_OK);
    quant_params(m, kept, &nk);
    QSDR_CHECK_MSG(nk == nt && !memcmp(kept, trained, nt * sizeof(float)), "post-training calibration replaced the trained ranges");
    qsdr_nn_model_free(m);

    /* calibrate: false: the activation clips stay at their initial values */
    m = qsdr_nn_model_from_spec(spec, "nocal");
    QSDR_REQUIRE(m);
    c.calibrate = false;
    QSDR_REQUIRE(qsdr_nn_train(m, &tr, &te, &c) == QSDR_OK);
    quant_params(m, trained, &nt);
    bool moved = false;
    for (size_t i = 0; i < ni; i++) moved |= fabsf(trained[i] - init[i]) > 1e-5f * fabsf(init[i]);
    QSDR_CHECK_MSG(!moved, "calibrate: false changed the initial ranges");
    /* ... and what training left is still the trained range: post-training calibration keeps it */
    QSDR_REQUIRE(qsdr_nn_calibrate_ptq(m, tr.x + 1024 * 2, 512) == QSDR_OK);
    quant_params(m, kept, &nk);
    QSDR_CHECK_MSG(nk == nt && !memcmp(kept, trained, nt * sizeof(float)),
                   "post-training calibration replaced ranges trained without calibration");
    qsdr_nn_dataset_free(&tr), qsdr_nn_dataset_free(&te);
    qsdr_nn_model_free(m), qsdr_nn_model_free(r);
}

QSDR_TEST(nn_dataset_blobs_statistics, "unit", "blobs: class centres drawn with standard deviation 2 per dimension, examples spread around them")
{
    /* 256 classes x 16 dimensions: 4096 centre coordinates, 40 examples each. The class means
       estimate 2 c + spread / sqrt(40) noise: their deviation is 2.0016 (+-0.022 sampling); the
       examples' deviation around their class mean is the spread (+-0.002) */
    const size_t C = 256, D = 16, per = 40;
    qsdr_nn_dataset d;
    QSDR_REQUIRE(qsdr_nn_dataset_blobs(&d, C * per, C, D, 0.5f, 3) == QSDR_OK);
    double *mean = calloc(C * D, sizeof(double)), s2 = 0, w2 = 0;
    size_t *cnt = calloc(C, sizeof(size_t));
    QSDR_REQUIRE(mean && cnt);
    for (size_t i = 0; i < d.n; i++) {
        size_t c = (size_t)d.y[i];
        QSDR_REQUIRE(c < C);
        cnt[c]++;
        for (size_t j = 0; j < D; j++) mean[c * D + j] += d.x[i * D + j];
    }
    for (size_t c = 0; c < C; c++) {
        QSDR_REQUIRE(cnt[c] == per); /* classes in turn */
        for (size_t j = 0; j < D; j++) mean[c * D + j] /= (double)per, s2 += mean[c * D + j] * mean[c * D + j];
    }
    for (size_t i = 0; i < d.n; i++)
        for (size_t j = 0; j < D; j++) {
            double e = d.x[i * D + j] - mean[(size_t)d.y[i] * D + j];
            w2 += e * e;
        }
    double centre_sd = sqrt(s2 / (double)(C * D)), spread = sqrt(w2 / (double)(d.n * D) * (double)per / (double)(per - 1));
    printf("  blobs: class-mean deviation %.4f (want 2.0016), spread %.4f (want 0.5)\n", centre_sd, spread);
    QSDR_CHECK_NEAR(centre_sd, 2.0016, 0.1);
    QSDR_CHECK_NEAR(spread, 0.5, 0.01);
    free(mean), free(cnt);
    qsdr_nn_dataset_free(&d);
}

/* ---- documented defaults of the layer keys (docs/nn.md's table) ----------------------------------- */
/* The model with the key left out and the one with the key at its documented default compute the
   same: outputs in evaluation mode and, with `training`, a training-mode forward (dropout masks,
   batch statistics) followed by an evaluation forward (the running statistics it updated).
   True when the result is `expect`. */
static bool same_as_default(const char *head, const char *implicit, const char *explicit_, bool training, bool expect)
{
    char sa[512], sb[512];
    snprintf(sa, sizeof sa, "%sseed: 3\nlayers:\n  - %s\n", head, implicit);
    snprintf(sb, sizeof sb, "%sseed: 3\nlayers:\n  - %s\n", head, explicit_);
    qsdr_nn_model *a = qsdr_nn_model_from_spec(sa, "implicit"), *b = qsdr_nn_model_from_spec(sb, "explicit");
    bool same = a && b && qsdr_nn_in_features(a) == qsdr_nn_in_features(b) && qsdr_nn_out_features(a) == qsdr_nn_out_features(b) &&
                a->n_params == b->n_params && qsdr_nn_flops(a) == qsdr_nn_flops(b);
    size_t B = 4, F = same ? qsdr_nn_out_features(a) : 0, N = same ? qsdr_nn_in_features(a) * B : 0;
    float *x = malloc((N + 1) * sizeof(float)), *ya = malloc((B * F + 1) * sizeof(float));
    for (size_t i = 0; i < N; i++) x[i] = (float)(2.5 * sin(0.37 * (double)i + 0.2));
    for (int pass = training ? 0 : 1; same && pass < 2; pass++) {
        qsdr_nn_set_training(a, pass == 0), qsdr_nn_set_training(b, pass == 0);
        qsdr_nn_set_seed(a, 5, 1), qsdr_nn_set_seed(b, 5, 1);
        const float *y = qsdr_nn_forward(a, x, B);
        if (!y) same = false;
        else memcpy(ya, y, B * F * sizeof(float));
        y = qsdr_nn_forward(b, x, B);
        same = same && y && !memcmp(ya, y, B * F * sizeof(float));
    }
    if (same != expect) printf("  '%s' and '%s' (input %.*s): %s\n", implicit, explicit_, (int)strcspn(head + 7, "\n"), head + 7, same ? "the same" : "differ");
    free(x), free(ya);
    qsdr_nn_model_free(a), qsdr_nn_model_free(b);
    return same == expect;
}

QSDR_TEST(nn_spec_layer_defaults, "unit", "a layer key left out takes the default docs/nn.md gives it; FLOPs and parameter counts as documented (qsdr model info)")
{
    QSDR_CHECK(same_as_default("input: [5]\n", "{type: linear, out: 3}", "{type: linear, out: 3, bias: true}", false, true));
    QSDR_CHECK(same_as_default("input: [2, 9]\n", "{type: conv1d, out: 3, kernel: 3}", "{type: conv1d, out: 3, kernel: 3, stride: 1, pad: 0}", false, true));
    QSDR_CHECK(same_as_default("input: [2, 7, 6]\n", "{type: conv2d, out: 3, kernel: 3}", "{type: conv2d, out: 3, kernel: [3, 3], stride: 1, pad: 0}", false, true));
    QSDR_CHECK(same_as_default("input: [2, 8, 6]\n", "{type: maxpool, kernel: 2}", "{type: maxpool, kernel: 2, stride: 2}", false, true));
    QSDR_CHECK(same_as_default("input: [2, 8]\n", "{type: avgpool, kernel: 3}", "{type: avgpool, kernel: 3, stride: 3}", false, true));
    QSDR_CHECK(same_as_default("input: [6]\n", "{type: leaky_relu}", "{type: leaky_relu, slope: 0.01}", false, true));
    QSDR_CHECK(same_as_default("input: [6]\n", "{type: elu}", "{type: elu, alpha: 1}", false, true));
    QSDR_CHECK(same_as_default("input: [6]\n", "{type: hardtanh}", "{type: hardtanh, min: -1, max: 1}", false, true));
    QSDR_CHECK(same_as_default("input: [8]\n", "{type: dropout}", "{type: dropout, p: 0.5}", true, true));
    QSDR_CHECK(same_as_default("input: [8]\n", "{type: powernorm}", "{type: powernorm, energy: 4}", false, true));
    QSDR_CHECK(same_as_default("input: [3, 5]\n", "{type: batchnorm}", "{type: batchnorm, eps: 0.00001, momentum: 0.1}", true, true));
    /* ... and each default is one the key can tell from another value */
    QSDR_CHECK(same_as_default("input: [6]\n", "{type: leaky_relu}", "{type: leaky_relu, slope: 0.02}", false, false));
    QSDR_CHECK(same_as_default("input: [8]\n", "{type: dropout}", "{type: dropout, p: 0.4}", true, false));
    QSDR_CHECK(same_as_default("input: [3, 5]\n", "{type: batchnorm}", "{type: batchnorm, momentum: 0.2}", true, false));

    /* FLOPs: 2 x multiply-accumulates of linear and conv layers (a conv's at every output
       position), one per output value of the others */
    qsdr_nn_model *m = qsdr_nn_model_from_spec("input: [3, 9, 8]\nlayers:\n  - {type: conv2d, out: 6, kernel: 3, pad: 1}\n"
                                               "  - {type: relu}\n  - {type: flatten}\n  - {type: linear, out: 5}\n",
                                               "flops");
    QSDR_REQUIRE(m);
    double want = 2.0 * 6 * 3 * 3 * 3 * 9 * 8 + 6 * 9 * 8 + 6 * 9 * 8 + 2.0 * 432 * 5;
    QSDR_CHECK_MSG(qsdr_nn_flops(m) == want, "FLOPs %.0f, want %.0f", qsdr_nn_flops(m), want);
    qsdr_nn_model_free(m);

    /* the summary `qsdr model info` prints: a layer's parameters with its quantizers' (LSQ: one
       step per output channel; sym/pact: one clip), batch norm one scale and shift per channel
       for each bn_sets entry; the totals */
    m = qsdr_nn_model_from_spec("input: [2]\nquant: {weight: lsq, act: auto, bits: 4, bn_sets: [float, 8, 4]}\nlayers:\n"
                                "  - {type: linear, out: 5}\n  - {type: batchnorm}\n  - {type: relu}\n  - {type: linear, out: 3}\n",
                                "print");
    QSDR_REQUIRE(m);
    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);
    QSDR_REQUIRE(f);
    qsdr_nn_model_print(m, f);
    fclose(f);
    static const char *const rows[] = {"\n0   linear      (5)                      21  lsq 4          sym 4                    20\n",
                                       "\n1   batchnorm   (5)                      30 ", "\n2   relu        (5)                       0 ",
                                       "\n3   linear      (3)                      22  lsq 4          pact 4                   30\n",
                                       "\ninput (2, 1, 1); 73 parameters (25 weights); 60 FLOPs per sample; batch-norm sets for bits float 8 4\n"};
    for (size_t i = 0; i < sizeof rows / sizeof *rows; i++)
        QSDR_CHECK_MSG(strstr(text, rows[i]) != NULL, "model summary lacks '%s':\n%s", rows[i] + 1, text);
    QSDR_CHECK_EQ_INT((int)m->n_params, 73);
    free(text);
    qsdr_nn_model_free(m);
}
