/* SPDX-License-Identifier: MIT */
/* Block: RRC pulse-shaping interpolator (unit-energy pulse; qsdr_rrc: as liquid-dsp's firinterp). */
#include "block_util.h"

typedef struct {
    qsdr_rrc_t *q;
    double span, rolloff; /* tagged for the matched filter (its delay and a mismatch check) */
} ri_state;

static void ri_destroy(void *st)
{
    ri_state *s = st;
    if (!s) return;
    qsdr_rrc_destroy(&s->q);
    qsdr_free(s);
}

static int ri_create(qsdr_block_ctx *ctx, void **state)
{
    unsigned sps = (unsigned)qsdr_ctx_uint(ctx, "sps");
    ri_state *s = qsdr_calloc(1, sizeof *s);
    if (!s) return qsdr_error(QSDR_ENOMEM, "out of memory");
    s->span = (double)qsdr_ctx_uint(ctx, "span");
    s->rolloff = qsdr_ctx_float(ctx, "rolloff");
    s->q = qsdr_rrc_interp_create(sps, (unsigned)s->span, (float)s->rolloff);
    if (!s->q) {
        ri_destroy(s);
        return QSDR_EINVAL;
    }
    qsdr_ctx_set_rate(ctx, 1, sps);
    *state = s;
    return QSDR_OK;
}

static int ri_work(void *st, qsdr_work_io *io)
{
    ri_state *s = st;
    if (io->out_offset == 0 && io->n_in) { /* for the awgn block's Es accounting, and the matched filter */
        qsdr_work_add_tag(io, 0, 0, "samples_per_symbol", qsdr_tagv_float((double)(io->n_out / io->n_in)));
        qsdr_work_add_tag(io, 0, 0, "rrc_span", qsdr_tagv_float(s->span));
        qsdr_work_add_tag(io, 0, 0, "rrc_rolloff", qsdr_tagv_float(s->rolloff));
    }
    return qsdr_rrc_execute(s->q, io->in[0], io->n_in, io->out[0]); /* its error names the sample */
}

static const qsdr_param_desc ri_params[] = {
    {"sps", QSDR_PARAM_UINT, "4", 2, 64, "samples", "samples per symbol", 0, NULL},
    {"rolloff", QSDR_PARAM_FLOAT, "0.35", 0.01, 0.99, "", "excess bandwidth (roll-off) factor", 0, NULL},
    {"span", QSDR_PARAM_UINT, "8", 1, 40, "symbols", "filter half-length: delay in symbols (length 2*sps*span+1)", 0, NULL},
};
static const qsdr_port_desc ri_in[] = {{"in", QSDR_ITEM_CF32}};
static const qsdr_port_desc ri_out[] = {{"out", QSDR_ITEM_CF32}};

const qsdr_block_desc qsdr_block_rrc_interp = {
    .abi = QSDR_BLOCK_ABI,
    .name = "rrc_interp",
    .summary = "Root-raised-cosine pulse shaping: 1 symbol -> sps samples, unit-energy pulse (symbol energy preserved); tags samples_per_symbol, rrc_span, rrc_rolloff",
    .inputs = ri_in, .n_inputs = 1, .outputs = ri_out, .n_outputs = 1,
    .params = ri_params, .n_params = QSDR_N(ri_params),
    .rate_kind = QSDR_RATE_INTERP, .rate_in = 1, .rate_out = 4,
    .create = ri_create, .destroy = ri_destroy, .work = ri_work,
};
