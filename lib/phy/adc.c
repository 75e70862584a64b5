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
};

/* Optimum uniform-quantizer loading fs/sigma for a Gaussian input (step sizes from J. Max,
 * "Quantizing for minimum distortion", IRE Trans. IT-6, 1960: 2^(b-1) * step). */
static const float g_load[9] = {0, 1.0f, 1.992f, 2.344f, 2.682f, 3.010f, 3.332f, 3.636f, 3.930f};

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
    q->fs = fs;
    return QSDR_OK;
}

static inline float quant(float x, float step, float inv_step, float kmin, float kmax)
{
    float k = floorf(x * inv_step);
    k = k < kmin ? kmin : (k > kmax ? kmax : k);
    return (k + 0.5f) * step;
}

int qsdr_adc_execute(qsdr_adc_t *q, const qsdr_cf32 *x, size_t n, qsdr_cf32 *y)
{
    const float levels = (float)(1u << q->bits);
    const float kmax = levels * 0.5f - 1.0f, kmin = -levels * 0.5f;
    for (size_t i = 0; i < n; i++)
        if (!isfinite(x[i].re) || !isfinite(x[i].im))
            return qsdr_error(QSDR_ERANGE, "ADC input sample %zu of this chunk is not finite (%g, %g)", i, x[i].re, x[i].im);
    if (!q->agc) {
        float step = 2.0f * q->fs / levels, inv = 1.0f / step;
        if (q->bits == 1) {
            float h = 0.5f * q->fs;
            for (size_t i = 0; i < n; i++) {
                y[i].re = x[i].re >= 0 ? h : -h;
                y[i].im = x[i].im >= 0 ? h : -h;
            }
            return QSDR_OK;
        }
        for (size_t i = 0; i < n; i++) {
            y[i].re = quant(x[i].re, step, inv, kmin, kmax);
            y[i].im = quant(x[i].im, step, inv, kmin, kmax);
        }
        return QSDR_OK;
    }
    const float a = q->alpha, load = g_load[q->bits];
    float p = q->pow_est;
    for (size_t i = 0; i < n; i++) {
        p = (1.0f - a) * p + a * 0.5f * (x[i].re * x[i].re + x[i].im * x[i].im);
        float fs = load * sqrtf(p > 1e-30f ? p : 1e-30f);
        float step = 2.0f * fs / levels, inv = 1.0f / step;
        y[i].re = quant(x[i].re, step, inv, kmin, kmax);
        y[i].im = quant(x[i].im, step, inv, kmin, kmax);
    }
    q->pow_est = p;
    return QSDR_OK;
}
