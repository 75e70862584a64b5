/* SPDX-License-Identifier: MIT */
/* I/O helpers: GNU Radio gr-zeromq tag headers and PMT serialization (the subset tags use),
 * and the ZeroMQ control port of a running flowgraph. */
#ifndef QSDR_IO_H
#define QSDR_IO_H

#include <stddef.h>
#include <stdint.h>

#include "qsdr/block.h"
#include "qsdr/flowgraph.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ---- PMT (GNU Radio polymorphic types, big-endian serialization) ------------------------- */
/* Parse one serialized PMT at p[0..n). Maps: bool/int32/int64/uint64 -> INT, double -> FLOAT,
 * symbol -> STRING, (uint64 secs, double frac) tuple -> TIME; other valid types (complex, pair,
 * dict, vectors, ...) become a STRING describing them. *used receives the bytes consumed.
 * Returns QSDR_OK or QSDR_EFORMAT (truncated or unknown type; err says where). */
int qsdr_pmt_parse(const uint8_t *p, size_t n, size_t *used, qsdr_tag_value *out, char *err, size_t errlen);
/* Serialize a symbol / a tag value; returns bytes written or 0 if cap is too small. */
size_t qsdr_pmt_write_symbol(uint8_t *p, size_t cap, const char *s);
size_t qsdr_pmt_write_value(uint8_t *p, size_t cap, const qsdr_tag_value *v);

/* ---- gr-zeromq tag header (GNU Radio 3.10): u16 magic 0x5FF0, u8 version 1, u64 offset,
 * u64 tag count, then per tag u64 offset + PMT key + PMT value + PMT srcid; integers little-
 * endian (host order of x86/ARM), PMTs big-endian. It prefixes the payload in one frame. ---- */
#define QSDR_GR_HEADER_MAGIC 0x5FF0
#define QSDR_GR_HEADER_VERSION 1
/* Parse a header at the start of msg[0..n). Tags (offsets relative to the message start, i.e.
 * tag offset - header offset) are appended to *tags (grown with qsdr_realloc). *hdr_len gets
 * the header size. Returns QSDR_OK or QSDR_EFORMAT with a reason in err. */
int qsdr_gr_header_parse(const uint8_t *msg, size_t n, size_t *hdr_len, uint64_t *offset, qsdr_tag **tags, size_t *n_tags,
                         size_t *cap_tags, char *err, size_t errlen);
/* Write a header for items starting at absolute `offset` with tags (absolute offsets) into
 * buf; returns its length, or 0 if cap is too small. */
size_t qsdr_gr_header_write(uint8_t *buf, size_t cap, uint64_t offset, const qsdr_tag *tags, size_t n_tags);

/* ---- control port ----------------------------------------------------------------------- */
typedef struct qsdr_control qsdr_control_t;
/* Serve JSON requests on a ZeroMQ REP socket bound to `endpoint` for flowgraph fg (borrowed).
 *  {"get": "id.param"} {"set": "id.param", "value": V} {"list": true} {"stats": true}
 * allow_remote: endpoints other than loopback / ipc are refused unless true.
 * curve_secret: Z85 server secret key (40 chars) to require CURVE encryption, or NULL.
 * Returns NULL (logged) on error. */
qsdr_control_t *qsdr_control_start(qsdr_flowgraph_t *fg, const char *endpoint, int allow_remote, const char *curve_secret);
void qsdr_control_stop(qsdr_control_t **c);
/* Answer one request text (what the port does for each message); returns a new JSON string
 * (free with qsdr_free). */
char *qsdr_control_handle(qsdr_flowgraph_t *fg, const char *request, size_t len);

/* ---- plots (gnuplot) ---------------------------------------------------------------------- */
/* The gnuplot terminal for a plot file: "pngcairo" for .png, "svg" for .svg, else NULL. */
const char *qsdr_plot_terminal(const char *path);
/* s as the body of a gnuplot single-quoted string (' doubled), e.g. a path in `set output`;
 * -1 when out (n bytes) is too small or s holds a control character (a line break cannot be
 * written inside a gnuplot string: the script would end the command there). */
int qsdr_plot_quote(char *out, size_t n, const char *s);
/* true when s can stand in a gnuplot string: no control characters (line breaks, tabs) */
bool qsdr_plot_text_ok(const char *s);
/* Run gnuplot on a script file / on script text (written to a temporary file in $TMPDIR, or
 * /tmp, and removed). gnuplot's messages go to err[nerr] (may be NULL). Paths inside scripts
 * must come through qsdr_plot_quote. 0 on success, -1 on failure (gnuplot missing, script
 * error, unwritable output). */
int qsdr_plot_run_file(const char *script_path, char *err, size_t nerr);
int qsdr_plot_run(const char *script, char *err, size_t nerr);
/* A plot of inline data: `set terminal` (from the file name) of `size` ("900,500"), output
 * `path`, title, then `body` (gnuplot commands ending in a `plot '-' ...` command), then the n
 * rows row(ctx, i, buf, cap) writes (space-separated values and a newline; returns the length
 * as snprintf does), then `e`; path and title are quoted here. 0, or -1 with err. */
typedef int (*qsdr_plot_row_fn)(const void *ctx, size_t i, char *buf, size_t cap);
int qsdr_plot_rows(const char *path, const char *size, const char *title, const char *body, size_t n, qsdr_plot_row_fn row,
                   const void *ctx, char *err, size_t nerr);
/* The directory for temporary files: $TMPDIR, else /tmp. */
const char *qsdr_tmpdir(void);

#ifdef __cplusplus
}
#endif
#endif
