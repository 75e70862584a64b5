/* SPDX-License-Identifier: MIT */
/* Block: discard items. */
#include "block_util.h"

extern const qsdr_block_desc qsdr_block_null_sink;

static int nsnk_create(qsdr_block_ctx *ctx, void **state)
{
    *state = NULL;
    return qsdr_blk_resolve_any(ctx, &qsdr_block_null_sink, NULL);
}

static int nsnk_work(void *st, qsdr_work_io *io)
{
    (void)st;
    (void)io;
    return QSDR_OK;
}

static const qsdr_param_desc nsnk_params[] = {QSDR_PARAM_ITEM_TYPE("cf32")};
static const qsdr_port_desc nsnk_in[] = {{"in", QSDR_ITEM_ANY}};

const qsdr_block_desc qsdr_block_null_sink = {
    .abi = QSDR_BLOCK_ABI,
    .name = "null_sink",
    .summary = "Discard every item",
    .inputs = nsnk_in, .n_inputs = 1,
    .params = nsnk_params, .n_params = QSDR_N(nsnk_params),
    .rate_kind = QSDR_RATE_SYNC, .rate_in = 1, .rate_out = 1,
    .create = nsnk_create, .work = nsnk_work,
};
