/* SPDX-License-Identifier: MIT */
/* Block: endless zeros (for benchmarks and tests). */
#include "block_util.h"

extern const qsdr_block_desc qsdr_block_null_source;

static int nsrc_create(qsdr_block_ctx *ctx, void **state)
{
    *state = NULL;
    return qsdr_blk_resolve_any(ctx, &qsdr_block_null_source, NULL);
}

static int nsrc_work(void *st, qsdr_work_io *io)
{
    (void)st;
    (void)io; /* nothing to write: nobody else writes this buffer and it starts zeroed */
    return QSDR_OK;
}

static const qsdr_param_desc nsrc_params[] = {QSDR_PARAM_ITEM_TYPE("cf32")};
static const qsdr_port_desc nsrc_out[] = {{"out", QSDR_ITEM_ANY}};

const qsdr_block_desc qsdr_block_null_source = {
    .abi = QSDR_BLOCK_ABI,
    .name = "null_source",
    .summary = "Endless stream of zeros (costs no work per item); for benchmarks",
    .outputs = nsrc_out, .n_outputs = 1,
    .params = nsrc_params, .n_params = QSDR_N(nsrc_params),
    .rate_kind = QSDR_RATE_SYNC, .rate_in = 1, .rate_out = 1,
    .create = nsrc_create, .work = nsrc_work,
};
