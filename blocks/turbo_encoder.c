/* SPDX-License-Identifier: MIT */
/* Block: LTE turbo encoder, framed: K (or K-24 with a CRC attached here) bits -> N coded bits. */
#include <stdlib.h>

#include "block_util.h"
#include "qsdr/fec.h"

typedef struct {
    qsdr_turbo_enc_t *e;
    qsdr_crc_type crc;
    size_t k, n;
    uint8_t *u;
} te_state;

static void te_destroy(void *st)
{
    te_state *s = st;
    if (!s) return;
    qsdr_turbo_enc_destroy(&s->e);
    qsdr_free(s->u);
    qsdr_free(s);
}

static int te_create(qsdr_block_ctx *ctx, void **state)
{
    te_state *s = qsdr_calloc(1, sizeof *s);
    if (!s) return qsdr_error(QSDR_ENOMEM, "out of memory");
    s->k = (size_t)qsdr_ctx_uint(ctx, "k");
    qsdr_turbo_rate r = (qsdr_turbo_rate)qsdr_ctx_enum(ctx, "rate");
    s->crc = (qsdr_crc_type)qsdr_ctx_enum(ctx, "crc");
    if (!qsdr_turbo_k_valid(s->k)) {
        size_t up = qsdr_turbo_k_ceil(s->k);
        te_destroy(s);
        return qsdr_error(QSDR_EINVAL, "parameter 'k': %zu is not an LTE block size (40..6144 in the steps of TS 36.212 Table 5.1.3-3; nearest above: %zu)",
                          (size_t)qsdr_ctx_uint(ctx, "k"), up);
    }
    s->e = qsdr_turbo_enc_create(s->k, r);
    s->u = qsdr_malloc(s->k);
    if (!s->e || !s->u) {
        te_destroy(s);
        return QSDR_ENOMEM;
    }
    s->n = qsdr_turbo_n(s->k, r);
    qsdr_ctx_set_rate(ctx, s->crc ? s->k - 24 : s->k, s->n);
    *state = s;
    return QSDR_OK;
}

static int te_work(void *st, qsdr_work_io *io)
{
    te_state *s = st;
    const uint8_t *in = io->in[0];
    uint8_t *out = io->out[0];
    size_t kin = s->crc ? s->k - 24 : s->k, frames = io->n_out / s->n;
    if (io->out_offset == 0) { /* exact rate for Eb/N0 accounting downstream (awgn code_rate: 0) */
        qsdr_work_add_tag(io, 0, 0, "code_rate", qsdr_tagv_float((double)kin / (double)s->n));
        qsdr_work_add_tag(io, 0, 0, "crc_type", qsdr_tagv_float((double)s->crc)); /* the decoder checks its own against it */
    }
    for (size_t f = 0; f < frames; f++) {
        const uint8_t *u = in + f * kin;
        if (s->crc) {
            memcpy(s->u, u, kin);
            qsdr_crc24_attach(s->crc, s->u, kin);
            u = s->u;
        }
        int rc = qsdr_turbo_enc_execute(s->e, u, out + f * s->n);
        if (rc) return rc;
    }
    return QSDR_OK;
}

static const qsdr_param_desc te_params[] = {
    {"k", QSDR_PARAM_UINT, "6144", 40, 6144, "bits", "block size K, one of the 188 LTE sizes (the encoder input is K bits, or K-24 with crc)", 0, NULL},
    {"rate", QSDR_PARAM_ENUM, "1/3", 1, 0, "", "code rate: mother code 1/3 (N = 3K+12) or punctured 1/2, 2/3 (docs/turbo.md)", 0, "1/3|1/2|2/3"},
    {"crc", QSDR_PARAM_ENUM, "none", 1, 0, "", "attach a 24-bit CRC to K-24 input bits (TS 36.212 5.1.1)", 0, "none|crc24a|crc24b"},
};
static const qsdr_port_desc te_in[] = {{"in", QSDR_ITEM_BIT}};
static const qsdr_port_desc te_out[] = {{"out", QSDR_ITEM_BIT}};

const qsdr_block_desc qsdr_block_turbo_encoder = {
    .abi = QSDR_BLOCK_ABI,
    .name = "turbo_encoder",
    .summary = "LTE turbo encoder (TS 36.212): K bits -> N = 3K+12 (rate 1/3), 2K+12 (1/2) or 3K/2+12 (2/3) bits; tags code_rate, crc_type",
    .inputs = te_in, .n_inputs = 1, .outputs = te_out, .n_outputs = 1,
    .params = te_params, .n_params = QSDR_N(te_params),
    .rate_kind = QSDR_RATE_FRAMED, .rate_in = 6144, .rate_out = 18444,
    .create = te_create, .destroy = te_destroy, .work = te_work,
};
