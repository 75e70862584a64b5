/* SPDX-License-Identifier: MIT */
/* Helpers shared by block adaptors (not installed). */
#ifndef QSDR_BLOCK_UTIL_H
#define QSDR_BLOCK_UTIL_H

#include <errno.h>
#include <stdio.h>
#include <stdatomic.h>
#include <string.h>
#include <unistd.h>

#include "qsdr/block.h"
#include "qsdr/io.h"
#include "qsdr/phy.h"

#define QSDR_TYPE_CHOICES "bit|u8|i8|i16|f32|cf32"
#define QSDR_PARAM_ITEM_TYPE(def) \
    { "type", QSDR_PARAM_ENUM, def, 1, 0, "", "item type of the stream", 0, QSDR_TYPE_CHOICES }
#define QSDR_N(a) (sizeof(a) / sizeof((a)[0]))

/* The value of tag t when its key is `key` and it holds a number (a string tag of the same name,
 * from GNU Radio say, is not one). */
static inline bool qsdr_blk_tag_number(const qsdr_tag *t, const char *key, double *v)
{
    if (strcmp(t->key, key) || (t->value.type != QSDR_TAGV_FLOAT && t->value.type != QSDR_TAGV_INT)) return false;
    *v = t->value.f; /* an integer tag fills f too */
    return true;
}

/* A modulator upstream (mapper, ae_modulator) tags bits_per_symbol at its first item; a
 * demodulator for another constellation would pair the wrong bits (a BER near 1/2, or garbage
 * LLRs for the decoder): a clear error instead. what: "modulation", "receiver model". */
static inline int qsdr_blk_check_bps(const qsdr_work_io *io, unsigned mine, const char *what)
{
    for (size_t t = 0; t < io->n_tags; t++) {
        double v;
        if (!qsdr_blk_tag_number(&io->tags[t], "bits_per_symbol", &v) || v == (double)mine) continue;
        return qsdr_error(QSDR_EINVAL, "the stream was modulated with %g bits per symbol (tag 'bits_per_symbol' from upstream, item %llu), "
                          "but this block's %s has %u: it must match the transmitter", v, (unsigned long long)io->tags[t].offset, what, mine);
    }
    return QSDR_OK;
}

/* n cf32 input samples, the first of them sample `first` of the stream: QSDR_OK when all are
 * finite, else QSDR_ERANGE naming the first bad one by its index in the stream (the library
 * functions that take a chunk can only count within it). */
static inline int qsdr_blk_finite_cf32(const qsdr_cf32 *x, size_t n, uint64_t first)
{
    size_t bad = qsdr_first_nonfinite_f32((const float *)x, 2 * n) / 2;
    if (bad >= n) return QSDR_OK;
    return qsdr_error(QSDR_ERANGE, "input sample %llu is not finite (%g, %g)", (unsigned long long)(first + bad), x[bad].re, x[bad].im);
}

/* Resolve every QSDR_ITEM_ANY port of the block to the type named by its "type" parameter. */
static inline int qsdr_blk_resolve_any(qsdr_block_ctx *ctx, const qsdr_block_desc *d, qsdr_item_type *t_out)
{
    if (t_out) *t_out = QSDR_ITEM_U8;
    int t = qsdr_item_parse(qsdr_ctx_string(ctx, "type"));
    if (t < 0) return qsdr_error(QSDR_EINVAL, "parameter 'type': unknown item type '%s'", qsdr_ctx_string(ctx, "type"));
    for (unsigned i = 0; i < d->n_inputs; i++)
        if (d->inputs[i].type == QSDR_ITEM_ANY) qsdr_ctx_set_port_type(ctx, false, i, (qsdr_item_type)t);
    for (unsigned i = 0; i < d->n_outputs; i++)
        if (d->outputs[i].type == QSDR_ITEM_ANY) qsdr_ctx_set_port_type(ctx, true, i, (qsdr_item_type)t);
    if (t_out) *t_out = (qsdr_item_type)t;
    return QSDR_OK;
}

/* iq_to_cf32 / cf32_to_iq: the parameters "format", "full_scale" (0: the format's own) and
 * "swap_iq"; the integer port (the input of iq_to_cf32, the output of cf32_to_iq) gets the item
 * type of the format's components. */
typedef struct {
    qsdr_iq_format f;
    double full_scale;
    bool swap;
} qsdr_blk_iq;
static inline int qsdr_blk_iq_open(qsdr_block_ctx *ctx, bool int_port_is_output, qsdr_blk_iq *q)
{
    int fi = qsdr_iq_format_parse(qsdr_ctx_string(ctx, "format"));
    if (fi < 0) return qsdr_error(QSDR_EINVAL, "parameter 'format': '%s' is not cs16, cs8 or cu8", qsdr_ctx_string(ctx, "format"));
    q->f = (qsdr_iq_format)fi;
    double fs = qsdr_ctx_float(ctx, "full_scale");
    q->full_scale = fs > 0 ? fs : qsdr_iq_full_scale(q->f);
    q->swap = qsdr_ctx_bool(ctx, "swap_iq");
    return qsdr_ctx_set_port_type(ctx, int_port_is_output, 0,
                                  q->f == QSDR_IQ_CS16 ? QSDR_ITEM_I16 : q->f == QSDR_IQ_CS8 ? QSDR_ITEM_I8 : QSDR_ITEM_U8);
}

/* Walk the input in spans split at the tags named `key` (only when follow is set): span() for
 * each span [from, to) of items, then on_tag() with the tag's value at its item, so a value a tag
 * carries (the awgn block's noise_var) applies exactly from there. Returns the first error of
 * span(). */
typedef int (*qsdr_blk_span_fn)(void *st, const qsdr_work_io *io, size_t from, size_t to);
static inline int qsdr_blk_split_at_tags(void *st, const qsdr_work_io *io, const char *key, bool follow, qsdr_blk_span_fn span,
                                         void (*on_tag)(void *st, const qsdr_tag_value *v))
{
    size_t done = 0;
    for (size_t t = 0; t <= io->n_tags; t++) {
        size_t upto = io->n_in;
        if (t < io->n_tags) {
            if (!follow || strcmp(io->tags[t].key, key)) continue;
            upto = (size_t)(io->tags[t].offset - io->in_offset);
        }
        if (upto > done) {
            int rc = span(st, io, done, upto);
            if (rc) return rc;
            done = upto;
        }
        if (t < io->n_tags) on_tag(st, &io->tags[t].value);
    }
    return QSDR_OK;
}

/* The noise variance N0 of a block whose parameter `noise_var` is either a manual value or 0:
 * "from the awgn block's 'noise_var' tags", applied exactly at the tagged item (demapper,
 * onebit_llr). On a manual value the block still tracks what the tags say, so setting the
 * parameter back to 0 while running returns to the channel's N0 at once, not at a next tag that
 * may never come (the awgn block tags N0 at the start and on changes). */
typedef struct {
    float in_use;    /* the N0 the LLRs use now */
    float tagged;    /* the tags' latest value (QSDR_BLK_N0_PLACEHOLDER until one comes) */
    bool from_tags;  /* the parameter is 0 */
} qsdr_blk_n0;
#define QSDR_BLK_N0_PLACEHOLDER 1.0f

/* the parameter's value, at creation (after qsdr_blk_n0_init) and live */
static inline void qsdr_blk_n0_set(qsdr_blk_n0 *n, double param)
{
    n->from_tags = param == 0;
    n->in_use = param > 0 ? (float)param : n->tagged;
}

static inline void qsdr_blk_n0_init(qsdr_blk_n0 *n, double param)
{
    n->tagged = QSDR_BLK_N0_PLACEHOLDER;
    qsdr_blk_n0_set(n, param);
}

/* a 'noise_var' tag's value at its item (from qsdr_blk_n0_work's on_tag); true if N0 changed */
static inline bool qsdr_blk_n0_tag(qsdr_blk_n0 *n, const qsdr_tag_value *v)
{
    if (!(v->f > 0)) return false;
    n->in_use = n->tagged = (float)v->f;
    return true;
}

/* One work call: says once per block type (the flag is per translation unit) when N0 should come
 * from the tags and the stream starts without one (no awgn block upstream: samples from a radio
 * or a file) instead of using the placeholder silently; on a manual value records the tags'
 * latest; then span() over the items, split at the 'noise_var' tags when following them, with
 * on_tag() (which calls qsdr_blk_n0_tag) at each. */
static inline int qsdr_blk_n0_work(void *st, qsdr_blk_n0 *n, const qsdr_work_io *io, qsdr_blk_span_fn span,
                                   void (*on_tag)(void *st, const qsdr_tag_value *v))
{
    if (n->from_tags && io->in_offset == 0) {
        bool tagged_at_0 = false;
        for (size_t t = 0; t < io->n_tags; t++)
            if (io->tags[t].offset == 0 && !strcmp(io->tags[t].key, "noise_var")) tagged_at_0 = true;
        static atomic_bool said;
        if (!tagged_at_0 && !atomic_exchange(&said, true))
            qsdr_warn("noise_var is 0 (take it from the awgn block's tags) but the stream starts without a 'noise_var' tag "
                      "(no awgn block upstream?): the LLRs use N0 = %g until a tag comes; set noise_var to the receiver's "
                      "noise variance", QSDR_BLK_N0_PLACEHOLDER);
    }
    if (!n->from_tags)
        for (size_t t = 0; t < io->n_tags; t++)
            if (!strcmp(io->tags[t].key, "noise_var") && io->tags[t].value.f > 0) n->tagged = (float)io->tags[t].value.f;
    return qsdr_blk_split_at_tags(st, io, "noise_var", n->from_tags, span, on_tag);
}

/* A parameter that means something only with another parameter's value (a pattern, an item
 * type, an implementation) and is given otherwise would be accepted and do nothing: said in a
 * warning naming where it was given, not an error, so a flowgraph whose pattern or
 * implementation is a variable keeps its other settings. `when` names the setting it needs
 * ("pattern: sub"). */
static inline void qsdr_blk_only_with(const qsdr_block_ctx *ctx, const char *param, bool applies, const char *when)
{
    if (applies || !qsdr_ctx_is_set(ctx, param)) return;
    const char *w = qsdr_ctx_where(ctx, param);
    /* once per process and parameter (a BER sweep builds a flowgraph per unit): `param` is a
       string literal, one address per call site in this block's translation unit */
    static const char *_Atomic said[8];
    for (size_t i = 0; i < 8; i++) {
        const char *cur = atomic_load(&said[i]);
        if (cur == param) return;
        if (!cur) {
            const char *none = NULL;
            if (atomic_compare_exchange_strong(&said[i], &none, param)) break;
            if (none == param) return;
        }
    }
    qsdr_warn("parameter '%s'%s%s%s applies only with %s: ignored", param, w ? " (" : "", w ? w : "", w ? ")" : "", when);
}

static const char *const qsdr_modulation_choices = "bpsk|qpsk|qam16|qam64";

/* ---- the plotting sinks' outputs (spectrum_sink, constellation_sink) -------------------- */
#define QSDR_PLOT_PARAMS                                                                                        \
    {"csv", QSDR_PARAM_STRING, "", 1, 0, "", "CSV file written at the end of the stream (\"\" = none)", QSDR_PARAM_WRITES_FILE, NULL}, \
        {"plot", QSDR_PARAM_STRING, "", 1, 0, "", "plot written at the end (gnuplot; .png or .svg; \"\" = none)", QSDR_PARAM_WRITES_FILE, NULL}, \
        {"title", QSDR_PARAM_STRING, "", 1, 0, "", "plot title (default: block id and settings); a title with no plot draws nothing (warning)", 0, NULL},              \
        {"print", QSDR_PARAM_BOOL, "true", 1, 0, "", "print a summary line when the stream ends", 0, NULL}
typedef struct {
    FILE *csv;        /* opened at create, so a bad path is a flowgraph error */
    char *csv_path, *plot, *title;
    bool print;
} qsdr_blk_plot_out;
/* Check and open the outputs named by the csv / plot parameters: the CSV file is created now;
 * the plot name must end in .png or .svg and its file must be creatable (gnuplot writes it at
 * the end of the stream). */
static inline int qsdr_blk_plot_open(qsdr_block_ctx *ctx, qsdr_blk_plot_out *o)
{
    const char *csv = qsdr_ctx_string(ctx, "csv"), *plot = qsdr_ctx_string(ctx, "plot");
    o->print = qsdr_ctx_bool(ctx, "print");
    o->title = qsdr_strdup(qsdr_ctx_string(ctx, "title"));
    if (!o->title) return qsdr_error(QSDR_ENOMEM, "out of memory");
    if (strlen(o->title) > 500 || !qsdr_plot_text_ok(o->title))
        return qsdr_error(QSDR_EINVAL, "parameter 'title': at most 500 characters, no line breaks or control characters");
    /* a title with no plot draws nothing; a plot blanked on purpose (`qsdr ber` blanks every
       sink's plot, `--set x.plot=`) keeps its title quietly */
    qsdr_blk_only_with(ctx, "title", *plot || qsdr_ctx_is_set(ctx, "plot"), "plot (the .png or .svg to draw)");
    if (*plot) {
        if (!qsdr_plot_terminal(plot)) return qsdr_error(QSDR_EINVAL, "parameter 'plot': '%s' must end in .png or .svg", plot);
        if (strlen(plot) > 4000 || !qsdr_plot_text_ok(plot))
            return qsdr_error(QSDR_EINVAL, "parameter 'plot': at most 4000 characters, no line breaks or control characters");
        if (qsdr_path_writable(plot)) return qsdr_error(QSDR_EIO, "parameter 'plot': cannot create '%s': %s", plot, strerror(errno));
        if (!(o->plot = qsdr_strdup(plot))) return qsdr_error(QSDR_ENOMEM, "out of memory");
    }
    if (*csv) {
        if (!(o->csv_path = qsdr_strdup(csv))) return qsdr_error(QSDR_ENOMEM, "out of memory");
        if (!(o->csv = fopen(csv, "w"))) return qsdr_error(QSDR_EIO, "parameter 'csv': cannot open '%s' for writing: %s", csv, strerror(errno));
    }
    return QSDR_OK;
}
static inline void qsdr_blk_plot_close(qsdr_blk_plot_out *o)
{
    if (o->csv) fclose(o->csv);
    qsdr_free(o->csv_path);
    qsdr_free(o->plot);
    qsdr_free(o->title);
    memset(o, 0, sizeof *o);
}
/* Draw a plotting sink's plot (qsdr_plot_rows): the title parameter, else default_title. */
static inline int qsdr_blk_plot_draw(const qsdr_blk_plot_out *o, const char *size, const char *default_title, const char *body, size_t n,
                                     qsdr_plot_row_fn row, const void *ctx)
{
    char err[1024];
    if (qsdr_plot_rows(o->plot, size, *o->title ? o->title : default_title, body, n, row, ctx, err, sizeof err))
        return qsdr_error(QSDR_EIO, "parameter 'plot': gnuplot could not write '%s': %s", o->plot, err);
    return QSDR_OK;
}

/* Finish the CSV (flush and close: a full disk is an error now, not a silent short file). */
static inline int qsdr_blk_plot_csv_done(qsdr_blk_plot_out *o)
{
    if (!o->csv) return QSDR_OK;
    int bad = ferror(o->csv) | fclose(o->csv);
    o->csv = NULL;
    return bad ? qsdr_error(QSDR_EIO, "writing '%s' failed", o->csv_path) : QSDR_OK;
}

#endif
