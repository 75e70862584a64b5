/* SPDX-License-Identifier: MIT */
/* Numerics against PyTorch: a model file written from a PyTorch state_dict (with
 * num_batches_tracked) loads, and its training-mode output, loss, every gradient and the
 * eval-mode output after one running-statistics update match PyTorch's
 * (tests/golden/nn/make_torch_ref.py), reported as max |diff| per tensor. Quantization-aware
 * layers likewise: every built-in quantizer's forward and straight-through backward, written in
 * PyTorch from docs/nn.md's formulas (tests/golden/nn/make_torch_quant_ref.py). */
#include <cjson/cJSON.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "nn/nn_internal.h"
#include "qsdr/nn.h"
#include "qsdr_test.h"

typedef struct {
    unsigned char *buf;
    size_t hlen;
    cJSON *h;
} ref_file;

static int ref_open(ref_file *r, const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f) return -1;
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    rewind(f);
    r->buf = malloc((size_t)n);
    if (fread(r->buf, 1, (size_t)n, f) != (size_t)n) return fclose(f), -1;
    fclose(f);
    uint64_t L = 0;
    for (int i = 0; i < 8; i++) L |= (uint64_t)r->buf[i] << (8 * i);
    r->hlen = (size_t)L;
    r->h = cJSON_ParseWithLength((const char *)r->buf + 8, r->hlen);
    return r->h ? 0 : -1;
}

/* F32 tensor by name (borrowed) and its element count */
static const float *ref_get(ref_file *r, const char *name, size_t *n)
{
    const cJSON *e = cJSON_GetObjectItemCaseSensitive(r->h, name);
    if (!e) return NULL;
    const cJSON *of = cJSON_GetObjectItemCaseSensitive(e, "data_offsets");
    size_t a = (size_t)cJSON_GetArrayItem(of, 0)->valuedouble, b = (size_t)cJSON_GetArrayItem(of, 1)->valuedouble;
    *n = (b - a) / 4;
    return (const float *)(r->buf + 8 + r->hlen + a);
}

/* ref_get of "<name>.<k>" */
static const float *ref_of(ref_file *r, const char *name, const char *k, size_t *n)
{
    char key[160];
    snprintf(key, sizeof key, "%s.%s", name, k);
    return ref_get(r, key, n);
}

static void cmp(const char *what, const float *got, const float *want, size_t n, double tol)
{
    double md = 0, mx = 0;
    for (size_t i = 0; i < n; i++) md = qsdr_test_max(md, fabs((double)got[i] - want[i])), mx = qsdr_test_max(mx, fabs(want[i]));
    printf("  %-22s %5zu values  max |diff| %.3g  (max |ref| %.3g)\n", what, n, md, mx);
    QSDR_CHECK_MSG(md <= tol * fmax(1.0, mx), "%s: max |diff| %.3g > %.3g", what, md, tol * fmax(1.0, mx));
}

/* the same, relative to the reference's largest value (gradients of 1e-4 need it), plus 1e-8 */
static void cmp_rel(const char *what, const float *got, const float *want, size_t n, double tol)
{
    double md = 0, mx = 0;
    for (size_t i = 0; i < n; i++) md = qsdr_test_max(md, fabs((double)got[i] - want[i])), mx = qsdr_test_max(mx, fabs(want[i]));
    printf("  %-34s %4zu values  max |diff| %.3g  (max |ref| %.3g)\n", what, n, md, mx);
    QSDR_CHECK_MSG(md <= tol * mx + 1e-8, "%s: max |diff| %.3g > %.3g", what, md, tol * mx + 1e-8);
}

/* One training step of m on the reference batch "<name>.x" (targets "<name>.target"): the
   training-mode output against "<name>.<ykey>", the loss, and after backward the input gradient.
   Returns the input; *B: the batch size. */
static const float *ref_step(ref_file *r, qsdr_nn_model *m, const char *name, const char *ykey, qsdr_nn_loss_kind kind, size_t *B)
{
    size_t nx = 0, ny = 0, nt = 0, nl = 0, ng = 0;
    const float *x = ref_of(r, name, "x", &nx), *t = ref_of(r, name, "target", &nt), *y_ref = ref_of(r, name, ykey, &ny);
    const float *loss = ref_of(r, name, "loss", &nl), *gx = ref_of(r, name, "grad_x", &ng);
    QSDR_REQUIRE(x && t && y_ref && loss && gx && ng == nx);
    size_t F = qsdr_nn_out_features(m);
    *B = ny / F;
    qsdr_nn_set_training(m, true);
    const float *y = qsdr_nn_forward(m, x, *B);
    QSDR_REQUIRE(y);
    cmp_rel("train-mode output", y, y_ref, ny, 1e-5);
    float *d = malloc(ny * sizeof(float));
    QSDR_REQUIRE(d);
    float L = qsdr_nn_loss(kind, d, y, t, *B, F);
    cmp_rel("loss", &L, loss, 1, 1e-5);
    qsdr_nn_zero_grad(m);
    int rc = qsdr_nn_backward(m, d);
    free(d);
    QSDR_REQUIRE(rc == QSDR_OK);
    cmp_rel("grad x", qsdr_nn_input_grad(m), gx, nx, 1e-5);
    return x;
}

QSDR_TEST(nn_torch_reference, "unit", "PyTorch state_dict loads; outputs, loss and gradients match PyTorch (train and eval)")
{
    char mp[1024], rp[1024];
    snprintf(mp, sizeof mp, "%s/tests/golden/nn/model.safetensors", qsdr_test_src_dir);
    snprintf(rp, sizeof rp, "%s/tests/golden/nn/ref.safetensors", qsdr_test_src_dir);
    qsdr_nn_model *m = qsdr_nn_model_load(mp);
    QSDR_REQUIRE(m);
    ref_file r;
    QSDR_REQUIRE(ref_open(&r, rp) == 0);
    size_t nx = 0, ny = 0, nt = 0, n = 0;
    const float *x = ref_get(&r, "x", &nx), *t = ref_get(&r, "target", &nt), *y_train = ref_get(&r, "y_train", &ny);
    QSDR_REQUIRE(x && t && y_train);
    size_t B = nt, F = qsdr_nn_out_features(m);
    qsdr_nn_set_training(m, true);
    const float *y = qsdr_nn_forward(m, x, B);
    QSDR_REQUIRE(y);
    cmp("train-mode output", y, y_train, ny, 1e-5);
    float *d = malloc(B * F * sizeof(float));
    float L = qsdr_nn_loss(QSDR_NN_LOSS_CE, d, y, t, B, F);
    cmp("cross-entropy loss", &L, ref_get(&r, "loss", &n), 1, 1e-5);
    qsdr_nn_zero_grad(m);
    QSDR_REQUIRE(qsdr_nn_backward(m, d) == QSDR_OK);
    cmp("grad x", qsdr_nn_input_grad(m), ref_get(&r, "grad_x", &n), nx, 1e-5);
    static const struct {
        const char *name;
        size_t layer;
        int which; /* 0 weight, 1 bias, 2 bn gamma, 3 bn beta */
    } g[] = {{"grad.0.weight", 0, 0}, {"grad.0.bias", 0, 1}, {"grad.1.weight", 1, 2}, {"grad.1.bias", 1, 3},
             {"grad.5.weight", 5, 0}, {"grad.5.bias", 5, 1}, {"grad.7.weight", 7, 0}, {"grad.7.bias", 7, 1}};
    for (size_t i = 0; i < sizeof g / sizeof *g; i++) {
        const float *want = ref_get(&r, g[i].name, &n);
        QSDR_REQUIRE(want);
        qsdr_nn_layer *l = &m->layers[g[i].layer];
        size_t off = g[i].which == 0 ? l->w_off : g[i].which == 1 ? l->b_off : l->bn_off + (g[i].which == 3 ? l->in_c : 0);
        cmp(g[i].name, m->grads + off, want, n, 1e-5);
    }
    qsdr_nn_set_training(m, false);
    y = qsdr_nn_forward(m, x, B);
    QSDR_REQUIRE(y);
    const float *y_eval = ref_get(&r, "y_eval", &n);
    QSDR_REQUIRE(y_eval && n == ny);
    cmp("eval-mode output", y, y_eval, n, 1e-5);
    free(d);
    cJSON_Delete(r.h);
    free(r.buf);
    qsdr_nn_model_free(m);
}

/* A tensor of model m named as in a PyTorch state_dict ("3.weight", "1.running_var") or as qsdr
   names quantizer parameters ("2.wq.step", "0.aq.alpha"): where it lies in m's parameters
   (grads: its gradient) or batch-norm buffers. */
static float *torch_named(qsdr_nn_model *m, const char *key, bool grads, size_t *n)
{
    char *end;
    unsigned long i = strtoul(key, &end, 10);
    if (end == key || *end != '.' || i >= m->n_layers) return NULL;
    const char *k = end + 1;
    qsdr_nn_layer *l = &m->layers[i];
    float *P = grads ? m->grads : m->params;
    if (l->type == L_BN) {
        size_t C = l->in_c;
        *n = C;
        if (!strcmp(k, "weight")) return P + l->bn_off;
        if (!strcmp(k, "bias")) return P + l->bn_off + C;
        if (!strcmp(k, "running_mean")) return grads ? NULL : m->bufs + l->stat_off;
        if (!strcmp(k, "running_var")) return grads ? NULL : m->bufs + l->stat_off + C;
        return NULL;
    }
    if (l->w_off == SIZE_MAX) return NULL;
    const qsdr_nn_quant *qs[2] = {&l->wq, &l->aq};
    for (int j = 0; j < 2; j++)
        if (qs[j]->n_param && !strncmp(k, j ? "aq." : "wq.", 3) && !strcmp(k + 3, qs[j]->ops->param_name))
            return *n = qs[j]->n_param, grads ? qs[j]->grad : qs[j]->param;
    if (!strcmp(k, "weight")) return *n = l->n_w, P + l->w_off;
    if (!strcmp(k, "bias") && l->bias) return *n = l->out_c, P + l->b_off;
    return NULL;
}

/* Every reference tensor "PREFIX<key>" against m's tensor <key>; returns how many */
static size_t cmp_named(ref_file *r, qsdr_nn_model *m, const char *prefix, bool grads)
{
    size_t count = 0, pl = strlen(prefix);
    for (const cJSON *e = r->h->child; e; e = e->next) {
        if (strncmp(e->string, prefix, pl)) continue;
        size_t n = 0, nr = 0;
        const float *want = ref_get(r, e->string, &nr);
        float *got = torch_named(m, e->string + pl, grads, &n);
        QSDR_CHECK_MSG(got && n == nr, "%s: no tensor of %zu values in the model", e->string, nr);
        if (got && n == nr) cmp_rel(e->string, got, want, n, 1e-5), count++;
    }
    return count;
}

/* How many tensors torch_named finds in m: parameters (with quantizer parameters), and with
   buffers the batch-norm statistics too */
static size_t torch_count(const qsdr_nn_model *m, bool buffers)
{
    size_t c = 0;
    for (size_t i = 0; i < m->n_layers; i++) {
        const qsdr_nn_layer *l = &m->layers[i];
        if (l->type == L_BN) c += buffers ? 4 : 2;
        else if (l->w_off != SIZE_MAX) c += 1 + l->bias + (l->wq.n_param > 0) + (l->aq.n_param > 0);
    }
    return c;
}

/* One quantized model of make_torch_quant_ref.py: output, loss, input gradient, the gradient of
   every weight, bias, LSQ step and activation clip (alpha); then the same output from the
   integer engine. */
static void quant_case(ref_file *r, const char *name)
{
    char path[1200], prefix[64];
    snprintf(path, sizeof path, "%s/tests/golden/nn/%s.safetensors", qsdr_test_src_dir, name);
    printf(" %s\n", name);
    qsdr_nn_model *m = qsdr_nn_model_load(path);
    QSDR_REQUIRE(m);
    size_t B = 0, ny = 0;
    const float *x = ref_step(r, m, name, "y", QSDR_NN_LOSS_CE, &B), *y_ref = ref_of(r, name, "y", &ny);
    snprintf(prefix, sizeof prefix, "%s.grad.", name);
    QSDR_CHECK_EQ_INT(cmp_named(r, m, prefix, true), torch_count(m, false));
    /* inference on integer codes gives the fake-quantized output PyTorch computed */
    qsdr_nn_set_training(m, false);
    qsdr_nn_set_engine(m, QSDR_NN_ENGINE_INT);
    const float *y = qsdr_nn_forward(m, x, B);
    QSDR_REQUIRE(y);
    cmp_rel("output, integer engine", y, y_ref, ny, 1e-5);
    qsdr_nn_model_free(m);
}

QSDR_TEST(nn_torch_quant_reference, "unit",
          "quantized layers (dorefa, lsq, sign weights; pact, sym activations; 1..8 bits; linear and conv2d): "
          "outputs, loss, STE gradients and quantizer-parameter gradients match PyTorch")
{
    char rp[1024];
    snprintf(rp, sizeof rp, "%s/tests/golden/nn/quant_ref.safetensors", qsdr_test_src_dir);
    ref_file r;
    QSDR_REQUIRE(ref_open(&r, rp) == 0);
    quant_case(&r, "quant_mlp");
    quant_case(&r, "quant_conv");
    cJSON_Delete(r.h);
    free(r.buf);
}

QSDR_TEST(nn_torch_train_reference, "unit",
          "conv1d, 1-d/feature batch norm, ELU, leaky ReLU, hardtanh, sigmoid, softmax, power norm, pools with stride, "
          "rectangular conv2d; BCE and MSE; SGD/Nesterov/Adam/AdamW/AMSGrad with clipping and schedules: match PyTorch")
{
    char rp[1024], path[1200];
    snprintf(rp, sizeof rp, "%s/tests/golden/nn/train_ref.safetensors", qsdr_test_src_dir);
    ref_file r;
    QSDR_REQUIRE(ref_open(&r, rp) == 0);
    static const struct {
        const char *name;
        qsdr_nn_loss_kind loss;
    } models[] = {{"seq1d", QSDR_NN_LOSS_BCE}, {"dense", QSDR_NN_LOSS_MSE}, {"img", QSDR_NN_LOSS_CE}};
    for (size_t c = 0; c < sizeof models / sizeof *models; c++) {
        const char *name = models[c].name;
        printf(" %s\n", name);
        snprintf(path, sizeof path, "%s/tests/golden/nn/train_%s.safetensors", qsdr_test_src_dir, name);
        qsdr_nn_model *m = qsdr_nn_model_load(path);
        QSDR_REQUIRE(m);
        size_t B = 0, ny = 0;
        const float *x = ref_step(&r, m, name, "y_train", models[c].loss, &B), *y_eval = ref_of(&r, name, "y_eval", &ny);
        QSDR_REQUIRE(y_eval);
        char prefix[64];
        snprintf(prefix, sizeof prefix, "%s.grad.", name);
        QSDR_CHECK_EQ_INT(cmp_named(&r, m, prefix, true), torch_count(m, false));
        qsdr_nn_set_training(m, false);
        const float *y = qsdr_nn_forward(m, x, B);
        QSDR_REQUIRE(y);
        cmp_rel("eval-mode output", y, y_eval, ny, 1e-5);
        qsdr_nn_model_free(m);
    }
    /* optimizers: four steps from the dense model's weights on its batch */
    static const struct {
        const char *name;
        qsdr_nn_optim_kind kind;
        float lr, momentum, wd, beta1, beta2, eps, clip;
        bool nesterov;
        qsdr_nn_sched_kind sched;
        size_t step_size;
        float gamma, power, min_lr;
    } opts[] = {
        {"sgd_nesterov_step", QSDR_NN_SGD, 0.1f, 0.9f, 0.01f, 0, 0, 0, 0, true, QSDR_NN_SCHED_STEP, 2, 0.5f, 0, 0},
        {"sgd_momentum_clip", QSDR_NN_SGD, 0.1f, 0.8f, 0, 0, 0, 0, 0.05f, false, QSDR_NN_SCHED_CONST, 0, 0, 0, 0},
        {"adam_l2_cosine", QSDR_NN_ADAM, 0.01f, 0, 0.01f, 0.8f, 0.99f, 1e-6f, 0, false, QSDR_NN_SCHED_COSINE, 0, 0, 0, 0.001f},
        {"adamw", QSDR_NN_ADAMW, 0.01f, 0, 0.1f, 0.9f, 0.999f, 1e-8f, 0, false, QSDR_NN_SCHED_CONST, 0, 0, 0, 0},
        {"amsgrad_inverse", QSDR_NN_AMSGRAD, 0.01f, 0, 0, 0.9f, 0.999f, 1e-8f, 0, false, QSDR_NN_SCHED_INV, 0, 0.5f, 0.75f, 0},
    };
    snprintf(path, sizeof path, "%s/tests/golden/nn/train_dense.safetensors", qsdr_test_src_dir);
    size_t nx = 0, nt = 0;
    const float *x = ref_of(&r, "dense", "x", &nx), *t = ref_of(&r, "dense", "target", &nt);
    QSDR_REQUIRE(x && t);
    for (size_t c = 0; c < sizeof opts / sizeof *opts; c++) {
        printf(" optimizer %s\n", opts[c].name);
        qsdr_nn_model *m = qsdr_nn_model_load(path);
        QSDR_REQUIRE(m);
        qsdr_nn_optim_config oc;
        qsdr_nn_optim_defaults(&oc);
        oc.kind = opts[c].kind, oc.lr = opts[c].lr, oc.momentum = opts[c].momentum, oc.nesterov = opts[c].nesterov;
        oc.weight_decay = opts[c].wd, oc.clip_norm = opts[c].clip, oc.sched = opts[c].sched;
        if (opts[c].beta1 > 0) oc.beta1 = opts[c].beta1, oc.beta2 = opts[c].beta2, oc.eps = opts[c].eps;
        oc.step_size = opts[c].step_size, oc.gamma = opts[c].gamma, oc.power = opts[c].power, oc.min_lr = opts[c].min_lr;
        qsdr_nn_optim *o = qsdr_nn_optim_create(&oc, m->n_params);
        QSDR_REQUIRE(o);
        size_t F = qsdr_nn_out_features(m), B = nt / F;
        float *d = malloc(nt * sizeof(float));
        qsdr_nn_set_training(m, true);
        float norm = 0;
        for (size_t s = 0; s < 4; s++) {
            const float *y = qsdr_nn_forward(m, x, B);
            QSDR_REQUIRE(y);
            qsdr_nn_loss(QSDR_NN_LOSS_MSE, d, y, t, B, F);
            qsdr_nn_zero_grad(m);
            QSDR_REQUIRE(qsdr_nn_backward(m, d) == QSDR_OK);
            float nm = qsdr_nn_optim_step(o, m->params, m->grads, m->n_params, s, 4);
            norm = s ? fminf(norm, nm) : nm;
        }
        if (opts[c].clip > 0) QSDR_CHECK_MSG(norm > opts[c].clip, "clipping never acted (gradient norm %g)", norm);
        char prefix[64];
        snprintf(prefix, sizeof prefix, "optim.%s.", opts[c].name);
        QSDR_CHECK_EQ_INT(cmp_named(&r, m, prefix, false), torch_count(m, true));
        free(d);
        qsdr_nn_optim_free(o);
        qsdr_nn_model_free(m);
    }
    cJSON_Delete(r.h);
    free(r.buf);
}
