/* SPDX-License-Identifier: MIT */
/* Block: statistics sink (count, mean, power, min, max, non-finite count). */
#include <math.h>
#include <stdio.h>

#include "block_util.h"

extern const qsdr_block_desc qsdr_block_probe;

typedef struct {
    qsdr_item_type t;
    uint64_t n, nonfinite;
    double sum_re, sum_im, pow, min, max;
    bool print;
    const char *id;
} probe_state;

static int probe_create(qsdr_block_ctx *ctx, void **state)
{
    qsdr_item_type t;
    int rc = qsdr_blk_resolve_any(ctx, &qsdr_block_probe, &t);
    if (rc) return rc;
    probe_state *s = qsdr_calloc(1, sizeof *s);
    if (!s) return qsdr_error(QSDR_ENOMEM, "out of memory");
    s->t = t;
    s->min = INFINITY;
    s->max = -INFINITY;
    s->print = qsdr_ctx_bool(ctx, "print");
    s->id = qsdr_ctx_id(ctx);
    *state = s;
    return QSDR_OK;
}

static void probe_destroy(void *st) { qsdr_free(st); }

static inline void acc(probe_state *s, double re, double im)
{
    if (!isfinite(re) || !isfinite(im)) {
        s->nonfinite++;
        return;
    }
    s->sum_re += re;
    s->sum_im += im;
    s->pow += re * re + im * im;
    if (re < s->min) s->min = re;
    if (re > s->max) s->max = re;
}

static int probe_work(void *st, qsdr_work_io *io)
{
    probe_state *s = st;
    const void *in = io->in[0];
    for (size_t i = 0; i < io->n_in; i++) {
        switch (s->t) {
        case QSDR_ITEM_BIT:
        case QSDR_ITEM_U8: acc(s, ((const uint8_t *)in)[i], 0); break;
        case QSDR_ITEM_I8: acc(s, ((const int8_t *)in)[i], 0); break;
        case QSDR_ITEM_I16: acc(s, ((const int16_t *)in)[i], 0); break;
        case QSDR_ITEM_F32: acc(s, ((const float *)in)[i], 0); break;
        case QSDR_ITEM_CF32: acc(s, ((const qsdr_cf32 *)in)[i].re, ((const qsdr_cf32 *)in)[i].im); break;
        default: break;
        }
    }
    s->n += io->n_in;
    return QSDR_OK;
}

static void probe_stats(void *st, qsdr_stats *o)
{
    probe_state *s = st;
    double k = s->n > s->nonfinite ? (double)(s->n - s->nonfinite) : 1;
    qsdr_stats_add(o, "count", (double)s->n);
    qsdr_stats_add(o, "mean", s->sum_re / k);
    if (s->t == QSDR_ITEM_CF32) qsdr_stats_add(o, "mean_im", s->sum_im / k);
    qsdr_stats_add(o, "power", s->pow / k);
    qsdr_stats_add(o, "min", s->n ? s->min : 0);
    qsdr_stats_add(o, "max", s->n ? s->max : 0);
    qsdr_stats_add(o, "nonfinite", (double)s->nonfinite);
}

static void probe_finish(void *st)
{
    probe_state *s = st;
    if (!s->print) return;
    qsdr_stats o = {0};
    probe_stats(s, &o);
    char line[2048];
    size_t len = (size_t)snprintf(line, sizeof line, "%s:", s->id);
    for (size_t i = 0; i < o.n && len < sizeof line; i++)
        len += (size_t)snprintf(line + len, sizeof line - len, " %s=%.6g", o.v[i].name, o.v[i].value);
    qsdr_print("%s\n", line);
    fflush(stdout);
}

static const qsdr_param_desc probe_params[] = {
    QSDR_PARAM_ITEM_TYPE("cf32"),
    {"print", QSDR_PARAM_BOOL, "true", 1, 0, "", "print the statistics when the stream ends", 0, NULL},
};
static const qsdr_port_desc probe_in[] = {{"in", QSDR_ITEM_ANY}};

const qsdr_block_desc qsdr_block_probe = {
    .abi = QSDR_BLOCK_ABI,
    .name = "probe",
    .summary = "Statistics sink: count, mean, power (mean |x|^2), min/max of the real part, non-finite count",
    .inputs = probe_in, .n_inputs = 1,
    .params = probe_params, .n_params = QSDR_N(probe_params),
    .rate_kind = QSDR_RATE_SYNC, .rate_in = 1, .rate_out = 1,
    .create = probe_create, .destroy = probe_destroy, .work = probe_work, .stats = probe_stats, .finish = probe_finish,
};
