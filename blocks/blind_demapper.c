/* SPDX-License-Identifier: MIT */
/* Block: soft demapper with a blind Gaussian fit per window (scale and noise from the data). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "block_util.h"

typedef struct {
    qsdr_modem_t *m;
    unsigned bps;
    size_t win;
    qsdr_cf32 *y;
    uint8_t *hb;
    qsdr_cf32 *ref;
    double last_n0;
} bd_state;

static void bd_destroy(void *st)
{
    bd_state *s = st;
    if (!s) return;
    qsdr_modem_destroy(&s->m);
    qsdr_free(s->y), qsdr_free(s->hb), qsdr_free(s->ref);
    qsdr_free(s);
}

static int bd_create(qsdr_block_ctx *ctx, void **state)
{
    bd_state *s = qsdr_calloc(1, sizeof *s);
    if (!s) return QSDR_ENOMEM;
    *state = s;
    s->m = qsdr_modem_create((qsdr_modscheme)qsdr_ctx_enum(ctx, "modulation"));
    if (!s->m) return QSDR_EINVAL;
    s->bps = qsdr_modem_bps(s->m);
    s->win = (size_t)qsdr_ctx_uint(ctx, "window");
    s->y = qsdr_malloc(s->win * sizeof(qsdr_cf32));
    s->ref = qsdr_malloc(s->win * sizeof(qsdr_cf32));
    s->hb = qsdr_malloc(s->win * s->bps);
    if (!s->y || !s->ref || !s->hb) return QSDR_ENOMEM;
    qsdr_ctx_set_rate(ctx, s->win, s->win * s->bps);
    return QSDR_OK;
}

/* per window: scale to unit mean power, N0 = mean squared distance to the nearest point
 * (decision-directed), then exact LLRs; windows are whole frames, so results do not depend on
 * how the stream is chunked */
static int bd_work(void *st, qsdr_work_io *io)
{
    bd_state *s = st;
    int brc = qsdr_blk_check_bps(io, s->bps, "modulation");
    if (brc) return brc;
    const qsdr_cf32 *x = io->in[0];
    float *llr = io->out[0];
    if ((brc = qsdr_blk_finite_cf32(x, io->n_in, io->in_offset))) return brc;
    for (size_t w = 0; w < io->n_in / s->win; w++) {
        const qsdr_cf32 *xi = x + w * s->win;
        double p = 0;
        for (size_t i = 0; i < s->win; i++) p += (double)xi[i].re * xi[i].re + (double)xi[i].im * xi[i].im;
        float g = p > 0 ? (float)(1.0 / sqrt(p / (double)s->win)) : 1.0f;
        for (size_t i = 0; i < s->win; i++) s->y[i].re = xi[i].re * g, s->y[i].im = xi[i].im * g;
        int rc = qsdr_modem_demap_hard(s->m, s->y, s->win, s->hb);
        if (!rc) rc = qsdr_modem_map(s->m, s->hb, s->win, s->ref);
        if (rc) return rc;
        double n0 = 0;
        for (size_t i = 0; i < s->win; i++) {
            double dr = s->y[i].re - s->ref[i].re, di = s->y[i].im - s->ref[i].im;
            n0 += dr * dr + di * di;
        }
        n0 = fmax(n0 / (double)s->win, 1e-6);
        s->last_n0 = n0;
        if ((rc = qsdr_modem_demap_llr(s->m, s->y, s->win, (float)n0, false, llr + w * s->win * s->bps))) return rc;
    }
    return QSDR_OK;
}

static void bd_stats(void *st, qsdr_stats *o) { qsdr_stats_add(o, "noise_var", ((bd_state *)st)->last_n0); }

static const qsdr_param_desc bd_params[] = {
    {"modulation", QSDR_PARAM_ENUM, "qpsk", 1, 0, "", "constellation", 0, "bpsk|qpsk|qam16|qam64"},
    {"window", QSDR_PARAM_UINT, "4096", 16, 1 << 24, "symbols", "symbols per estimate of scale and noise variance", 0, NULL},
};
static const qsdr_port_desc bd_in[] = {{"in", QSDR_ITEM_CF32}};
static const qsdr_port_desc bd_out[] = {{"out", QSDR_ITEM_F32}};

const qsdr_block_desc qsdr_block_blind_demapper = {
    .abi = QSDR_BLOCK_ABI,
    .name = "blind_demapper",
    .summary = "Soft demapper for signals of unknown scale and noise (e.g. after one-bit sampling and a matched filter): per window, unit power, decision-directed N0, exact LLRs",
    .inputs = bd_in, .n_inputs = 1, .outputs = bd_out, .n_outputs = 1,
    .params = bd_params, .n_params = QSDR_N(bd_params),
    .rate_kind = QSDR_RATE_FRAMED, .rate_in = 4096, .rate_out = 8192,
    .create = bd_create, .destroy = bd_destroy, .work = bd_work, .stats = bd_stats,
};
