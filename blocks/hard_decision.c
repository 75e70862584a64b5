/* SPDX-License-Identifier: MIT */
/* Block: LLR -> bit (LLR < 0 means bit 1, since LLR = log P(0)/P(1)). */
#include <math.h>

#include "block_util.h"

static int hd_create(qsdr_block_ctx *ctx, void **state)
{
    (void)ctx;
    *state = NULL;
    return QSDR_OK;
}

static int hd_work(void *st, qsdr_work_io *io)
{
    (void)st;
    const float *l = io->in[0];
    uint8_t *b = io->out[0];
    for (size_t i = 0; i < io->n_in; i++) {
        if (isnan(l[i])) return qsdr_error(QSDR_ERANGE, "LLR at input item %llu is NaN", (unsigned long long)(io->in_offset + i));
        b[i] = l[i] < 0.0f;
    }
    return QSDR_OK;
}

static const qsdr_port_desc hd_in[] = {{"in", QSDR_ITEM_F32}};
static const qsdr_port_desc hd_out[] = {{"out", QSDR_ITEM_BIT}};

const qsdr_block_desc qsdr_block_hard_decision = {
    .abi = QSDR_BLOCK_ABI,
    .name = "hard_decision",
    .summary = "LLR -> bit: 1 if LLR < 0 (LLR = log P(b=0)/P(b=1)), else 0",
    .inputs = hd_in, .n_inputs = 1, .outputs = hd_out, .n_outputs = 1,
    .rate_kind = QSDR_RATE_SYNC, .rate_in = 1, .rate_out = 1,
    .create = hd_create, .work = hd_work,
};
