/* SPDX-License-Identifier: MIT */
/* LTE turbo code (3GPP TS 36.212 5.1.3.2): encoder and the float reference decoder
 * (iterative BCJR, max-log-MAP with extrinsic scaling or log-MAP with the exact Jacobian
 * logarithm). Written for clarity: it is the reference the fast decoders are checked against. */
#include <math.h>
#include <string.h>

#include "fec_internal.h"
#include "qpp_table.h"
#include "qsdr/fec.h"

/* ---- interleaver ------------------------------------------------------------------------- */
static int qpp_index(size_t k)
{
    size_t lo = 0, hi = 187;
    while (lo <= hi) {
        size_t mid = (lo + hi) / 2;
        if (qsdr_qpp_table[mid][0] == k) return (int)mid;
        if (qsdr_qpp_table[mid][0] < k) lo = mid + 1;
        else {
            if (mid == 0) break;
            hi = mid - 1;
        }
    }
    return -1;
}

bool qsdr_turbo_k_valid(size_t k) { return qpp_index(k) >= 0; }

size_t qsdr_turbo_k_ceil(size_t k)
{
    for (int i = 0; i < 188; i++)
        if (qsdr_qpp_table[i][0] >= k) return qsdr_qpp_table[i][0];
    return 0;
}

int qsdr_turbo_qpp(size_t k, uint32_t *pi)
{
    int i = qpp_index(k);
    if (i < 0) return qsdr_error(QSDR_EINVAL, "turbo: K = %zu is not an LTE block size (40..6144, TS 36.212 Table 5.1.3-3)", k);
    uint64_t f1 = qsdr_qpp_table[i][1], f2 = qsdr_qpp_table[i][2];
    for (uint64_t j = 0; j < k; j++) pi[j] = (uint32_t)((f1 * j + f2 * j % k * j) % k);
    return QSDR_OK;
}

size_t qsdr_turbo_n(size_t k, qsdr_turbo_rate r)
{
    switch (r) {
    case QSDR_TURBO_R13: return 3 * k + 12;
    case QSDR_TURBO_R12: return 2 * k + 12;
    case QSDR_TURBO_R23: return k + k / 2 + 12;
    }
    return 0;
}

/* ---- constituent code: RSC, feedback 1+D^2+D^3 (13), feed-forward 1+D+D^3 (15) ------------
 * state s = r1 | r2 << 1 | r3 << 2, r1 the most recent register bit */
static inline unsigned rsc_fb(unsigned s) { return ((s >> 1) ^ (s >> 2)) & 1u; }
static inline unsigned rsc_step(unsigned s, unsigned c, unsigned *z)
{
    unsigned a = (c ^ rsc_fb(s)) & 1u;
    *z = (a ^ s ^ (s >> 2)) & 1u;
    return ((s << 1) | a) & 7u;
}

struct qsdr_turbo_enc {
    size_t k;
    qsdr_turbo_rate rate;
    uint32_t *pi;
    uint8_t *d; /* 3 (K+4) mother-code bits */
};

qsdr_turbo_enc_t *qsdr_turbo_enc_create(size_t k, qsdr_turbo_rate r)
{
    if (!qsdr_turbo_k_valid(k))
        return qsdr_error_null(QSDR_EINVAL, "qsdr_turbo_enc_create: K = %zu is not an LTE block size (40..6144 in the steps of TS 36.212 Table 5.1.3-3)", k);
    if ((int)r < 0 || r > QSDR_TURBO_R23) return qsdr_error_null(QSDR_EINVAL, "qsdr_turbo_enc_create: rate must be 1/3, 1/2 or 2/3");
    qsdr_turbo_enc_t *q = qsdr_calloc(1, sizeof *q);
    if (!q) return qsdr_error_null(QSDR_ENOMEM, "qsdr_turbo_enc_create: out of memory");
    q->k = k;
    q->rate = r;
    q->pi = qsdr_malloc(k * sizeof *q->pi);
    q->d = qsdr_malloc(3 * (k + 4));
    if (!q->pi || !q->d) {
        qsdr_turbo_enc_destroy(&q);
        return qsdr_error_null(QSDR_ENOMEM, "qsdr_turbo_enc_create: out of memory");
    }
    qsdr_turbo_qpp(k, q->pi);
    return q;
}

void qsdr_turbo_enc_destroy(qsdr_turbo_enc_t **qp)
{
    if (!qp || !*qp) return;
    qsdr_free((*qp)->pi);
    qsdr_free((*qp)->d);
    qsdr_free(*qp);
    *qp = NULL;
}

/* Puncture the mother code d0|d1|d2 (each K+4 elements of esz bytes) into the rate's layout
 * (see fec.h): bits in the encoder, extrinsic LLRs in the decoder. Always inlined: esz is a
 * constant at each call, so the element copies compile to plain moves. */
__attribute__((always_inline)) static inline void puncture(size_t k, qsdr_turbo_rate r, const void *dv, void *xv, size_t esz)
{
    const char *d = dv;
    char *x = xv;
    const char *d1 = d + (k + 4) * esz, *d2 = d + 2 * (k + 4) * esz;
    if (r == QSDR_TURBO_R13) {
        memcpy(x, d, 3 * (k + 4) * esz);
        return;
    }
    memcpy(x, d, (k + 4) * esz);
    size_t n = k + 4;
    if (r == QSDR_TURBO_R12)
        for (size_t i = 0; i < k; i++) memcpy(x + esz * n++, ((i & 1) ? d2 : d1) + esz * i, esz);
    else
        for (size_t j = 0; j < k / 2; j++) memcpy(x + esz * n++, ((j & 1) ? d2 : d1) + esz * 2 * j, esz);
    memcpy(x + esz * n, d1 + esz * k, 4 * esz);
    memcpy(x + esz * (n + 4), d2 + esz * k, 4 * esz);
}

int qsdr_turbo_enc_execute(qsdr_turbo_enc_t *q, const uint8_t *u, uint8_t *x)
{
    size_t k = q->k;
    uint8_t *d0 = q->d, *d1 = q->d + k + 4, *d2 = q->d + 2 * (k + 4);
    unsigned s1 = 0, s2 = 0, z;
    for (size_t i = 0; i < k; i++) {
        if (u[i] > 1) return qsdr_error(QSDR_EINVAL, "turbo encoder: input bit %zu is %u, expected 0 or 1", i, u[i]);
        d0[i] = u[i];
        s1 = rsc_step(s1, u[i], &z);
        d1[i] = (uint8_t)z;
        s2 = rsc_step(s2, u[q->pi[i]], &z);
        d2[i] = (uint8_t)z;
    }
    /* trellis termination: input = feedback, so the register shifts in zeros (5.1.3.2.2);
       tail sequence x_K z_K x_K+1 z_K+1 x_K+2 z_K+2 x'_K z'_K ... dealt round-robin to d0 d1 d2 */
    uint8_t tail[12];
    for (int j = 0; j < 3; j++) {
        unsigned c = rsc_fb(s1);
        s1 = rsc_step(s1, c, &z);
        tail[2 * j] = (uint8_t)c;
        tail[2 * j + 1] = (uint8_t)z;
    }
    for (int j = 0; j < 3; j++) {
        unsigned c = rsc_fb(s2);
        s2 = rsc_step(s2, c, &z);
        tail[6 + 2 * j] = (uint8_t)c;
        tail[6 + 2 * j + 1] = (uint8_t)z;
    }
    for (size_t t = 0; t < 12; t++) q->d[qsdr_turbo_tail_pos(k, t)] = tail[t];
    puncture(k, q->rate, q->d, x, 1);
    return QSDR_OK;
}

/* ---- decoder ------------------------------------------------------------------------------- */
struct qsdr_turbo_dec {
    size_t k;
    qsdr_turbo_dec_config cfg;
    uint32_t *pi;
    float *d;          /* depunctured mother-code LLRs, 3 (K+4) */
    float *sys1, *par1, *sys2, *par2; /* K+3 each: info + 3 tail steps */
    float *la1, *la2, *le, *app;      /* K each (la: a priori; le: extrinsic; app: a-posteriori) */
    float *alpha;      /* (K+4) x 8 */
    uint8_t *hard, *prev;
    float *xbuf;       /* extrinsic outputs (qsdr_turbo_dec_execute_ext), allocated on first use */
};

qsdr_turbo_dec_config qsdr_turbo_dec_default(void)
{
    qsdr_turbo_dec_config c = {QSDR_TURBO_R13, QSDR_TURBO_MAXLOG, 6, 0.75f, QSDR_TURBO_STOP_NONE, QSDR_CRC_NONE};
    return c;
}

void qsdr_turbo_dec_destroy(qsdr_turbo_dec_t **qp)
{
    if (!qp || !*qp) return;
    qsdr_turbo_dec_t *q = *qp;
    qsdr_free(q->pi);
    qsdr_free(q->d);
    qsdr_free(q->sys1);
    qsdr_free(q->la1);
    qsdr_free(q->alpha);
    qsdr_free(q->hard);
    qsdr_free(q->xbuf);
    qsdr_free(q);
    *qp = NULL;
}

qsdr_turbo_dec_t *qsdr_turbo_dec_create(size_t k, const qsdr_turbo_dec_config *cfg)
{
    qsdr_turbo_dec_config c = cfg ? *cfg : qsdr_turbo_dec_default();
    if (!qsdr_turbo_k_valid(k))
        return qsdr_error_null(QSDR_EINVAL, "qsdr_turbo_dec_create: K = %zu is not an LTE block size (40..6144 in the steps of TS 36.212 Table 5.1.3-3)", k);
    if (c.iterations < 1 || c.iterations > 32)
        return qsdr_error_null(QSDR_EINVAL, "qsdr_turbo_dec_create: iterations must be in [1, 32] (got %u)", c.iterations);
    if (!(c.scaling > 0 && c.scaling <= 1))
        return qsdr_error_null(QSDR_EINVAL, "qsdr_turbo_dec_create: scaling must be in (0, 1] (got %g)", c.scaling);
    if ((int)c.rate < 0 || c.rate > QSDR_TURBO_R23 || (int)c.algo < 0 || c.algo > QSDR_TURBO_LOGMAP || (int)c.stop < 0 ||
        c.stop > QSDR_TURBO_STOP_AGREE || (int)c.crc < 0 || c.crc > QSDR_CRC24B)
        return qsdr_error_null(QSDR_EINVAL, "qsdr_turbo_dec_create: invalid rate, algorithm, stop rule or CRC type");
    if (c.stop == QSDR_TURBO_STOP_CRC && c.crc == QSDR_CRC_NONE)
        return qsdr_error_null(QSDR_EINVAL, "qsdr_turbo_dec_create: early stop by CRC needs a CRC type (crc24a or crc24b)");
    qsdr_turbo_dec_t *q = qsdr_calloc(1, sizeof *q);
    if (!q) return qsdr_error_null(QSDR_ENOMEM, "qsdr_turbo_dec_create: out of memory");
    q->k = k;
    q->cfg = c;
    q->pi = qsdr_malloc(k * sizeof *q->pi);
    q->d = qsdr_malloc(3 * (k + 4) * sizeof *q->d);
    q->sys1 = qsdr_malloc(4 * (k + 3) * sizeof(float));
    q->la1 = qsdr_malloc(4 * k * sizeof(float));
    q->alpha = qsdr_malloc((k + 4) * 8 * sizeof(float));
    q->hard = qsdr_malloc(2 * k);
    if (!q->pi || !q->d || !q->sys1 || !q->la1 || !q->alpha || !q->hard) {
        qsdr_turbo_dec_destroy(&q);
        return qsdr_error_null(QSDR_ENOMEM, "qsdr_turbo_dec_create: out of memory");
    }
    q->par1 = q->sys1 + (k + 3);
    q->sys2 = q->sys1 + 2 * (k + 3);
    q->par2 = q->sys1 + 3 * (k + 3);
    q->la2 = q->la1 + k;
    q->le = q->la1 + 2 * k;
    q->app = q->la1 + 3 * k;
    q->prev = q->hard + k;
    qsdr_turbo_qpp(k, q->pi);
    return q;
}

static inline float max_star(float a, float b, bool exact)
{
    float m = a > b ? a : b;
    if (!exact) return m;
    float d = fabsf(a - b);
    return m + log1pf(expf(-d)); /* Jacobian logarithm, computed exactly */
}

/* One BCJR pass over K info steps + 3 tail steps. sys/par: K+3 channel LLRs; la: K a-priori
 * LLRs. Writes app (K a-posteriori LLRs) and le (K extrinsic = app - sys - la); with apps/appp
 * (K+3 each, may be NULL) also the a-posteriori LLRs of every systematic (tail included) and
 * every parity bit of the constituent code. */
static void bcjr_out(qsdr_turbo_dec_t *q, const float *sys, const float *par, const float *la, float *app, float *le,
                     float *apps, float *appp)
{
    const size_t k = q->k, steps = k + 3;
    const bool exact = q->cfg.algo == QSDR_TURBO_LOGMAP;
    const float NEG = -1e30f;
    float *al = q->alpha;
    for (int s = 0; s < 8; s++) al[s] = s ? NEG : 0.0f;
    /* forward recursion */
    for (size_t t = 0; t < steps; t++) {
        float ls = sys[t] + (t < k ? la[t] : 0.0f), lp = par[t];
        const float *a = al + 8 * t;
        float *an = al + 8 * (t + 1);
        for (int s = 0; s < 8; s++) an[s] = NEG;
        for (unsigned s = 0; s < 8; s++) {
            if (a[s] <= NEG) continue;
            for (unsigned c = 0; c < 2; c++) {
                unsigned z, ns = rsc_step(s, c, &z);
                /* branch metric: bit 0 -> +1, bit 1 -> -1 (LLR = log P0/P1) */
                float g = 0.5f * ((c ? -ls : ls) + (z ? -lp : lp));
                an[ns] = an[ns] <= NEG ? a[s] + g : max_star(an[ns], a[s] + g, exact);
            }
        }
        float norm = an[0];
        for (int s = 0; s < 8; s++)
            if (an[s] > NEG) an[s] -= norm;
    }
    /* backward recursion with the output computed on the fly */
    float b[8], bn[8];
    for (int s = 0; s < 8; s++) bn[s] = s ? NEG : 0.0f;
    for (size_t t = steps; t-- > 0;) {
        float ls = sys[t] + (t < k ? la[t] : 0.0f), lp = par[t];
        const float *a = al + 8 * t;
        float m0 = NEG, m1 = NEG, p0 = NEG, p1 = NEG;
        const bool out_s = t < k || apps;
        for (unsigned s = 0; s < 8; s++) {
            b[s] = NEG;
            for (unsigned c = 0; c < 2; c++) {
                unsigned z, ns = rsc_step(s, c, &z);
                if (bn[ns] <= NEG) continue;
                float g = 0.5f * ((c ? -ls : ls) + (z ? -lp : lp));
                float v = g + bn[ns];
                b[s] = b[s] <= NEG ? v : max_star(b[s], v, exact);
                if (a[s] <= NEG) continue;
                float m = a[s] + v;
                if (out_s) {
                    if (c) m1 = m1 <= NEG ? m : max_star(m1, m, exact);
                    else m0 = m0 <= NEG ? m : max_star(m0, m, exact);
                }
                if (appp) {
                    if (z) p1 = p1 <= NEG ? m : max_star(p1, m, exact);
                    else p0 = p0 <= NEG ? m : max_star(p0, m, exact);
                }
            }
        }
        if (t < k) {
            app[t] = m0 - m1;
            le[t] = app[t] - sys[t] - la[t];
        }
        if (apps) apps[t] = m0 - m1;
        if (appp) appp[t] = p0 - p1;
        float norm = b[0] > NEG ? b[0] : 0.0f;
        for (int s = 0; s < 8; s++) bn[s] = b[s] > NEG ? b[s] - norm : NEG;
    }
}

static void bcjr(qsdr_turbo_dec_t *q, const float *sys, const float *par, const float *la, float *app, float *le)
{
    bcjr_out(q, sys, par, la, app, le, NULL, NULL);
}

void qsdr_turbo_depuncture(size_t k, qsdr_turbo_rate r, const float *l, float *d)
{
    float *d0 = d, *d1 = d + k + 4, *d2 = d + 2 * (k + 4);
    if (r == QSDR_TURBO_R13) {
        memcpy(d, l, 3 * (k + 4) * sizeof *d);
        return;
    }
    memset(d1, 0, 2 * (k + 4) * sizeof *d);
    memcpy(d0, l, (k + 4) * sizeof *d);
    size_t n = k + 4;
    if (r == QSDR_TURBO_R12)
        for (size_t i = 0; i < k; i++) ((i & 1) ? d2 : d1)[i] = l[n++];
    else
        for (size_t j = 0; j < k / 2; j++) ((j & 1) ? d2 : d1)[2 * j] = l[n++];
    memcpy(d1 + k, l + n, 4 * sizeof *d);
    memcpy(d2 + k, l + n + 4, 4 * sizeof *d);
}

static int decode(qsdr_turbo_dec_t *q, const float *l, uint8_t *v, float *app_out, float *ext_out)
{
    const size_t k = q->k, n = qsdr_turbo_n(k, q->cfg.rate);
    for (size_t i = 0; i < n; i++)
        if (isnan(l[i])) return qsdr_error(QSDR_ERANGE, "turbo decoder: input LLR %zu of %zu is NaN", i, n);
    qsdr_turbo_depuncture(k, q->cfg.rate, l, q->d);
    const float *d = q->d;
    for (size_t i = 0; i < k; i++) {
        q->sys1[i] = d[i];
        q->par1[i] = d[k + 4 + i];
        q->sys2[i] = d[q->pi[i]];
        q->par2[i] = d[2 * (k + 4) + i];
    }
    for (size_t j = 0; j < 3; j++) {
        q->sys1[k + j] = d[qsdr_turbo_tail_pos(k, 2 * j)];
        q->par1[k + j] = d[qsdr_turbo_tail_pos(k, 2 * j + 1)];
        q->sys2[k + j] = d[qsdr_turbo_tail_pos(k, 2 * j + 6)];
        q->par2[k + j] = d[qsdr_turbo_tail_pos(k, 2 * j + 7)];
    }
    const float sc = q->cfg.scaling;
    memset(q->la1, 0, k * sizeof(float));
    int it;
    for (it = 1; it <= (int)q->cfg.iterations; it++) {
        bcjr(q, q->sys1, q->par1, q->la1, q->app, q->le);
        for (size_t i = 0; i < k; i++) q->la2[i] = sc * q->le[q->pi[i]];
        bcjr(q, q->sys2, q->par2, q->la2, q->app, q->le);
        for (size_t i = 0; i < k; i++) q->la1[q->pi[i]] = sc * q->le[i];
        for (size_t i = 0; i < k; i++) q->hard[q->pi[i]] = q->app[i] < 0.0f;
        bool stop = false;
        if (q->cfg.stop == QSDR_TURBO_STOP_CRC) stop = qsdr_crc24_check(q->cfg.crc, q->hard, k - 24);
        else if (q->cfg.stop == QSDR_TURBO_STOP_AGREE) stop = it > 1 && memcmp(q->hard, q->prev, k) == 0;
        if (stop || it == (int)q->cfg.iterations) break;
        memcpy(q->prev, q->hard, k);
    }
    memcpy(v, q->hard, k);
    if (app_out)
        for (size_t i = 0; i < k; i++) app_out[q->pi[i]] = q->app[i];
    if (ext_out) {
        /* one more pass of each constituent decoder, now with the a-posteriori LLRs of every
         * systematic and parity bit; extrinsic = a-posteriori - own channel input */
        float *s1 = q->xbuf, *p1 = s1 + (k + 3), *s2 = p1 + (k + 3), *p2 = s2 + (k + 3), *de = p2 + (k + 3);
        bcjr_out(q, q->sys1, q->par1, q->la1, q->app, q->le, s1, p1);
        for (size_t i = 0; i < k; i++) {
            de[i] = q->la1[i] + q->le[i]; /* info bit: a-posteriori - channel = both decoders' extrinsics */
            de[k + 4 + i] = p1[i] - q->par1[i];
        }
        for (size_t i = 0; i < k; i++) q->la2[i] = sc * q->le[q->pi[i]];
        bcjr_out(q, q->sys2, q->par2, q->la2, q->app, q->le, s2, p2);
        for (size_t i = 0; i < k; i++) de[2 * (k + 4) + i] = p2[i] - q->par2[i];
        for (size_t j = 0; j < 3; j++) {
            de[qsdr_turbo_tail_pos(k, 2 * j)] = s1[k + j] - q->sys1[k + j];
            de[qsdr_turbo_tail_pos(k, 2 * j + 1)] = p1[k + j] - q->par1[k + j];
            de[qsdr_turbo_tail_pos(k, 2 * j + 6)] = s2[k + j] - q->sys2[k + j];
            de[qsdr_turbo_tail_pos(k, 2 * j + 7)] = p2[k + j] - q->par2[k + j];
        }
        puncture(k, q->cfg.rate, de, ext_out, sizeof(float));
    }
    return it > (int)q->cfg.iterations ? (int)q->cfg.iterations : it;
}

int qsdr_turbo_dec_execute(qsdr_turbo_dec_t *q, const float *l, uint8_t *v, float *app_out)
{
    return decode(q, l, v, app_out, NULL);
}

int qsdr_turbo_dec_execute_ext(qsdr_turbo_dec_t *q, const float *l, uint8_t *v, float *ext_out)
{
    const size_t k = q->k;
    if (!ext_out) return qsdr_error(QSDR_EINVAL, "qsdr_turbo_dec_execute_ext: ext_out is NULL");
    if (!q->xbuf && !(q->xbuf = qsdr_malloc((4 * (k + 3) + 3 * (k + 4)) * sizeof(float))))
        return qsdr_error(QSDR_ENOMEM, "qsdr_turbo_dec_execute_ext: out of memory");
    return decode(q, l, v, NULL, ext_out);
}
