/* SPDX-License-Identifier: MIT */
/* Block: read raw little-endian items from a file (GNU Radio file sink format). */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

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
    bool poll; /* a pipe, FIFO, socket or device: read what is there, wait at most 100 ms */
    bool failed;
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
    bool known = fstat(fileno(s->f), &st) == 0, regular = known && S_ISREG(st.st_mode);
    if (known && S_ISDIR(st.st_mode)) {
        fsrc_destroy(s);
        return qsdr_error(QSDR_EINVAL, "parameter 'path': '%s' is a directory; a file of items is needed", path);
    }
    if (!s->repeat && regular) qsdr_ctx_set_item_budget(ctx, (uint64_t)st.st_size / s->isz); /* progress and ETA of qsdr run */
    /* anything else may stall (a radio pipeline that stops sending): never block the block's
       thread in read(), so a stop (Ctrl-C, --seconds) ends the stream */
    s->poll = !regular;
    if (s->poll && s->repeat) {
        fsrc_destroy(s);
        return qsdr_error(QSDR_EINVAL, "parameter 'repeat': '%s' is not a regular file (a pipe cannot start over)", path);
    }
    *state = s;
    return QSDR_OK;
}

/* Up to `want` bytes: a regular file through stdio; anything else with read(2) once data is
 * there (at most 100 ms of waiting, then 0 bytes and no EOF). Sets s->failed on an error. */
static size_t fsrc_bytes(fsrc_state *s, unsigned char *out, size_t want, bool *eof)
{
    if (!s->poll) {
        size_t got = fread(out, 1, want, s->f);
        *eof = got < want && feof(s->f);
        s->failed = ferror(s->f);
        return got;
    }
    *eof = false;
    size_t have = 0;
    /* wait for the first bytes, then take whatever else is already there */
    for (int wait_ms = 100; have < want; wait_ms = 0) {
        struct pollfd p = {.fd = fileno(s->f), .events = POLLIN};
        int r = poll(&p, 1, wait_ms);
        if (r <= 0) {
            s->failed = r < 0 && errno != EINTR;
            break;
        }
        ssize_t got = read(p.fd, out + have, want - have);
        if (got < 0) {
            s->failed = errno != EINTR && errno != EAGAIN;
            break;
        }
        if (got == 0) {
            *eof = true;
            break;
        }
        have += (size_t)got;
    }
    return have;
}

/* Read up to n whole items; bytes of a partial item wait in the carry (a pipe may deliver an
 * item in two pieces). Returns the item count; *eof when the file ended. */
static size_t fsrc_read(fsrc_state *s, unsigned char *out, size_t n, bool *eof)
{
    memcpy(out, s->carry, s->n_carry);
    size_t want = n * s->isz - s->n_carry;
    size_t got = fsrc_bytes(s, out + s->n_carry, want, eof);
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
    if (s->failed) return qsdr_error(QSDR_EIO, "reading '%s' failed: %s", s->path, strerror(errno));
    if (got == 0 && eof && s->repeat) {
        fsrc_warn_trailing(s);
        if (s->read_items == 0) return qsdr_error(QSDR_EIO, "'%s' holds no whole item; cannot repeat it", s->path);
        rewind(s->f);
        got = fsrc_read(s, io->out[0], io->n_out, &eof);
        if (s->failed) return qsdr_error(QSDR_EIO, "reading '%s' failed: %s", s->path, strerror(errno));
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
    {"path", QSDR_PARAM_STRING, "", 1, 0, "", "file to read (raw little-endian items; cf32 = float32 I/Q pairs); a pipe, FIFO or device is read as data arrives, a stop never waits on it", QSDR_PARAM_READS_FILE, NULL},
    {"repeat", QSDR_PARAM_BOOL, "false", 1, 0, "", "start over at end of file (regular files only)", 0, NULL},
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
