/* SPDX-License-Identifier: MIT */
/* A tiny out-of-tree plugin: an f32 gain block. Built against the public headers only; the
 * qsdr_* symbols it uses are resolved from the host program when qsdr loads it. */
#include <qsdr/block.h>

static int gain_create(qsdr_block_ctx *ctx, void **state)
{
    float *g = qsdr_malloc(sizeof *g);
    if (!g) return QSDR_ENOMEM;
    *g = (float)qsdr_ctx_float(ctx, "gain");
    *state = g;
    return QSDR_OK;
}

static void gain_destroy(void *st) { qsdr_free(st); }

static int gain_work(void *st, qsdr_work_io *io)
{
    const float *x = io->in[0];
    float *y = io->out[0], g = *(float *)st;
    for (size_t i = 0; i < io->n_in; i++) y[i] = g * x[i];
    return QSDR_OK;
}

static const qsdr_param_desc gain_params[] = {
    {"gain", QSDR_PARAM_FLOAT, "2", -1e6, 1e6, "", "linear gain", 0, NULL},
};
static const qsdr_port_desc gain_in[] = {{"in", QSDR_ITEM_F32}};
static const qsdr_port_desc gain_out[] = {{"out", QSDR_ITEM_F32}};

static const qsdr_block_desc gain_block = {
    .abi = QSDR_BLOCK_ABI,
    .name = "plugin_gain",
    .summary = "Multiply f32 items by a gain (example plugin)",
    .inputs = gain_in, .n_inputs = 1, .outputs = gain_out, .n_outputs = 1,
    .params = gain_params, .n_params = 1,
    .rate_kind = QSDR_RATE_SYNC, .rate_in = 1, .rate_out = 1,
    .create = gain_create, .destroy = gain_destroy, .work = gain_work,
};

int qsdr_plugin_init(unsigned abi)
{
    if (abi != QSDR_BLOCK_ABI) return QSDR_ENOTSUP;
    return qsdr_registry_add(&gain_block);
}
