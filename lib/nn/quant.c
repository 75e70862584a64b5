/* SPDX-License-Identifier: MIT */
/* Built-in quantizers and the quantizer registry.
 *
 * Every quantizer produces integer codes and a per-channel scale, and its fake-quantized output
 * is exactly (float)code * scale[c] — the integer engine uses the same codes, which is what
 * makes integer inference equal to the fake-quantization reference. Weight codes lie in
 * [-127, 127] (restricted symmetric range); activation codes in [0, 2^b - 1] (unsigned, PACT)
 * or [-(2^(b-1) - 1), 2^(b-1) - 1] (signed, sym). Rounding is rint (ties to even). */
#include <math.h>
#include <pthread.h>
#include <string.h>

#include "nn/nn_internal.h"

static inline int qmax_signed(int bits) { return (1 << (bits - 1)) - 1; }

/* Branch-free helpers that vectorize (libm's fminf/fmaxf/rintf are calls without SSE4.1):
 * round-to-nearest-even by the 1.5 * 2^23 trick, exact for |v| <= 2^22, which clamping to a
 * code range guarantees (rint(clamp(v)) = clamp(rint(v)) for integer bounds). */
/* NaN goes to lo: the result is always in [lo, hi], so the int16 conversions below are defined
 * whatever reaches them (inputs and weights are checked finite at the model's boundary) */
static inline float clampf(float v, float lo, float hi) { return v >= lo ? (v <= hi ? v : hi) : lo; }
static inline float qround(float v) { return (v + 12582912.0f) - 12582912.0f; } /* no -ffast-math here */

/* codes = rint(clamp(x * r, lo, hi)), out = codes * s: the uniform grid of pact and sym */
static void grid(float *out, int16_t *codes, const float *in, size_t n, float r, float lo, float hi, float s)
{
    for (size_t i = 0; i < n; i++) {
        int16_t k = (int16_t)qround(clampf(in[i] * r, lo, hi));
        if (codes) codes[i] = k;
        if (out) out[i] = (float)k * s;
    }
}

/* ---- dorefa: tanh normalisation per output channel ----------------------------------------- */
/* b >= 2: t = tanh(w), code = rint(t / max|t| * Q), scale = max|w| / Q (the channel keeps its
 * range); b = 1: code = sign(w), scale = mean|w|. STE: d code/dw through tanh only. */
static void dorefa_forward(qsdr_nn_quant *q, float *out, int16_t *codes, float *scale, const float *in, size_t C,
                           size_t N)
{
    for (size_t c = 0; c < C; c++) {
        const float *w = in + c * N;
        float s;
        if (q->bits == 1) {
            double a = 0;
            for (size_t i = 0; i < N; i++) a += fabsf(w[i]);
            s = (float)(a / (double)(N ? N : 1));
            for (size_t i = 0; i < N; i++) {
                int16_t k = w[i] >= 0 ? 1 : -1;
                if (codes) codes[c * N + i] = k;
                if (out) out[c * N + i] = (float)k * s;
            }
        } else {
            int Q = qmax_signed(q->bits);
            float mw = 0;
            for (size_t i = 0; i < N; i++) mw = fabsf(w[i]) > mw ? fabsf(w[i]) : mw;
            float mt = tanhf(mw);
            if (!(mt > 0)) mt = 1, mw = 0;
            s = mw / (float)Q;
            for (size_t i = 0; i < N; i++) {
                int16_t k = (int16_t)qround(clampf(tanhf(w[i]) / mt * (float)Q, (float)-Q, (float)Q));
                if (codes) codes[c * N + i] = k;
                if (out) out[c * N + i] = (float)k * s;
            }
        }
        if (scale) scale[c] = s;
    }
}

static void dorefa_backward(qsdr_nn_quant *q, float *din, const float *dout, const float *in, size_t C, size_t N)
{
    for (size_t c = 0; c < C; c++) {
        const float *w = in + c * N;
        if (q->bits == 1) {
            for (size_t i = 0; i < N; i++) din[c * N + i] = dout[c * N + i];
            continue;
        }
        float mw = 0;
        for (size_t i = 0; i < N; i++) mw = fabsf(w[i]) > mw ? fabsf(w[i]) : mw;
        float mt = tanhf(mw), g = mt > 0 ? mw / mt : 0;
        for (size_t i = 0; i < N; i++) {
            float t = tanhf(w[i]);
            din[c * N + i] = dout[c * N + i] * g * (1 - t * t);
        }
    }
}

/* ---- sign: 1-bit weights, sign(w) * mean|w| per channel ----------------------------------- */
static void sign_forward(qsdr_nn_quant *q, float *out, int16_t *codes, float *scale, const float *in, size_t C,
                         size_t N)
{
    int b = q->bits;
    q->bits = 1;
    dorefa_forward(q, out, codes, scale, in, C, N);
    q->bits = b;
}
static void sign_backward(qsdr_nn_quant *q, float *din, const float *dout, const float *in, size_t C, size_t N)
{
    for (size_t i = 0; i < C * N; i++) din[i] = fabsf(in[i]) <= 1 ? dout[i] : 0; /* hardtanh STE */
}

/* ---- lsq: learned step per channel ------------------------------------------------------------ */
static size_t per_channel(size_t C) { return C; }
static size_t one(size_t C) { return 1; }

static void lsq_init(qsdr_nn_quant *q)
{
    for (size_t i = 0; i < q->n_param; i++) q->param[i] = 0; /* 0 = set from the weights on first use */
}

static int lsq_q(int bits) { return bits == 1 ? 1 : qmax_signed(bits); }

static void lsq_first_use(qsdr_nn_quant *q, const float *w, size_t c, size_t N)
{
    double a = 0;
    for (size_t i = 0; i < N; i++) a += fabsf(w[i]);
    a /= (double)(N ? N : 1);
    int Q = lsq_q(q->bits);
    q->param[c] = q->bits == 1 ? (float)a : (float)(2 * a / sqrt((double)Q)); /* LSQ's initial step */
    if (!(q->param[c] > 0)) q->param[c] = 1e-3f;
}

static void lsq_forward(qsdr_nn_quant *q, float *out, int16_t *codes, float *scale, const float *in, size_t C,
                        size_t N)
{
    int Q = lsq_q(q->bits);
    for (size_t c = 0; c < C; c++) {
        const float *w = in + c * N;
        if (!(q->param[c] > 0)) lsq_first_use(q, w, c, N);
        float s = q->param[c];
        for (size_t i = 0; i < N; i++) {
            float v = w[i] / s;
            int16_t k = q->bits == 1 ? (v >= 0 ? 1 : -1) : (int16_t)qround(clampf(v, (float)-Q, (float)Q));
            if (codes) codes[c * N + i] = k;
            if (out) out[c * N + i] = (float)k * s;
        }
        if (scale) scale[c] = s;
    }
}

static void lsq_backward(qsdr_nn_quant *q, float *din, const float *dout, const float *in, size_t C, size_t N)
{
    int Q = lsq_q(q->bits);
    float gs = 1.0f / sqrtf((float)N * (float)Q);
    for (size_t c = 0; c < C; c++) {
        float s = q->param[c];
        double ds = 0;
        for (size_t i = 0; i < N; i++) {
            size_t j = c * N + i;
            float v = in[j] / s;
            if (q->bits == 1) {
                din[j] = fabsf(v) <= 1 ? dout[j] : 0;
                ds += dout[j] * (v >= 0 ? 1.0 : -1.0);
            } else if (v < -Q || v > Q) {
                din[j] = 0;
                ds += dout[j] * (v < 0 ? -Q : Q);
            } else {
                din[j] = dout[j];
                ds += dout[j] * (qround(v) - v);
            }
        }
        q->grad[c] += (float)ds * gs;
    }
}

static void lsq_calibrate(qsdr_nn_quant *q, const float *in, size_t C, size_t N)
{
    /* per channel: the clip (as a fraction of max|w|) with the least squared error */
    int Q = lsq_q(q->bits);
    for (size_t c = 0; c < C; c++) {
        const float *w = in + c * N;
        float mw = 0;
        for (size_t i = 0; i < N; i++) mw = fabsf(w[i]) > mw ? fabsf(w[i]) : mw;
        if (!(mw > 0)) {
            q->param[c] = 1e-3f;
            continue;
        }
        double best = INFINITY;
        for (int r = 1; r <= 20; r++) {
            float s = mw * (float)r / 20.0f / (float)Q;
            double e = 0;
            for (size_t i = 0; i < N; i++) {
                float v = w[i] / s;
                float k = q->bits == 1 ? (v >= 0 ? 1.f : -1.f) : qround(clampf(v, (float)-Q, (float)Q));
                e += (double)(k * s - w[i]) * (k * s - w[i]);
            }
            if (e < best) best = e, q->param[c] = s;
        }
    }
}

static void lsq_rebits(qsdr_nn_quant *q, int old_bits)
{
    if (old_bits == QSDR_NN_FLOAT || q->bits == QSDR_NN_FLOAT) return;
    float r = (float)lsq_q(old_bits) / (float)lsq_q(q->bits); /* keep the clip range s * Q */
    for (size_t i = 0; i < q->n_param; i++) q->param[i] *= r;
}

/* ---- pact: unsigned activations clipped to a learned alpha ----------------------------------- */
static void pact_init(qsdr_nn_quant *q) { q->param[0] = q->opt[0] > 0 ? q->opt[0] : 8.0f; }

static void pact_forward(qsdr_nn_quant *q, float *out, int16_t *codes, float *scale, const float *in, size_t C,
                         size_t N)
{
    size_t n = C * N;
    float a = q->param[0] > 1e-6f ? q->param[0] : 1e-6f;
    float Q = (float)((1 << q->bits) - 1), s = a / Q;
    grid(out, codes, in, n, Q / a, 0.0f, Q, s);
    if (scale) scale[0] = s;
}

static void pact_backward(qsdr_nn_quant *q, float *din, const float *dout, const float *in, size_t C, size_t N)
{
    float a = q->param[0];
    double da = 0;
    for (size_t i = 0; i < C * N; i++) {
        if (in[i] >= a) {
            da += dout[i];
            din[i] = 0;
        } else
            din[i] = in[i] > 0 ? dout[i] : 0;
    }
    q->grad[0] += (float)da;
}

/* robust maximum: the 99.99th percentile of |x| by a 2048-bin histogram */
static float robust_max(const float *x, size_t n, bool positive_only)
{
    float mx = 0;
    for (size_t i = 0; i < n; i++) mx = fmaxf(mx, positive_only ? x[i] : fabsf(x[i]));
    if (!(mx > 0)) return 1.0f;
    enum { NB = 2048 };
    size_t h[NB] = {0}, cnt = 0;
    for (size_t i = 0; i < n; i++) {
        float v = positive_only ? x[i] : fabsf(x[i]);
        if (v <= 0) continue;
        size_t b = (size_t)(v / mx * (NB - 1));
        h[b]++, cnt++;
    }
    size_t keep = cnt - cnt / 10000, acc = 0;
    for (size_t b = 0; b < NB; b++) {
        acc += h[b];
        if (acc >= keep) return mx * (float)(b + 1) / (NB - 1);
    }
    return mx;
}

/* The clip alpha (a fraction r/40 of the robust maximum) with the least squared quantization
 * error on (a subsample of) the data: MSE calibration, good at every bit-width. */
static float mse_alpha(qsdr_nn_quant *q, const float *in, size_t n, bool positive_only)
{
    float mx = robust_max(in, n, positive_only), best_a = mx, a0 = q->param[0];
    size_t step = n > 65536 ? n / 65536 : 1;
    double best = INFINITY;
    for (int r = 1; r <= 40; r++) {
        q->param[0] = mx * (float)r / 40.0f;
        double e = 0;
        for (size_t i = 0; i < n; i += step) {
            float o;
            q->ops->forward(q, &o, NULL, NULL, in + i, 1, 1);
            float ref = positive_only ? fmaxf(in[i], 0.0f) : in[i];
            e += (double)(o - ref) * (o - ref);
        }
        if (e < best) best = e, best_a = q->param[0];
    }
    q->param[0] = a0;
    return best_a;
}

static void pact_calibrate(qsdr_nn_quant *q, const float *in, size_t C, size_t N)
{
    q->param[0] = mse_alpha(q, in, C * N, true);
}

/* ---- sym: signed activations in [-alpha, alpha] (b = 1: sign * alpha) ----------------------- */
static void sym_init(qsdr_nn_quant *q) { q->param[0] = q->opt[0] > 0 ? q->opt[0] : 1.0f; }

static void sym_forward(qsdr_nn_quant *q, float *out, int16_t *codes, float *scale, const float *in, size_t C,
                        size_t N)
{
    size_t n = C * N;
    float a = q->param[0] > 1e-6f ? q->param[0] : 1e-6f;
    if (q->bits == 1) {
        for (size_t i = 0; i < n; i++) {
            int16_t k = in[i] >= 0 ? 1 : -1;
            if (codes) codes[i] = k;
            if (out) out[i] = (float)k * a;
        }
        if (scale) scale[0] = a;
        return;
    }
    float Q = (float)qmax_signed(q->bits), s = a / Q;
    grid(out, codes, in, n, Q / a, -Q, Q, s);
    if (scale) scale[0] = s;
}

static void sym_backward(qsdr_nn_quant *q, float *din, const float *dout, const float *in, size_t C, size_t N)
{
    float a = q->param[0];
    double da = 0;
    for (size_t i = 0; i < C * N; i++) { /* din may be dout (in place): read dout[i] before writing din[i] */
        const float g = dout[i];
        const bool inside = fabsf(in[i]) <= a;
        if (q->bits == 1 || !inside) da += g * (in[i] >= 0 ? 1.0 : -1.0);
        din[i] = inside ? g : 0;
    }
    q->grad[0] += (float)da;
}

static void sym_calibrate(qsdr_nn_quant *q, const float *in, size_t C, size_t N)
{
    q->param[0] = mse_alpha(q, in, C * N, false);
}

static const qsdr_nn_quantizer_ops q_dorefa = {"dorefa", true, false, NULL, NULL, NULL, dorefa_forward,
                                               dorefa_backward, NULL, NULL, true};
static const qsdr_nn_quantizer_ops q_sign = {"sign", true, false, NULL, NULL, NULL, sign_forward, sign_backward,
                                             NULL, NULL, true};
static const qsdr_nn_quantizer_ops q_lsq = {"lsq", true, false, per_channel, "step", lsq_init, lsq_forward,
                                            lsq_backward, lsq_calibrate, lsq_rebits, true};
static const qsdr_nn_quantizer_ops q_pact = {"pact", false, true, one, "alpha", pact_init, pact_forward,
                                             pact_backward, pact_calibrate, NULL, false};
static const qsdr_nn_quantizer_ops q_sym = {"sym", false, true, one, "alpha", sym_init, sym_forward, sym_backward,
                                            sym_calibrate, NULL, true};

/* ---- registry ------------------------------------------------------------------------------- */
#define QSDR_NN_MAX_QUANTIZERS 32
static const qsdr_nn_quantizer_ops *registry[QSDR_NN_MAX_QUANTIZERS];
static size_t n_registry;
static pthread_mutex_t reg_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_once_t reg_once = PTHREAD_ONCE_INIT;

static void builtin(void)
{
    registry[n_registry++] = &q_dorefa;
    registry[n_registry++] = &q_sign;
    registry[n_registry++] = &q_lsq;
    registry[n_registry++] = &q_pact;
    registry[n_registry++] = &q_sym;
}
static void builtin_init(void) { pthread_once(&reg_once, builtin); }

int qsdr_nn_quantizer_register(const qsdr_nn_quantizer_ops *ops)
{
    builtin_init();
    if (!ops || !ops->name || !ops->forward || !ops->backward)
        return qsdr_error(QSDR_EINVAL, "quantizer: name, forward and backward are required");
    pthread_mutex_lock(&reg_lock);
    int rc = QSDR_OK;
    for (size_t i = 0; i < n_registry; i++)
        if (!strcmp(registry[i]->name, ops->name)) rc = qsdr_error(QSDR_EINVAL, "quantizer '%s' is already registered", ops->name);
    if (rc == QSDR_OK && n_registry == QSDR_NN_MAX_QUANTIZERS) rc = qsdr_error(QSDR_ERANGE, "quantizer registry is full (%d)", QSDR_NN_MAX_QUANTIZERS);
    if (rc == QSDR_OK) registry[n_registry++] = ops;
    pthread_mutex_unlock(&reg_lock);
    return rc;
}

const qsdr_nn_quantizer_ops *qsdr_nn_quantizer_find(const char *name)
{
    builtin_init();
    const qsdr_nn_quantizer_ops *r = NULL;
    pthread_mutex_lock(&reg_lock);
    for (size_t i = 0; i < n_registry; i++)
        if (!strcmp(registry[i]->name, name)) r = registry[i];
    pthread_mutex_unlock(&reg_lock);
    return r;
}

int qsdr_nn_quant_setup(qsdr_nn_quant *q, const char *name, int bits, bool weights, const char *origin)
{
    const qsdr_nn_quantizer_ops *ops = qsdr_nn_quantizer_find(name);
    if (!ops) {
        const char *names[QSDR_NN_MAX_QUANTIZERS + 1] = {0};
        pthread_mutex_lock(&reg_lock);
        for (size_t i = 0; i < n_registry; i++) names[i] = registry[i]->name; /* registered ones are never removed */
        pthread_mutex_unlock(&reg_lock);
        return qsdr_error(QSDR_EINVAL, "%s: unknown quantizer '%s' (%sbuilt-in: dorefa, lsq, sign for weights; pact, sym for activations)",
                          origin, name, qsdr_suggest_among(name, names));
    }
    if (weights ? !ops->for_weights : !ops->for_acts)
        return qsdr_error(QSDR_EINVAL, "%s: quantizer '%s' is not for %s", origin, name, weights ? "weights" : "activations");
    q->ops = ops;
    q->bits = bits;
    return QSDR_OK;
}
