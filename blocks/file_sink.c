/* SPDX-License-Identifier: MIT */
/* Block: write raw little-endian items to a file (GNU Radio file source format). */
#include <errno.h>
#include <stdio.h>

#include "block_util.h"

extern const qsdr_block_desc qsdr_block_file_sink;

typedef struct {
    FILE *f;
    size_t isz;
    char *path;
} fsnk_state;

static void fsnk_destroy(void *st)
{
    fsnk_state *s = st;
    if (!s) return;
    if (s->f) fclose(s->f);
    qsdr_free(s->path);
    qsdr_free(s);
}

static int fsnk_create(qsdr_block_ctx *ctx, void **state)
{
    qsdr_item_type t;
    int rc = qsdr_blk_resolve_any(ctx, &qsdr_block_file_sink, &t);
    if (rc) return rc;
    const char *path = qsdr_ctx_string(ctx, "path");
    if (!*path) return qsdr_error(QSDR_EINVAL, "parameter 'path': a file name is required");
    fsnk_state *s = qsdr_calloc(1, sizeof *s);
    if (!s) return qsdr_error(QSDR_ENOMEM, "out of memory");
    s->isz = qsdr_item_size(t);
    s->path = qsdr_strdup(path);
    s->f = fopen(path, qsdr_ctx_bool(ctx, "append") ? "ab" : "wb");
    if (!s->f) {
        int e = errno;
        fsnk_destroy(s);
        return qsdr_error(QSDR_EIO, "parameter 'path': cannot open '%s' for writing: %s", path, strerror(e));
    }
    *state = s;
    return QSDR_OK;
}

static int fsnk_work(void *st, qsdr_work_io *io)
{
    fsnk_state *s = st;
    if (fwrite(io->in[0], s->isz, io->n_in, s->f) != io->n_in)
        return qsdr_error(QSDR_EIO, "writing '%s' failed: %s", s->path, strerror(errno));
    return QSDR_OK;
}

static void fsnk_finish(void *st)
{
    fsnk_state *s = st;
    if (s->f) fflush(s->f);
}

static const qsdr_param_desc fsnk_params[] = {
    QSDR_PARAM_ITEM_TYPE("cf32"),
    {"path", QSDR_PARAM_STRING, "", 1, 0, "", "file to write (raw little-endian items)", 0, NULL},
    {"append", QSDR_PARAM_BOOL, "false", 1, 0, "", "append instead of truncating", 0, NULL},
};
static const qsdr_port_desc fsnk_in[] = {{"in", QSDR_ITEM_ANY}};

const qsdr_block_desc qsdr_block_file_sink = {
    .abi = QSDR_BLOCK_ABI,
    .name = "file_sink",
    .summary = "Write raw items to a file (GNU Radio file source compatible)",
    .inputs = fsnk_in, .n_inputs = 1,
    .params = fsnk_params, .n_params = QSDR_N(fsnk_params),
    .rate_kind = QSDR_RATE_SYNC, .rate_in = 1, .rate_out = 1,
    .create = fsnk_create, .destroy = fsnk_destroy, .work = fsnk_work, .finish = fsnk_finish,
};
