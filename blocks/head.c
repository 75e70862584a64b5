/* SPDX-License-Identifier: MIT */
/* Block: pass the first n items, then end the stream. */
#include "block_util.h"

extern const qsdr_block_desc qsdr_block_head;

typedef struct {
    uint64_t n, done;
    size_t isz;
} head_state;

static int head_create(qsdr_block_ctx *ctx, void **state)
{
    qsdr_item_type t;
    int rc = qsdr_blk_resolve_any(ctx, &qsdr_block_head, &t);
    if (rc) return rc;
    head_state *s = qsdr_calloc(1, sizeof *s);
    if (!s) return qsdr_error(QSDR_ENOMEM, "out of memory");
    s->n = qsdr_ctx_uint(ctx, "n");
    qsdr_ctx_set_item_budget(ctx, s->n);
    s->isz = qsdr_item_size(t);
    *state = s;
    return QSDR_OK;
}

static void head_destroy(void *st) { qsdr_free(st); }

static int head_work(void *st, qsdr_work_io *io)
{
    head_state *s = st;
    uint64_t left = s->n - s->done;
    size_t m = io->n_in < left ? io->n_in : (size_t)left;
    memcpy(io->out[0], io->in[0], m * s->isz);
    io->consumed = io->produced = m;
    s->done += m;
    return s->done == s->n ? QSDR_DONE : QSDR_OK;
}

static const qsdr_param_desc head_params[] = {
    QSDR_PARAM_ITEM_TYPE("cf32"),
    {"n", QSDR_PARAM_UINT, "1000000", 1, 1e18, "items", "items to pass before ending the stream", 0, NULL},
};
static const qsdr_port_desc head_in[] = {{"in", QSDR_ITEM_ANY}};
static const qsdr_port_desc head_out[] = {{"out", QSDR_ITEM_ANY}};

const qsdr_block_desc qsdr_block_head = {
    .abi = QSDR_BLOCK_ABI,
    .name = "head",
    .summary = "Pass the first n items, then end the stream",
    .inputs = head_in, .n_inputs = 1, .outputs = head_out, .n_outputs = 1,
    .params = head_params, .n_params = QSDR_N(head_params),
    .rate_kind = QSDR_RATE_SYNC, .rate_in = 1, .rate_out = 1,
    .create = head_create, .destroy = head_destroy, .work = head_work,
};
