/* SPDX-License-Identifier: MIT */
/* b-bit uniform mid-rise ADC quantizer on I and Q, with optional automatic gain. */
#include <math.h>

#include "qsdr/phy.h"

struct qsdr_adc {
    unsigned bits;
    float fs;
    bool agc;
    float alpha;
    float pow_est; /* AGC: running mean of x^2 per real component */
    uint64_t n_comp, n_clip; /* real components seen, and those outside the outer cells (|x| >= full scale) */
    double sumsq;            /* of the input components (qsdr_adc_stats) */
};

/* Optimum uniform-quantizer loading fs/sigma for a Gaussian input: 2^(b-1) times the step that
 * minimises the mean squared error (J. Max, "Quantizing for minimum distortion", IRE Trans.
 * IT-6, 1960, tabulates the steps up to 36 levels; 7 and 8 bits computed the same way; test
 * adc_agc_optimum_loading recomputes all eight). One bit: levels +-sqrt(2/pi) sigma = E|x|. */
static const float g_load[9] = {0, 1.5958f, 1.9914f, 2.3441f, 2.6816f, 3.0102f, 3.3300f, 3.6395f, 3.9376f};

qsdr_adc_t *qsdr_adc_create(unsigned bits, float fs, bool agc, float alpha)
{
    if (bits < 1 || bits > 8) return qsdr_error_null(QSDR_EINVAL, "qsdr_adc_create: bits must be in [1, 8] (got %u)", bits);
    if (!(fs > 0) || !isfinite(fs)) return qsdr_error_null(QSDR_EINVAL, "qsdr_adc_create: full_scale must be > 0 (got %g)", fs);
    if (agc && !(alpha > 0 && alpha <= 1))
        return qsdr_error_null(QSDR_EINVAL, "qsdr_adc_create: agc_alpha must be in (0, 1] (got %g)", alpha);
    qsdr_adc_t *q = qsdr_calloc(1, sizeof *q);
    if (!q) return qsdr_error_null(QSDR_ENOMEM, "qsdr_adc_create: out of memory");
    q->bits = bits;
    q->fs = fs;
    q->agc = agc;
    q->alpha = alpha;
    q->pow_est = 0.5f;
    return q;
}

void qsdr_adc_destroy(qsdr_adc_t **qp)
{
    if (!qp || !*qp) return;
    qsdr_free(*qp);
    *qp = NULL;
}

int qsdr_adc_set_bits(qsdr_adc_t *q, unsigned bits)
{
    if (bits < 1 || bits > 8) return qsdr_error(QSDR_EINVAL, "qsdr_adc_set_bits: bits must be in [1, 8] (got %u)", bits);
    q->bits = bits;
    return QSDR_OK;
}

int qsdr_adc_set_full_scale(qsdr_adc_t *q, float fs)
{
    if (!(fs > 0) || !isfinite(fs)) return qsdr_error(QSDR_EINVAL, "qsdr_adc_set_full_scale: must be > 0 (got %g)", fs);
    if (q->agc) /* it would be accepted and do nothing */
        return qsdr_error(QSDR_EINVAL, "full_scale has no effect with agc on (the AGC sets the full scale from the signal)");
    q->fs = fs;
    return QSDR_OK;
}

static inline float quant(float x, float step, float inv_step, float kmin, float kmax, unsigned *clip)
{
    float k = floorf(x * inv_step);
    *clip += (k < kmin) | (k > kmax);
    k = k < kmin ? kmin : (k > kmax ? kmax : k);
    return (k + 0.5f) * step;
}

int qsdr_adc_execute(qsdr_adc_t *q, const qsdr_cf32 *x, size_t n, qsdr_cf32 *y)
{
    const float levels = (float)(1u << q->bits);
    const float kmax = levels * 0.5f - 1.0f, kmin = -levels * 0.5f;
    /* one pass for the input power (statistics only) and the NaN/Inf check: the sum of squares
       is finite unless a sample is not (or squares overflow: then look sample by sample) */
    const float *v = (const float *)x;
    float acc[8] = {0};
    size_t m = 2 * n, c = 0;
    for (; c + 8 <= m; c += 8)
        for (int k = 0; k < 8; k++) acc[k] += v[c + k] * v[c + k];
    float ss = 0;
    for (; c < m; c++) ss += v[c] * v[c];
    for (int k = 0; k < 8; k++) ss += acc[k];
    if (!isfinite(ss))
        for (size_t j = 0; j < n; j++)
            if (!isfinite(x[j].re) || !isfinite(x[j].im))
                return qsdr_error(QSDR_ERANGE, "ADC input sample %llu is not finite (%g, %g)", (unsigned long long)(q->n_comp / 2 + j),
                                  x[j].re, x[j].im);
    q->sumsq += ss;
    q->n_comp += 2 * (uint64_t)n;
    unsigned clip = 0;
    if (!q->agc) {
        float step = 2.0f * q->fs / levels, inv = 1.0f / step;
        if (q->bits == 1) { /* a sign does not clip */
            float h = 0.5f * q->fs;
            for (size_t i = 0; i < n; i++) {
                y[i].re = x[i].re >= 0 ? h : -h;
                y[i].im = x[i].im >= 0 ? h : -h;
            }
            return QSDR_OK;
        }
        for (size_t i = 0; i < n; i++) {
            y[i].re = quant(x[i].re, step, inv, kmin, kmax, &clip);
            y[i].im = quant(x[i].im, step, inv, kmin, kmax, &clip);
        }
        q->n_clip += clip;
        return QSDR_OK;
    }
    const float a = q->alpha, load = g_load[q->bits];
    float p = q->pow_est;
    for (size_t i = 0; i < n; i++) {
        p = (1.0f - a) * p + a * 0.5f * (x[i].re * x[i].re + x[i].im * x[i].im);
        float fs = load * sqrtf(p > 1e-30f ? p : 1e-30f);
        float step = 2.0f * fs / levels, inv = 1.0f / step;
        y[i].re = quant(x[i].re, step, inv, kmin, kmax, &clip);
        y[i].im = quant(x[i].im, step, inv, kmin, kmax, &clip);
    }
    q->pow_est = p;
    q->n_clip += q->bits > 1 ? clip : 0;
    return QSDR_OK;
}

void qsdr_adc_stats(const qsdr_adc_t *q, uint64_t *components, uint64_t *clipped, double *rms)
{
    if (components) *components = q->n_comp;
    if (clipped) *clipped = q->n_clip;
    if (rms) *rms = q->n_comp ? sqrt(q->sumsq / (double)q->n_comp) : 0;
}
