/* SPDX-License-Identifier: MIT */
/* Block: Gray mapper, bits -> unit-energy constellation points (bps bits per symbol). */
#include "block_util.h"

static int map_create(qsdr_block_ctx *ctx, void **state)
{
    qsdr_modem_t *m = qsdr_modem_create((qsdr_modscheme)qsdr_ctx_enum(ctx, "modulation"));
    if (!m) return QSDR_EINVAL;
    qsdr_ctx_set_rate(ctx, qsdr_modem_bps(m), 1);
    *state = m;
    return QSDR_OK;
}

static void map_destroy(void *st)
{
    qsdr_modem_t *m = st;
    qsdr_modem_destroy(&m);
}

static int map_work(void *st, qsdr_work_io *io)
{
    if (io->out_offset == 0) /* for the awgn block's Eb/N0 accounting */
        qsdr_work_add_tag(io, 0, 0, "bits_per_symbol", qsdr_tagv_float((double)qsdr_modem_bps(st)));
    return qsdr_modem_map(st, io->in[0], io->n_out, io->out[0]);
}

static const qsdr_param_desc map_params[] = {
    {"modulation", QSDR_PARAM_ENUM, "qpsk", 1, 0, "", "constellation (Gray, unit mean energy, first bit = MSB)", 0, "bpsk|qpsk|qam16|qam64"},
};
static const qsdr_port_desc map_in[] = {{"in", QSDR_ITEM_BIT}};
static const qsdr_port_desc map_out[] = {{"out", QSDR_ITEM_CF32}};

const qsdr_block_desc qsdr_block_mapper = {
    .abi = QSDR_BLOCK_ABI,
    .name = "mapper",
    .summary = "Gray mapper: bits_per_symbol bits -> one constellation point (liquid-dsp constellations, unit energy); tags bits_per_symbol",
    .inputs = map_in, .n_inputs = 1, .outputs = map_out, .n_outputs = 1,
    .params = map_params, .n_params = QSDR_N(map_params),
    .rate_kind = QSDR_RATE_DECIM, .rate_in = 2, .rate_out = 1,
    .create = map_create, .destroy = map_destroy, .work = map_work,
};
