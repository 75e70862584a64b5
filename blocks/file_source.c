/* SPDX-License-Identifier: MIT */
/* Block: read raw little-endian items from a file (GNU Radio file sink format). */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "block_util.h"

extern const qsdr_block_desc qsdr_block_file_source;

typedef struct {
    FILE *f;
    size_t isz;
    bool repeat;
    char *path;
    uint64_t read_items;
    unsigned char carry[16]; /* bytes of an item split across two reads (pipes) */
    size_t n_carry;
    bool warned;
} fsrc_state;

static void fsrc_destroy(void *st)
{
    fsrc_state *s = st;
    if (!s) return;
    if (s->f) fclose(s->f);
    qsdr_free(s->path);
    qsdr_free(s);
}

static int fsrc_create(qsdr_block_ctx *ctx, void **state)
{
    qsdr_item_type t;
    int rc = qsdr_blk_resolve_any(ctx, &qsdr_block_file_source, &t);
    if (rc) return rc;
    const char *path = qsdr_ctx_string(ctx, "path");
    if (!*path) return qsdr_error(QSDR_EINVAL, "parameter 'path': a file name is required");
    fsrc_state *s = qsdr_calloc(1, sizeof *s);
    if (!s) return qsdr_error(QSDR_ENOMEM, "out of memory");
    s->isz = qsdr_item_size(t);
    s->repeat = qsdr_ctx_bool(ctx, "repeat");
    s->path = qsdr_strdup(path);
    s->f = fopen(path, "rb");
    if (!s->f) {
        int e = errno;
        fsrc_destroy(s);
        return qsdr_error(QSDR_EIO, "parameter 'path': cannot open '%s' for reading: %s", path, strerror(e));
    }
    struct stat st;
    if (!s->repeat && fstat(fileno(s->f), &st) == 0 && S_ISREG(st.st_mode)) /* progress and ETA of qsdr run */
        qsdr_ctx_set_item_budget(ctx, (uint64_t)st.st_size / s->isz);
    *state = s;
    return QSDR_OK;
}

/* Read up to n whole items; bytes of a partial item wait in the carry (a pipe may deliver an
 * item in two pieces). Returns the item count; *eof when the file ended. */
static size_t fsrc_read(fsrc_state *s, unsigned char *out, size_t n, bool *eof)
{
    memcpy(out, s->carry, s->n_carry);
    size_t want = n * s->isz - s->n_carry;
    size_t got = fread(out + s->n_carry, 1, want, s->f);
    *eof = got < want && feof(s->f);
    size_t bytes = s->n_carry + got, items = bytes / s->isz;
    s->n_carry = bytes % s->isz;
    memcpy(s->carry, out + items * s->isz, s->n_carry);
    return items;
}

static void fsrc_warn_trailing(fsrc_state *s)
{
    if (s->n_carry && !s->warned)
        qsdr_warn("'%s': %zu trailing bytes do not make a whole %zu-byte item; ignored", s->path, s->n_carry, s->isz);
    s->warned = s->warned || s->n_carry;
    s->n_carry = 0;
}

static int fsrc_work(void *st, qsdr_work_io *io)
{
    fsrc_state *s = st;
    bool eof;
    size_t got = fsrc_read(s, io->out[0], io->n_out, &eof);
    if (ferror(s->f)) return qsdr_error(QSDR_EIO, "reading '%s' failed", s->path);
    if (got == 0 && eof && s->repeat) {
        fsrc_warn_trailing(s);
        if (s->read_items == 0) return qsdr_error(QSDR_EIO, "'%s' holds no whole item; cannot repeat it", s->path);
        rewind(s->f);
        got = fsrc_read(s, io->out[0], io->n_out, &eof);
        if (ferror(s->f)) return qsdr_error(QSDR_EIO, "reading '%s' failed", s->path);
    }
    s->read_items += got;
    io->produced = got;
    if (eof && !s->repeat) {
        fsrc_warn_trailing(s);
        return QSDR_DONE;
    }
    return QSDR_OK;
}

static const qsdr_param_desc fsrc_params[] = {
    QSDR_PARAM_ITEM_TYPE("cf32"),
    {"path", QSDR_PARAM_STRING, "", 1, 0, "", "file to read (raw little-endian items; cf32 = float32 I/Q pairs)", 0, NULL},
    {"repeat", QSDR_PARAM_BOOL, "false", 1, 0, "", "start over at end of file", 0, NULL},
};
static const qsdr_port_desc fsrc_out[] = {{"out", QSDR_ITEM_ANY}};

const qsdr_block_desc qsdr_block_file_source = {
    .abi = QSDR_BLOCK_ABI,
    .name = "file_source",
    .summary = "Read raw items from a file (GNU Radio file sink compatible)",
    .outputs = fsrc_out, .n_outputs = 1,
    .params = fsrc_params, .n_params = QSDR_N(fsrc_params),
    .rate_kind = QSDR_RATE_SYNC, .rate_in = 1, .rate_out = 1,
    .create = fsrc_create, .destroy = fsrc_destroy, .work = fsrc_work,
};
