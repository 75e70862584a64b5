/* SPDX-License-Identifier: MIT */
/* Block: hard-decision demapper, constellation points -> bits (nearest point). */
#include "block_util.h"

static int sl_create(qsdr_block_ctx *ctx, void **state)
{
    qsdr_modem_t *m = qsdr_modem_create((qsdr_modscheme)qsdr_ctx_enum(ctx, "modulation"));
    if (!m) return QSDR_EINVAL;
    qsdr_ctx_set_rate(ctx, 1, qsdr_modem_bps(m));
    *state = m;
    return QSDR_OK;
}

static void sl_destroy(void *st)
{
    qsdr_modem_t *m = st;
    qsdr_modem_destroy(&m);
}

static int sl_work(void *st, qsdr_work_io *io)
{
    int rc = qsdr_blk_check_bps(io, qsdr_modem_bps(st), "modulation");
    if (!rc) rc = qsdr_blk_finite_cf32(io->in[0], io->n_in, io->in_offset);
    return rc ? rc : qsdr_modem_demap_hard(st, io->in[0], io->n_in, io->out[0]);
}

static const qsdr_param_desc sl_params[] = {
    {"modulation", QSDR_PARAM_ENUM, "qpsk", 1, 0, "", "constellation (as the mapper)", 0, "bpsk|qpsk|qam16|qam64"},
};
static const qsdr_port_desc sl_in[] = {{"in", QSDR_ITEM_CF32}};
static const qsdr_port_desc sl_out[] = {{"out", QSDR_ITEM_BIT}};

const qsdr_block_desc qsdr_block_slicer = {
    .abi = QSDR_BLOCK_ABI,
    .name = "slicer",
    .summary = "Hard-decision demapper: nearest constellation point -> bits_per_symbol bits (liquid-dsp constellations; an exact tie to the lower level)",
    .inputs = sl_in, .n_inputs = 1, .outputs = sl_out, .n_outputs = 1,
    .params = sl_params, .n_params = QSDR_N(sl_params),
    .rate_kind = QSDR_RATE_INTERP, .rate_in = 1, .rate_out = 2,
    .create = sl_create, .destroy = sl_destroy, .work = sl_work,
};
