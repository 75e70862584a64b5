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

/* One quantized model of make_torch_quant_ref.py: output, loss, input gradient, and per quantized
   layer the gradients of weight, bias, weight quantizer parameters (LSQ steps) and activation
   clip (alpha); then the same output from the integer engine. */
static void quant_case(ref_file *r, const char *name)
{
    char path[1200], key[128];
    snprintf(path, sizeof path, "%s/tests/golden/nn/%s.safetensors", qsdr_test_src_dir, name);
    printf(" %s\n", name);
    qsdr_nn_model *m = qsdr_nn_model_load(path);
    QSDR_REQUIRE(m);
    size_t nx = 0, ny = 0, nt = 0, n = 0;
#define REF(k, cnt) (snprintf(key, sizeof key, "%s.%s", name, k), ref_get(r, key, cnt))
    const float *x = REF("x", &nx), *t = REF("target", &nt), *y_ref = REF("y", &ny), *loss = REF("loss", &n);
    QSDR_REQUIRE(x && t && y_ref && loss);
    size_t B = nt, F = qsdr_nn_out_features(m);
    QSDR_REQUIRE(ny == B * F);
    qsdr_nn_set_training(m, true);
    const float *y = qsdr_nn_forward(m, x, B);
    QSDR_REQUIRE(y);
    cmp_rel("output", y, y_ref, ny, 1e-5);
    float *d = malloc(B * F * sizeof(float));
    float L = qsdr_nn_loss(QSDR_NN_LOSS_CE, d, y, t, B, F);
    cmp_rel("cross-entropy loss", &L, loss, 1, 1e-5);
    qsdr_nn_zero_grad(m);
    QSDR_REQUIRE(qsdr_nn_backward(m, d) == QSDR_OK);
    const float *gx = REF("grad_x", &n);
    QSDR_REQUIRE(gx && n == nx);
    cmp_rel("grad x", qsdr_nn_input_grad(m), gx, nx, 1e-5);
    size_t checked = 0;
    for (size_t i = 0; i < m->n_layers; i++) {
        qsdr_nn_layer *l = &m->layers[i];
        if (l->w_off == SIZE_MAX) continue;
        const struct {
            const char *what;
            const float *got;
            size_t n;
        } g[] = {{"weight", m->grads + l->w_off, l->n_w},
                 {"bias", m->grads + l->b_off, l->out_c},
                 {"wq.step", l->wq.grad, l->wq.n_param},
                 {"aq.alpha", l->aq.grad, l->aq.n_param}};
        for (size_t k = 0; k < sizeof g / sizeof *g; k++) {
            char what[64];
            snprintf(what, sizeof what, "grad.%zu.%s", i, g[k].what);
            const float *want = REF(what, &n);
            if (!g[k].n) {
                QSDR_CHECK_MSG(!want, "%s: PyTorch has a gradient the model lacks", what);
                continue;
            }
            if (!want || n != g[k].n) {
                QSDR_CHECK_MSG(0, "%s: %zu values in the reference, %zu in the model", what, want ? n : 0, g[k].n);
                continue;
            }
            char label[96];
            snprintf(label, sizeof label, "%s (%s %dx%d)", what, l->type_name, l->wq.bits, l->aq.bits);
            cmp_rel(label, g[k].got, want, n, 1e-5);
            checked++;
        }
    }
    QSDR_CHECK(checked >= 10);
    /* inference on integer codes gives the fake-quantized output PyTorch computed */
    qsdr_nn_set_training(m, false);
    qsdr_nn_set_engine(m, QSDR_NN_ENGINE_INT);
    y = qsdr_nn_forward(m, x, B);
    QSDR_REQUIRE(y);
    cmp_rel("output, integer engine", y, y_ref, ny, 1e-5);
#undef REF
    free(d);
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
