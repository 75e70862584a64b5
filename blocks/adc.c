/* SPDX-License-Identifier: MIT */
/* Block: b-bit ADC quantizer on I and Q (1 bit = sign), full scale or automatic gain. */
#include <stdlib.h>
#include <string.h>

#include "block_util.h"

static int adc_create(qsdr_block_ctx *ctx, void **state)
{
    qsdr_blk_only_with(ctx, "full_scale", !qsdr_ctx_bool(ctx, "agc"), "agc: false (the AGC sets the full scale from the signal)");
    qsdr_adc_t *q = qsdr_adc_create((unsigned)qsdr_ctx_uint(ctx, "bits"), (float)qsdr_ctx_float(ctx, "full_scale"),
                                    qsdr_ctx_bool(ctx, "agc"), (float)qsdr_ctx_float(ctx, "agc_alpha"));
    if (!q) return QSDR_EINVAL;
    *state = q;
    return QSDR_OK;
}

static void adc_destroy(void *st)
{
    qsdr_adc_t *q = st;
    qsdr_adc_destroy(&q);
}

static int adc_work(void *st, qsdr_work_io *io)
{
    return qsdr_adc_execute(st, io->in[0], io->n_in, io->out[0]); /* its error names the sample */
}

/* the input level against the full scale: "clipped" is the fraction of I/Q components at or
   beyond +-full_scale, outside the outer quantization cells (a 3-bit ADC loaded optimally for
   Gaussian input clips about 2 %) */
static void adc_stats(void *st, qsdr_stats *o)
{
    uint64_t n, clip;
    double rms;
    qsdr_adc_stats(st, &n, &clip, &rms);
    qsdr_stats_add(o, "input_rms", rms);
    qsdr_stats_add(o, "clipped", n ? (double)clip / (double)n : 0);
}

static int adc_set(void *st, const char *name, const char *value)
{
    if (!strcmp(name, "bits")) return qsdr_adc_set_bits(st, (unsigned)strtoul(value, NULL, 10));
    if (!strcmp(name, "full_scale")) return qsdr_adc_set_full_scale(st, strtof(value, NULL));
    return qsdr_error(QSDR_EINVAL, "parameter '%s' cannot change at run time", name);
}

static const qsdr_param_desc adc_params[] = {
    {"bits", QSDR_PARAM_UINT, "1", 1, 8, "bits", "resolution per real component (1 = sign of I and of Q)", QSDR_PARAM_RUNTIME, NULL},
    {"full_scale", QSDR_PARAM_FLOAT, "1", 1e-6, 1e6, "", "clipping level: outputs lie in (-full_scale, full_scale); not used with agc (a warning at load, an error as a live set)", QSDR_PARAM_RUNTIME, NULL},
    {"agc", QSDR_PARAM_BOOL, "false", 1, 0, "", "automatic gain: full scale = optimum Gaussian loading x tracked rms", 0, NULL},
    {"agc_alpha", QSDR_PARAM_FLOAT, "0.001", 1e-7, 1, "", "AGC averaging factor per sample", 0, NULL},
};
static const qsdr_port_desc adc_in[] = {{"in", QSDR_ITEM_CF32}};
static const qsdr_port_desc adc_out[] = {{"out", QSDR_ITEM_CF32}};

const qsdr_block_desc qsdr_block_adc = {
    .abi = QSDR_BLOCK_ABI,
    .name = "adc",
    .summary = "b-bit uniform mid-rise quantizer on I and Q (1 bit = sign); outputs reconstruction levels; statistics input_rms and clipped (fraction of I/Q components at or beyond +-full_scale; a sign never clips)",
    .inputs = adc_in, .n_inputs = 1, .outputs = adc_out, .n_outputs = 1,
    .params = adc_params, .n_params = QSDR_N(adc_params),
    .rate_kind = QSDR_RATE_SYNC, .rate_in = 1, .rate_out = 1,
    .create = adc_create, .destroy = adc_destroy, .work = adc_work, .set_param = adc_set, .stats = adc_stats,
};
