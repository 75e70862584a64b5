/* SPDX-License-Identifier: MIT */
/* Block: soft demapper, constellation points -> LLRs log P(b=0)/P(b=1). */
#include <stdlib.h>
#include <string.h>

#include "block_util.h"

typedef struct {
    qsdr_modem_t *m;
    bool maxlog;
    qsdr_blk_n0 n0;
} dm_state;

static void dm_destroy(void *st)
{
    dm_state *s = st;
    if (!s) return;
    qsdr_modem_destroy(&s->m);
    qsdr_free(s);
}

static int dm_create(qsdr_block_ctx *ctx, void **state)
{
    dm_state *s = qsdr_calloc(1, sizeof *s);
    if (!s) return qsdr_error(QSDR_ENOMEM, "out of memory");
    s->m = qsdr_modem_create((qsdr_modscheme)qsdr_ctx_enum(ctx, "modulation"));
    if (!s->m) {
        dm_destroy(s);
        return QSDR_EINVAL;
    }
    s->maxlog = qsdr_ctx_enum(ctx, "method") == 1;
    qsdr_blk_n0_init(&s->n0, qsdr_ctx_float(ctx, "noise_var"));
    qsdr_ctx_set_rate(ctx, 1, qsdr_modem_bps(s->m));
    *state = s;
    return QSDR_OK;
}

static int dm_span(void *st, const qsdr_work_io *io, size_t from, size_t to)
{
    dm_state *s = st;
    const qsdr_cf32 *x = io->in[0];
    float *llr = io->out[0];
    int rc = qsdr_blk_finite_cf32(x + from, to - from, io->in_offset + from);
    return rc ? rc : qsdr_modem_demap_llr(s->m, x + from, to - from, s->n0.in_use, s->maxlog, llr + from * qsdr_modem_bps(s->m));
}

static void dm_tag(void *st, const qsdr_tag_value *v)
{
    dm_state *s = st;
    qsdr_blk_n0_tag(&s->n0, v);
}

static int dm_work(void *st, qsdr_work_io *io)
{
    dm_state *s = st;
    int brc = qsdr_blk_check_bps(io, qsdr_modem_bps(s->m), "modulation");
    if (brc) return brc;
    return qsdr_blk_n0_work(st, &s->n0, io, dm_span, dm_tag);
}

static int dm_set(void *st, const char *name, const char *value)
{
    dm_state *s = st;
    if (!strcmp(name, "noise_var")) qsdr_blk_n0_set(&s->n0, strtod(value, NULL));
    return QSDR_OK;
}

static const qsdr_param_desc dm_params[] = {
    {"modulation", QSDR_PARAM_ENUM, "qpsk", 1, 0, "", "constellation (as the mapper)", 0, "bpsk|qpsk|qam16|qam64"},
    {"method", QSDR_PARAM_ENUM, "exact", 1, 0, "", "exact log-sum-exp or max-log approximation", 0, "exact|maxlog"},
    {"noise_var", QSDR_PARAM_FLOAT, "0", 0, 1e6, "", "complex noise variance N0; 0 = take it from the 'noise_var' tags of the awgn block (set back to 0 while running: the latest tagged value, at once)", QSDR_PARAM_RUNTIME, NULL},
};
static const qsdr_port_desc dm_in[] = {{"in", QSDR_ITEM_CF32}};
static const qsdr_port_desc dm_out[] = {{"out", QSDR_ITEM_F32}};

const qsdr_block_desc qsdr_block_demapper = {
    .abi = QSDR_BLOCK_ABI,
    .name = "demapper",
    .summary = "Soft demapper: point -> bits_per_symbol LLRs, LLR = log P(b=0)/P(b=1) (positive means 0)",
    .inputs = dm_in, .n_inputs = 1, .outputs = dm_out, .n_outputs = 1,
    .params = dm_params, .n_params = QSDR_N(dm_params),
    .rate_kind = QSDR_RATE_INTERP, .rate_in = 1, .rate_out = 2,
    .create = dm_create, .destroy = dm_destroy, .work = dm_work, .set_param = dm_set,
};
