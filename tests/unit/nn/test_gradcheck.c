/* SPDX-License-Identifier: MIT */
/* Finite-difference gradient checks, in double precision, of every layer's and loss's
 * backward pass (the f64 instantiation of lib/nn/layers_impl.h), and of a whole float model. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "nn/nn_internal.h"
#include "qsdr/nn.h"
#include "qsdr_test.h"

static uint64_t gs = 4242;
static double urand(void)
{
    gs = gs * 6364136223846793005ull + 1442695040888963407ull;
    return (double)(gs >> 11) / 9007199254740992.0;
}
static double *rnd(size_t n, double lo, double hi)
{
    double *p = malloc((n + 1) * sizeof(double));
    for (size_t i = 0; i < n; i++) p[i] = lo + (hi - lo) * urand();
    return p;
}
/* values in +-[0.2, 1.2]: away from the kinks of relu/hardtanh/pool ties */
static double *rnd_away(size_t n)
{
    double *p = malloc((n + 1) * sizeof(double));
    for (size_t i = 0; i < n; i++) p[i] = (urand() < 0.5 ? -1 : 1) * (0.2 + urand());
    return p;
}

typedef double (*loss_fn)(void *ctx);

/* compare analytic gradient g of L w.r.t. p[0..n) against central differences */
static void check_grad(const char *what, loss_fn L, void *ctx, double *p, const double *g, size_t n, double tol)
{
    double worst = 0;
    size_t wi = 0;
    for (size_t i = 0; i < n; i++) {
        double o = p[i], h = 1e-6 * fmax(1.0, fabs(o));
        p[i] = o + h;
        double a = L(ctx);
        p[i] = o - h;
        double b = L(ctx);
        p[i] = o;
        double num = (a - b) / (2 * h), err = fabs(num - g[i]) / fmax(1.0, fabs(num));
        if (err > worst) worst = err, wi = i;
    }
    QSDR_CHECK_MSG(worst <= tol, "%s: gradient element %zu: relative error %.3g > %.3g", what, wi, worst, tol);
}

/* ---- linear ------------------------------------------------------------------------------- */
typedef struct {
    size_t B, Fi, Fo;
    double *x, *w, *b, *r, *y;
} lin_ctx;
static double lin_loss(void *c_)
{
    lin_ctx *c = c_;
    qsdr_nn_linear_forward_f64(c->y, c->x, c->w, c->b, c->B, c->Fi, c->Fo);
    double s = 0;
    for (size_t i = 0; i < c->B * c->Fo; i++) s += c->r[i] * c->y[i];
    return s;
}
QSDR_TEST(nn_gradcheck_linear, "unit", "linear: dx, dW, db against finite differences (double)")
{
    lin_ctx c = {5, 7, 4};
    c.x = rnd(35, -1, 1), c.w = rnd(28, -1, 1), c.b = rnd(4, -1, 1), c.r = rnd(20, -1, 1), c.y = rnd(20, 0, 0);
    double *dx = calloc(35, 8), *dw = calloc(28, 8), *db = calloc(4, 8);
    qsdr_nn_linear_backward_f64(dx, dw, db, c.r, c.x, c.w, c.B, c.Fi, c.Fo);
    check_grad("linear dx", lin_loss, &c, c.x, dx, 35, 1e-7);
    check_grad("linear dW", lin_loss, &c, c.w, dw, 28, 1e-7);
    check_grad("linear db", lin_loss, &c, c.b, db, 4, 1e-7);
    free(c.x), free(c.w), free(c.b), free(c.r), free(c.y), free(dx), free(dw), free(db);
}

/* ---- conv2d / conv1d ------------------------------------------------------------------------ */
typedef struct {
    qsdr_nn_conv_geom g;
    size_t B;
    double *x, *w, *b, *r, *y, *rows;
} conv_ctx;
static double conv_loss(void *c_)
{
    conv_ctx *c = c_;
    qsdr_nn_conv2d_forward_f64(c->y, c->rows, c->x, c->w, c->b, &c->g, c->B);
    double s = 0;
    for (size_t i = 0; i < c->B * c->g.cout * c->g.ho * c->g.wo; i++) s += c->r[i] * c->y[i];
    return s;
}
static void conv_case(const char *name, size_t C, size_t H, size_t W, size_t Co, size_t kh, size_t kw, size_t s, size_t p)
{
    conv_ctx c = {{C, H, W, Co, kh, kw, s, s, H == 1 ? 0 : p, p, 0, 0}, 2};
    c.g.ho = (H + 2 * c.g.py - kh) / c.g.sy + 1, c.g.wo = (W + 2 * p - kw) / s + 1;
    size_t nx = c.B * C * H * W, nw = Co * C * kh * kw, P = c.g.ho * c.g.wo, K = C * kh * kw, ny = c.B * Co * P;
    c.x = rnd(nx, -1, 1), c.w = rnd(nw, -1, 1), c.b = rnd(Co, -1, 1), c.r = rnd(ny, -1, 1), c.y = rnd(ny, 0, 0);
    c.rows = calloc(c.B * P * K + 1, 8);
    double *dx = calloc(nx, 8), *dw = calloc(nw, 8), *db = calloc(Co, 8), *drows = calloc(P * K + 1, 8);
    conv_loss(&c);
    qsdr_nn_conv2d_backward_f64(dx, dw, db, drows, c.r, c.rows, c.w, &c.g, c.B);
    char what[64];
    snprintf(what, sizeof what, "%s dx", name);
    check_grad(what, conv_loss, &c, c.x, dx, nx, 1e-7);
    snprintf(what, sizeof what, "%s dW", name);
    check_grad(what, conv_loss, &c, c.w, dw, nw, 1e-7);
    snprintf(what, sizeof what, "%s db", name);
    check_grad(what, conv_loss, &c, c.b, db, Co, 1e-7);
    free(c.x), free(c.w), free(c.b), free(c.r), free(c.y), free(c.rows), free(dx), free(dw), free(db), free(drows);
}
QSDR_TEST(nn_gradcheck_conv, "unit", "conv2d (stride, padding, rectangular kernel) and conv1d against finite differences")
{
    conv_case("conv2d 3x3 pad 1", 2, 5, 6, 3, 3, 3, 1, 1);
    conv_case("conv2d 2x3 stride 2", 3, 6, 7, 2, 2, 3, 2, 0);
    conv_case("conv1d k5 stride 2 pad 2", 2, 1, 11, 3, 1, 5, 2, 2);
    conv_case("conv2d 5x5 pad 2, kernel taller than the input", 2, 3, 5, 2, 5, 5, 1, 2);
}

/* The forward pass (im2col + GEMM, with its unit-stride "same"-width fast path) against the
 * convolution written out as loops, for geometries on both sides of the fast path. */
QSDR_TEST(nn_conv_forward_direct, "unit", "conv2d forward equals the direct sum over channels and kernel taps")
{
    /* C, H, W, Co, kh, kw, sy, sx, py, px */
    static const size_t cases[][10] = {
        {3, 6, 7, 4, 3, 3, 1, 1, 1, 1}, /* same width: fast path */
        {2, 4, 5, 3, 5, 5, 1, 1, 2, 2}, /* same width, kernel taller than the input */
        {2, 5, 6, 3, 3, 3, 1, 1, 2, 2}, /* wider output than input: general path */
        {2, 6, 6, 3, 3, 3, 2, 1, 1, 1}, /* vertical stride: general path */
        {2, 6, 7, 2, 2, 3, 1, 2, 0, 1}, /* horizontal stride */
        {1, 3, 4, 2, 1, 1, 1, 1, 0, 0}, /* 1x1 */
        {2, 1, 9, 3, 1, 3, 1, 1, 0, 1}, /* conv1d, same width */
        {1, 2, 3, 1, 3, 3, 1, 1, 3, 3}, /* padding wider than the kernel: rows and columns all zero */
    };
    for (size_t t = 0; t < sizeof cases / sizeof cases[0]; t++) {
        const size_t *k = cases[t];
        qsdr_nn_conv_geom g = {k[0], k[1], k[2], k[3], k[4], k[5], k[6], k[7], k[8], k[9], 0, 0};
        g.ho = (g.h + 2 * g.py - g.kh) / g.sy + 1, g.wo = (g.w + 2 * g.px - g.kw) / g.sx + 1;
        size_t B = 2, K = g.c * g.kh * g.kw, P = g.ho * g.wo;
        double *x = rnd(B * g.c * g.h * g.w, -1, 1), *w = rnd(g.cout * K, -1, 1), *b = rnd(g.cout, -1, 1);
        double *y = rnd(B * g.cout * P, 0, 0), *cols = rnd(B * K * P, 5, 6); /* garbage the im2col must overwrite */
        qsdr_nn_conv2d_forward_f64(y, cols, x, w, b, &g, B);
        double worst = 0;
        for (size_t n = 0; n < B; n++)
            for (size_t o = 0; o < g.cout; o++)
                for (size_t oy = 0; oy < g.ho; oy++)
                    for (size_t ox = 0; ox < g.wo; ox++) {
                        double ref = b[o];
                        for (size_t c = 0; c < g.c; c++)
                            for (size_t ky = 0; ky < g.kh; ky++)
                                for (size_t kx = 0; kx < g.kw; kx++) {
                                    long iy = (long)(oy * g.sy + ky) - (long)g.py, ix = (long)(ox * g.sx + kx) - (long)g.px;
                                    if (iy < 0 || ix < 0 || iy >= (long)g.h || ix >= (long)g.w) continue;
                                    ref += w[(o * g.c + c) * g.kh * g.kw + ky * g.kw + kx] * x[((n * g.c + c) * g.h + (size_t)iy) * g.w + (size_t)ix];
                                }
                        worst = fmax(worst, fabs(ref - y[((n * g.cout + o) * g.ho + oy) * g.wo + ox]));
                    }
        QSDR_CHECK_MSG(worst <= 1e-12, "case %zu: conv forward differs from the direct sum by %g", t, worst);
        free(x), free(w), free(b), free(y), free(cols);
    }
}

/* ---- batch norm ----------------------------------------------------------------------------- */
typedef struct {
    size_t B, C, S;
    bool train;
    double *x, *g, *be, *rm, *rv, *r, *y, *xh, *is;
} bn_ctx;
static double bn_loss(void *c_)
{
    bn_ctx *c = c_;
    double rm[8], rv[8];
    memcpy(rm, c->rm, c->C * 8), memcpy(rv, c->rv, c->C * 8); /* keep running stats fixed */
    qsdr_nn_bn_forward_f64(c->y, c->xh, c->is, c->x, c->g, c->be, rm, rv, c->B, c->C, c->S, 1e-5, 0.1, c->train);
    double s = 0;
    for (size_t i = 0; i < c->B * c->C * c->S; i++) s += c->r[i] * c->y[i];
    return s;
}
QSDR_TEST(nn_gradcheck_batchnorm, "unit", "batch norm 1-d and 2-d, training and eval mode, against finite differences")
{
    for (int mode = 0; mode < 4; mode++) {
        bn_ctx c = {4, 3, mode & 1 ? 5 : 1, mode < 2};
        size_t n = c.B * c.C * c.S;
        c.x = rnd(n, -2, 2), c.g = rnd(c.C, 0.5, 1.5), c.be = rnd(c.C, -1, 1), c.rm = rnd(c.C, -0.5, 0.5), c.rv = rnd(c.C, 0.5, 2);
        c.r = rnd(n, -1, 1), c.y = rnd(n, 0, 0), c.xh = rnd(n, 0, 0), c.is = rnd(c.C, 0, 0);
        double *dx = calloc(n, 8), *dg = calloc(c.C, 8), *db = calloc(c.C, 8);
        bn_loss(&c);
        qsdr_nn_bn_backward_f64(dx, dg, db, c.r, c.xh, c.is, c.g, c.B, c.C, c.S, c.train);
        char w[64];
        snprintf(w, sizeof w, "bn %s %s dx", c.S > 1 ? "2d" : "1d", c.train ? "train" : "eval");
        check_grad(w, bn_loss, &c, c.x, dx, n, 1e-6);
        check_grad("bn dgamma", bn_loss, &c, c.g, dg, c.C, 1e-6);
        check_grad("bn dbeta", bn_loss, &c, c.be, db, c.C, 1e-6);
        free(c.x), free(c.g), free(c.be), free(c.rm), free(c.rv), free(c.r), free(c.y), free(c.xh), free(c.is), free(dx), free(dg), free(db);
    }
}

/* ---- element-wise activations ----------------------------------------------------------------- */
typedef struct {
    size_t n;
    int kind;
    double a, b, *x, *r, *y;
} act_ctx;
static double act_loss(void *c_)
{
    act_ctx *c = c_;
    qsdr_nn_act_forward_f64(c->y, c->x, c->n, c->kind, c->a, c->b);
    double s = 0;
    for (size_t i = 0; i < c->n; i++) s += c->r[i] * c->y[i];
    return s;
}
QSDR_TEST(nn_gradcheck_activations, "unit", "relu, leaky relu, tanh, sigmoid, hardtanh, ELU against finite differences")
{
    static const struct {
        const char *n;
        int k;
        double a, b;
    } acts[] = {{"relu", QSDR_NN_ACT_RELU, 0, 0},       {"leaky_relu", QSDR_NN_ACT_LEAKY, 0.1, 0},
                {"tanh", QSDR_NN_ACT_TANH, 0, 0},       {"sigmoid", QSDR_NN_ACT_SIGMOID, 0, 0},
                {"hardtanh", QSDR_NN_ACT_HARDTANH, -0.7, 0.9}, {"elu", QSDR_NN_ACT_ELU, 1.3, 0}};
    for (size_t t = 0; t < sizeof acts / sizeof *acts; t++) {
        act_ctx c = {40, acts[t].k, acts[t].a, acts[t].b};
        c.x = rnd_away(c.n), c.r = rnd(c.n, -1, 1), c.y = rnd(c.n, 0, 0);
        for (size_t i = 0; i < c.n; i++) /* keep away from the hardtanh corners too */
            if (fabs(c.x[i] - c.a) < 0.05 || fabs(c.x[i] - c.b) < 0.05) c.x[i] += 0.11;
        double *dx = calloc(c.n, 8);
        act_loss(&c);
        qsdr_nn_act_backward_f64(dx, c.r, c.x, c.y, c.n, c.kind, c.a, c.b);
        check_grad(acts[t].n, act_loss, &c, c.x, dx, c.n, 1e-7);
        free(c.x), free(c.r), free(c.y), free(dx);
    }
}

/* ---- pooling, power normalisation, softmax ---------------------------------------------------- */
typedef struct {
    qsdr_nn_conv_geom g;
    size_t B;
    bool max;
    double *x, *r, *y;
    size_t *idx;
} pool_ctx;
static double pool_loss(void *c_)
{
    pool_ctx *c = c_;
    qsdr_nn_pool_forward_f64(c->y, c->idx, c->x, &c->g, c->B, c->max);
    double s = 0;
    for (size_t i = 0; i < c->B * c->g.c * c->g.ho * c->g.wo; i++) s += c->r[i] * c->y[i];
    return s;
}
QSDR_TEST(nn_gradcheck_pooling, "unit", "max pool, average pool and global average pool against finite differences")
{
    for (int t = 0; t < 3; t++) {
        pool_ctx c = {{3, 6, 6, 3, 2, 2, 2, 2, 0, 0, 3, 3}, 2, t == 0};
        if (t == 2) c.g.kh = c.g.kw = 6, c.g.ho = c.g.wo = 1, c.g.sy = c.g.sx = 1; /* gap */
        size_t nx = c.B * 3 * 36, ny = c.B * 3 * c.g.ho * c.g.wo;
        c.x = rnd(nx, -1, 1), c.r = rnd(ny, -1, 1), c.y = rnd(ny, 0, 0), c.idx = calloc(ny, sizeof(size_t));
        double *dx = calloc(nx, 8);
        pool_loss(&c);
        qsdr_nn_pool_backward_f64(dx, c.r, c.idx, &c.g, c.B, c.max);
        check_grad(t == 0 ? "maxpool" : t == 1 ? "avgpool" : "gap", pool_loss, &c, c.x, dx, nx, 1e-7);
        free(c.x), free(c.r), free(c.y), free(c.idx), free(dx);
    }
}

typedef struct {
    size_t B, F;
    int kind;
    double E, *x, *r, *y, *gain;
} vec_ctx;
static double vec_loss(void *c_)
{
    vec_ctx *c = c_;
    if (c->kind == 0) qsdr_nn_powernorm_forward_f64(c->y, c->gain, c->x, c->B, c->F, c->E);
    else qsdr_nn_softmax_forward_f64(c->y, c->x, c->B, c->F);
    double s = 0;
    for (size_t i = 0; i < c->B * c->F; i++) s += c->r[i] * c->y[i];
    return s;
}
QSDR_TEST(nn_gradcheck_powernorm_softmax, "unit", "power normalisation and softmax against finite differences")
{
    for (int k = 0; k < 2; k++) {
        vec_ctx c = {3, 8, k, 4.0};
        c.x = rnd(24, -1, 1), c.r = rnd(24, -1, 1), c.y = rnd(24, 0, 0), c.gain = rnd(3, 0, 0);
        double *dx = calloc(24, 8);
        vec_loss(&c);
        if (k == 0) {
            qsdr_nn_powernorm_backward_f64(dx, c.r, c.x, c.gain, c.B, c.F, c.E);
            double e = 0; /* and the output has the requested energy */
            for (size_t i = 0; i < 8; i++) e += c.y[i] * c.y[i];
            QSDR_CHECK_NEAR(e, 4.0, 1e-12);
        } else
            qsdr_nn_softmax_backward_f64(dx, c.r, c.y, c.B, c.F);
        check_grad(k ? "softmax" : "powernorm", vec_loss, &c, c.x, dx, 24, 1e-7);
        free(c.x), free(c.r), free(c.y), free(c.gain), free(dx);
    }
}

/* ---- losses ------------------------------------------------------------------------------------ */
typedef struct {
    int kind;
    size_t B, F;
    double *z, *t;
} loss_ctx;
static double loss_loss(void *c_)
{
    loss_ctx *c = c_;
    if (c->kind == 0) return qsdr_nn_loss_ce_f64(NULL, c->z, c->t, c->B, c->F);
    if (c->kind == 1) return qsdr_nn_loss_bce_f64(NULL, c->z, c->t, c->B, c->F);
    return qsdr_nn_loss_mse_f64(NULL, c->z, c->t, c->B, c->F);
}
QSDR_TEST(nn_gradcheck_losses, "unit", "cross-entropy, BCE with logits and MSE: gradients and known values")
{
    for (int k = 0; k < 3; k++) {
        loss_ctx c = {k, 4, 5};
        c.z = rnd(20, -3, 3);
        c.t = k == 0 ? rnd(4, 0, 0) : rnd(20, 0, 1);
        if (k == 0)
            for (size_t b = 0; b < 4; b++) c.t[b] = (double)(b % 5);
        double *d = calloc(20, 8);
        if (k == 0) qsdr_nn_loss_ce_f64(d, c.z, c.t, c.B, c.F);
        else if (k == 1) qsdr_nn_loss_bce_f64(d, c.z, c.t, c.B, c.F);
        else qsdr_nn_loss_mse_f64(d, c.z, c.t, c.B, c.F);
        check_grad(k == 0 ? "cross_entropy" : k == 1 ? "bce" : "mse", loss_loss, &c, c.z, d, 20, 1e-7);
        free(c.z), free(c.t), free(d);
    }
    /* known values: CE of uniform logits over F classes is log F; BCE(0, t) = log 2 */
    double z[6] = {0}, t[6] = {2, 0, 0.5, 0.5, 0.5, 0.5};
    QSDR_CHECK_NEAR(qsdr_nn_loss_ce_f64(NULL, z, t, 2, 3), log(3.0), 1e-12);
    QSDR_CHECK_NEAR(qsdr_nn_loss_bce_f64(NULL, z, t + 2, 1, 4), log(2.0), 1e-12);
}

/* ---- a whole float model, through the model plumbing ---------------------------------------- */
QSDR_TEST(nn_gradcheck_model, "unit", "a float model with every layer kind: backward against finite differences")
{
    const char *spec = "input: [2, 6, 6]\nseed: 3\nlayers:\n"
                       "  - {type: conv2d, out: 3, kernel: 3, pad: 1}\n  - {type: batchnorm}\n  - {type: elu}\n"
                       "  - {type: maxpool, kernel: 2}\n  - {type: conv2d, out: 4, kernel: 2}\n  - {type: tanh}\n"
                       "  - {type: avgpool, kernel: 2}\n  - {type: flatten}\n  - {type: dropout, p: 0.3}\n"
                       "  - {type: linear, out: 6}\n  - {type: leaky_relu}\n  - {type: powernorm, energy: 3}\n"
                       "  - {type: linear, out: 5}\n  - {type: sigmoid}\n  - {type: hardtanh, min: -2, max: 2}\n"
                       "  - {type: softmax}\n";
    qsdr_nn_model *m = qsdr_nn_model_from_spec(spec, "test");
    QSDR_REQUIRE(m);
    size_t B = 3, Fi = qsdr_nn_in_features(m), Fo = qsdr_nn_out_features(m), np;
    float *x = malloc(B * Fi * sizeof(float)), *r = malloc(B * Fo * sizeof(float));
    for (size_t i = 0; i < B * Fi; i++) x[i] = (float)(urand() * 2 - 1);
    for (size_t i = 0; i < B * Fo; i++) r[i] = (float)(urand() * 2 - 1);
    qsdr_nn_set_training(m, true);
    qsdr_nn_set_seed(m, 5, 0);
    QSDR_REQUIRE(qsdr_nn_forward(m, x, B));
    qsdr_nn_zero_grad(m);
    QSDR_REQUIRE(qsdr_nn_backward(m, r) == QSDR_OK);
    float *p = qsdr_nn_params(m, &np), *g = qsdr_nn_grads(m, NULL);
    float *ga = malloc(np * sizeof(float)), *gx = malloc(B * Fi * sizeof(float));
    memcpy(ga, g, np * sizeof(float));
    memcpy(gx, qsdr_nn_input_grad(m), B * Fi * sizeof(float));
    /* batch-norm statistics move on each training forward; they do not enter the outputs in
     * training mode, so L depends only on parameters and input */
    size_t bad = 0, checked = 0;
    for (size_t i = 0; i < np + B * Fi; i += 3) {
        float *v = i < np ? &p[i] : &x[i - np];
        float o = *v, h = 2e-3f;
        double L[2];
        for (int s = 0; s < 2; s++) {
            *v = o + (s ? -h : h);
            qsdr_nn_params(m, NULL);
            const float *y = qsdr_nn_forward(m, x, B);
            double t = 0;
            for (size_t j = 0; j < B * Fo; j++) t += (double)r[j] * y[j];
            L[s] = t;
        }
        *v = o;
        double num = (L[0] - L[1]) / (2 * h), ana = i < np ? ga[i] : gx[i - np];
        checked++;
        if (fabs(num - ana) > 2e-3 + 2e-2 * fabs(num) && bad++ < 5)
            qsdr_test_fail(__FILE__, __LINE__, "%s %zu: numeric %.6g, analytic %.6g", i < np ? "param" : "input", i < np ? i : i - np, num, ana);
    }
    printf("  model gradient: %zu values checked (float, h = 2e-3)\n", checked);
    free(x), free(r), free(ga), free(gx);
    qsdr_nn_model_free(m);
}
