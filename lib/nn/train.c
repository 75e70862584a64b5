/* SPDX-License-Identifier: MIT */
/* Mini-batch training loop and the spec's `train` and `data` sections. */
#include <cjson/cJSON.h>
#include <math.h>
#include <string.h>
#include <time.h>

#include "nn/nn_internal.h"
#include "nn/spec.h"
#include "qsdr/rng.h"

static double now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

#define AT(node) qsdr_nn_at(m, origin, (node))

static int num(const qsdr_nn_model *m, const cJSON *o, const char *k, double lo, double hi, double *v, const char *origin, const char *sec)
{
    const cJSON *e = cJSON_GetObjectItemCaseSensitive(o, k);
    if (!e) return 1;
    if (!cJSON_IsNumber(e) || !(e->valuedouble >= lo && e->valuedouble <= hi))
        return qsdr_error(QSDR_ERANGE, "%s: %s.%s must be a number in [%g, %g], got %s", AT(e), sec, k, lo, hi, qsdr_nn_spec_show(e));
    *v = e->valuedouble;
    return 0;
}

/* a true/false key: 1 true, 0 false, 2 absent, < 0 an error */
static int flag(const qsdr_nn_model *m, const cJSON *o, const char *k, const char *origin, const char *sec)
{
    const cJSON *e = cJSON_GetObjectItemCaseSensitive(o, k);
    if (!e) return 2;
    if (!cJSON_IsBool(e))
        return qsdr_error(QSDR_EINVAL, "%s: %s.%s must be true or false, got %s", AT(e), sec, k, qsdr_nn_spec_show(e));
    return cJSON_IsTrue(e);
}

int qsdr_nn_train_config_from_spec(const qsdr_nn_model *m, qsdr_nn_train_config *c, const char *origin)
{
    memset(c, 0, sizeof *c);
    c->epochs = 10, c->batch = 64, c->seed = 1, c->loss = QSDR_NN_LOSS_CE, c->calibrate = true;
    qsdr_nn_optim_defaults(&c->opt);
    /* the loss may stand at the top level (as in examples/spirals.yml) or in `train` (it was read
       only there: a top-level `loss: mse` trained with cross-entropy, silently) */
    const cJSON *top = cJSON_GetObjectItemCaseSensitive(m->spec, "loss"), *t = cJSON_GetObjectItemCaseSensitive(m->spec, "train");
    const cJSON *tl = cJSON_IsObject(t) ? cJSON_GetObjectItemCaseSensitive(t, "loss") : NULL;
    if (top && (!cJSON_IsString(top) || qsdr_nn_loss_parse(top->valuestring, &c->loss)))
        return qsdr_error(QSDR_EINVAL, "%s: loss must be cross_entropy, bce or mse, got %s", AT(top), qsdr_nn_spec_show(top));
    if (top && tl && (!cJSON_IsString(tl) || strcmp(top->valuestring, tl->valuestring)))
        return qsdr_error(QSDR_EINVAL, "%s: `loss` (%s) and `train.loss` (%s) disagree: give it once", AT(tl), top->valuestring,
                          cJSON_IsString(tl) ? tl->valuestring : qsdr_nn_spec_show(tl));
    if (!t) return QSDR_OK;
    if (!cJSON_IsObject(t)) return qsdr_error(QSDR_EINVAL, "%s: `train` must be a mapping, got %s", AT(t), qsdr_nn_spec_show(t));
    static const char *const keys[] = {"epochs", "batch", "optimizer", "lr", "momentum", "nesterov", "weight_decay",
                                       "beta1", "beta2", "eps", "clip_norm", "schedule", "step_size", "gamma",
                                       "power", "min_lr", "loss", "seed", "calibrate", NULL};
    for (const cJSON *e = t->child; e; e = e->next) {
        bool ok = false;
        for (const char *const *k = keys; *k && !ok; k++) ok = !strcmp(*k, e->string);
        if (!ok) {
            char list[300] = "";
            for (const char *const *k = keys; *k; k++) snprintf(list + strlen(list), sizeof list - strlen(list), "%s%s", k == keys ? "" : ", ", *k);
            return qsdr_error(QSDR_EINVAL, "%s: train: unknown key `%s` (%sallowed: %s)", AT(e), e->string, qsdr_suggest_among(e->string, keys), list);
        }
    }
    double v = 0;
    int r;
#define NUM(k, lo, hi, dst)                                                                        \
    if ((r = num(m, t, k, lo, hi, &v, origin, "train")) < 0) return r;                             \
    if (r == 0) dst = v;
    NUM("epochs", 1, 1e6, c->epochs)
    NUM("batch", 1, 1 << 20, c->batch)
    NUM("lr", 1e-12, 1e3, c->opt.lr)
    NUM("momentum", 0, 0.9999, c->opt.momentum)
    NUM("weight_decay", 0, 10, c->opt.weight_decay)
    NUM("beta1", 0, 0.9999, c->opt.beta1)
    NUM("beta2", 0, 0.999999, c->opt.beta2)
    NUM("eps", 1e-12, 1, c->opt.eps)
    NUM("clip_norm", 0, 1e9, c->opt.clip_norm)
    NUM("step_size", 1, 1e12, c->opt.step_size)
    NUM("gamma", 0, 1e3, c->opt.gamma)
    NUM("power", 0, 10, c->opt.power)
    NUM("min_lr", 0, 1e3, c->opt.min_lr)
    NUM("seed", 0, 9007199254740992.0, c->seed)
#undef NUM
    const cJSON *e;
    if ((r = flag(m, t, "nesterov", origin, "train")) < 0) return r;
    if (r < 2) c->opt.nesterov = r;
    if ((r = flag(m, t, "calibrate", origin, "train")) < 0) return r;
    if (r < 2) c->calibrate = r;
    if ((e = cJSON_GetObjectItemCaseSensitive(t, "optimizer")) &&
        (!cJSON_IsString(e) || qsdr_nn_optim_parse(e->valuestring, &c->opt.kind)))
        return qsdr_error(QSDR_EINVAL, "%s: train.optimizer must be sgd, adam, adamw or amsgrad, got %s", AT(e), qsdr_nn_spec_show(e));
    if ((e = cJSON_GetObjectItemCaseSensitive(t, "schedule")) &&
        (!cJSON_IsString(e) || qsdr_nn_sched_parse(e->valuestring, &c->opt.sched)))
        return qsdr_error(QSDR_EINVAL, "%s: train.schedule must be constant, step, cosine or inverse, got %s", AT(e), qsdr_nn_spec_show(e));
    if ((e = cJSON_GetObjectItemCaseSensitive(t, "loss")) && (!cJSON_IsString(e) || qsdr_nn_loss_parse(e->valuestring, &c->loss)))
        return qsdr_error(QSDR_EINVAL, "%s: train.loss must be cross_entropy, bce or mse, got %s", AT(e), qsdr_nn_spec_show(e));
    return QSDR_OK;
}

int qsdr_nn_dataset_from_spec(const qsdr_nn_model *m, qsdr_nn_dataset *train, qsdr_nn_dataset *test, const char *origin)
{
    memset(train, 0, sizeof *train);
    memset(test, 0, sizeof *test);
    const cJSON *d = cJSON_GetObjectItemCaseSensitive(m->spec, "data");
    if (!d || !cJSON_IsObject(d))
        return qsdr_error(QSDR_EINVAL, "%s: no `data` section (kind: spirals|blobs, n, classes, ...)%s%s", AT(d), d ? ", got " : "",
                          d ? qsdr_nn_spec_show(d) : "");
    static const char *const dkeys[] = {"kind", "n", "classes", "noise", "spread", "dims", "seed", "test", NULL};
    for (const cJSON *e = d->child; e; e = e->next) {
        bool ok = false;
        for (const char *const *q = dkeys; *q && !ok; q++) ok = !strcmp(*q, e->string);
        if (!ok)
            return qsdr_error(QSDR_EINVAL, "%s: data: unknown key `%s` (%sallowed: kind, n, classes, noise, spread, dims, seed, test)", AT(e),
                              e->string, qsdr_suggest_among(e->string, dkeys));
    }
    const cJSON *k = cJSON_GetObjectItemCaseSensitive(d, "kind");
    double n = 2000, classes = 3, noise = 0.05, spread = 1, dims = 2, seed = 1, ntest = 1000;
    int r;
    if ((r = num(m, d, "n", 1, 1e8, &n, origin, "data")) < 0 || (r = num(m, d, "classes", 2, 256, &classes, origin, "data")) < 0 ||
        (r = num(m, d, "noise", 0, 10, &noise, origin, "data")) < 0 || (r = num(m, d, "spread", 1e-6, 100, &spread, origin, "data")) < 0 ||
        (r = num(m, d, "dims", 1, 4096, &dims, origin, "data")) < 0 || (r = num(m, d, "seed", 0, 9007199254740992.0, &seed, origin, "data")) < 0 ||
        (r = num(m, d, "test", 0, 1e8, &ntest, origin, "data")) < 0)
        return r;
    int rc;
    if (k && cJSON_IsString(k) && !strcmp(k->valuestring, "spirals")) {
        if (classes > 16) /* qsdr_nn_dataset_spirals's range */
            return qsdr_error(QSDR_ERANGE, "%s: data.classes: spirals take 2..16 classes, got %g", AT(cJSON_GetObjectItemCaseSensitive(d, "classes")),
                              classes);
        rc = qsdr_nn_dataset_spirals(train, (size_t)n, (size_t)classes, (float)noise, (uint64_t)seed);
        if (!rc && ntest >= 1) rc = qsdr_nn_dataset_spirals(test, (size_t)ntest, (size_t)classes, (float)noise, (uint64_t)seed + 1);
    } else if (k && cJSON_IsString(k) && !strcmp(k->valuestring, "blobs")) {
        /* one draw of n + test examples (same centres), split: example i depends only on (seed, i) */
        size_t nt = ntest >= 1 ? (size_t)ntest : 0, D = (size_t)dims;
        rc = qsdr_nn_dataset_blobs(train, (size_t)n + nt, (size_t)classes, D, (float)spread, (uint64_t)seed);
        if (!rc && nt) {
            test->x = qsdr_malloc(nt * D * sizeof(float));
            test->y = qsdr_malloc(nt * sizeof(float));
            if (!test->x || !test->y) rc = QSDR_ENOMEM;
            else {
                memcpy(test->x, train->x + (size_t)n * D, nt * D * sizeof(float));
                memcpy(test->y, train->y + (size_t)n, nt * sizeof(float));
                test->n = nt, test->features = D, test->targets = 1, test->classes = (size_t)classes;
                train->n = (size_t)n;
            }
        }
    } else
        return qsdr_error(QSDR_EINVAL, "%s: data.kind must be spirals or blobs, got %s", AT(k ? k : d), qsdr_nn_spec_show(k));
    if (!rc && train->features != qsdr_nn_in_features(m))
        rc = qsdr_error(QSDR_ERANGE, "%s: data has %zu features but the model's input takes %zu%s", AT(d), train->features,
                        qsdr_nn_in_features(m), !strcmp(k->valuestring, "blobs") ? " (blobs: set data.dims to it)" : " (spirals are 2-d points)");
    if (!rc && train->classes > qsdr_nn_out_features(m))
        rc = qsdr_error(QSDR_ERANGE, "%s: data has %zu classes but the model has %zu outputs", AT(d), train->classes, qsdr_nn_out_features(m));
    if (rc) {
        qsdr_nn_dataset_free(train);
        qsdr_nn_dataset_free(test);
    }
    return rc;
}

int qsdr_nn_train_check(const qsdr_nn_model *m, const qsdr_nn_dataset *tr, const qsdr_nn_train_config *c)
{
    if (!tr || tr->n == 0 || c->batch == 0 || c->epochs == 0) return qsdr_error(QSDR_EINVAL, "train: empty data, batch or epochs");
    if (tr->features != qsdr_nn_in_features(m)) return qsdr_error(QSDR_ERANGE, "train: data has %zu features, model takes %zu", tr->features, qsdr_nn_in_features(m));
    size_t F = qsdr_nn_out_features(m), T = c->loss == QSDR_NN_LOSS_CE ? 1 : F;
    if (tr->targets != T)
        return qsdr_error(QSDR_ERANGE, "train: the data gives %zu target value%s per example%s, the loss %s needs %zu%s", tr->targets,
                          tr->targets == 1 ? "" : "s", tr->targets == 1 && tr->classes ? " (a class index)" : "",
                          c->loss == QSDR_NN_LOSS_CE ? "cross_entropy" : c->loss == QSDR_NN_LOSS_BCE ? "bce" : "mse", T,
                          T > 1 && tr->targets == 1 ? " (one per output): class labels take loss cross_entropy" : "");
    return QSDR_OK;
}

static int train_pinned(qsdr_nn_model *m, const qsdr_nn_dataset *tr, const qsdr_nn_dataset *te, const qsdr_nn_train_config *c)
{
    int rc0 = qsdr_nn_train_check(m, tr, c);
    if (rc0) return rc0;
    size_t F = qsdr_nn_out_features(m), T = c->loss == QSDR_NN_LOSS_CE ? 1 : F;
    size_t B = c->batch < tr->n ? c->batch : tr->n, steps_per = (tr->n + B - 1) / B, total = steps_per * c->epochs;
    qsdr_nn_optim *o = qsdr_nn_optim_create(&c->opt, m->n_params);
    size_t *perm = qsdr_malloc(tr->n * sizeof(size_t));
    float *xb = qsdr_malloc(B * tr->features * sizeof(float)), *yb = qsdr_malloc(B * T * sizeof(float)),
          *dout = qsdr_malloc(B * F * sizeof(float));
    int rc = o && perm && xb && yb && dout ? QSDR_OK : QSDR_ENOMEM;
    /* quantization-aware training starts from calibrated ranges (post-training calibration on
     * up to 1024 examples), not from the quantizers' defaults */
    bool quantized = false;
    for (size_t i = 0; i < m->n_layers; i++)
        quantized |= m->layers[i].w_off != (size_t)-1 && (m->layers[i].aq.bits || m->layers[i].wq.bits);
    if (!rc && quantized && c->calibrate) rc = qsdr_nn_calibrate(m, tr->x, tr->n < 1024 ? tr->n : 1024);
    double t0 = now();
    size_t step = 0;
    for (size_t ep = 0; !rc && ep < c->epochs; ep++) {
        qsdr_rand_perm(c->seed ^ 0x7368756666ull, ep * (uint64_t)tr->n, tr->n, perm); /* the epoch's order */
        double lsum = 0;
        size_t lcnt = 0;
        qsdr_nn_set_training(m, true);
        for (size_t s = 0; !rc && s < steps_per; s++, step++) {
            size_t b0 = s * B, b = tr->n - b0 < B ? tr->n - b0 : B;
            for (size_t k = 0; k < b; k++) {
                memcpy(xb + k * tr->features, tr->x + perm[b0 + k] * tr->features, tr->features * sizeof(float));
                memcpy(yb + k * T, tr->y + perm[b0 + k] * T, T * sizeof(float));
            }
            qsdr_nn_set_seed(m, c->seed, step);
            const float *y = qsdr_nn_forward(m, xb, b);
            if (!y) {
                rc = QSDR_EINVAL;
                break;
            }
            float L = qsdr_nn_loss(c->loss, dout, y, yb, b, F);
            if (!isfinite(L)) {
                rc = qsdr_error(QSDR_ERANGE, "train: the loss became %g at step %zu (lower train.lr or set train.clip_norm)", (double)L, step);
                break;
            }
            qsdr_nn_zero_grad(m);
            if ((rc = qsdr_nn_backward(m, dout))) break;
            qsdr_nn_optim_step(o, m->params, m->grads, m->n_params, step, total); /* training mode re-quantizes every forward */
            lsum += L * (double)b, lcnt += b;
            if (c->on_step) c->on_step(c->user, step + 1, total, L);
        }
        if (rc) break;
        qsdr_nn_epoch_stats st = {ep + 1, lsum / (double)lcnt, NAN, NAN, qsdr_nn_lr_at(&c->opt, step ? step - 1 : 0, total), 0};
        if (c->loss == QSDR_NN_LOSS_CE) {
            st.train_acc = qsdr_nn_accuracy(m, tr);
            if (te && te->n) st.test_acc = qsdr_nn_accuracy(m, te);
        }
        st.seconds = now() - t0;
        if (c->on_epoch && c->on_epoch(c->user, &st)) break;
    }
    qsdr_nn_set_training(m, false);
    qsdr_nn_mark_ranges(m); /* quantized layers learned their ranges at these bit-widths */
    qsdr_nn_optim_free(o);
    qsdr_free(perm), qsdr_free(xb), qsdr_free(yb), qsdr_free(dout);
    return rc;
}

int qsdr_nn_train(qsdr_nn_model *m, const qsdr_nn_dataset *tr, const qsdr_nn_dataset *te, const qsdr_nn_train_config *c)
{
    int pin = qsdr_nn_blas_pin();
    int rc = train_pinned(m, tr, te, c);
    qsdr_nn_blas_unpin(pin);
    return rc;
}
