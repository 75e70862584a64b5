/* SPDX-License-Identifier: MIT */
/* Losses (float entry point), optimizers (SGD with momentum/Nesterov, Adam, AdamW, AMSGrad),
 * learning-rate schedules and global gradient-norm clipping, on the flat parameter buffer. */
#include <math.h>
#include <string.h>

#include "nn/nn_internal.h"

float qsdr_nn_loss(qsdr_nn_loss_kind kind, float *dout, const float *out, const float *target, size_t B, size_t F)
{
    switch (kind) {
    case QSDR_NN_LOSS_CE: return qsdr_nn_loss_ce_f32(dout, out, target, B, F);
    case QSDR_NN_LOSS_BCE: return qsdr_nn_loss_bce_f32(dout, out, target, B, F);
    case QSDR_NN_LOSS_MSE: return qsdr_nn_loss_mse_f32(dout, out, target, B, F);
    }
    return NAN;
}

#define PARSE(fn, type, ...)                                                                       \
    int fn(const char *name, type *out)                                                            \
    {                                                                                              \
        static const struct {                                                                      \
            const char *n;                                                                         \
            type v;                                                                                \
        } t[] = {__VA_ARGS__};                                                                     \
        for (size_t i = 0; i < sizeof t / sizeof *t; i++)                                          \
            if (name && !strcmp(name, t[i].n)) {                                                   \
                *out = t[i].v;                                                                     \
                return QSDR_OK;                                                                    \
            }                                                                                      \
        return QSDR_EINVAL;                                                                        \
    }
PARSE(qsdr_nn_loss_parse, qsdr_nn_loss_kind, {"cross_entropy", QSDR_NN_LOSS_CE}, {"bce", QSDR_NN_LOSS_BCE},
      {"mse", QSDR_NN_LOSS_MSE})
PARSE(qsdr_nn_optim_parse, qsdr_nn_optim_kind, {"sgd", QSDR_NN_SGD}, {"adam", QSDR_NN_ADAM}, {"adamw", QSDR_NN_ADAMW},
      {"amsgrad", QSDR_NN_AMSGRAD})
PARSE(qsdr_nn_sched_parse, qsdr_nn_sched_kind, {"constant", QSDR_NN_SCHED_CONST}, {"step", QSDR_NN_SCHED_STEP},
      {"cosine", QSDR_NN_SCHED_COSINE}, {"inverse", QSDR_NN_SCHED_INV})

void qsdr_nn_optim_defaults(qsdr_nn_optim_config *c)
{
    memset(c, 0, sizeof *c);
    c->kind = QSDR_NN_ADAM;
    c->lr = 1e-3f;
    c->beta1 = 0.9f, c->beta2 = 0.999f, c->eps = 1e-8f;
    c->sched = QSDR_NN_SCHED_CONST;
    c->step_size = 1000, c->gamma = 0.1f, c->power = 0.75f;
}

struct qsdr_nn_optim {
    qsdr_nn_optim_config c;
    size_t n;
    float *m, *v, *vmax;
};

qsdr_nn_optim *qsdr_nn_optim_create(const qsdr_nn_optim_config *c, size_t n)
{
    if (!(c->lr > 0) || !isfinite(c->lr))
        return qsdr_error_null(QSDR_ERANGE, "optimizer: lr must be > 0 (got %g)", (double)c->lr);
    if (c->momentum < 0 || c->momentum >= 1 || c->beta1 < 0 || c->beta1 >= 1 || c->beta2 < 0 || c->beta2 >= 1)
        return qsdr_error_null(QSDR_ERANGE, "optimizer: momentum, beta1 and beta2 must lie in [0, 1)");
    if (c->weight_decay < 0 || c->clip_norm < 0)
        return qsdr_error_null(QSDR_ERANGE, "optimizer: weight_decay and clip_norm must be >= 0");
    qsdr_nn_optim *o = qsdr_calloc(1, sizeof *o);
    if (!o) return NULL;
    o->c = *c;
    o->n = n;
    o->m = qsdr_calloc(n + 1, sizeof(float));
    o->v = qsdr_calloc(n + 1, sizeof(float));
    o->vmax = c->kind == QSDR_NN_AMSGRAD ? qsdr_calloc(n + 1, sizeof(float)) : NULL;
    if (!o->m || !o->v || (c->kind == QSDR_NN_AMSGRAD && !o->vmax)) {
        qsdr_nn_optim_free(o);
        return NULL;
    }
    return o;
}

void qsdr_nn_optim_free(qsdr_nn_optim *o)
{
    if (!o) return;
    qsdr_free(o->m);
    qsdr_free(o->v);
    qsdr_free(o->vmax);
    qsdr_free(o);
}

float qsdr_nn_lr_at(const qsdr_nn_optim_config *c, size_t t, size_t total)
{
    switch (c->sched) {
    case QSDR_NN_SCHED_CONST: return c->lr;
    case QSDR_NN_SCHED_STEP: return c->lr * powf(c->gamma, (float)(t / (c->step_size ? c->step_size : 1)));
    case QSDR_NN_SCHED_COSINE: {
        double f = total > 1 ? (double)t / (double)(total - 1) : 1.0;
        return (float)(c->min_lr + 0.5 * (c->lr - c->min_lr) * (1 + cos(M_PI * f)));
    }
    case QSDR_NN_SCHED_INV: return c->lr / powf(1.0f + c->gamma * (float)t, c->power);
    }
    return c->lr;
}

float qsdr_nn_optim_step(qsdr_nn_optim *o, float *p, const float *g, size_t n, size_t t, size_t total)
{
    const qsdr_nn_optim_config *c = &o->c;
    double ss = 0;
    for (size_t i = 0; i < n; i++) ss += (double)g[i] * g[i];
    float norm = (float)sqrt(ss), clip = 1.0f;
    if (c->clip_norm > 0 && norm > c->clip_norm) clip = c->clip_norm / norm;
    float lr = qsdr_nn_lr_at(c, t, total), wd = c->weight_decay;
    if (c->kind == QSDR_NN_SGD) {
        for (size_t i = 0; i < n; i++) {
            float gi = g[i] * clip + wd * p[i];
            if (c->momentum > 0) {
                o->m[i] = c->momentum * o->m[i] + gi;
                gi = c->nesterov ? gi + c->momentum * o->m[i] : o->m[i];
            }
            p[i] -= lr * gi;
        }
        return norm;
    }
    /* Adam family, bias-corrected; AdamW decays the weights directly */
    float b1 = c->beta1, b2 = c->beta2;
    double bc1 = 1 - pow(b1, (double)(t + 1)), bc2 = 1 - pow(b2, (double)(t + 1));
    for (size_t i = 0; i < n; i++) {
        float gi = g[i] * clip;
        if (c->kind != QSDR_NN_ADAMW) gi += wd * p[i];
        o->m[i] = b1 * o->m[i] + (1 - b1) * gi;
        o->v[i] = b2 * o->v[i] + (1 - b2) * gi * gi;
        float v = o->v[i];
        if (c->kind == QSDR_NN_AMSGRAD) v = o->vmax[i] = o->vmax[i] > v ? o->vmax[i] : v;
        float mh = (float)(o->m[i] / bc1), vh = (float)(v / bc2);
        if (c->kind == QSDR_NN_ADAMW) p[i] -= lr * wd * p[i];
        p[i] -= lr * mh / (sqrtf(vh) + c->eps);
    }
    return norm;
}
