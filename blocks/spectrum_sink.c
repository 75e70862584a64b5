/* SPDX-License-Identifier: MIT */
/* Block: power spectral density (Welch, lib/phy/spectrum.c) of a cf32 stream; at the end of
 * the stream a CSV, a plot (gnuplot) and a summary line with the power and the 99 % occupied
 * bandwidth. */
#include <inttypes.h>
#include <math.h>
#include <stdio.h>

#include "block_util.h"

extern const qsdr_block_desc qsdr_block_spectrum_sink;

typedef struct {
    qsdr_psd_t *psd;
    uint64_t skip, seen;
    double fs;
    bool fs_set;
    char unit[64];
    size_t nfft;
    const char *id, *window;
    qsdr_blk_plot_out out;
} spec_state;

static void spec_destroy(void *st)
{
    spec_state *s = st;
    if (!s) return;
    qsdr_psd_destroy(&s->psd);
    qsdr_blk_plot_close(&s->out);
    qsdr_free(s);
}

static int spec_create(qsdr_block_ctx *ctx, void **state)
{
    spec_state *s = qsdr_calloc(1, sizeof *s);
    if (!s) return qsdr_error(QSDR_ENOMEM, "out of memory");
    *state = s;
    s->nfft = (size_t)qsdr_ctx_uint(ctx, "nfft");
    s->skip = qsdr_ctx_uint(ctx, "skip");
    s->fs = qsdr_ctx_float(ctx, "sample_rate");
    s->fs_set = qsdr_ctx_is_set(ctx, "sample_rate");
    qsdr_blk_only_with(ctx, "unit", s->fs_set, "sample_rate (without it the axis is in cycles/sample)");
    const char *unit = s->fs_set ? qsdr_ctx_string(ctx, "unit") : "cycles/sample";
    if (strlen(unit) >= sizeof s->unit || !qsdr_plot_text_ok(unit))
        return qsdr_error(QSDR_EINVAL, "parameter 'unit': at most %zu characters, no line breaks or control characters", sizeof s->unit - 1);
    snprintf(s->unit, sizeof s->unit, "%s", unit);
    s->id = qsdr_ctx_id(ctx);
    s->window = qsdr_ctx_string(ctx, "window");
    s->psd = qsdr_psd_create(s->nfft, qsdr_ctx_float(ctx, "overlap"), (qsdr_window)qsdr_ctx_enum(ctx, "window"));
    if (!s->psd) return QSDR_EINVAL;
    return qsdr_blk_plot_open(ctx, &s->out);
}

static int spec_work(void *st, qsdr_work_io *io)
{
    spec_state *s = st;
    const qsdr_cf32 *x = io->in[0];
    size_t n = io->n_in, from = 0;
    if (s->seen < s->skip) from = s->skip - s->seen < n ? (size_t)(s->skip - s->seen) : n;
    s->seen += n;
    int rc = qsdr_blk_finite_cf32(x + from, n - from, io->in_offset + from);
    return rc ? rc : qsdr_psd_push(s->psd, x + from, n - from);
}

/* the averaged spectrum into pw (nfft values), its power and 99 % bandwidth [unit] */
static int summary(const spec_state *s, double *pw, double *power, double *obw)
{
    int rc = qsdr_psd_get(s->psd, pw);
    if (rc) return rc;
    *power = 0;
    for (size_t k = 0; k < s->nfft; k++) *power += pw[k];
    *obw = qsdr_psd_occupied_bw(pw, s->nfft, 0.99) * s->fs;
    return QSDR_OK;
}

static void spec_stats(void *st, qsdr_stats *o)
{
    spec_state *s = st;
    qsdr_stats_add(o, "segments", (double)qsdr_psd_segments(s->psd));
    double *pw = qsdr_psd_segments(s->psd) ? qsdr_calloc(s->nfft, sizeof *pw) : NULL, power, obw;
    if (pw && !summary(s, pw, &power, &obw)) {
        qsdr_stats_add(o, "power", power);
        qsdr_stats_add(o, "obw99", obw);
    }
    qsdr_free(pw);
}

/* frequency and PSD [dB per unit] of bin k */
static void bin_point(const spec_state *s, const double *pw, size_t k, double *f, double *db)
{
    size_t n = s->nfft;
    double d = pw[k] * (double)n / s->fs;
    *f = ((double)k - (double)(n / 2)) / (double)n * s->fs;
    *db = d > 0 ? 10 * log10(d) : -300.0;
}

typedef struct {
    const spec_state *s;
    const double *pw;
} plot_ctx;
static int plot_row(const void *ctx, size_t k, char *buf, size_t cap)
{
    const plot_ctx *c = ctx;
    double f, db;
    bin_point(c->s, c->pw, k, &f, &db);
    return snprintf(buf, cap, "%.9g %.4f\n", f, db);
}

static int write_outputs(spec_state *s, const double *pw)
{
    size_t n = s->nfft;
    const char *unit = s->unit;
    if (s->out.csv) {
        fprintf(s->out.csv, "# qsdr spectrum_sink '%s': Welch, nfft %zu, %s window, %" PRIu64 " segments; psd = power per %s, bin = power in the bin\n",
                s->id, n, s->window, qsdr_psd_segments(s->psd), unit);
        fprintf(s->out.csv, "freq,psd_db,bin_power\n");
        for (size_t k = 0; k < n; k++) {
            double f, db;
            bin_point(s, pw, k, &f, &db);
            fprintf(s->out.csv, "%.9g,%.4f,%.6e\n", f, db, pw[k]);
        }
    }
    int rc = qsdr_blk_plot_csv_done(&s->out);
    if (rc || !s->out.plot) return rc;
    char t[300], body[500], qu[140];
    snprintf(t, sizeof t, "%.100s: Welch PSD, nfft %zu, %s window, %" PRIu64 " segments", s->id, n, s->window, qsdr_psd_segments(s->psd));
    qsdr_plot_quote(qu, sizeof qu, unit); /* the unit is user text (at most 63 characters) */
    snprintf(body, sizeof body, "set xlabel 'frequency [%s]'\nset ylabel 'PSD [dB per %s]'\nset grid\nunset key\nplot '-' using 1:2 with lines lw 1.5",
             qu, s->fs_set ? qu : "unit bandwidth");
    plot_ctx c = {s, pw};
    return qsdr_blk_plot_draw(&s->out, "900,500", t, body, n, plot_row, &c);
}

static void spec_finish(void *st)
{
    spec_state *s = st;
    double *pw = qsdr_calloc(s->nfft, sizeof *pw);
    if (!pw) {
        qsdr_error(QSDR_ENOMEM, "out of memory");
        return;
    }
    double power, obw;
    if (summary(s, pw, &power, &obw)) { /* logged: fewer than nfft samples */
        qsdr_free(pw);
        return;
    }
    if (s->out.print) {
        qsdr_print("%s: %" PRIu64 " segments of %zu, power %.6g, 99 %% occupied bandwidth %.6g %s\n", s->id, qsdr_psd_segments(s->psd), s->nfft,
               power, obw, s->unit);
        fflush(stdout);
    }
    write_outputs(s, pw);
    qsdr_free(pw);
}

static const qsdr_param_desc spec_params[] = {
    {"nfft", QSDR_PARAM_UINT, "1024", 16, 1048576, "bins", "FFT length (frequency resolution sample_rate/nfft)", 0, NULL},
    {"overlap", QSDR_PARAM_FLOAT, "0.5", 0, 0.95, "", "fraction of a segment shared with the next", 0, NULL},
    {"window", QSDR_PARAM_ENUM, "hann", 1, 0, "", "segment window", 0, "hann|blackman|rect"},
    {"sample_rate", QSDR_PARAM_FLOAT, "1", 1e-9, 1e15, "Hz", "frequency axis scale (unset: cycles per sample)", 0, NULL},
    {"unit", QSDR_PARAM_STRING, "Hz", 1, 0, "", "name of the frequency unit sample_rate is given in (e.g. symbol rates); with sample_rate only (a warning otherwise)", 0, NULL},
    {"skip", QSDR_PARAM_UINT, "0", 0, 4611686018427387904.0, "samples", "leading samples left out (filter start-up)", 0, NULL},
    QSDR_PLOT_PARAMS,
};
static const qsdr_port_desc spec_in[] = {{"in", QSDR_ITEM_CF32}};

const qsdr_block_desc qsdr_block_spectrum_sink = {
    .abi = QSDR_BLOCK_ABI,
    .name = "spectrum_sink",
    .summary = "Power spectral density (Welch, FFTW): CSV, plot and 99 % occupied bandwidth at the end of the stream",
    .inputs = spec_in, .n_inputs = 1,
    .params = spec_params, .n_params = QSDR_N(spec_params),
    .rate_kind = QSDR_RATE_SYNC, .rate_in = 1, .rate_out = 1,
    .create = spec_create, .destroy = spec_destroy, .work = spec_work, .stats = spec_stats, .finish = spec_finish,
};
