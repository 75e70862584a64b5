/* SPDX-License-Identifier: MIT */
/* Block: cf32 -> radio samples as interleaved integer I/Q (cs16, cs8, cu8), rounded and
 * saturated; NaN or infinite samples are an error, never garbage sent to a radio. */
#include "block_util.h"

typedef struct {
    qsdr_blk_iq q;
    uint64_t clipped, samples;
} ciq_state;

static int ciq_create(qsdr_block_ctx *ctx, void **state)
{
    ciq_state *s = qsdr_calloc(1, sizeof *s);
    if (!s) return qsdr_error(QSDR_ENOMEM, "out of memory");
    int rc = qsdr_blk_iq_open(ctx, true, &s->q);
    if (rc) {
        qsdr_free(s);
        return rc;
    }
    *state = s;
    return QSDR_OK;
}

static void ciq_destroy(void *st) { qsdr_free(st); }

static int ciq_work(void *st, qsdr_work_io *io)
{
    ciq_state *s = st;
    uint64_t before = s->clipped;
    int rc = qsdr_blk_finite_cf32(io->in[0], io->n_in, io->in_offset);
    if (!rc) rc = qsdr_cf32_to_iq(s->q.f, io->in[0], io->n_in, s->q.full_scale, s->q.swap, io->out[0], &s->clipped);
    if (rc) return rc;
    if (before == 0 && s->clipped) qsdr_warn("samples beyond full scale are clipped (counted in its 'clipped' statistic)");
    s->samples += io->n_in;
    return QSDR_OK;
}

static void ciq_stats(void *st, qsdr_stats *o)
{
    ciq_state *s = st;
    qsdr_stats_add(o, "clipped", (double)s->clipped);
    qsdr_stats_add(o, "clipped_fraction", s->samples ? (double)s->clipped / (2.0 * (double)s->samples) : 0);
}

static const qsdr_param_desc ciq_params[] = {
    {"format", QSDR_PARAM_ENUM, "cs16", 1, 0, "", "output: cs16 (int16 I/Q; i16 items), cs8 (int8; i8 items), cu8 (uint8 around 127.5; u8 items)", 0, "cs16|cs8|cu8"},
    {"full_scale", QSDR_PARAM_FLOAT, "0", 0, 1e9, "", "integer distance from zero that 1.0 becomes; 0 = the format's (32768, 128, 127.5)", 0, NULL},
    {"swap_iq", QSDR_PARAM_BOOL, "false", 1, 0, "", "write Q before I", 0, NULL},
};
static const qsdr_port_desc ciq_in[] = {{"in", QSDR_ITEM_CF32}};
static const qsdr_port_desc ciq_out[] = {{"out", QSDR_ITEM_ANY}};

const qsdr_block_desc qsdr_block_cf32_to_iq = {
    .abi = QSDR_BLOCK_ABI,
    .name = "cf32_to_iq",
    .summary = "cf32 -> radio samples: interleaved integer I/Q (cs16, cs8, cu8), x full scale, rounded, saturated (counted); NaN is an error",
    .inputs = ciq_in, .n_inputs = 1, .outputs = ciq_out, .n_outputs = 1,
    .params = ciq_params, .n_params = QSDR_N(ciq_params),
    .rate_kind = QSDR_RATE_INTERP, .rate_in = 1, .rate_out = 2,
    .create = ciq_create, .destroy = ciq_destroy, .work = ciq_work, .stats = ciq_stats,
};
