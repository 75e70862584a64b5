/* SPDX-License-Identifier: MIT */
/* Block: write raw little-endian items to a file (GNU Radio file source format). */
#define _GNU_SOURCE /* F_GETPIPE_SZ */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <stdio.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "block_util.h"

extern const qsdr_block_desc qsdr_block_file_sink;

typedef struct {
    FILE *f;
    size_t isz;
    char *path;
    bool poll;      /* a pipe, FIFO, socket or device: write what fits, wait at most 100 ms */
    bool fifo;      /* a pipe or FIFO (its free room can be asked) */
    size_t partial; /* bytes of the first pending item already written (poll mode) */
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
    struct stat st;
    /* a reader that stops reading must not block the block's thread for ever (stop, abort) */
    s->poll = fstat(fileno(s->f), &st) == 0 && !S_ISREG(st.st_mode);
    s->fifo = s->poll && S_ISFIFO(st.st_mode);
    *state = s;
    return QSDR_OK;
}

static int fsnk_work(void *st, qsdr_work_io *io)
{
    fsnk_state *s = st;
    if (!s->poll) {
        if (fwrite(io->in[0], s->isz, io->n_in, s->f) != io->n_in)
            return qsdr_error(QSDR_EIO, "writing '%s' failed: %s", s->path, strerror(errno));
        return QSDR_OK;
    }
    /* wait until the reader takes something, then write whatever fits without waiting: POLLOUT
       promises room for PIPE_BUF bytes (a larger write on a blocking pipe could block) */
    const unsigned char *b = io->in[0];
    size_t total = io->n_in * s->isz, done = s->partial;
    for (int wait_ms = 100; done < total; wait_ms = 0) {
        struct pollfd p = {.fd = fileno(s->f), .events = POLLOUT};
        int r = poll(&p, 1, wait_ms);
        if (r < 0 && errno != EINTR) return qsdr_error(QSDR_EIO, "writing '%s' failed: %s", s->path, strerror(errno));
        if (r <= 0) break;
        size_t room = PIPE_BUF;
        int cap, used;
        if (s->fifo && (cap = fcntl(p.fd, F_GETPIPE_SZ)) > 0 && ioctl(p.fd, FIONREAD, &used) == 0 && cap - used > PIPE_BUF)
            room = (size_t)(cap - used); /* a pipe says how much it holds: fill it in one write */
        ssize_t w = write(p.fd, b + done, total - done < room ? total - done : room);
        if (w < 0) {
            if (errno == EINTR || errno == EAGAIN) break;
            return qsdr_error(QSDR_EIO, "writing '%s' failed: %s", s->path, strerror(errno));
        }
        done += (size_t)w;
    }
    io->consumed = done / s->isz;
    s->partial = done % s->isz;
    return QSDR_OK;
}

static void fsnk_finish(void *st)
{
    fsnk_state *s = st;
    if (s->f) fflush(s->f);
}

static const qsdr_param_desc fsnk_params[] = {
    QSDR_PARAM_ITEM_TYPE("cf32"),
    {"path", QSDR_PARAM_STRING, "", 1, 0, "", "file to write (raw little-endian items); a pipe, FIFO or device is written as its reader takes data, a stop never waits on it for ever", QSDR_PARAM_WRITES_FILE, NULL},
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
