/* SPDX-License-Identifier: MIT */
/* Block: keeps up to max_points cf32 samples (after skip) and, at the end of the stream,
 * writes them as CSV and as a scatter plot (gnuplot), with a summary line. */
#include <inttypes.h>
#include <math.h>
#include <stdio.h>

#include "block_util.h"

extern const qsdr_block_desc qsdr_block_constellation_sink;

typedef struct {
    qsdr_cf32 *pts;
    size_t max, n;
    uint64_t skip, seen;
    const char *id;
    qsdr_blk_plot_out out;
} cons_state;

static void cons_destroy(void *st)
{
    cons_state *s = st;
    if (!s) return;
    qsdr_free(s->pts);
    qsdr_blk_plot_close(&s->out);
    qsdr_free(s);
}

static int cons_create(qsdr_block_ctx *ctx, void **state)
{
    cons_state *s = qsdr_calloc(1, sizeof *s);
    if (!s) return qsdr_error(QSDR_ENOMEM, "out of memory");
    *state = s;
    s->max = (size_t)qsdr_ctx_uint(ctx, "max_points");
    s->skip = qsdr_ctx_uint(ctx, "skip");
    s->id = qsdr_ctx_id(ctx);
    if (!(s->pts = qsdr_calloc(s->max, sizeof *s->pts))) return qsdr_error(QSDR_ENOMEM, "out of memory (max_points %zu)", s->max);
    return qsdr_blk_plot_open(ctx, &s->out);
}

static int cons_work(void *st, qsdr_work_io *io)
{
    cons_state *s = st;
    const qsdr_cf32 *x = io->in[0];
    for (size_t i = 0; i < io->n_in; i++) {
        if (!isfinite(x[i].re) || !isfinite(x[i].im))
            return qsdr_error(QSDR_ERANGE, "constellation: sample %" PRIu64 " is not finite (%g, %g)", io->in_offset + i, x[i].re, x[i].im);
        if (s->seen + i >= s->skip && s->n < s->max) s->pts[s->n++] = x[i];
    }
    s->seen += io->n_in;
    return QSDR_OK;
}

static double mean_power(const cons_state *s)
{
    double p = 0;
    for (size_t i = 0; i < s->n; i++) p += (double)s->pts[i].re * s->pts[i].re + (double)s->pts[i].im * s->pts[i].im;
    return s->n ? p / (double)s->n : 0;
}

static void cons_stats(void *st, qsdr_stats *o)
{
    cons_state *s = st;
    qsdr_stats_add(o, "points", (double)s->n);
    qsdr_stats_add(o, "power", mean_power(s));
}

static int plot_row(const void *ctx, size_t i, char *buf, size_t cap)
{
    const cons_state *s = ctx;
    return snprintf(buf, cap, "%.6g %.6g\n", s->pts[i].re, s->pts[i].im);
}

static int write_outputs(cons_state *s)
{
    if (s->out.csv) {
        fprintf(s->out.csv, "# qsdr constellation_sink '%s': %zu points after skipping %" PRIu64 "\ni,q\n", s->id, s->n, s->skip);
        for (size_t i = 0; i < s->n; i++) fprintf(s->out.csv, "%.8g,%.8g\n", s->pts[i].re, s->pts[i].im);
    }
    int rc = qsdr_blk_plot_csv_done(&s->out);
    if (rc || !s->out.plot) return rc;
    double r = 0;
    /* a plain compare, not an fmax() reduction: GCC 12's vectorizer crashes on that for aarch64
       (internal compiler error in vect_transform_reduction; Debian 12's gcc-aarch64) */
    for (size_t i = 0; i < s->n; i++) {
        double a = fabs(s->pts[i].re) > fabs(s->pts[i].im) ? fabs(s->pts[i].re) : fabs(s->pts[i].im);
        if (a > r) r = a;
    }
    r = r > 0 ? 1.15 * r : 1;
    char t[300], body[400];
    snprintf(t, sizeof t, "%.100s: %zu points, mean power %.4g", s->id, s->n, mean_power(s));
    snprintf(body, sizeof body,
             "set size square\nset xrange [%.6g:%.6g]\nset yrange [%.6g:%.6g]\nset xlabel 'I'\nset ylabel 'Q'\nset grid\nunset key\n"
             "plot '-' using 1:2 with points pt 7 ps 0.4",
             -r, r, -r, r);
    return qsdr_blk_plot_draw(&s->out, "640,640", t, body, s->n, plot_row, s);
}

static void cons_finish(void *st)
{
    cons_state *s = st;
    if (s->out.print) {
        qsdr_print("%s: %zu points, mean power %.6g\n", s->id, s->n, mean_power(s));
        fflush(stdout);
    }
    write_outputs(s);
}

static const qsdr_param_desc cons_params[] = {
    {"max_points", QSDR_PARAM_UINT, "4096", 1, 10000000, "points", "samples kept (the first ones after skip)", 0, NULL},
    {"skip", QSDR_PARAM_UINT, "0", 0, 4611686018427387904.0, "samples", "leading samples left out (filter start-up)", 0, NULL},
    QSDR_PLOT_PARAMS,
};
static const qsdr_port_desc cons_in[] = {{"in", QSDR_ITEM_CF32}};

const qsdr_block_desc qsdr_block_constellation_sink = {
    .abi = QSDR_BLOCK_ABI,
    .name = "constellation_sink",
    .summary = "Constellation (I/Q scatter): keeps up to max_points samples; CSV and plot at the end of the stream",
    .inputs = cons_in, .n_inputs = 1,
    .params = cons_params, .n_params = QSDR_N(cons_params),
    .rate_kind = QSDR_RATE_SYNC, .rate_in = 1, .rate_out = 1,
    .create = cons_create, .destroy = cons_destroy, .work = cons_work, .stats = cons_stats, .finish = cons_finish,
};
