/* SPDX-License-Identifier: MIT */
/* Block: autoencoder transmitter, m coded bits -> ns*L complex samples (energy ns per group). */
#include <stdlib.h>
#include <string.h>

#include "block_util.h"
#include "qsdr/ae.h"

static int aem_create(qsdr_block_ctx *ctx, void **state)
{
    const char *path = qsdr_ctx_string(ctx, "model");
    if (!*path) return qsdr_error(QSDR_EINVAL, "parameter 'model': the transmitter model file is required (qsdr train ae)");
    qsdr_ae *a = qsdr_ae_load(path, true);
    if (!a) return QSDR_EINVAL;
    qsdr_ae_allow_untrained_bits(a, qsdr_ctx_bool(ctx, "allow_untrained_bits"));
    int64_t bits = qsdr_ctx_int(ctx, "bits");
    if (bits >= 0 && qsdr_ae_set_bits(a, (int)bits)) {
        qsdr_ae_free(a);
        return QSDR_EINVAL;
    }
    const qsdr_ae_geom *g = qsdr_ae_geometry(a);
    qsdr_ctx_set_rate(ctx, g->m, g->ns * g->L);
    *state = a;
    return QSDR_OK;
}

static void aem_destroy(void *st) { qsdr_ae_free(st); }

static int aem_work(void *st, qsdr_work_io *io)
{
    const qsdr_ae_geom *g = qsdr_ae_geometry(st);
    const uint8_t *in = io->in[0];
    if (io->out_offset == 0) { /* for the awgn block's Eb/N0 accounting: group energy ns over ns*L samples */
        qsdr_work_add_tag(io, 0, 0, "bits_per_symbol", qsdr_tagv_float((double)g->m));
        qsdr_work_add_tag(io, 0, 0, "samples_per_symbol", qsdr_tagv_float((double)(g->ns * g->L)));
        qsdr_work_add_tag(io, 0, 0, "sample_power", qsdr_tagv_float(1.0 / (double)g->L));
        uint64_t pair = qsdr_ae_pair_id(st); /* the ae_decoder checks it was trained with this transmitter */
        if (pair) qsdr_work_add_tag(io, 0, 0, "ae_pair", qsdr_tagv_float((double)pair));
    }
    for (size_t i = 0; i < io->n_in; i++)
        if (in[i] > 1) return qsdr_error(QSDR_ERANGE, "input item %llu is %u, expected a bit (0 or 1)", (unsigned long long)(io->in_offset + i), in[i]);
    return qsdr_ae_modulate(st, in, io->n_in / g->m, io->out[0]);
}

static int aem_set(void *st, const char *name, const char *value)
{
    if (!strcmp(name, "bits")) return qsdr_ae_set_bits(st, atoi(value)) /* -1: as stored */;
    return qsdr_error(QSDR_EINVAL, "parameter '%s' cannot change at run time", name);
}

static void aem_stats(void *st, qsdr_stats *o)
{
    qsdr_stats_add(o, "bits", qsdr_ae_bits(st));
}

static const qsdr_param_desc aem_params[] = {
    {"model", QSDR_PARAM_STRING, "", 1, 0, "", "transmitter model file (tx.safetensors from qsdr train ae)", QSDR_PARAM_READS_FILE, NULL},
    {"bits", QSDR_PARAM_INT, "-1", -1, 8, "bits", "bit-width of the neural layers: 1..8, 0 = float, -1 = as stored in the model; only bit-widths the network was trained for (qsdr model info)", QSDR_PARAM_RUNTIME, NULL},
    {"allow_untrained_bits", QSDR_PARAM_BOOL, "false", 1, 0, "", "accept any bit-width, also one the network was not trained for (to study that loss; the BER can collapse)", 0, NULL},
};
static const qsdr_port_desc aem_in[] = {{"in", QSDR_ITEM_BIT}};
static const qsdr_port_desc aem_out[] = {{"out", QSDR_ITEM_CF32}};

const qsdr_block_desc qsdr_block_ae_modulator = {
    .abi = QSDR_BLOCK_ABI,
    .name = "ae_modulator",
    .summary = "Autoencoder transmitter: m coded bits -> ns*L complex samples with energy ns per group (awgn: bits_per_symbol m, sps ns*L, sample_power 1/L; tagged, with ae_pair, the training run)",
    .inputs = aem_in, .n_inputs = 1, .outputs = aem_out, .n_outputs = 1,
    .params = aem_params, .n_params = QSDR_N(aem_params),
    .rate_kind = QSDR_RATE_FRAMED, .rate_in = 2, .rate_out = 2,
    .create = aem_create, .destroy = aem_destroy, .work = aem_work, .set_param = aem_set, .stats = aem_stats,
};
