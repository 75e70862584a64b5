/* SPDX-License-Identifier: MIT */
/* Block: RRC matched filter and decimator (liquid-dsp firdecim), with delay compensation. */
#include "block_util.h"

typedef struct {
    qsdr_rrc_t *q;
    uint64_t drop;    /* output symbols still to drop (filter delay) */
    unsigned sps;
} rd_state;

static void rd_destroy(void *st)
{
    rd_state *s = st;
    if (!s) return;
    qsdr_rrc_destroy(&s->q);
    qsdr_free(s);
}

static int rd_create(qsdr_block_ctx *ctx, void **state)
{
    rd_state *s = qsdr_calloc(1, sizeof *s);
    if (!s) return qsdr_error(QSDR_ENOMEM, "out of memory");
    s->sps = (unsigned)qsdr_ctx_uint(ctx, "sps");
    unsigned span = (unsigned)qsdr_ctx_uint(ctx, "span");
    s->q = qsdr_rrc_decim_create(s->sps, span, (float)qsdr_ctx_float(ctx, "rolloff"));
    if (!s->q) {
        rd_destroy(s);
        return QSDR_EINVAL;
    }
    int64_t d = qsdr_ctx_int(ctx, "delay");
    s->drop = d < 0 ? 2ull * span : (uint64_t)d;
    qsdr_ctx_set_rate(ctx, s->sps, 1);
    *state = s;
    return QSDR_OK;
}

static int rd_work(void *st, qsdr_work_io *io)
{
    rd_state *s = st;
    qsdr_cf32 *y = io->out[0];
    int rc = qsdr_rrc_execute(s->q, io->in[0], io->n_out, y);
    if (rc) return rc;
    if (s->drop) {
        size_t k = io->n_out < s->drop ? io->n_out : (size_t)s->drop;
        memmove(y, y + k, (io->n_out - k) * sizeof *y);
        io->produced = io->n_out - k;
        s->drop -= k;
    }
    return QSDR_OK;
}

static const qsdr_param_desc rd_params[] = {
    {"sps", QSDR_PARAM_UINT, "4", 2, 64, "samples", "samples per symbol", 0, NULL},
    {"rolloff", QSDR_PARAM_FLOAT, "0.35", 0.01, 0.99, "", "excess bandwidth (roll-off) factor", 0, NULL},
    {"span", QSDR_PARAM_UINT, "8", 1, 40, "symbols", "filter half-length: delay in symbols (length 2*sps*span+1)", 0, NULL},
    {"delay", QSDR_PARAM_INT, "-1", -1, 1000, "symbols",
     "leading output symbols to drop so symbol i lines up with transmitted symbol i; -1 = 2*span (an rrc_interp with the same span upstream)", 0, NULL},
};
static const qsdr_port_desc rd_in[] = {{"in", QSDR_ITEM_CF32}};
static const qsdr_port_desc rd_out[] = {{"out", QSDR_ITEM_CF32}};

const qsdr_block_desc qsdr_block_rrc_decim = {
    .abi = QSDR_BLOCK_ABI,
    .name = "rrc_decim",
    .summary = "Root-raised-cosine matched filter: sps samples -> 1 symbol, unit-energy pulse, filter delay removed",
    .inputs = rd_in, .n_inputs = 1, .outputs = rd_out, .n_outputs = 1,
    .params = rd_params, .n_params = QSDR_N(rd_params),
    .rate_kind = QSDR_RATE_DECIM, .rate_in = 4, .rate_out = 1,
    .tag_policy = QSDR_TAGS_ALL_TO_ALL,
    .create = rd_create, .destroy = rd_destroy, .work = rd_work,
};
