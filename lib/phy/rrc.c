/* SPDX-License-Identifier: MIT */
/* RRC pulse shaping and matched filtering: the pulse from liquid-dsp's filter design
 * (liquid_firdes_prototype), normalised to unit energy so symbol energy is preserved (Eb/N0
 * accounting stays exact); the filtering here, polyphase, as liquid-dsp's firinterp/firdecim
 * compute it (tests/qa/test_rrc.c compares the two) but about 4x faster: liquid's portable dot product
 * took most of baseline B3's time. The sums run in one fixed order, vectorised across outputs, so
 * every machine and instruction set gives the same bits (this file is built with
 * -ffp-contract=off). */
#include <math.h>
#include <string.h>

#include <liquid/liquid.h>

#include "qsdr/phy.h"
#include "phy/phy_internal.h"

enum { RRC_BLOCK = 1024 }; /* outputs (interp: input symbols) per pass over the phases */

struct qsdr_rrc {
    bool interp;
    unsigned sps, len; /* len = 2 sps span + 1 taps */
    unsigned P;        /* taps per phase, 2 span + 1 (one of them 0 in every phase but phase 0) */
    float *g;          /* sps phases of P taps, time-reversed: phase p, tap i at g[p P + i] */
    qsdr_cf32 *buf;    /* interp: P - 1 past symbols, then a block; decim: per phase, P - 1 past
                          samples and a block (stride P - 1 + RRC_BLOCK) */
    uint64_t fed;      /* input samples taken so far (an error names a sample of the stream, not of the call) */
};

/* Four floats as one value (GCC/Clang vector extension: SSE on x86-64, NEON on arm64, scalar code
 * elsewhere; the same sums in the same order on all of them). */
typedef float rrc_v4 __attribute__((vector_size(16)));
static inline rrc_v4 ld4(const float *p)
{
    rrc_v4 v;
    memcpy(&v, p, sizeof v);
    return v;
}

/* y[k ys] = the sum over phases p < nph, then taps i < P, of g[p P + i] x[p][k + i] (complex x,
 * real taps), k < n. Eight outputs at a time in four vector accumulators, the rest one by one in
 * the same order: identical bits either way. */
static void fir_run(const qsdr_cf32 *const *x, unsigned nph, const float *g, unsigned P, size_t n, qsdr_cf32 *y, size_t ys)
{
    size_t k = 0;
    for (; k + 8 <= n; k += 8) {
        rrc_v4 a0 = {0}, a1 = {0}, a2 = {0}, a3 = {0};
        for (unsigned p = 0; p < nph; p++) {
            const float *xp = (const float *)(x[p] + k), *gp = g + (size_t)p * P;
            for (unsigned i = 0; i < P; i++) {
                const rrc_v4 c = {gp[i], gp[i], gp[i], gp[i]};
                const float *v = xp + 2 * i;
                a0 += c * ld4(v), a1 += c * ld4(v + 4), a2 += c * ld4(v + 8), a3 += c * ld4(v + 12);
            }
        }
        float acc[16];
        memcpy(acc, &a0, 16), memcpy(acc + 4, &a1, 16), memcpy(acc + 8, &a2, 16), memcpy(acc + 12, &a3, 16);
        for (int e = 0; e < 8; e++) y[(k + e) * ys] = (qsdr_cf32){acc[2 * e], acc[2 * e + 1]};
    }
    for (; k < n; k++) {
        float re = 0, im = 0;
        for (unsigned p = 0; p < nph; p++)
            for (unsigned i = 0; i < P; i++) {
                re += g[(size_t)p * P + i] * x[p][k + i].re;
                im += g[(size_t)p * P + i] * x[p][k + i].im;
            }
        y[k * ys] = (qsdr_cf32){re, im};
    }
}

static qsdr_rrc_t *rrc_create(bool interp, unsigned sps, unsigned span, float beta)
{
    const char *fn = interp ? "qsdr_rrc_interp_create" : "qsdr_rrc_decim_create";
    if (sps < 2 || sps > 64) return qsdr_error_null(QSDR_EINVAL, "%s: sps must be in [2, 64] (got %u)", fn, sps);
    if (span < 1 || span > 40) return qsdr_error_null(QSDR_EINVAL, "%s: span must be in [1, 40] symbols (got %u)", fn, span);
    if (!(beta > 0 && beta < 1)) return qsdr_error_null(QSDR_EINVAL, "%s: rolloff must be in (0, 1) (got %g)", fn, beta);
    unsigned len = 2 * sps * span + 1;
    float *h = qsdr_malloc(len * sizeof *h);
    qsdr_rrc_t *q = qsdr_calloc(1, sizeof *q);
    if (!h || !q) {
        qsdr_free(h);
        qsdr_free(q);
        return qsdr_error_null(QSDR_ENOMEM, "%s: out of memory", fn);
    }
    liquid_firdes_prototype(LIQUID_FIRFILT_RRC, sps, span, beta, 0.0f, h);
    double e = 0;
    for (unsigned i = 0; i < len; i++) e += (double)h[i] * h[i];
    float g = (float)(1.0 / sqrt(e));
    for (unsigned i = 0; i < len; i++) h[i] *= g;
    q->interp = interp;
    q->sps = sps;
    q->len = len;
    q->P = 2 * span + 1;
    size_t hist = q->P - 1, phases = interp ? 1 : sps;
    q->g = qsdr_calloc((size_t)sps * q->P, sizeof *q->g);
    q->buf = qsdr_calloc(phases * (hist + RRC_BLOCK), sizeof *q->buf); /* zeros: the stream starts from rest */
    if (!q->g || !q->buf) {
        qsdr_free(h);
        qsdr_rrc_destroy(&q);
        return qsdr_error_null(QSDR_ENOMEM, "%s: out of memory", fn);
    }
    /* interp (liquid's firinterp): y[n sps + p] = sum_i h[i sps + p] x[n - i], phase p's taps
       reversed: g[p P + j] = h[(P - 1 - j) sps + p], on the window x[n - P + 1 .. n].
       decim (liquid's firdecim, an output at the first of each sps inputs): y[n] = sum_k h[k]
       x[n sps - k] = sum over phases p and taps i of h[len - 1 - (i sps + p)] s_p[n + i], where
       s_p[m] = x[(m - 2 span) sps + p] is phase p of the input delayed by len - 1 = 2 span sps. */
    for (unsigned p = 0; p < sps; p++)
        for (unsigned i = 0; i < q->P; i++) {
            size_t k = interp ? (size_t)(q->P - 1 - i) * sps + p : (size_t)i * sps + p;
            if (k < len) q->g[(size_t)p * q->P + i] = interp ? h[k] : h[len - 1 - k];
        }
    qsdr_free(h);
    return q;
}

qsdr_rrc_t *qsdr_rrc_interp_create(unsigned sps, unsigned span, float beta) { return rrc_create(true, sps, span, beta); }
qsdr_rrc_t *qsdr_rrc_decim_create(unsigned sps, unsigned span, float beta) { return rrc_create(false, sps, span, beta); }

void qsdr_rrc_destroy(qsdr_rrc_t **qp)
{
    if (!qp || !*qp) return;
    qsdr_free((*qp)->g);
    qsdr_free((*qp)->buf);
    qsdr_free(*qp);
    *qp = NULL;
}

int qsdr_rrc_execute(qsdr_rrc_t *q, const qsdr_cf32 *x, size_t n, qsdr_cf32 *y)
{
    size_t nin = q->interp ? n : n * q->sps, bad = qsdr_first_nonfinite_f32((const float *)x, 2 * nin) / 2;
    if (bad < nin) /* it would spread over the filter's length of outputs */
        return qsdr_error(QSDR_ERANGE, "RRC %s: input sample %llu is not finite (%g, %g); nothing written",
                          q->interp ? "pulse shaper" : "matched filter", (unsigned long long)(q->fed + bad), x[bad].re, x[bad].im);
    q->fed += nin;
    const size_t hist = q->P - 1, stride = hist + RRC_BLOCK, M = q->sps;
    for (size_t done = 0; done < n;) {
        size_t b = n - done < RRC_BLOCK ? n - done : RRC_BLOCK;
        if (q->interp) {
            memcpy(q->buf + hist, x + done, b * sizeof *x);
            const qsdr_cf32 *w = q->buf;
            for (unsigned p = 0; p < M; p++) fir_run(&w, 1, q->g + (size_t)p * q->P, q->P, b, y + done * M + p, M);
            memmove(q->buf, q->buf + b, hist * sizeof *q->buf);
        } else {
            const qsdr_cf32 *ph[64];
            for (unsigned p = 0; p < M; p++) {
                qsdr_cf32 *d = q->buf + p * stride;
                const qsdr_cf32 *s = x + done * M + p;
                for (size_t m = 0; m < b; m++) d[hist + m] = s[m * M];
                ph[p] = d;
            }
            fir_run(ph, M, q->g, q->P, b, y + done, 1);
            for (unsigned p = 0; p < M; p++) memmove(q->buf + p * stride, q->buf + p * stride + b, hist * sizeof *q->buf);
        }
        done += b;
    }
    return QSDR_OK;
}
