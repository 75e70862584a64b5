/* SPDX-License-Identifier: MIT */
/* Block: RRC matched filter and decimator (qsdr_rrc: as liquid-dsp's firdecim), with delay compensation. */
#include <math.h>
#include <stdatomic.h>

#include "block_util.h"

typedef struct {
    qsdr_rrc_t *q;
    uint64_t drop;    /* output symbols still to drop (filter delay) */
    unsigned sps, span;
    double rolloff;
    bool auto_delay;  /* delay -1: the pulse's span (tag rrc_span) + this filter's span */
} rd_state;

static void rd_destroy(void *st)
{
    rd_state *s = st;
    if (!s) return;
    qsdr_rrc_destroy(&s->q);
    qsdr_free(s);
}

static int rd_create(qsdr_block_ctx *ctx, void **state)
{
    rd_state *s = qsdr_calloc(1, sizeof *s);
    if (!s) return qsdr_error(QSDR_ENOMEM, "out of memory");
    s->sps = (unsigned)qsdr_ctx_uint(ctx, "sps");
    unsigned span = s->span = (unsigned)qsdr_ctx_uint(ctx, "span");
    s->rolloff = qsdr_ctx_float(ctx, "rolloff");
    s->q = qsdr_rrc_decim_create(s->sps, span, (float)s->rolloff);
    if (!s->q) {
        rd_destroy(s);
        return QSDR_EINVAL;
    }
    int64_t d = qsdr_ctx_int(ctx, "delay");
    s->auto_delay = d < 0;
    s->drop = d < 0 ? 2ull * span : (uint64_t)d;
    qsdr_ctx_set_rate(ctx, s->sps, 1);
    *state = s;
    return QSDR_OK;
}

/* At the stream's start: the pulse shaper's span and roll-off, when an rrc_interp tagged them
   (samples from a radio or a file carry none: the delay then assumes this filter's span). A
   different span moved every symbol (BER 0.5, silently); a different roll-off is a mismatch one
   may mean to study: said once. */
static void rd_first(rd_state *s, const qsdr_work_io *io)
{
    double tx_span = -1, tx_roll = -1;
    for (size_t t = 0; t < io->n_tags; t++) {
        if (io->tags[t].offset != 0) continue;
        qsdr_blk_tag_number(&io->tags[t], "rrc_span", &tx_span);
        qsdr_blk_tag_number(&io->tags[t], "rrc_rolloff", &tx_roll);
    }
    if (s->auto_delay && tx_span >= 0) s->drop = (uint64_t)tx_span + s->span;
    static atomic_bool said;
    if (tx_roll > 0 && fabs(tx_roll - s->rolloff) > 1e-6 && !atomic_exchange(&said, true))
        qsdr_warn("roll-off %g differs from the pulse shaper's %g: the filter is not matched to the pulse (costs SNR and adds "
                  "intersymbol interference)", s->rolloff, tx_roll);
}

static int rd_work(void *st, qsdr_work_io *io)
{
    rd_state *s = st;
    if (io->in_offset == 0) rd_first(s, io);
    qsdr_cf32 *y = io->out[0];
    int rc = qsdr_rrc_execute(s->q, io->in[0], io->n_out, y); /* its error names the sample */
    if (rc) return rc;
    if (s->drop) {
        size_t k = io->n_out < s->drop ? io->n_out : (size_t)s->drop;
        memmove(y, y + k, (io->n_out - k) * sizeof *y);
        io->produced = io->n_out - k;
        s->drop -= k;
    }
    return QSDR_OK;
}

static const qsdr_param_desc rd_params[] = {
    {"sps", QSDR_PARAM_UINT, "4", 2, 64, "samples", "samples per symbol", 0, NULL},
    {"rolloff", QSDR_PARAM_FLOAT, "0.35", 0.01, 0.99, "", "excess bandwidth (roll-off) factor", 0, NULL},
    {"span", QSDR_PARAM_UINT, "8", 1, 40, "symbols", "filter half-length: delay in symbols (length 2*sps*span+1)", 0, NULL},
    {"delay", QSDR_PARAM_INT, "-1", -1, 1000, "symbols",
     "leading output symbols to drop so symbol i lines up with transmitted symbol i; -1 = the span of the rrc_interp upstream (its tag) + this span, or 2*span without one", 0, NULL},
};
static const qsdr_port_desc rd_in[] = {{"in", QSDR_ITEM_CF32}};
static const qsdr_port_desc rd_out[] = {{"out", QSDR_ITEM_CF32}};

const qsdr_block_desc qsdr_block_rrc_decim = {
    .abi = QSDR_BLOCK_ABI,
    .name = "rrc_decim",
    .summary = "Root-raised-cosine matched filter: sps samples -> 1 symbol, unit-energy pulse, filter delay removed",
    .inputs = rd_in, .n_inputs = 1, .outputs = rd_out, .n_outputs = 1,
    .params = rd_params, .n_params = QSDR_N(rd_params),
    .rate_kind = QSDR_RATE_DECIM, .rate_in = 4, .rate_out = 1,
    .tag_policy = QSDR_TAGS_ALL_TO_ALL,
    .create = rd_create, .destroy = rd_destroy, .work = rd_work,
};
