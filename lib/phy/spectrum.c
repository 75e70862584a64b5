/* SPDX-License-Identifier: MIT */
/* Welch power spectral density with FFTW (single precision transforms, double accumulation). */
#include <fftw3.h>
#include <math.h>
#include <pthread.h>
#include <stdbool.h>
#include <string.h>

#include "qsdr/common.h"
#include "qsdr/phy.h"

/* FFTW's planner is not thread-safe (qsdr ber builds flowgraphs on worker threads); executing
 * a plan is. FFTW_ESTIMATE: no timing measurements, so the same plan every run. */
static pthread_mutex_t g_plan_mu = PTHREAD_MUTEX_INITIALIZER;

struct qsdr_psd {
    size_t nfft, hop, fill;
    uint64_t segments;
    float *win;
    double win_energy;   /* sum of w^2 */
    fftwf_complex *seg;  /* the segment being filled (nfft samples, kept for the overlap) */
    fftwf_complex *buf;  /* windowed copy, transformed in place */
    double *acc;         /* sum over segments of |X_k|^2, FFT order */
    fftwf_plan plan;
};

qsdr_psd_t *qsdr_psd_create(size_t nfft, double overlap, qsdr_window window)
{
    if (nfft < 16 || nfft > (1u << 20))
        return qsdr_error_null(QSDR_EINVAL, "qsdr_psd_create: nfft must be in [16, 1048576] (got %zu)", nfft);
    if (!(overlap >= 0 && overlap <= 0.95))
        return qsdr_error_null(QSDR_EINVAL, "qsdr_psd_create: overlap must be in [0, 0.95] (got %g)", overlap);
    if ((unsigned)window > QSDR_WINDOW_RECT) return qsdr_error_null(QSDR_EINVAL, "qsdr_psd_create: unknown window %d", (int)window);
    qsdr_psd_t *p = qsdr_calloc(1, sizeof *p);
    if (!p) return qsdr_error_null(QSDR_ENOMEM, "out of memory");
    p->nfft = nfft;
    p->hop = nfft - (size_t)lround(overlap * (double)nfft);
    if (p->hop < 1) p->hop = 1;
    p->win = qsdr_calloc(nfft, sizeof *p->win);
    p->acc = qsdr_calloc(nfft, sizeof *p->acc);
    p->seg = fftwf_alloc_complex(nfft);
    p->buf = fftwf_alloc_complex(nfft);
    if (!p->win || !p->acc || !p->seg || !p->buf) {
        qsdr_psd_destroy(&p);
        return qsdr_error_null(QSDR_ENOMEM, "out of memory");
    }
    /* periodic windows (the DFT-even form used for spectral analysis) */
    for (size_t i = 0; i < nfft; i++) {
        double t = 2 * M_PI * (double)i / (double)nfft, w = 1;
        if (window == QSDR_WINDOW_HANN) w = 0.5 - 0.5 * cos(t);
        else if (window == QSDR_WINDOW_BLACKMAN) w = 0.42 - 0.5 * cos(t) + 0.08 * cos(2 * t);
        p->win[i] = (float)w;
        p->win_energy += w * w;
    }
    pthread_mutex_lock(&g_plan_mu);
    p->plan = fftwf_plan_dft_1d((int)nfft, p->buf, p->buf, FFTW_FORWARD, FFTW_ESTIMATE);
    pthread_mutex_unlock(&g_plan_mu);
    if (!p->plan) {
        qsdr_psd_destroy(&p);
        return qsdr_error_null(QSDR_ENOMEM, "qsdr_psd_create: FFTW could not plan a %zu-point transform", nfft);
    }
    return p;
}

void qsdr_psd_destroy(qsdr_psd_t **pp)
{
    if (!pp || !*pp) return;
    qsdr_psd_t *p = *pp;
    if (p->plan) {
        pthread_mutex_lock(&g_plan_mu);
        fftwf_destroy_plan(p->plan);
        pthread_mutex_unlock(&g_plan_mu);
    }
    fftwf_free(p->seg);
    fftwf_free(p->buf);
    qsdr_free(p->win);
    qsdr_free(p->acc);
    qsdr_free(p);
    *pp = NULL;
}

static void segment_done(qsdr_psd_t *p)
{
    size_t n = p->nfft;
    for (size_t i = 0; i < n; i++) {
        p->buf[i][0] = p->seg[i][0] * p->win[i];
        p->buf[i][1] = p->seg[i][1] * p->win[i];
    }
    fftwf_execute(p->plan);
    for (size_t k = 0; k < n; k++) p->acc[k] += (double)p->buf[k][0] * p->buf[k][0] + (double)p->buf[k][1] * p->buf[k][1];
    p->segments++;
    /* keep the last nfft - hop samples as the start of the next segment */
    memmove(p->seg, p->seg + p->hop, (n - p->hop) * sizeof(fftwf_complex));
    p->fill = n - p->hop;
}

int qsdr_psd_push(qsdr_psd_t *p, const qsdr_cf32 *x, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        if (!isfinite(x[i].re) || !isfinite(x[i].im))
            return qsdr_error(QSDR_ERANGE, "spectrum: sample %zu of this chunk is not finite (%g, %g)", i, x[i].re, x[i].im);
        p->seg[p->fill][0] = x[i].re;
        p->seg[p->fill][1] = x[i].im;
        if (++p->fill == p->nfft) segment_done(p);
    }
    return QSDR_OK;
}

uint64_t qsdr_psd_segments(const qsdr_psd_t *p) { return p->segments; }

int qsdr_psd_get(const qsdr_psd_t *p, double *power)
{
    if (!p->segments) return qsdr_error(QSDR_EINVAL, "spectrum: fewer than nfft = %zu samples, no segment to average", p->nfft);
    /* Parseval: sum_k |X_k|^2 = nfft sum_i |w_i x_i|^2, so dividing by nfft sum_i w_i^2 makes the
       bins sum to the (window-weighted) mean power */
    double scale = 1.0 / ((double)p->segments * (double)p->nfft * p->win_energy);
    size_t n = p->nfft, h = n / 2;
    for (size_t k = 0; k < n; k++) power[k] = p->acc[(k + n - h) % n] * scale; /* DC to bin n/2 */
    return QSDR_OK;
}

double qsdr_psd_occupied_bw(const double *power, size_t nfft, double fraction)
{
    double total = 0;
    for (size_t k = 0; k < nfft; k++) total += power[k];
    if (!(total > 0) || !(fraction > 0 && fraction < 1)) return 0;
    double lo_t = total * (1 - fraction) / 2, hi_t = total * (1 + fraction) / 2, c = 0;
    double f_lo = 0, f_hi = 1;
    bool have_lo = false;
    /* cumulative power, interpolated linearly inside a bin; bin k spans [k, k+1) / nfft */
    for (size_t k = 0; k < nfft; k++) {
        double nc = c + power[k];
        if (!have_lo && nc >= lo_t) {
            f_lo = ((double)k + (power[k] > 0 ? (lo_t - c) / power[k] : 0)) / (double)nfft;
            have_lo = true;
        }
        if (nc >= hi_t) {
            f_hi = ((double)k + (power[k] > 0 ? (hi_t - c) / power[k] : 0)) / (double)nfft;
            break;
        }
        c = nc;
    }
    return f_hi - f_lo;
}
