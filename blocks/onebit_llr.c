/* SPDX-License-Identifier: MIT */
/* Block: LLRs from one-bit samples at 1 sample/symbol: +-L_c on the sign bits, 0 on the rest. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "block_util.h"

typedef struct {
    qsdr_modem_t *m;
    unsigned bps;
    int dim[6];       /* per bit: 0 = I sign, 1 = Q sign, -1 = not a sign bit (erased) */
    float pol[6];     /* +1 if bit 0 sits on the positive side */
    float lc[2];      /* L_c per dimension */
    double mean_abs[2];  /* mean |coordinate| profile: the levels, for the crossover probability */
    qsdr_blk_n0 n0;
    unsigned npts;
} ob_state;

static void ob_destroy(void *st)
{
    ob_state *s = st;
    if (!s) return;
    qsdr_modem_destroy(&s->m);
    qsdr_free(s);
}

/* crossover probability of the sign of one coordinate, averaged over the constellation:
 * p = mean_k Q(|a_k| / sigma), sigma^2 = N0 / 2; L_c = log((1 - p) / p) */
static void ob_update(ob_state *s)
{
    double sigma = sqrt(s->n0.in_use / 2.0);
    for (int d = 0; d < 2; d++) {
        double p = 0;
        for (unsigned k = 0; k < s->npts; k++) {
            qsdr_cf32 c = qsdr_modem_point(s->m, k);
            double a = fabs(d ? c.im : c.re);
            p += 0.5 * erfc(a / sigma / sqrt(2.0));
        }
        p /= s->npts;
        p = fmin(fmax(p, 1e-13), 0.5);
        s->lc[d] = (float)log((1 - p) / p);
    }
}

static int ob_create(qsdr_block_ctx *ctx, void **state)
{
    ob_state *s = qsdr_calloc(1, sizeof *s);
    if (!s) return QSDR_ENOMEM;
    *state = s;
    s->m = qsdr_modem_create((qsdr_modscheme)qsdr_ctx_enum(ctx, "modulation"));
    if (!s->m) return QSDR_EINVAL;
    s->bps = qsdr_modem_bps(s->m);
    s->npts = 1u << s->bps;
    /* which bits are decided by the sign of I or Q alone (Gray QAM: one per dimension) */
    for (unsigned b = 0; b < s->bps; b++) {
        s->dim[b] = -1;
        for (int d = 0; d < 2 && s->dim[b] < 0; d++) {
            int side0 = 0;
            bool ok = true;
            for (unsigned k = 0; k < s->npts && ok; k++) {
                qsdr_cf32 c = qsdr_modem_point(s->m, k);
                float v = d ? c.im : c.re;
                int bit = (int)((k >> (s->bps - 1 - b)) & 1u), side = v > 0 ? 1 : -1;
                if (fabsf(v) < 1e-6f) ok = false;
                int want = bit ? -side : side; /* side of bit 0 */
                if (!side0) side0 = want;
                else if (want != side0) ok = false;
            }
            if (ok) s->dim[b] = d, s->pol[b] = (float)side0;
        }
    }
    qsdr_blk_n0_init(&s->n0, qsdr_ctx_float(ctx, "noise_var"));
    ob_update(s);
    qsdr_ctx_set_rate(ctx, 1, s->bps);
    return QSDR_OK;
}

static int ob_span(void *st, const qsdr_work_io *io, size_t from, size_t to)
{
    ob_state *s = st;
    const qsdr_cf32 *x = io->in[0];
    float *llr = io->out[0];
    int rc = qsdr_blk_finite_cf32(x + from, to - from, io->in_offset + from);
    if (rc) return rc;
    /* per bit: the component it reads and the LLR for a non-negative one (0 for an erased bit);
       a select, not a branch on the noisy sign (it mispredicted: a quarter of B1's time); + 0.0f
       turns the -0 of an erased bit into 0 */
    const unsigned B = s->bps;
    unsigned c[6];
    float mag[6];
    for (unsigned b = 0; b < B; b++) {
        int d = s->dim[b];
        c[b] = d == 1;
        mag[b] = d < 0 ? 0.0f : s->pol[b] * s->lc[d];
    }
    const float *v = (const float *)x;
    if (B == 2) /* QPSK, unrolled: the loop below takes 3x longer here (9 % of B1 against 2.5 %) */
        for (size_t i = from; i < to; i++) {
            float a = v[2 * i + c[0]], q = v[2 * i + c[1]];
            llr[2 * i] = (a >= 0 ? mag[0] : -mag[0]) + 0.0f;
            llr[2 * i + 1] = (q >= 0 ? mag[1] : -mag[1]) + 0.0f;
        }
    else
        for (size_t i = from; i < to; i++)
            for (unsigned b = 0; b < B; b++) {
                float a = v[2 * i + c[b]];
                llr[i * B + b] = (a >= 0 ? mag[b] : -mag[b]) + 0.0f;
            }
    return QSDR_OK;
}

static void ob_tag(void *st, const qsdr_tag_value *v)
{
    ob_state *s = st;
    if (qsdr_blk_n0_tag(&s->n0, v)) ob_update(s);
}

static int ob_work(void *st, qsdr_work_io *io)
{
    ob_state *s = st;
    int brc = qsdr_blk_check_bps(io, s->bps, "modulation");
    if (brc) return brc;
    return qsdr_blk_n0_work(st, &s->n0, io, ob_span, ob_tag);
}

static int ob_set(void *st, const char *name, const char *value)
{
    ob_state *s = st;
    qsdr_blk_n0_set(&s->n0, strtod(value, NULL));
    ob_update(s);
    return QSDR_OK;
}

static void ob_stats(void *st, qsdr_stats *o)
{
    ob_state *s = st;
    qsdr_stats_add(o, "lc_i", s->lc[0]);
    qsdr_stats_add(o, "lc_q", s->lc[1]);
}

static const qsdr_param_desc ob_params[] = {
    {"modulation", QSDR_PARAM_ENUM, "qpsk", 1, 0, "", "constellation before the one-bit ADC (as the mapper)", 0, "bpsk|qpsk|qam16|qam64"},
    {"noise_var", QSDR_PARAM_FLOAT, "0", 0, 1e6, "", "complex noise variance N0 before the ADC; 0 = from the awgn block's 'noise_var' tags (set back to 0 while running: the latest tagged value, at once)", QSDR_PARAM_RUNTIME, NULL},
};
static const qsdr_port_desc ob_in[] = {{"in", QSDR_ITEM_CF32}};
static const qsdr_port_desc ob_out[] = {{"out", QSDR_ITEM_F32}};

const qsdr_block_desc qsdr_block_onebit_llr = {
    .abi = QSDR_BLOCK_ABI,
    .name = "onebit_llr",
    .summary = "LLRs of one-bit samples (1 sample/symbol): +-log((1-p)/p) on the I/Q sign bits, p = mean Q(|a|/sigma); 0 on amplitude bits",
    .inputs = ob_in, .n_inputs = 1, .outputs = ob_out, .n_outputs = 1,
    .params = ob_params, .n_params = QSDR_N(ob_params),
    .rate_kind = QSDR_RATE_INTERP, .rate_in = 1, .rate_out = 2,
    .create = ob_create, .destroy = ob_destroy, .work = ob_work, .set_param = ob_set, .stats = ob_stats,
};
