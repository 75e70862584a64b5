/* SPDX-License-Identifier: MIT */
/* Block: seeded random bits (counter-based, so any item range is reproducible). */
#include "block_util.h"
#include "qsdr/rng.h"

typedef struct {
    uint64_t seed;
} rs_state;

static int rs_create(qsdr_block_ctx *ctx, void **state)
{
    rs_state *s = qsdr_calloc(1, sizeof *s);
    if (!s) return qsdr_error(QSDR_ENOMEM, "out of memory");
    s->seed = qsdr_ctx_uint(ctx, "seed");
    *state = s;
    return QSDR_OK;
}

static void rs_destroy(void *st) { qsdr_free(st); }

static int rs_work(void *st, qsdr_work_io *io)
{
    rs_state *s = st;
    qsdr_rand_bits(s->seed, io->out_offset, io->n_out, io->out[0]);
    return QSDR_OK;
}

static const qsdr_param_desc rs_params[] = {
    {"seed", QSDR_PARAM_SEED, "0", 1, 0, "", "bit stream seed (default: derived from the flowgraph seed and the block id)", 0, NULL},
};
static const qsdr_port_desc rs_out[] = {{"out", QSDR_ITEM_BIT}};

const qsdr_block_desc qsdr_block_random_source = {
    .abi = QSDR_BLOCK_ABI,
    .name = "random_source",
    .summary = "Random bits (Philox counter RNG): bit i depends only on the seed and i",
    .outputs = rs_out, .n_outputs = 1,
    .params = rs_params, .n_params = QSDR_N(rs_params),
    .rate_kind = QSDR_RATE_SYNC, .rate_in = 1, .rate_out = 1,
    .create = rs_create, .destroy = rs_destroy, .work = rs_work,
};
