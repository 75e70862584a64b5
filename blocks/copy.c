/* SPDX-License-Identifier: MIT */
/* Block: pass items through unchanged (benchmarks, fan-out points). */
#include "block_util.h"

extern const qsdr_block_desc qsdr_block_copy;

static int copy_create(qsdr_block_ctx *ctx, void **state)
{
    qsdr_item_type t;
    int rc = qsdr_blk_resolve_any(ctx, &qsdr_block_copy, &t);
    if (rc) return rc;
    size_t *isz = qsdr_malloc(sizeof *isz);
    if (!isz) return qsdr_error(QSDR_ENOMEM, "out of memory");
    *isz = qsdr_item_size(t);
    *state = isz;
    return QSDR_OK;
}

static void copy_destroy(void *st) { qsdr_free(st); }

static int copy_work(void *st, qsdr_work_io *io)
{
    memcpy(io->out[0], io->in[0], io->n_in * *(size_t *)st);
    return QSDR_OK;
}

static const qsdr_param_desc copy_params[] = {QSDR_PARAM_ITEM_TYPE("cf32")};
static const qsdr_port_desc copy_in[] = {{"in", QSDR_ITEM_ANY}};
static const qsdr_port_desc copy_out[] = {{"out", QSDR_ITEM_ANY}};

const qsdr_block_desc qsdr_block_copy = {
    .abi = QSDR_BLOCK_ABI,
    .name = "copy",
    .summary = "Pass items through unchanged",
    .inputs = copy_in, .n_inputs = 1, .outputs = copy_out, .n_outputs = 1,
    .params = copy_params, .n_params = QSDR_N(copy_params),
    .rate_kind = QSDR_RATE_SYNC, .rate_in = 1, .rate_out = 1,
    .create = copy_create, .destroy = copy_destroy, .work = copy_work,
};
