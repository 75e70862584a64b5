/* SPDX-License-Identifier: MIT */
/* Block: radio samples as interleaved integer I/Q (cs16, cs8, cu8) -> cf32. */
#include "block_util.h"

static int iqc_create(qsdr_block_ctx *ctx, void **state)
{
    qsdr_blk_iq *s = qsdr_calloc(1, sizeof *s);
    if (!s) return qsdr_error(QSDR_ENOMEM, "out of memory");
    int rc = qsdr_blk_iq_open(ctx, false, s);
    if (rc) {
        qsdr_free(s);
        return rc;
    }
    *state = s;
    return QSDR_OK;
}

static void iqc_destroy(void *st) { qsdr_free(st); }

static int iqc_work(void *st, qsdr_work_io *io)
{
    const qsdr_blk_iq *s = st;
    size_t n = io->n_in / 2;
    qsdr_iq_to_cf32(s->f, io->in[0], n, 1 / s->full_scale, s->swap, io->out[0]);
    io->consumed = 2 * n;
    io->produced = n;
    return QSDR_OK;
}

static const qsdr_param_desc iqc_params_desc[] = {
    {"format", QSDR_PARAM_ENUM, "cs16", 1, 0, "", "input: cs16 (int16 I/Q: USRP, bladeRF, SoapySDR CS16; i16 items), cs8 (int8: HackRF; i8 items), cu8 (uint8 around 127.5: RTL-SDR; u8 items)", 0, "cs16|cs8|cu8"},
    {"full_scale", QSDR_PARAM_FLOAT, "0", 0, 1e9, "", "integer distance from zero that becomes 1.0; 0 = the format's (32768, 128, 127.5)", 0, NULL},
    {"swap_iq", QSDR_PARAM_BOOL, "false", 1, 0, "", "the input holds Q before I", 0, NULL},
};
static const qsdr_port_desc iqc_in[] = {{"in", QSDR_ITEM_ANY}};
static const qsdr_port_desc iqc_out[] = {{"out", QSDR_ITEM_CF32}};

const qsdr_block_desc qsdr_block_iq_to_cf32 = {
    .abi = QSDR_BLOCK_ABI,
    .name = "iq_to_cf32",
    .summary = "Radio samples -> cf32: interleaved integer I/Q (cs16, cs8, cu8), 2 components -> 1 sample, / full scale",
    .inputs = iqc_in, .n_inputs = 1, .outputs = iqc_out, .n_outputs = 1,
    .params = iqc_params_desc, .n_params = QSDR_N(iqc_params_desc),
    .rate_kind = QSDR_RATE_DECIM, .rate_in = 2, .rate_out = 1,
    .create = iqc_create, .destroy = iqc_destroy, .work = iqc_work,
};
