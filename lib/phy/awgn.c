/* SPDX-License-Identifier: MIT */
/* AWGN channel: counter-based Gaussian noise (noise of sample i depends only on seed and i). */
#include <math.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include <volk/volk.h>

#include "qsdr/phy.h"
#include "phy/phy_internal.h"
#include "qsdr/rng.h"

#define AWGN_CHUNK 4096

struct qsdr_awgn {
    float var;
    uint64_t seed;
    float *scratch; /* 2 * AWGN_CHUNK floats, aligned */
};

qsdr_awgn_t *qsdr_awgn_create(float noise_var, uint64_t seed)
{
    if (!(noise_var >= 0) || !isfinite(noise_var))
        return qsdr_error_null(QSDR_EINVAL, "qsdr_awgn_create: noise_var must be >= 0 and finite (got %g)", noise_var);
    qsdr_awgn_t *q = qsdr_calloc(1, sizeof *q);
    if (!q) return qsdr_error_null(QSDR_ENOMEM, "qsdr_awgn_create: out of memory");
    q->scratch = qsdr_aligned_alloc(2 * AWGN_CHUNK * sizeof(float));
    if (!q->scratch) {
        qsdr_free(q);
        return NULL;
    }
    q->var = noise_var;
    q->seed = seed;
    return q;
}

void qsdr_awgn_destroy(qsdr_awgn_t **qp)
{
    if (!qp || !*qp) return;
    qsdr_aligned_free((*qp)->scratch);
    qsdr_free(*qp);
    *qp = NULL;
}

int qsdr_awgn_set_noise_var(qsdr_awgn_t *q, float v)
{
    if (!(v >= 0) || !isfinite(v)) return qsdr_error(QSDR_EINVAL, "qsdr_awgn_set_noise_var: must be >= 0 and finite (got %g)", v);
    q->var = v;
    return QSDR_OK;
}

float qsdr_awgn_get_noise_var(const qsdr_awgn_t *q) { return q->var; }

/* y = x + s in one pass that also tells whether some x is NaN or infinite (exponent all ones) */
static bool add_checked(float *y, const float *x, const float *s, size_t n)
{
    uint32_t bad = 0;
    for (size_t i = 0; i < n; i++) {
        uint32_t u;
        memcpy(&u, &x[i], 4);
        bad |= (u & 0x7f800000u) == 0x7f800000u;
        y[i] = x[i] + s[i];
    }
    return bad;
}

int qsdr_awgn_execute(qsdr_awgn_t *q, const qsdr_cf32 *x, size_t n, uint64_t first, qsdr_cf32 *y)
{
    while (n) {
        size_t m = n < AWGN_CHUNK ? n : AWGN_CHUNK;
        qsdr_randn_cf32(q->seed, first, m, q->var, (qsdr_cf32 *)q->scratch);
        if (add_checked((float *)y, (const float *)x, q->scratch, 2 * m)) {
            size_t bad = qsdr_first_nonfinite_f32((const float *)x, 2 * m) / 2;
            return qsdr_error(QSDR_ERANGE, "AWGN channel: input sample %llu is not finite (%g, %g)",
                              (unsigned long long)(first + bad), x[bad].re, x[bad].im);
        }
        x += m;
        y += m;
        first += m;
        n -= m;
    }
    return QSDR_OK;
}

int qsdr_awgn_execute_real(qsdr_awgn_t *q, const float *x, size_t n, uint64_t first, float *y)
{
    float s = sqrtf(q->var * 0.5f);
    while (n) {
        size_t m = n < 2 * AWGN_CHUNK ? n : 2 * AWGN_CHUNK;
        size_t bad = qsdr_first_nonfinite_f32(x, m);
        if (bad < m)
            return qsdr_error(QSDR_ERANGE, "AWGN channel: input sample %llu is not finite (%g)", (unsigned long long)(first + bad), x[bad]);
        qsdr_randn_f32(q->seed, first, m, q->scratch);
        volk_32f_s32f_multiply_32f(q->scratch, q->scratch, s, (unsigned)m);
        volk_32f_x2_add_32f(y, x, q->scratch, (unsigned)m);
        x += m;
        y += m;
        first += m;
        n -= m;
    }
    return QSDR_OK;
}
