/* SPDX-License-Identifier: MIT */
/* Autoencoder inner code for one-bit receivers: training through AWGN and the one-bit ADC
 * (two-step tanh surrogate, or straight-through sign), LLR calibration, joint multi-bit
 * fine-tuning of the receiver, and table-driven inference. */
#include <cjson/cJSON.h>
#include <math.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "nn/kernels/qsdr_k_onebit_lookup.h"
#include "nn/nn_internal.h"
#include "nn/spec.h"
#include "qsdr/ae.h"
#include "qsdr/rng.h"

double qsdr_ae_sigma2(const qsdr_ae_geom *g, double ebn0_db, double code_rate)
{
    double eb = (double)g->ns / (code_rate * (double)g->m); /* Es = 1 per conventional symbol */
    return eb / pow(10.0, ebn0_db / 10.0) / 2.0;
}

void qsdr_ae_train_defaults(qsdr_ae_train_config *c)
{
    memset(c, 0, sizeof *c);
    c->g = (qsdr_ae_geom){2, 1, 2};
    c->ebn0_db = 1.0, c->code_rate = 1.0 / 3.0;
    c->method = QSDR_AE_BOTH;
    c->steps = 20000, c->batch = 1024, c->qat_steps = 4000;
    c->lr = 1e-3f;
    c->seed = 1;
    c->eval_groups = 1u << 20;
}

/* The receiver's first and last layers stay at 8 bits (the usual practice in the quantization
 * papers); model-wide bit-width switches change the hidden layer. */
static char *spec_json(const qsdr_ae_geom *g, bool tx)
{
    unsigned F = 2 * g->ns * g->L, m = g->m;
    char *s = qsdr_malloc(1024);
    if (!s) return NULL;
    if (tx)
        snprintf(s, 1024,
                 "{\"name\": \"ae_tx\", \"input\": [%u], \"quant\": {\"weight\": \"dorefa\", \"act\": \"auto\", \"bits\": \"float\"},"
                 " \"layers\": [{\"type\": \"linear\", \"out\": %u}, {\"type\": \"relu\"}, {\"type\": \"linear\", \"out\": %u},"
                 " {\"type\": \"relu\"}, {\"type\": \"linear\", \"out\": %u}, {\"type\": \"powernorm\", \"energy\": %u}]}",
                 m, 4 * m, 4 * m, F, g->ns);
    else
        snprintf(s, 1024,
                 "{\"name\": \"ae_rx\", \"input\": [%u], \"quant\": {\"weight\": \"dorefa\", \"act\": \"auto\", \"bits\": \"float\"},"
                 " \"layers\": [{\"type\": \"linear\", \"out\": %u, \"quant\": {\"fixed\": true, \"bits\": 8}}, {\"type\": \"relu\"},"
                 " {\"type\": \"linear\", \"out\": %u}, {\"type\": \"relu\"},"
                 " {\"type\": \"linear\", \"out\": %u, \"quant\": {\"fixed\": true, \"bits\": 8}}]}",
                 F, 8 * m, 8 * m, m);
    return s;
}

static qsdr_nn_model *make_model(const qsdr_ae_geom *g, bool tx, uint64_t seed)
{
    char *s = spec_json(g, tx);
    if (!s) return NULL;
    qsdr_nn_model *mdl = qsdr_nn_model_from_spec(s, tx ? "ae transmitter" : "ae receiver");
    qsdr_free(s);
    if (mdl) qsdr_nn_model_init(mdl, seed ^ (tx ? 0x7478ull : 0x7278ull));
    return mdl;
}

/* One batch of the channel: bits, transmitter, noise, ADC. Buffers sized by the caller. */
typedef struct {
    const qsdr_ae_geom *g;
    size_t B, F;
    float *x, *c, *n, *y, *z, *dz, *dy, *dl;
    uint8_t *bits;
} batch;

static int draw(batch *b, qsdr_nn_model *tx, double sigma, uint64_t seed, uint64_t idx, int adc, float kappa)
{
    size_t m = b->g->m, B = b->B, F = b->F;
    qsdr_rand_bits(seed ^ 0x62697473ull, idx * B * m, B * m, b->bits);
    for (size_t i = 0; i < B * m; i++) b->c[i] = (float)b->bits[i], b->x[i] = 1.0f - 2.0f * (float)b->bits[i];
    const float *s = qsdr_nn_forward(tx, b->x, B);
    if (!s) return QSDR_EINVAL;
    qsdr_randn_f32(seed ^ 0x6e6f697365ull, idx * B * F, B * F, b->n);
    for (size_t i = 0; i < B * F; i++) {
        float y = s[i] + (float)sigma * b->n[i];
        b->y[i] = y;
        if (adc == 0) { /* tanh(kappa y) surrogate */
            float t = tanhf(kappa * y);
            b->z[i] = t, b->dz[i] = kappa * (1 - t * t);
        } else { /* sign; straight-through hardtanh' */
            b->z[i] = y >= 0 ? 1.0f : -1.0f;
            b->dz[i] = fabsf(y) <= 1.0f ? 1.0f : 0.0f;
        }
    }
    return QSDR_OK;
}

static int batch_alloc(batch *b, const qsdr_ae_geom *g, size_t B)
{
    memset(b, 0, sizeof *b);
    b->g = g, b->B = B, b->F = 2 * g->ns * g->L;
    size_t m = g->m, F = b->F;
    b->x = qsdr_malloc(B * m * sizeof(float)), b->c = qsdr_malloc(B * m * sizeof(float));
    b->n = qsdr_malloc(B * F * sizeof(float)), b->y = qsdr_malloc(B * F * sizeof(float));
    b->z = qsdr_malloc(B * F * sizeof(float)), b->dz = qsdr_malloc(B * F * sizeof(float));
    b->dy = qsdr_malloc(B * F * sizeof(float)), b->dl = qsdr_malloc(B * m * sizeof(float));
    b->bits = qsdr_malloc(B * m);
    return b->x && b->c && b->n && b->y && b->z && b->dz && b->dy && b->dl && b->bits ? QSDR_OK : QSDR_ENOMEM;
}

static void batch_free(batch *b)
{
    qsdr_free(b->x), qsdr_free(b->c), qsdr_free(b->n), qsdr_free(b->y), qsdr_free(b->z);
    qsdr_free(b->dz), qsdr_free(b->dy), qsdr_free(b->dl), qsdr_free(b->bits);
}

double qsdr_ae_raw_ber(qsdr_nn_model *tx, qsdr_nn_model *rx, const qsdr_ae_geom *g, double sigma2, size_t n, uint64_t seed)
{
    batch b;
    size_t B = 4096;
    if (batch_alloc(&b, g, B)) return NAN;
    qsdr_nn_set_training(tx, false);
    qsdr_nn_set_training(rx, false);
    size_t err = 0, tot = 0;
    for (size_t i = 0; tot < n * g->m; i++) {
        if (draw(&b, tx, sqrt(sigma2), seed, i, 1, 1)) break;
        const float *l = qsdr_nn_forward(rx, b.z, B);
        if (!l) break;
        for (size_t j = 0; j < B * g->m; j++) err += (l[j] > 0) != (b.bits[j] != 0);
        tot += B * g->m;
    }
    batch_free(&b);
    return tot ? (double)err / (double)tot : NAN;
}

/* Receiver forward, BCE against the batch's bits, backward (into gradients zeroed first when
 * zero is set, else added to); the loss in *loss. */
static int rx_pass(qsdr_nn_model *rx, batch *b, bool zero, float *loss)
{
    qsdr_nn_set_training(rx, true);
    const float *l = qsdr_nn_forward(rx, b->z, b->B);
    if (!l) return QSDR_EINVAL;
    *loss = qsdr_nn_loss(QSDR_NN_LOSS_BCE, b->dl, l, b->c, b->B, b->g->m);
    if (zero) qsdr_nn_zero_grad(rx);
    return qsdr_nn_backward(rx, b->dl);
}

/* Ctrl-C (c->interrupt): the phase stops at step t; the first stop is recorded in rep */
static bool stop_requested(const qsdr_ae_train_config *c, qsdr_ae_train_report *rep, const char *phase, size_t t, size_t total)
{
    if (!c->interrupt || !*c->interrupt) return false;
    if (rep && !rep->interrupted[0]) snprintf(rep->interrupted, sizeof rep->interrupted, "%.60s, step %zu of %zu", phase, t, total);
    return true;
}

/* loss.csv row every 50 steps, progress callback every 64 and at the end */
static void log_step(const qsdr_ae_train_config *c, const char *method, const char *phase, const char *label, size_t t,
                     size_t csv_step, size_t total, float loss)
{
    if (c->loss_csv && t % 50 == 0) fprintf(c->loss_csv, "%s,%s,%zu,%.6g\n", method, phase, csv_step, (double)loss);
    if (c->progress && (t % 64 == 0 || t + 1 == total)) c->progress(c->user, label, t + 1, total, loss);
}

/* One end-to-end step's gradients: a batch through tx, the channel (adc 0: tanh(kappa y)
 * surrogate, 1: sign with straight-through) and rx; the receiver's input gradient carried
 * through the ADC into the transmitter. Fills both models' gradients; the loss in *loss. */
static int e2e_grads(qsdr_nn_model *tx, qsdr_nn_model *rx, batch *b, double sigma, uint64_t seed, uint64_t t, int adc,
                     float kappa, float *loss)
{
    qsdr_nn_set_training(tx, true);
    int rc = draw(b, tx, sigma, seed, t, adc, kappa);
    if (!rc) rc = rx_pass(rx, b, true, loss);
    if (rc) return rc;
    const float *dz = qsdr_nn_input_grad(rx);
    for (size_t i = 0; i < b->B * b->F; i++) b->dy[i] = dz[i] * b->dz[i];
    qsdr_nn_zero_grad(tx);
    return qsdr_nn_backward(tx, b->dy);
}

/* one training run of one method; returns the raw BER at the training point */
static int train_method(const qsdr_ae_train_config *c, qsdr_ae_method meth, qsdr_nn_model **txo, qsdr_nn_model **rxo, double *ber,
                        qsdr_ae_train_report *rep)
{
    const qsdr_ae_geom *g = &c->g;
    double sigma = sqrt(qsdr_ae_sigma2(g, c->ebn0_db, c->code_rate));
    qsdr_nn_model *tx = make_model(g, true, c->seed), *rx = make_model(g, false, c->seed);
    qsdr_nn_optim_config oc;
    qsdr_nn_optim_defaults(&oc);
    oc.lr = c->lr;
    size_t ntx, nrx;
    qsdr_nn_params(tx, &ntx), qsdr_nn_params(rx, &nrx);
    qsdr_nn_optim *otx = qsdr_nn_optim_create(&oc, ntx), *orx = qsdr_nn_optim_create(&oc, nrx);
    batch b;
    memset(&b, 0, sizeof b);
    int rc = tx && rx && otx && orx ? batch_alloc(&b, g, c->batch) : QSDR_ENOMEM;
    size_t B = c->batch;
    const char *name = meth == QSDR_AE_STE ? "ste" : "two-step";
    size_t p1 = c->steps;
    char where[64];
    snprintf(where, sizeof where, "%s end-to-end", name);
    for (size_t t = 0; !rc && t < p1 && !stop_requested(c, rep, where, t, p1); t++) {
        int adc = meth == QSDR_AE_STE ? 1 : 0;
        float kappa = p1 > 1 ? powf(20.0f, (float)t / (float)(p1 - 1)) : 20.0f; /* 1 -> 20 */
        float L;
        if ((rc = e2e_grads(tx, rx, &b, sigma, c->seed ^ (uint64_t)meth << 40, t, adc, kappa, &L))) break;
        qsdr_nn_optim_step(otx, tx->params, tx->grads, ntx, t, p1);
        qsdr_nn_optim_step(orx, rx->params, rx->grads, nrx, t, p1);
        log_step(c, name, "end-to-end", name, t, t, p1, L);
    }
    /* then the receiver alone on the true sign (the two-step method's second step; the same
     * polishing for the straight-through encoder keeps the comparison fair): 4x batches,
     * cosine decay to lr/50, so the logits become calibrated posteriors */
    size_t p2 = c->steps / 2, B2 = 4 * B;
    batch b2;
    memset(&b2, 0, sizeof b2);
    qsdr_nn_optim_config oc2 = oc;
    oc2.sched = QSDR_NN_SCHED_COSINE, oc2.min_lr = c->lr / 50;
    qsdr_nn_optim *o2 = rc ? NULL : qsdr_nn_optim_create(&oc2, nrx);
    if (!rc && (!o2 || batch_alloc(&b2, g, B2))) rc = QSDR_ENOMEM;
    qsdr_nn_set_training(tx, false);
    snprintf(where, sizeof where, "%s decoder", name);
    for (size_t t = 0; !rc && t < p2 && !stop_requested(c, rep, where, t, p2); t++) {
        float L;
        if ((rc = draw(&b2, tx, sigma, c->seed ^ (uint64_t)meth << 40 ^ 0x7032ull, t, 1, 1)) || (rc = rx_pass(rx, &b2, true, &L))) break;
        qsdr_nn_optim_step(o2, rx->params, rx->grads, nrx, t, p2);
        log_step(c, name, "decoder", "decoder", t, p1 + t, p2, L);
    }
    batch_free(&b2);
    qsdr_nn_optim_free(o2);
    if (!rc) {
        *ber = qsdr_ae_raw_ber(tx, rx, g, sigma * sigma, c->eval_groups, c->seed ^ 0x6576616cull);
        *txo = tx, *rxo = rx;
        tx = rx = NULL;
    }
    batch_free(&b);
    qsdr_nn_model_free(tx), qsdr_nn_model_free(rx);
    qsdr_nn_optim_free(otx), qsdr_nn_optim_free(orx);
    return rc;
}

const int qsdr_ae_bitwidths[QSDR_AE_NBITWIDTHS] = {0, 8, 4, 2, 1};

/* receiver at several bit-widths at once: sum of the losses at float, 8, 4, 2 and 1 bits */
static int train_multibit(const qsdr_ae_train_config *c, qsdr_nn_model *tx, qsdr_nn_model *rx, qsdr_ae_train_report *rep)
{
    const int *bits = qsdr_ae_bitwidths;
    const qsdr_ae_geom *g = &c->g;
    double sigma = sqrt(qsdr_ae_sigma2(g, c->ebn0_db, c->code_rate));
    size_t B = c->batch, nrx;
    batch b;
    int rc = batch_alloc(&b, g, B);
    qsdr_nn_set_training(tx, false);
    /* start from calibrated ranges */
    if (!rc) rc = draw(&b, tx, sigma, c->seed ^ 0x63616cull, 0, 1, 1);
    qsdr_nn_set_bits(rx, QSDR_NN_ALL_LAYERS, 8, 8);
    if (!rc) rc = qsdr_nn_calibrate(rx, b.z, B);
    qsdr_nn_params(rx, &nrx);
    qsdr_nn_optim_config oc;
    qsdr_nn_optim_defaults(&oc);
    oc.lr = c->lr * 0.5f;
    oc.sched = QSDR_NN_SCHED_COSINE, oc.min_lr = c->lr * 0.02f;
    qsdr_nn_optim *o = rc ? NULL : qsdr_nn_optim_create(&oc, nrx);
    if (!rc && !o) rc = QSDR_ENOMEM;
    for (size_t t = 0; !rc && t < c->qat_steps && !stop_requested(c, rep, "multi-bit receiver", t, c->qat_steps); t++) {
        if ((rc = draw(&b, tx, sigma, c->seed ^ 0x716174ull, t, 1, 1))) break;
        qsdr_nn_zero_grad(rx);
        float Lsum = 0;
        for (int k = 0; k < QSDR_AE_NBITWIDTHS && !rc; k++) {
            float L = 0;
            qsdr_nn_set_bits(rx, QSDR_NN_ALL_LAYERS, bits[k], bits[k]);
            rc = rx_pass(rx, &b, false, &L); /* gradients add up over the bit-widths */
            Lsum += L;
        }
        if (rc) break;
        qsdr_nn_optim_step(o, rx->params, rx->grads, nrx, t, c->qat_steps);
        log_step(c, "multibit", "decoder", "multi-bit", t, t, c->qat_steps, Lsum / QSDR_AE_NBITWIDTHS);
    }
    qsdr_nn_set_bits(rx, QSDR_NN_ALL_LAYERS, 0, 0);
    qsdr_nn_set_training(rx, false);
    qsdr_nn_optim_free(o);
    batch_free(&b);
    return rc;
}

static qsdr_nn_model *quantize_tx_pinned(const qsdr_ae_train_config *c, qsdr_nn_model *tx, qsdr_nn_model *rx, int bits, size_t steps)
{
    const qsdr_ae_geom *g = &c->g;
    if (bits < 1 || bits > 8) return qsdr_error_null(QSDR_ERANGE, "ae: transmitter bit-width must be 1..8, got %d", bits);
    char *spec = spec_json(g, true);
    qsdr_nn_model *q = spec ? qsdr_nn_model_from_spec(spec, "ae transmitter") : NULL;
    qsdr_free(spec);
    if (!q) return qsdr_error_null(QSDR_ENOMEM, "ae: out of memory");
    memcpy(q->params, tx->params, q->n_params * sizeof(float));
    size_t npat = (size_t)1 << g->m, nq;
    float *pat = qsdr_malloc(npat * g->m * sizeof(float));
    batch b;
    memset(&b, 0, sizeof b);
    int rc = pat ? batch_alloc(&b, g, c->batch) : QSDR_ENOMEM;
    for (size_t i = 0; !rc && i < npat; i++)
        for (unsigned j = 0; j < g->m; j++) pat[i * g->m + j] = (i >> j & 1) ? -1.0f : 1.0f;
    qsdr_nn_set_bits(q, QSDR_NN_ALL_LAYERS, bits, bits);
    if (!rc) rc = qsdr_nn_calibrate(q, pat, npat);
    qsdr_nn_params(q, &nq);
    qsdr_nn_optim_config oc;
    qsdr_nn_optim_defaults(&oc);
    oc.lr = c->lr * 10; /* a small table-like network: 10x the end-to-end rate (5x or less stalls at 2 bits) */
    oc.sched = QSDR_NN_SCHED_COSINE, oc.min_lr = c->lr * 0.02f;
    qsdr_nn_optim *o = rc || !steps ? NULL : qsdr_nn_optim_create(&oc, nq);
    if (!rc && steps && !o) rc = QSDR_ENOMEM;
    double sigma = sqrt(qsdr_ae_sigma2(g, c->ebn0_db, c->code_rate));
    char label[32];
    snprintf(label, sizeof label, "tx %d bits", bits);
    /* the straight-through steps wander: keep the weights with the lowest raw BER on held-out
     * data (checked 16 times and at the start, i.e. after calibration alone) */
    size_t every = steps / 16 ? steps / 16 : 1, nval = c->eval_groups / 16 > 65536 ? c->eval_groups / 16 : 65536;
    float *best = rc ? NULL : qsdr_malloc(nq * sizeof(float));
    if (!rc && !best) rc = QSDR_ENOMEM;
    double best_ber = 2;
    for (size_t t = 0; !rc && t <= steps; t++) {
        if (stop_requested(c, NULL, label, t, steps)) {
            rc = QSDR_EINTR; /* not an error to report: the caller asked for it */
            break;
        }
        if (t % every == 0 || t == steps) {
            qsdr_nn_set_training(q, false);
            double ber = qsdr_ae_raw_ber(q, rx, g, sigma * sigma, nval, c->seed ^ 0x74787661ull);
            if (ber < best_ber) best_ber = ber, memcpy(best, q->params, nq * sizeof(float));
        }
        if (t == steps) break;
        float L;
        if ((rc = e2e_grads(q, rx, &b, sigma, c->seed ^ 0x747871ull ^ (uint64_t)bits << 32, t, 0, 20.0f, &L))) break;
        qsdr_nn_optim_step(o, q->params, q->grads, nq, t, steps); /* the receiver stays as it is */
        log_step(c, "tx-qat", label, label, t, t, steps, L);
    }
    if (!rc) memcpy(q->params, best, nq * sizeof(float));
    qsdr_free(best);
    qsdr_nn_set_training(q, false);
    qsdr_nn_set_training(rx, false);
    qsdr_nn_optim_free(o);
    batch_free(&b);
    qsdr_free(pat);
    if (rc == QSDR_EINTR) {
        qsdr_nn_model_free(q);
        return NULL;
    }
    if (rc) {
        char why[256];
        snprintf(why, sizeof why, "%s", qsdr_last_error());
        qsdr_nn_model_free(q);
        return qsdr_error_null(rc, "ae: quantizing the transmitter at %d bits failed: %s", bits, why);
    }
    return q;
}

/* scale s minimising the cross-entropy of s * logit on held-out data (the receiver as it is
 * set now: bit-width and engine), and the LLR statistics given c = 0 */
static double fit_scale(const qsdr_ae_train_config *c, qsdr_nn_model *tx, qsdr_nn_model *rx, double *mean0, double *var0)
{
    const qsdr_ae_geom *g = &c->g;
    size_t B = 1u << 16, m = g->m;
    batch b;
    double scale = 1;
    if (batch_alloc(&b, g, B)) return scale;
    qsdr_nn_set_training(tx, false);
    qsdr_nn_set_training(rx, false);
    if (!draw(&b, tx, sqrt(qsdr_ae_sigma2(g, c->ebn0_db, c->code_rate)), c->seed ^ 0x6c6c72ull, 0, 1, 1)) {
        const float *l0 = qsdr_nn_forward(rx, b.z, B);
        float *l = l0 ? qsdr_malloc(B * m * sizeof(float)) : NULL, *tmp = qsdr_malloc(B * m * sizeof(float));
        if (l && tmp) {
            memcpy(l, l0, B * m * sizeof(float));
            double lo = 0.02, hi = 5; /* golden-section search of the convex loss */
            for (int it = 0; it < 60; it++) {
                double a = hi - (hi - lo) / 1.618034, d = lo + (hi - lo) / 1.618034, fa, fd;
                for (size_t i = 0; i < B * m; i++) tmp[i] = (float)a * l[i];
                fa = qsdr_nn_loss(QSDR_NN_LOSS_BCE, NULL, tmp, b.c, B, m);
                for (size_t i = 0; i < B * m; i++) tmp[i] = (float)d * l[i];
                fd = qsdr_nn_loss(QSDR_NN_LOSS_BCE, NULL, tmp, b.c, B, m);
                if (fa < fd) hi = d;
                else lo = a;
            }
            scale = 0.5 * (lo + hi);
            double sm = 0, s2 = 0;
            size_t n = 0;
            for (size_t i = 0; i < B * m; i++)
                if (b.bits[i] == 0) {
                    double L = fmin(20.0, fmax(-20.0, -scale * l[i]));
                    sm += L, s2 += L * L, n++;
                }
            if (mean0) *mean0 = sm / (double)n;
            if (var0) *var0 = s2 / (double)n - (sm / (double)n) * (sm / (double)n);
        }
        qsdr_free(l), qsdr_free(tmp);
    }
    batch_free(&b);
    return scale;
}

static int ae_train_pinned(const qsdr_ae_train_config *c, qsdr_nn_model **tx, qsdr_nn_model **rx, qsdr_nn_model **rx_multi,
                  qsdr_ae_train_report *rep)
{
    const qsdr_ae_geom *g = &c->g;
    if (g->m < 1 || g->m > 8 || g->ns < 1 || g->L < 1 || 2 * g->ns * g->L > 32)
        return qsdr_error(QSDR_ERANGE, "ae: bits per symbol 1..8, oversampling 1.. with 2*ns*L <= 32 real samples per group");
    if (!(c->code_rate > 0 && c->code_rate <= 1)) return qsdr_error(QSDR_ERANGE, "ae: code rate must be in (0, 1]");
    if (c->steps < 1 || c->batch < 2) return qsdr_error(QSDR_ERANGE, "ae: steps >= 1 and batch >= 2");
    memset(rep, 0, sizeof *rep);
    rep->raw_ber[0] = rep->raw_ber[1] = NAN;
    for (int k = 0; k < QSDR_AE_NBITWIDTHS; k++) rep->raw_ber_bits[k] = NAN;
    *tx = *rx = NULL;
    qsdr_nn_model *t[2] = {0}, *r[2] = {0};
    int rc = QSDR_OK;
    for (int k = 0; k < 2 && !rc && !rep->interrupted[0]; k++) {
        if (c->method != QSDR_AE_BOTH && (int)c->method != k) continue;
        rc = train_method(c, (qsdr_ae_method)k, &t[k], &r[k], &rep->raw_ber[k], rep);
    }
    rep->float_cut = rep->interrupted[0] != 0;
    if (rc) goto out;
    int best = !t[0] ? 1 : !t[1] ? 0 : rep->raw_ber[1] < rep->raw_ber[0] ? 1 : 0;
    rep->chosen = (qsdr_ae_method)best;
    *tx = t[best], *rx = r[best];
    t[best] = r[best] = NULL;
    rep->llr_scale = fit_scale(c, *tx, *rx, &rep->llr_mean0, &rep->llr_var0);
    if (rx_multi) *rx_multi = NULL;
    if (c->qat_steps && rx_multi && !rep->interrupted[0]) {
        /* a copy of the receiver trained jointly at float/8/4/2/1 bits: one model, any bit-width */
        char *spec = spec_json(g, false);
        qsdr_nn_model *q = spec ? qsdr_nn_model_from_spec(spec, "ae receiver") : NULL;
        qsdr_free(spec);
        if (!q) {
            rc = QSDR_ENOMEM;
            goto out;
        }
        memcpy(q->params, (*rx)->params, q->n_params * sizeof(float));
        if ((rc = train_multibit(c, *tx, q, rep)) || rep->interrupted[0]) { /* an interrupted one is not saved */
            qsdr_nn_model_free(q);
            goto out;
        }
        const int *bits = qsdr_ae_bitwidths;
        double s2 = qsdr_ae_sigma2(g, c->ebn0_db, c->code_rate);
        qsdr_nn_set_engine(q, QSDR_NN_ENGINE_INT);
        for (int k = 0; k < QSDR_AE_NBITWIDTHS; k++) { /* each bit-width gets its own calibrated LLR scale */
            qsdr_nn_set_bits(q, QSDR_NN_ALL_LAYERS, bits[k], bits[k]);
            rep->raw_ber_bits[k] = qsdr_ae_raw_ber(*tx, q, g, s2, c->eval_groups / 4, c->seed ^ 0x62697473ull);
            rep->llr_scale_bits[k] = fit_scale(c, *tx, q, NULL, NULL);
        }
        qsdr_nn_set_bits(q, QSDR_NN_ALL_LAYERS, 0, 0);
        qsdr_nn_set_engine(q, QSDR_NN_ENGINE_FLOAT);
        *rx_multi = q;
    }
out:
    for (int k = 0; k < 2; k++) qsdr_nn_model_free(t[k]), qsdr_nn_model_free(r[k]);
    if (rc) {
        qsdr_nn_model_free(*tx), qsdr_nn_model_free(*rx);
        *tx = *rx = NULL;
    }
    return rc;
}

int qsdr_ae_save(qsdr_nn_model *tx, qsdr_nn_model *rx, const qsdr_ae_geom *g, const qsdr_ae_train_config *c,
                 const qsdr_ae_train_report *rep, const char *tx_path, const char *rx_path, const char *extra_json,
                 bool model_is_multibit)
{
    int rc = QSDR_OK;
    for (int side = 0; side < 2 && !rc; side++) {
        const char *path = side ? rx_path : tx_path;
        if (!path) continue;
        cJSON *ae = cJSON_CreateObject();
        cJSON_AddStringToObject(ae, "role", side ? "rx" : "tx");
        cJSON_AddNumberToObject(ae, "m", g->m);
        cJSON_AddNumberToObject(ae, "ns", g->ns);
        cJSON_AddNumberToObject(ae, "L", g->L);
        bool multi = side && rep && rep->llr_scale_bits[0] > 0 && model_is_multibit;
        cJSON_AddNumberToObject(ae, "llr_scale", rep ? rep->llr_scale : 1.0);
        if (multi) { /* per bit-width: "0" (float), "8", "4", "2", "1" */
            cJSON *sc = cJSON_CreateObject();
            char key[8];
            for (int k = 0; k < QSDR_AE_NBITWIDTHS; k++) snprintf(key, sizeof key, "%d", qsdr_ae_bitwidths[k]), cJSON_AddNumberToObject(sc, key, rep->llr_scale_bits[k]);
            cJSON_AddItemToObject(ae, "llr_scales", sc);
        }
        cJSON_AddNumberToObject(ae, "llr_clip", 20);
        if (c) {
            cJSON_AddNumberToObject(ae, "ebn0_db", c->ebn0_db);
            cJSON_AddNumberToObject(ae, "code_rate", c->code_rate);
        }
        if (rep) {
            if (rep->float_cut) cJSON_AddStringToObject(ae, "interrupted", rep->interrupted);
            cJSON_AddStringToObject(ae, "method", rep->chosen == QSDR_AE_STE ? "ste" : "two-step");
            if (isfinite(rep->raw_ber[0])) cJSON_AddNumberToObject(ae, "raw_ber_two_step", rep->raw_ber[0]);
            if (isfinite(rep->raw_ber[1])) cJSON_AddNumberToObject(ae, "raw_ber_ste", rep->raw_ber[1]);
        }
        char *aes = cJSON_PrintUnformatted(ae);
        cJSON_Delete(ae);
        cJSON *md = extra_json ? cJSON_Parse(extra_json) : cJSON_CreateObject();
        if (!md) md = cJSON_CreateObject();
        cJSON_AddStringToObject(md, "qsdr.ae", aes ? aes : "{}");
        char *mds = cJSON_PrintUnformatted(md);
        cJSON_Delete(md);
        free(aes);
        rc = qsdr_nn_save(side ? rx : tx, path, mds);
        free(mds);
    }
    return rc;
}

/* ---- inference ---------------------------------------------------------------------------- */
struct qsdr_ae {
    qsdr_nn_model *m;
    qsdr_ae_geom g;
    bool tx;
    int bits, stored_bits;
    unsigned trained;    /* bit b set: the network was trained or calibrated at b bits (0 = float) */
    bool allow_untrained;
    bool allow_non_onebit; /* qsdr_ae_allow_non_onebit: run the network on samples that are not one-bit */
    char path[256];      /* for messages */
    char interrupted[128]; /* training was interrupted there ("" = complete) */
    float scale, clip;
    float scales[9];     /* calibrated scale per bit-width (index = bits, 0 = float), 0 = none */
    bool user_scale;     /* set by qsdr_ae_set_llr: overrides the per-bit-width scales */
    size_t F;            /* reals per group */
    float *table;        /* tx: 2^m x F samples; rx: 2^F x m LLRs */
    size_t ntable;
    float *buf;          /* network fallback input */
    size_t cap;
    bool used_table;
    uint64_t groups_in; /* groups demodulated so far: an error names a sample of the stream, not of the call */
    uint64_t pair;       /* qsdr_ae_pair_id */
};

/* The training run a file comes from: every file one `qsdr train ae` writes (tx, rx, tx_wN,
 * rx_multibit*) carries the same geometry, training point and the raw BERs measured at its end
 * (which depend on the trained weights), so a hash of those tells the runs apart; 52 bits, so it
 * travels exactly in a float stream tag. 0 when the raw BERs are missing (no check). */
static uint64_t pair_id(const cJSON *j)
{
    static const char *const keys[] = {"m", "ns", "L", "llr_scale", "ebn0_db", "code_rate", "method", "raw_ber_two_step", "raw_ber_ste"};
    const cJSON *b1 = cJSON_GetObjectItemCaseSensitive(j, "raw_ber_two_step"), *b2 = cJSON_GetObjectItemCaseSensitive(j, "raw_ber_ste");
    if (!cJSON_IsNumber(b1) && !cJSON_IsNumber(b2)) return 0;
    uint64_t h = 1469598103934665603ull; /* FNV-1a */
    for (size_t k = 0; k < sizeof keys / sizeof *keys; k++) {
        const cJSON *v = cJSON_GetObjectItemCaseSensitive(j, keys[k]);
        char t[80] = "-";
        if (cJSON_IsNumber(v)) snprintf(t, sizeof t, "%.17g", v->valuedouble);
        else if (cJSON_IsString(v)) snprintf(t, sizeof t, "%.70s", v->valuestring);
        for (const char *c = t; *c; c++) h = (h ^ (unsigned char)*c) * 1099511628211ull;
        h = (h ^ '|') * 1099511628211ull;
    }
    h &= (1ull << 52) - 1;
    return h ? h : 1;
}

void qsdr_ae_free(qsdr_ae *a)
{
    if (!a) return;
    qsdr_nn_model_free(a->m);
    qsdr_free(a->table);
    qsdr_free(a->buf);
    qsdr_free(a);
}

const qsdr_ae_geom *qsdr_ae_geometry(const qsdr_ae *a) { return &a->g; }
int qsdr_ae_bits(const qsdr_ae *a) { return a->bits; }
float qsdr_ae_llr_scale(const qsdr_ae *a) { return a->scale; }
bool qsdr_ae_used_table(const qsdr_ae *a) { return a->used_table; }

static int build_table(qsdr_ae *a)
{
    size_t in = a->tx ? a->g.m : a->F, n = (size_t)1 << in, out = a->tx ? a->F : a->g.m;
    float *x = qsdr_malloc(n * in * sizeof(float));
    if (!x) return QSDR_ENOMEM;
    for (size_t i = 0; i < n; i++)
        for (size_t j = 0; j < in; j++) x[i * in + j] = (i >> j & 1) ? -1.0f : 1.0f; /* bit set: bit 1 / negative sample */
    const float *y = qsdr_nn_forward(a->m, x, n);
    int rc = y ? QSDR_OK : QSDR_EINVAL;
    if (!rc) {
        for (size_t i = 0; i < n * out; i++) {
            float v = y[i];
            if (!a->tx) v = fminf(a->clip, fmaxf(-a->clip, -a->scale * v));
            a->table[i] = v;
        }
    }
    qsdr_free(x);
    return rc;
}

/* "float, 8 and 2 bits" */
static void bits_list(unsigned mask, char *out, size_t cap)
{
    size_t n = 0, k = 0, total = (size_t)__builtin_popcount(mask);
    out[0] = 0;
    static const int order[9] = {0, 8, 7, 6, 5, 4, 3, 2, 1};
    for (int i = 0; i < 9 && n < cap; i++) {
        int b = order[i];
        if (!(mask >> b & 1)) continue;
        const char *sep = k == 0 ? "" : k + 1 == total ? " and " : ", ";
        n += (size_t)snprintf(out + n, cap - n, b ? "%s%d" : "%sfloat", sep, b);
        k++;
    }
    if (n < cap && (mask & 0x1feu)) snprintf(out + n, cap - n, mask == 2u ? " bit" : " bits");
}

unsigned qsdr_ae_trained_bits(const qsdr_ae *a) { return a->trained; }

void qsdr_ae_describe(const qsdr_ae *a, char *out, size_t cap)
{
    char have[96], now[16];
    bits_list(a->trained, have, sizeof have);
    bits_list(1u << a->bits, now, sizeof now);
    char run[48] = "";
    if (a->pair) snprintf(run, sizeof run, "; training run %013llx", (unsigned long long)a->pair);
    snprintf(out, cap, "autoencoder %s: m = %u coded bits <-> ns = %u x L = %u complex samples; trained for %s (now %s)%s%s%s%s",
             a->tx ? "transmitter (ae_modulator)" : "receiver (ae_decoder)", a->g.m, a->g.ns, a->g.L, have, now, run,
             a->interrupted[0] ? "; training was INTERRUPTED (" : "", a->interrupted, a->interrupted[0] ? "): not the complete model" : "");
}
void qsdr_ae_allow_untrained_bits(qsdr_ae *a, bool allow) { a->allow_untrained = allow; }
void qsdr_ae_allow_non_onebit(qsdr_ae *a, bool allow) { a->allow_non_onebit = allow; }

int qsdr_ae_set_bits(qsdr_ae *a, int bits)
{
    if (bits == -1) bits = a->stored_bits;
    if (bits < 0 || bits > 8) return qsdr_error(QSDR_ERANGE, "ae: bits must be 1..8, 0 (float) or -1 (as stored), got %d", bits);
    if (!(a->trained >> bits & 1) && !a->allow_untrained) {
        char have[96], want[16];
        bits_list(a->trained, have, sizeof have);
        bits_list(1u << bits, want, sizeof want);
        const char *hint = a->tx ? "transmitters trained at each bit-width: tx_w8, tx_w4, tx_w2, tx_w1 (models/README.md; in "
                                   "flowgraphs/ae_onebit.yml --set tx=tx_w2); "
                           : __builtin_popcount(a->trained) == 1
                               ? "the multi-bit receiver (rx_multibit, models/README.md; in flowgraphs/ae_onebit.yml --set "
                                 "rx=rx_multibit) serves float, 8, 4, 2 and 1 bits; "
                               : "";
        return qsdr_error(QSDR_EINVAL,
                          "ae: %s: this %s network was trained for %s only, not for %s: its output would not be what it "
                          "learned (with the shipped models the chain's BER becomes 0.2 to 0.5); %sallow_untrained_bits=true accepts it anyway (to study that loss)",
                          a->path, a->tx ? "transmitter" : "receiver", have, want, hint);
    }
    int rc = qsdr_nn_set_bits(a->m, QSDR_NN_ALL_LAYERS, bits, bits);
    if (rc) return rc;
    a->bits = bits;
    if (!a->user_scale && a->scales[bits] > 0) a->scale = a->scales[bits];
    return a->table ? build_table(a) : QSDR_OK;
}

void qsdr_ae_set_engine(qsdr_ae *a, qsdr_nn_engine e)
{
    qsdr_nn_set_engine(a->m, e);
    if (a->table) build_table(a);
}

void qsdr_ae_set_llr(qsdr_ae *a, float scale, float clip)
{
    if (scale > 0) a->scale = scale, a->user_scale = true;
    a->clip = clip;
    if (a->table) build_table(a);
}

/* role: 1 transmitter, 0 receiver, -1 whichever the file holds */
static qsdr_ae *ae_load(const char *path, int want)
{
    char *meta = NULL;
    qsdr_nn_model *net = qsdr_nn_model_load_meta(path, "qsdr.ae", &meta); /* a broken file reports its own error */
    if (!net) return NULL;
    cJSON *j = meta ? cJSON_Parse(meta) : NULL;
    qsdr_free(meta);
    if (!j) {
        qsdr_nn_model_free(net);
        return qsdr_error_null(QSDR_EFORMAT, "%s: not an autoencoder model (no qsdr.ae metadata; see qsdr train ae)", path);
    }
    const cJSON *role = cJSON_GetObjectItemCaseSensitive(j, "role"), *m = cJSON_GetObjectItemCaseSensitive(j, "m"),
                *ns = cJSON_GetObjectItemCaseSensitive(j, "ns"), *L = cJSON_GetObjectItemCaseSensitive(j, "L"),
                *sc = cJSON_GetObjectItemCaseSensitive(j, "llr_scale"), *cl = cJSON_GetObjectItemCaseSensitive(j, "llr_clip");
    qsdr_ae *a = NULL;
    if (!cJSON_IsString(role) || !qsdr_nn_json_int(m, 1, 8) || !qsdr_nn_json_int(ns, 1, 16) || !qsdr_nn_json_int(L, 1, 16) ||
        2 * ns->valuedouble * L->valuedouble > 32) {
        qsdr_error(QSDR_EFORMAT, "%s: qsdr.ae metadata needs role, integers m (1..8), ns and L (2 ns L <= 32)", path);
        goto out;
    }
    bool tx = want == 1 || (want < 0 && !strcmp(role->valuestring, "tx"));
    if (strcmp(role->valuestring, tx ? "tx" : "rx")) {
        qsdr_error(QSDR_EINVAL, "%s: this is the %s model; the block needs the %s model", path, role->valuestring, tx ? "tx" : "rx");
        goto out;
    }
    a = qsdr_calloc(1, sizeof *a);
    if (!a) goto out;
    a->tx = tx;
    a->g = (qsdr_ae_geom){(unsigned)m->valuedouble, (unsigned)ns->valuedouble, (unsigned)L->valuedouble};
    a->F = 2 * a->g.ns * a->g.L;
    a->scale = cJSON_IsNumber(sc) && sc->valuedouble > 0 ? (float)sc->valuedouble : 1.0f;
    a->clip = cJSON_IsNumber(cl) && cl->valuedouble > 0 ? (float)cl->valuedouble : 20.0f;
    const cJSON *scs = cJSON_GetObjectItemCaseSensitive(j, "llr_scales");
    for (const cJSON *e = cJSON_IsObject(scs) ? scs->child : NULL; e; e = e->next) {
        int b = atoi(e->string);
        if (b >= 0 && b <= 8 && cJSON_IsNumber(e) && e->valuedouble > 0) a->scales[b] = (float)e->valuedouble;
    }
    a->m = net, net = NULL;
    size_t in = tx ? a->g.m : a->F, out_f = tx ? a->F : a->g.m;
    if (qsdr_nn_in_features(a->m) != in || qsdr_nn_out_features(a->m) != out_f) {
        qsdr_error(QSDR_EFORMAT, "%s: the network maps %zu -> %zu values; m = %u, ns = %u, L = %u needs %zu -> %zu", path,
                   qsdr_nn_in_features(a->m), qsdr_nn_out_features(a->m), a->g.m, a->g.ns, a->g.L, in, out_f);
        goto fail;
    }
    /* the bit-width of the switchable layers (those a model-wide switch changes; the receiver's
     * first and last layers are fixed at 8 bits) */
    int wb = -1, first = 0;
    for (size_t i = 0; i < a->m->n_layers; i++) {
        const qsdr_nn_layer *l = &a->m->layers[i];
        if (l->w_off == (size_t)-1) continue;
        if (wb < 0) first = l->wq.bits;
        if (!l->fixed) {
            wb = l->wq.bits;
            break;
        }
    }
    if (wb < 0) wb = first;
    a->bits = a->stored_bits = wb;
    a->trained = 1u << wb;
    for (int b = 0; b <= 8; b++)
        if (a->scales[b] > 0 && cJSON_IsObject(scs)) a->trained |= 1u << b; /* llr_scales: calibrated at those bit-widths */
    snprintf(a->path, sizeof a->path, "%s", path);
    a->pair = pair_id(j);
    const cJSON *intr = cJSON_GetObjectItemCaseSensitive(j, "interrupted");
    if (cJSON_IsString(intr)) {
        snprintf(a->interrupted, sizeof a->interrupted, "%s", intr->valuestring);
        static atomic_bool said[2]; /* once per process and role: a BER sweep loads the models once per unit */
        if (!atomic_exchange(&said[tx], true))
            qsdr_warn("%s: its training was interrupted (%s): not the complete model", path, a->interrupted);
    }
    if (a->scales[wb] > 0) a->scale = a->scales[wb];
    qsdr_nn_set_engine(a->m, QSDR_NN_ENGINE_INT);
    if (in <= 16) {
        a->ntable = ((size_t)1 << in) * out_f;
        a->table = qsdr_malloc(a->ntable * sizeof(float));
        if (!a->table || build_table(a)) goto fail;
    }
    goto out;
fail:
    qsdr_ae_free(a);
    a = NULL;
out:
    qsdr_nn_model_free(net);
    cJSON_Delete(j);
    return a;
}

qsdr_ae *qsdr_ae_load(const char *path, bool tx) { return ae_load(path, tx ? 1 : 0); }
uint64_t qsdr_ae_pair_id(const qsdr_ae *a) { return a->pair; }
const char *qsdr_ae_path(const qsdr_ae *a) { return a->path; }
qsdr_ae *qsdr_ae_load_any(const char *path) { return ae_load(path, -1); }

int qsdr_ae_modulate(qsdr_ae *a, const uint8_t *bits, size_t groups, qsdr_cf32 *out)
{
    if (!a->tx) return qsdr_error(QSDR_EINVAL, "ae: modulate needs the transmitter model");
    size_t m = a->g.m, F = a->F;
    float *o = (float *)out;
    if (a->table) {
        for (size_t gi = 0; gi < groups; gi++) {
            size_t idx = 0;
            for (size_t j = 0; j < m; j++) idx |= (size_t)(bits[gi * m + j] & 1) << j;
            const float *t = a->table + idx * F; /* a loop, not memcpy: F is a handful of floats */
            for (size_t k = 0; k < F; k++) o[gi * F + k] = t[k];
        }
        return QSDR_OK;
    }
    return QSDR_ENOTSUP; /* m <= 8 always fits the table */
}

int qsdr_ae_demodulate(qsdr_ae *a, const qsdr_cf32 *in, size_t groups, float *llr)
{
    if (a->tx) return qsdr_error(QSDR_EINVAL, "ae: demodulate needs the receiver model");
    size_t m = a->g.m, F = a->F;
    const float *x = (const float *)in;
    size_t done = 0;
    a->used_table = a->table != NULL;
    qsdr_k_onebit_lookup_fn lookup = (qsdr_k_onebit_lookup_fn)qsdr_nn_onebit_lookup_selected()->fn;
    while (done < groups) {
        /* the longest run of one-bit groups goes through the table */
        size_t gi = done;
        if (a->table) gi += lookup(x + done * F, groups - done, F, a->table, m, llr + done * m);
        if (gi > done) {
            done = gi;
            continue;
        }
        /* from a group that is not one-bit on: the network itself, up to 4096 groups at a time */
        size_t n = groups - done < 4096 ? groups - done : 4096, end = done + n;
        for (size_t j = 0; j < n * F; j++)
            if (!isfinite(x[done * F + j])) {
                const qsdr_cf32 *b = in + (done * F + j) / 2;
                return qsdr_error(QSDR_ERANGE, "ae: input sample %llu is not finite (%g, %g)",
                                  (unsigned long long)(a->groups_in * (F / 2) + (done * F + j) / 2), b->re, b->im);
            }
        if (!a->allow_non_onebit) {
            /* trained on signs only: other values give LLRs it never learned (a 2-bit ADC before
               the shipped QPSK-rate receiver: BER 0.28 instead of 7e-4, silently) */
            const float *v = x + done * F;
            char vals[160] = "";
            for (size_t j = 0; j < F && j < 8; j++)
                snprintf(vals + strlen(vals), sizeof vals - strlen(vals), "%s%.7g", j ? ", " : "", v[j]);
            return qsdr_error(QSDR_EINVAL,
                              "ae: %s: group %llu (input samples from %llu) is not one-bit (%s%s): this receiver network was trained on one-bit samples "
                              "(I and Q of equal magnitude, the signs of a 1-bit ADC) and its LLRs for other input are not what "
                              "it learned; put an adc with bits: 1 before it, or allow_non_onebit: true to run the network anyway",
                              a->path, (unsigned long long)(a->groups_in + done), (unsigned long long)((a->groups_in + done) * (F / 2)),
                              vals, F > 8 ? ", ..." : "");
        }
        a->used_table = false;
        const float *y = qsdr_nn_forward(a->m, x + done * F, n);
        if (!y) return QSDR_EINVAL;
        for (size_t j = 0; j < n * m; j++) llr[done * m + j] = fminf(a->clip, fmaxf(-a->clip, -a->scale * y[j]));
        done = end;
    }
    a->groups_in += groups;
    return QSDR_OK;
}

int qsdr_ae_train(const qsdr_ae_train_config *c, qsdr_nn_model **tx, qsdr_nn_model **rx, qsdr_nn_model **rx_multi,
                  qsdr_ae_train_report *rep)
{
    int pin = qsdr_nn_blas_pin();
    int rc = ae_train_pinned(c, tx, rx, rx_multi, rep);
    qsdr_nn_blas_unpin(pin);
    return rc;
}

qsdr_nn_model *qsdr_ae_quantize_tx(const qsdr_ae_train_config *c, qsdr_nn_model *tx, qsdr_nn_model *rx, int bits, size_t steps)
{
    int pin = qsdr_nn_blas_pin();
    qsdr_nn_model *r = quantize_tx_pinned(c, tx, rx, bits, steps);
    qsdr_nn_blas_unpin(pin);
    return r;
}
