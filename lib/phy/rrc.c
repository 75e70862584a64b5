/* SPDX-License-Identifier: MIT */
/* RRC pulse shaping and matched filtering over liquid-dsp's firinterp/firdecim, with the pulse
 * normalised to unit energy so symbol energy is preserved (Eb/N0 accounting stays exact). */
#include <complex.h>
#include <math.h>

#include <liquid/liquid.h>

#include "qsdr/phy.h"
#include "phy/phy_internal.h"

struct qsdr_rrc {
    bool interp;
    unsigned sps;
    firinterp_crcf fi;
    firdecim_crcf fd;
    uint64_t fed; /* input samples taken so far (an error names a sample of the stream, not of the call) */
};

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
    if (interp) q->fi = firinterp_crcf_create(sps, h, len);
    else q->fd = firdecim_crcf_create(sps, h, len);
    qsdr_free(h);
    if (interp ? !q->fi : !q->fd) {
        qsdr_free(q);
        return qsdr_error_null(QSDR_EEXT, "%s: liquid filter creation failed", fn);
    }
    return q;
}

qsdr_rrc_t *qsdr_rrc_interp_create(unsigned sps, unsigned span, float beta) { return rrc_create(true, sps, span, beta); }
qsdr_rrc_t *qsdr_rrc_decim_create(unsigned sps, unsigned span, float beta) { return rrc_create(false, sps, span, beta); }

void qsdr_rrc_destroy(qsdr_rrc_t **qp)
{
    if (!qp || !*qp) return;
    if ((*qp)->fi) firinterp_crcf_destroy((*qp)->fi);
    if ((*qp)->fd) firdecim_crcf_destroy((*qp)->fd);
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
    /* qsdr_cf32 and liquid_float_complex (C99 float complex) share their layout */
    if (q->interp) firinterp_crcf_execute_block(q->fi, (float complex *)x, (unsigned)n, (float complex *)y);
    else firdecim_crcf_execute_block(q->fd, (float complex *)x, (unsigned)n, (float complex *)y);
    return QSDR_OK;
}
