/* SPDX-License-Identifier: MIT */
/* Block: autoencoder receiver, ns*L one-bit samples -> m LLRs (log P(0)/P(1)) for the turbo decoder. */
#include <stdlib.h>
#include <string.h>

#include "block_util.h"
#include "qsdr/ae.h"

typedef struct {
    qsdr_ae *a;
    uint64_t table_groups, network_groups;
} aed_state;

static void aed_destroy(void *st)
{
    aed_state *s = st;
    if (!s) return;
    qsdr_ae_free(s->a);
    qsdr_free(s);
}

static int aed_create(qsdr_block_ctx *ctx, void **state)
{
    const char *path = qsdr_ctx_string(ctx, "model");
    if (!*path) return qsdr_error(QSDR_EINVAL, "parameter 'model': the receiver model file is required (qsdr train ae)");
    aed_state *s = qsdr_calloc(1, sizeof *s);
    if (!s) return QSDR_ENOMEM;
    *state = s;
    s->a = qsdr_ae_load(path, false);
    if (!s->a) return QSDR_EINVAL;
    if (qsdr_ctx_enum(ctx, "engine") == 1) qsdr_ae_set_engine(s->a, QSDR_NN_ENGINE_FLOAT);
    double sc = qsdr_ctx_float(ctx, "llr_scale");
    qsdr_ae_set_llr(s->a, (float)sc, (float)qsdr_ctx_float(ctx, "llr_clip")); /* sc 0: the calibrated scale(s) */
    qsdr_ae_allow_untrained_bits(s->a, qsdr_ctx_bool(ctx, "allow_untrained_bits"));
    qsdr_ae_allow_non_onebit(s->a, qsdr_ctx_bool(ctx, "allow_non_onebit"));
    int64_t bits = qsdr_ctx_int(ctx, "bits");
    if (bits >= 0 && qsdr_ae_set_bits(s->a, (int)bits)) return QSDR_EINVAL;
    const qsdr_ae_geom *g = qsdr_ae_geometry(s->a);
    qsdr_ctx_set_rate(ctx, g->ns * g->L, g->m);
    return QSDR_OK;
}

static int aed_work(void *st, qsdr_work_io *io)
{
    aed_state *s = st;
    const qsdr_ae_geom *g = qsdr_ae_geometry(s->a);
    int rc = qsdr_blk_check_bps(io, g->m, "receiver model (m)");
    if (rc) return rc;
    uint64_t mine = qsdr_ae_pair_id(s->a);
    for (size_t t = 0; t < io->n_tags && mine; t++) { /* a transmitter of another training run */
        double v;
        if (qsdr_blk_tag_number(&io->tags[t], "ae_pair", &v) && v != (double)mine)
            return qsdr_error(QSDR_EINVAL, "the ae_modulator upstream loaded a transmitter of another training run than this "
                              "receiver (%s): they learned different codes (BER near 1/2); use the tx and rx files of one "
                              "`qsdr train ae` run (one models/ directory)", qsdr_ae_path(s->a));
    }
    size_t groups = io->n_in / (g->ns * g->L);
    if ((rc = qsdr_ae_demodulate(s->a, io->in[0], groups, io->out[0]))) return rc;
    if (qsdr_ae_used_table(s->a)) s->table_groups += groups;
    else s->network_groups += groups;
    return QSDR_OK;
}

static int aed_set(void *st, const char *name, const char *value)
{
    aed_state *s = st;
    if (!strcmp(name, "bits")) return qsdr_ae_set_bits(s->a, atoi(value)) /* -1: as stored */;
    return qsdr_error(QSDR_EINVAL, "parameter '%s' cannot change at run time", name);
}

static void aed_stats(void *st, qsdr_stats *o)
{
    aed_state *s = st;
    qsdr_stats_add(o, "bits", qsdr_ae_bits(s->a));
    qsdr_stats_add(o, "table_groups", (double)s->table_groups);
    qsdr_stats_add(o, "network_groups", (double)s->network_groups);
}

static const qsdr_param_desc aed_params[] = {
    {"model", QSDR_PARAM_STRING, "", 1, 0, "", "receiver model file (rx.safetensors from qsdr train ae)", QSDR_PARAM_READS_FILE, NULL},
    {"bits", QSDR_PARAM_INT, "-1", -1, 8, "bits", "bit-width of the neural layers: 1..8, 0 = float, -1 = as stored in the model; only bit-widths the network was trained for (qsdr model info)", QSDR_PARAM_RUNTIME, NULL},
    {"allow_untrained_bits", QSDR_PARAM_BOOL, "false", 1, 0, "", "accept any bit-width, also one the network was not trained for (to study that loss; the BER can collapse)", 0, NULL},
    {"allow_non_onebit", QSDR_PARAM_BOOL, "false", 1, 0, "", "run the network on samples that are not one-bit (a multi-bit ADC, or none); it was trained on one-bit samples, so this studies a mismatch (the BER can collapse)", 0, NULL},
    {"engine", QSDR_PARAM_ENUM, "int", 1, 0, "", "quantized layers on integer/bit kernels or float fake quantization", 0, "int|float"},
    {"llr_scale", QSDR_PARAM_FLOAT, "0", 0, 100, "", "LLR = -scale * logit; 0 = the scale calibrated at training for the current bit-width (model metadata)", 0, NULL},
    {"llr_clip", QSDR_PARAM_FLOAT, "20", 0.1, 1000, "", "LLRs are clipped to +-llr_clip", 0, NULL},
};
static const qsdr_port_desc aed_in[] = {{"in", QSDR_ITEM_CF32}};
static const qsdr_port_desc aed_out[] = {{"out", QSDR_ITEM_F32}};

const qsdr_block_desc qsdr_block_ae_decoder = {
    .abi = QSDR_BLOCK_ABI,
    .name = "ae_decoder",
    .summary = "Autoencoder receiver: ns*L one-bit samples -> m LLRs log P(0)/P(1), calibrated and clipped (a table of the network's outputs for one-bit input); checks the transmitter's ae_pair",
    .inputs = aed_in, .n_inputs = 1, .outputs = aed_out, .n_outputs = 1,
    .params = aed_params, .n_params = QSDR_N(aed_params),
    .rate_kind = QSDR_RATE_FRAMED, .rate_in = 2, .rate_out = 2,
    .create = aed_create, .destroy = aed_destroy, .work = aed_work, .set_param = aed_set, .stats = aed_stats,
};
