/* SPDX-License-Identifier: MIT */
/* Gray mapper/demapper: constellations from liquid-dsp's modem, LLRs computed here
 * (exact log-sum-exp or max-log) since liquid's soft demodulator gives 8-bit soft bits only. */
#include <complex.h>
#include <math.h>
#include <string.h>

#include <liquid/liquid.h>

#include "qsdr/phy.h"

struct qsdr_modem {
    unsigned bps, m;
    qsdr_cf32 pts[64];    /* liquid-dsp's points scaled to unit mean energy */
    /* hard decisions per axis: the constellations are separable (I set by some label bits, Q by
       the others), so the nearest point is the nearest I level and the nearest Q level */
    bool separable;
    unsigned nlev[2];     /* levels on I (0) and Q (1), ascending */
    float lev[2][8];
    unsigned lab[2][8];   /* the label bits each level contributes */
    float thr[2][7];      /* decision thresholds between neighbouring levels */
    /* BPSK, and QPSK whose two bits each move the point by one fixed step, the two steps
       orthogonal (Gray): each bit's LLR is exactly linear in the sample */
    bool linear;
    /* every pair of an I level and a Q level is a point (BPSK: one Q level; square QAM), so a
       bit on one axis has an LLR of that axis alone (the other axis's sum is a common factor):
       sqrt(M) terms, not M. Every supported constellation is one: qsdr_modem_create checks it */
    bool product;
    unsigned bit_axis[6];  /* the axis each label bit (MSB first) moves */
};

/* Levels of one axis and the label bits that choose them; false if the axis depends on bits it
   shares with the other one (not separable). */
static bool axis_levels(qsdr_modem_t *q, int ax, unsigned mask)
{
    q->nlev[ax] = 0;
    for (unsigned s = 0; s < q->m; s++) {
        float v = ax ? q->pts[s].im : q->pts[s].re;
        unsigned part = s & mask, k;
        for (k = 0; k < q->nlev[ax] && q->lab[ax][k] != part; k++) {}
        if (k < q->nlev[ax]) {
            if (q->lev[ax][k] != v) return false; /* the same bits give another level */
            continue;
        }
        if (q->nlev[ax] == 8) return false;
        q->lev[ax][k] = v, q->lab[ax][k] = part, q->nlev[ax]++;
    }
    for (unsigned i = 1; i < q->nlev[ax]; i++) /* ascending (insertion sort of at most 8) */
        for (unsigned j = i; j > 0 && q->lev[ax][j - 1] > q->lev[ax][j]; j--) {
            float tv = q->lev[ax][j];
            unsigned tl = q->lab[ax][j];
            q->lev[ax][j] = q->lev[ax][j - 1], q->lab[ax][j] = q->lab[ax][j - 1];
            q->lev[ax][j - 1] = tv, q->lab[ax][j - 1] = tl;
        }
    for (unsigned i = 1; i < q->nlev[ax]; i++)
        if (q->lev[ax][i] == q->lev[ax][i - 1]) return false; /* two labels, one level */
    return true;
}

static void find_axes(qsdr_modem_t *q)
{
    unsigned mi = 0; /* label bits that move a point along I */
    for (unsigned b = 0; b < q->bps; b++)
        for (unsigned s = 0; s < q->m; s++)
            if (q->pts[s].re != q->pts[s ^ (1u << b)].re) mi |= 1u << b;
    q->separable = axis_levels(q, 0, mi) && axis_levels(q, 1, (q->m - 1) & ~mi);
    for (int ax = 0; q->separable && ax < 2; ax++)
        for (unsigned k = 0; k + 1 < q->nlev[ax]; k++) q->thr[ax][k] = 0.5f * (q->lev[ax][k] + q->lev[ax][k + 1]);
}

/* The nearest level: the number of thresholds below x, without a branch (noisy samples made the
 * search mispredict: the blind demapper spent a quarter of baseline B3's time here); an exact tie
 * goes to the lower level (as liquid's demodulator decides). */
static inline unsigned nearest_level(const float *thr, const unsigned *lab, unsigned n, float x)
{
    unsigned k = 0;
    for (unsigned j = 0; j + 1 < n; j++) k += x > thr[j];
    return lab[k];
}

int qsdr_modscheme_parse(const char *name)
{
    static const char *names[] = {"bpsk", "qpsk", "qam16", "qam64"};
    for (int i = 0; i < 4; i++)
        if (!strcmp(name, names[i])) return i;
    return -1;
}

qsdr_modem_t *qsdr_modem_create(qsdr_modscheme ms)
{
    static const modulation_scheme lq[] = {LIQUID_MODEM_BPSK, LIQUID_MODEM_QPSK, LIQUID_MODEM_QAM16, LIQUID_MODEM_QAM64};
    if ((int)ms < 0 || ms > QSDR_MOD_QAM64)
        return qsdr_error_null(QSDR_EINVAL, "qsdr_modem_create: modulation must be bpsk, qpsk, qam16 or qam64 (got %d)", (int)ms);
    qsdr_modem_t *q = qsdr_calloc(1, sizeof *q);
    if (!q) return qsdr_error_null(QSDR_ENOMEM, "qsdr_modem_create: out of memory");
    modemcf lm = modemcf_create(lq[ms]);
    if (!lm) {
        qsdr_free(q);
        return qsdr_error_null(QSDR_EEXT, "qsdr_modem_create: liquid modemcf_create failed");
    }
    q->bps = modemcf_get_bps(lm);
    q->m = 1u << q->bps;
    double e = 0;
    for (unsigned s = 0; s < q->m; s++) {
        float complex y;
        modemcf_modulate(lm, s, &y);
        q->pts[s].re = crealf(y);
        q->pts[s].im = cimagf(y);
        e += crealf(y) * crealf(y) + cimagf(y) * cimagf(y);
    }
    modemcf_destroy(lm);
    const float scale = (float)(1.0 / sqrt(e / q->m));
    for (unsigned s = 0; s < q->m; s++) {
        q->pts[s].re *= scale;
        q->pts[s].im *= scale;
    }
    find_axes(q);
    q->product = q->separable && q->nlev[0] * q->nlev[1] == q->m;
    if (!q->product) { /* not for liquid's BPSK, QPSK, 16- and 64-QAM; a new scheme needs its own demapper */
        qsdr_free(q);
        return qsdr_error_null(QSDR_EEXT, "qsdr_modem_create: liquid's constellation %d is not a product of an I and a Q axis", (int)ms);
    }
    for (unsigned b = 0; q->product && b < q->bps; b++) {
        unsigned mask = 1u << (q->bps - 1 - b);
        q->bit_axis[b] = q->pts[0].re != q->pts[mask].re ? 0 : 1;
    }
    q->linear = q->bps == 1;
    if (q->bps == 2) {
        qsdr_cf32 d[2];
        q->linear = true;
        for (unsigned b = 0; b < 2; b++) {
            unsigned mask = 1u << b;
            d[b] = (qsdr_cf32){q->pts[mask].re - q->pts[0].re, q->pts[mask].im - q->pts[0].im};
            for (unsigned s = 0; s < 4; s++)
                if (!(s & mask) && (q->pts[s | mask].re - q->pts[s].re != d[b].re || q->pts[s | mask].im - q->pts[s].im != d[b].im))
                    q->linear = false;
        }
        if (d[0].re * d[1].re + d[0].im * d[1].im != 0) q->linear = false;
    }
    return q;
}

void qsdr_modem_destroy(qsdr_modem_t **qp)
{
    if (!qp || !*qp) return;
    qsdr_free(*qp);
    *qp = NULL;
}

unsigned qsdr_modem_bps(const qsdr_modem_t *q) { return q->bps; }
qsdr_cf32 qsdr_modem_point(const qsdr_modem_t *q, unsigned s) { return q->pts[s & (q->m - 1)]; }

int qsdr_modem_map(const qsdr_modem_t *q, const uint8_t *bits, size_t n_sym, qsdr_cf32 *out)
{
    for (size_t i = 0; i < n_sym; i++) {
        unsigned s = 0;
        for (unsigned b = 0; b < q->bps; b++) {
            uint8_t v = bits[i * q->bps + b];
            if (v > 1) return qsdr_error(QSDR_EINVAL, "qsdr_modem_map: input item %zu is %u, expected a bit (0 or 1)", i * q->bps + b, v);
            s = (s << 1) | v;
        }
        out[i] = q->pts[s];
    }
    return QSDR_OK;
}

int qsdr_modem_demap_hard(const qsdr_modem_t *q, const qsdr_cf32 *x, size_t n_sym, uint8_t *bits)
{
    for (size_t i = 0; i < n_sym; i++) {
        if (!isfinite(x[i].re) || !isfinite(x[i].im))
            return qsdr_error(QSDR_ERANGE, "qsdr_modem_demap_hard: sample %zu is not finite (%g, %g)", i, x[i].re, x[i].im);
        const unsigned s = nearest_level(q->thr[0], q->lab[0], q->nlev[0], x[i].re) | nearest_level(q->thr[1], q->lab[1], q->nlev[1], x[i].im);
        for (unsigned b = 0; b < q->bps; b++) bits[i * q->bps + b] = (uint8_t)((s >> (q->bps - 1 - b)) & 1u);
    }
    return QSDR_OK;
}

int qsdr_modem_demap_llr(const qsdr_modem_t *q, const qsdr_cf32 *x, size_t n_sym, float noise_var, bool maxlog, float *llr)
{
    if (!(noise_var > 0) || !isfinite(noise_var))
        return qsdr_error(QSDR_EINVAL, "qsdr_modem_demap_llr: noise_var must be > 0 and finite (got %g)", noise_var);
    const float inv = 1.0f / noise_var;
    if (q->linear) {
        /* each bit: LLR = (|y - p1|^2 - |y - p0|^2) / N0 for two points that differ in that bit
           only, linear in y; exact for BPSK, and for Gray QPSK, whose other bit moves the point
           orthogonally (its hypotheses cancel): the log-sum-exp and max-log values agree */
        const unsigned B = q->bps;
        float dr[2], di[2], c[2];
        for (unsigned b = 0; b < B; b++) {
            const qsdr_cf32 p0 = q->pts[0], p1 = q->pts[1u << (B - 1 - b)];
            dr[b] = 2.0f * (p0.re - p1.re) * inv, di[b] = 2.0f * (p0.im - p1.im) * inv;
            c[b] = (p1.re * p1.re + p1.im * p1.im - p0.re * p0.re - p0.im * p0.im) * inv;
        }
        int bad = 0;
        for (size_t i = 0; i < n_sym; i++) {
            bad |= !isfinite(x[i].re) || !isfinite(x[i].im);
            for (unsigned b = 0; b < B; b++) llr[i * B + b] = x[i].re * dr[b] + x[i].im * di[b] + c[b];
        }
        if (bad)
            for (size_t i = 0; i < n_sym; i++)
                if (!isfinite(x[i].re) || !isfinite(x[i].im))
                    return qsdr_error(QSDR_ERANGE, "qsdr_modem_demap_llr: sample %zu is not finite (%g, %g)", i, x[i].re, x[i].im);
        return QSDR_OK;
    }
    /* per axis: metrics of its levels, then per bit the best (and with !maxlog the
       log-sum-exp) over the levels whose label has the bit 0 or 1 */
    int bad = 0;
    for (size_t i = 0; i < n_sym; i++) {
        bad |= !isfinite(x[i].re) || !isfinite(x[i].im);
        float met[2][8];
        for (int ax = 0; ax < 2; ax++) {
            const float v = ax ? x[i].im : x[i].re;
            for (unsigned k = 0; k < q->nlev[ax]; k++) {
                float d = v - q->lev[ax][k];
                met[ax][k] = -(d * d) * inv;
            }
        }
        for (unsigned b = 0; b < q->bps; b++) {
            const unsigned ax = q->bit_axis[b], mask = 1u << (q->bps - 1 - b), n = q->nlev[ax];
            const float *mt = met[ax];
            const unsigned *lab = q->lab[ax];
            float m0 = -INFINITY, m1 = -INFINITY;
            for (unsigned k = 0; k < n; k++) {
                if (lab[k] & mask) m1 = mt[k] > m1 ? mt[k] : m1;
                else m0 = mt[k] > m0 ? mt[k] : m0;
            }
            float l = m0 - m1;
            if (!maxlog) {
                float s0 = 0, s1 = 0;
                for (unsigned k = 0; k < n; k++) {
                    if (lab[k] & mask) s1 += expf(mt[k] - m1);
                    else s0 += expf(mt[k] - m0);
                }
                l += logf(s0) - logf(s1);
            }
            llr[i * q->bps + b] = l;
        }
    }
    if (bad)
        for (size_t i = 0; i < n_sym; i++)
            if (!isfinite(x[i].re) || !isfinite(x[i].im))
                return qsdr_error(QSDR_ERANGE, "qsdr_modem_demap_llr: sample %zu is not finite (%g, %g)", i, x[i].re, x[i].im);
    return QSDR_OK;
}
