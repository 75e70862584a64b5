/* SPDX-License-Identifier: MIT */
/* Block: RRC pulse-shaping interpolator (unit-energy pulse, liquid-dsp firinterp). */
#include "block_util.h"

static int ri_create(qsdr_block_ctx *ctx, void **state)
{
    unsigned sps = (unsigned)qsdr_ctx_uint(ctx, "sps");
    qsdr_rrc_t *q = qsdr_rrc_interp_create(sps, (unsigned)qsdr_ctx_uint(ctx, "span"), (float)qsdr_ctx_float(ctx, "rolloff"));
    if (!q) return QSDR_EINVAL;
    qsdr_ctx_set_rate(ctx, 1, sps);
    *state = q;
    return QSDR_OK;
}

static void ri_destroy(void *st)
{
    qsdr_rrc_t *q = st;
    qsdr_rrc_destroy(&q);
}

static int ri_work(void *st, qsdr_work_io *io)
{
    if (io->out_offset == 0 && io->n_in) /* for the awgn block's Es accounting */
        qsdr_work_add_tag(io, 0, 0, "samples_per_symbol", qsdr_tagv_float((double)(io->n_out / io->n_in)));
    return qsdr_rrc_execute(st, io->in[0], io->n_in, io->out[0]);
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
    .summary = "Root-raised-cosine pulse shaping: 1 symbol -> sps samples, unit-energy pulse (symbol energy preserved); tags samples_per_symbol",
    .inputs = ri_in, .n_inputs = 1, .outputs = ri_out, .n_outputs = 1,
    .params = ri_params, .n_params = QSDR_N(ri_params),
    .rate_kind = QSDR_RATE_INTERP, .rate_in = 1, .rate_out = 4,
    .create = ri_create, .destroy = ri_destroy, .work = ri_work,
};
