/* SPDX-License-Identifier: MIT */
/* Block: read raw little-endian items from a file (GNU Radio file sink format). */
#include <errno.h>
#include <stdio.h>

#include "block_util.h"

extern const qsdr_block_desc qsdr_block_file_source;

typedef struct {
    FILE *f;
    size_t isz;
    bool repeat;
    char *path;
    uint64_t read_items;
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
    *state = s;
    return QSDR_OK;
}

static int fsrc_work(void *st, qsdr_work_io *io)
{
    fsrc_state *s = st;
    size_t got = fread(io->out[0], s->isz, io->n_out, s->f);
    if (got < io->n_out && ferror(s->f)) return qsdr_error(QSDR_EIO, "reading '%s' failed", s->path);
    if (got == 0 && feof(s->f) && s->repeat) {
        if (s->read_items == 0) return qsdr_error(QSDR_EIO, "'%s' holds no whole item; cannot repeat it", s->path);
        rewind(s->f);
        got = fread(io->out[0], s->isz, io->n_out, s->f);
    }
    s->read_items += got;
    io->produced = got;
    if (got < io->n_out && feof(s->f) && !s->repeat) {
        long pos = ftell(s->f);
        if (pos >= 0 && (size_t)pos % s->isz)
            qsdr_warn("'%s': %zu trailing bytes do not make a whole %zu-byte item; ignored", s->path, (size_t)pos % s->isz, s->isz);
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
