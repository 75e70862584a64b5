/* SPDX-License-Identifier: MIT */
/* Scheduling: one step of a block (shared), the threaded scheduler (a thread per block,
 * futex eventcounts for wake-ups) and the serial scheduler (topological order, one thread). */
#define _GNU_SOURCE
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <linux/futex.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "runtime_internal.h"

static void futex_wait_u32(_Atomic uint32_t *addr, uint32_t val, long timeout_ns)
{
    struct timespec ts = {timeout_ns / 1000000000L, timeout_ns % 1000000000L};
    syscall(SYS_futex, (uint32_t *)addr, FUTEX_WAIT_PRIVATE, val, &ts, NULL, 0);
}

static void futex_wake_all(_Atomic uint32_t *addr)
{
    syscall(SYS_futex, (uint32_t *)addr, FUTEX_WAKE_PRIVATE, INT_MAX, NULL, NULL, 0);
}

/* Async-signal-safe: atomics and a syscall only. */
void qsdr_block_notify(qsdr_block_inst *b)
{
    atomic_fetch_add(&b->wake, 1);
    if (atomic_load(&b->sleeping)) futex_wake_all(&b->wake);
}

static void record_error(qsdr_block_inst *b, int rc)
{
    qsdr_flowgraph_t *fg = b->fg;
    pthread_mutex_lock(&fg->mu);
    if (!fg->first_error) {
        fg->first_error = rc;
        fg->first_error_block = qsdr_strdup(b->id);
    }
    pthread_mutex_unlock(&fg->mu);
}

static void complete_request(qsdr_block_inst *b, qsdr_request *r, int status, uint64_t at)
{
    /* called with b->req_mu held */
    r->status = status;
    r->at = at;
    r->done = true;
    if (r->abandoned) {
        qsdr_free(r->value);
        qsdr_free(r->error);
        qsdr_free(r);
    }
    pthread_cond_broadcast(&b->req_cv);
}

void qsdr_block_process_requests(qsdr_block_inst *b)
{
    pthread_mutex_lock(&b->req_mu);
    qsdr_request *r = b->req_head;
    b->req_head = NULL;
    atomic_store(&b->req_pending, 0);
    while (r) {
        qsdr_request *next = r->next;
        r->next = NULL;
        if (b->finished && r->kind != 2) { /* statistics stay readable after the end */
            complete_request(b, r, QSDR_EINTR, 0);
        } else if (r->kind == 0) {
            const qsdr_param_desc *p = &b->d->params[r->param_index];
            uint64_t at = b->d->n_inputs ? b->n_consumed : b->n_produced;
            pthread_mutex_unlock(&b->req_mu); /* set_param may log; don't hold the lock */
            qsdr_log_set_prefix(b->log_prefix);
            qsdr_log_refusals("live change refused"); /* the caller gets the error; the stream goes on */
            qsdr_clear_error();
            int rc = b->d->set_param(b->state, p->name, r->value);
            if (rc != QSDR_OK) r->error = qsdr_strdup(qsdr_last_error()); /* for the caller's thread */
            qsdr_log_refusals(NULL);
            qsdr_log_set_prefix(NULL);
            if (rc == QSDR_OK) {
                char key[QSDR_TAG_KEY_MAX];
                snprintf(key, sizeof key, "set:%s", p->name);
                for (size_t o = 0; o < b->d->n_outputs; o++) {
                    qsdr_tag t = {.offset = b->n_produced, .port = (unsigned)o};
                    snprintf(t.key, sizeof t.key, "%s", key);
                    t.value = qsdr_tagv_string(r->value);
                    qsdr_buffer_add_tag(b->out[o], &t);
                }
                qsdr_info("%s.%s = %s from item %" PRIu64, b->id, p->name, r->value, at);
            }
            pthread_mutex_lock(&b->req_mu);
            if (rc == QSDR_OK) {
                char *nv = qsdr_strdup(r->value);
                if (nv) {
                    qsdr_free(b->pval[r->param_index]);
                    b->pval[r->param_index] = nv;
                }
            }
            complete_request(b, r, rc, at);
        } else if (r->kind == 2) {
            pthread_mutex_unlock(&b->req_mu);
            qsdr_block_fill_stats(b, &r->stats);
            pthread_mutex_lock(&b->req_mu);
            complete_request(b, r, QSDR_OK, 0);
        } else {
            pthread_mutex_unlock(&b->req_mu);
            qsdr_clear_error();
            qsdr_log_refusals("message refused");
            int rc = b->d->message ? b->d->message(b->state, r->key, &r->msg) : QSDR_ENOTSUP;
            qsdr_log_refusals(NULL);
            if (rc != QSDR_OK) r->error = qsdr_strdup(qsdr_last_error());
            pthread_mutex_lock(&b->req_mu);
            complete_request(b, r, rc, b->n_consumed);
        }
        r = next;
    }
    pthread_mutex_unlock(&b->req_mu);
}

void qsdr_block_finish(qsdr_block_inst *b)
{
    if (b->finished) return;
    if (b->d->finish && b->state) {
        /* finish returns nothing; a block whose end-of-stream work fails (a plot or a file it
           writes then) logs the error, and the run fails with it */
        unsigned long e0 = qsdr_error_count();
        const char *prev = qsdr_log_prefix(); /* what the block logs names it, as in work */
        qsdr_log_set_prefix(b->log_prefix);
        b->d->finish(b->state);
        qsdr_log_set_prefix(prev);
        if (qsdr_error_count() != e0) {
            qsdr_error(QSDR_EIO, "block '%s' (%s) failed at the end of the stream", b->id, b->d->name);
            record_error(b, QSDR_EIO);
        }
    }
    /* under req_mu: whoever queues a request sees either finished or has it served by the
       qsdr_block_process_requests below */
    pthread_mutex_lock(&b->req_mu);
    b->finished = true;
    pthread_mutex_unlock(&b->req_mu);
    /* the last of the blocks the run ends with (the BER meters): the sources end their streams,
       and what is in flight drains to every other sink (a file_sink tapping the channel) */
    if (b->ends_run && atomic_fetch_sub(&b->fg->ends_left, 1) == 1) qsdr_flowgraph_stop(b->fg);
    for (size_t o = 0; o < b->d->n_outputs; o++) {
        qsdr_buffer *buf = b->out[o];
        qsdr_buffer_set_done(buf);
        for (size_t r = 0; r < buf->n_readers; r++)
            if (buf->readers[r].blk) qsdr_block_notify(buf->readers[r].blk);
    }
    for (size_t i = 0; i < b->d->n_inputs; i++) {
        qsdr_buffer *buf = b->in[i].buf;
        atomic_store(&buf->readers[b->in[i].reader].detached, 1);
        if (buf->writer) qsdr_block_notify(buf->writer);
    }
    qsdr_block_process_requests(b); /* fail whatever is still queued */
    qsdr_flowgraph_t *fg = b->fg;
    if (atomic_fetch_sub(&fg->n_alive, 1) == 1) {
        pthread_mutex_lock(&fg->mu);
        pthread_cond_broadcast(&fg->cv);
        pthread_mutex_unlock(&fg->mu);
    }
}

static void propagate_tags(qsdr_block_inst *b, qsdr_work_io *io)
{
    if (b->d->tag_policy == QSDR_TAGS_NONE || b->n_tag_scratch == 0 || b->d->n_outputs == 0) return;
    uint64_t hi = io->in_offset + io->consumed;
    for (size_t k = 0; k < b->n_tag_scratch; k++) {
        const qsdr_tag *t = &b->tag_scratch[k];
        if (t->offset >= hi) continue;
        qsdr_tag o = *t;
        /* map the input offset to the output stream through the block's rate */
        o.offset = t->offset / b->rate_in * b->rate_out;
        if (b->d->tag_policy == QSDR_TAGS_ONE_TO_ONE) {
            if (t->port < b->d->n_outputs) {
                o.port = t->port;
                qsdr_buffer_add_tag(b->out[t->port], &o);
            }
        } else {
            for (size_t p = 0; p < b->d->n_outputs; p++) {
                o.port = (unsigned)p;
                qsdr_buffer_add_tag(b->out[p], &o);
            }
        }
    }
}

int qsdr_work_add_tag(qsdr_work_io *io, unsigned port, uint64_t offset, const char *key, qsdr_tag_value value)
{
    qsdr_block_inst *b = io->inst;
    if (port >= b->d->n_outputs)
        return qsdr_error(QSDR_EINVAL, "qsdr_work_add_tag: block '%s' has no output %u", b->id, port);
    qsdr_tag t = {.offset = offset, .port = port, .value = value};
    snprintf(t.key, sizeof t.key, "%s", key ? key : "");
    return qsdr_buffer_add_tag(b->out[port], &t);
}

step_result qsdr_block_step(qsdr_block_inst *b, size_t max_items)
{
    if (b->finished) return STEP_FINISHED;
    qsdr_flowgraph_t *fg = b->fg;
    if (atomic_load_explicit(&b->req_pending, memory_order_acquire)) qsdr_block_process_requests(b);
    if (atomic_load_explicit(&fg->abort_req, memory_order_relaxed)) {
        qsdr_block_finish(b);
        return STEP_FINISHED;
    }
    const qsdr_block_desc *d = b->d;
    size_t nin = d->n_inputs, nout = d->n_outputs;

    /* output space; a block nobody listens to any more is finished */
    size_t space = SIZE_MAX;
    bool orphaned = nout > 0;
    for (size_t o = 0; o < nout; o++) {
        if (!qsdr_buffer_orphaned(b->out[o])) orphaned = false;
        size_t s = qsdr_buffer_space(b->out[o]);
        if (s < space) space = s;
    }
    if (orphaned) {
        qsdr_block_finish(b);
        return STEP_FINISHED;
    }

    size_t chunks;
    bool all_done = nin > 0, any_dead = false;
    size_t avail = SIZE_MAX;
    if (nin == 0) {
        if (atomic_load_explicit(&fg->stop_req, memory_order_relaxed)) {
            qsdr_block_finish(b);
            return STEP_FINISHED;
        }
        size_t n = space;
        if (b->limit) {
            uint64_t left = b->limit - b->n_produced;
            if (left == 0) {
                qsdr_block_finish(b);
                return STEP_FINISHED;
            }
            if (left < n) n = (size_t)left;
        }
        if (max_items && max_items < n) n = max_items;
        chunks = n / b->rate_out;
        if (b->limit && chunks == 0 && n > 0 && n < b->rate_out) {
            /* the limit is not a whole frame: end here */
            qsdr_block_finish(b);
            return STEP_FINISHED;
        }
    } else {
        for (size_t i = 0; i < nin; i++) {
            qsdr_buffer *buf = b->in[i].buf;
            bool done = atomic_load_explicit(&buf->done, memory_order_acquire) != 0; /* before avail */
            size_t a = qsdr_buffer_avail(buf, b->in[i].reader);
            if (a < avail) avail = a;
            if (!done) all_done = false;
            else if (a < b->rate_in) any_dead = true;
        }
        chunks = avail / b->rate_in;
        if (nout) {
            size_t c = space / b->rate_out;
            if (c < chunks) chunks = c;
        }
        if (chunks == 0 && any_dead) {
            /* items that do not make a whole chunk are dropped: say so, unless a stop or an abort
               cut the stream (a stream that simply ended should have been whole) */
            for (size_t i = 0; i < nin; i++) {
                size_t a = qsdr_buffer_avail(b->in[i].buf, b->in[i].reader);
                if (a && a < b->rate_in && !atomic_load_explicit(&fg->stop_req, memory_order_relaxed) &&
                    !atomic_load_explicit(&fg->abort_req, memory_order_relaxed)) {
                    /* under --items the sources were cut where the user said: information only */
                    qsdr_log_raw(fg->item_limit ? QSDR_LOG_INFO : QSDR_LOG_WARN, __FILE__, __LINE__,
                                 "%s: input '%s' ended with %zu item%s left over, less than the %zu it takes at a time; dropped",
                                 b->log_prefix, d->inputs[i].name, a, a == 1 ? "" : "s", b->rate_in);
                    break;
                }
            }
            qsdr_block_finish(b);
            return STEP_FINISHED;
        }
    }
    if (chunks == 0) return STEP_IDLE;

    size_t n_in = chunks * b->rate_in, n_out = chunks * b->rate_out;
    if (nin == 0) n_in = 0;
    if (nout == 0) n_out = 0;
    for (size_t i = 0; i < nin; i++) b->in_ptrs[i] = qsdr_buffer_read_ptr(b->in[i].buf, b->in[i].reader);
    for (size_t o = 0; o < nout; o++) b->out_ptrs[o] = qsdr_buffer_write_ptr(b->out[o]);
    b->n_tag_scratch = 0;
    for (size_t i = 0; i < nin; i++)
        qsdr_buffer_get_tags(b->in[i].buf, b->n_consumed, b->n_consumed + n_in, (unsigned)i, &b->tag_scratch, &b->n_tag_scratch,
                             &b->cap_tag_scratch);
    qsdr_work_io io = {
        .in = b->in_ptrs,
        .n_in = n_in,
        .in_offset = b->n_consumed,
        .out = b->out_ptrs,
        .n_out = n_out,
        .out_offset = b->n_produced,
        .consumed = n_in,
        .produced = n_out,
        .tags = b->tag_scratch,
        .n_tags = b->n_tag_scratch,
        .eos = all_done && (avail - n_in) < b->rate_in,
        .inst = b,
    };
    unsigned long e0 = qsdr_error_count();
    qsdr_log_set_prefix(b->log_prefix); /* what the block logs names it, and its file:line */
    int rc = d->work(b->state, &io);
    qsdr_log_set_prefix(NULL);
    qsdr_ctr_add(&b->n_calls, 1);
    if (rc < 0) {
        if (qsdr_error_count() == e0) /* the block said nothing itself */
            qsdr_error(rc, "%s failed at input item %" PRIu64 ": %s", b->log_prefix, b->n_consumed, qsdr_strerror(rc));
        record_error(b, rc);
        qsdr_flowgraph_abort(fg);
        qsdr_block_finish(b);
        return STEP_ERROR;
    }
    if (io.consumed > n_in || io.produced > n_out) {
        qsdr_error(QSDR_EINTERNAL, "block '%s' (%s) reported %zu consumed / %zu produced, more than offered (%zu / %zu)", b->id,
                   d->name, io.consumed, io.produced, n_in, n_out);
        record_error(b, QSDR_EINTERNAL);
        qsdr_flowgraph_abort(fg);
        qsdr_block_finish(b);
        return STEP_ERROR;
    }
    propagate_tags(b, &io);
    for (size_t o = 0; o < nout && io.produced; o++) qsdr_buffer_produce(b->out[o], io.produced);
    for (size_t i = 0; i < nin && io.consumed; i++) qsdr_buffer_consume(b->in[i].buf, b->in[i].reader, io.consumed);
    qsdr_ctr_add(&b->n_consumed, io.consumed);
    qsdr_ctr_add(&b->n_produced, io.produced);
    if (io.produced)
        for (size_t o = 0; o < nout; o++) {
            qsdr_buffer *buf = b->out[o];
            for (size_t r = 0; r < buf->n_readers; r++)
                if (buf->readers[r].blk) qsdr_block_notify(buf->readers[r].blk);
        }
    if (io.consumed)
        for (size_t i = 0; i < nin; i++) {
            qsdr_buffer *buf = b->in[i].buf;
            if (buf->writer) qsdr_block_notify(buf->writer);
            if (b->n_tag_scratch) qsdr_buffer_prune_tags(buf);
        }
    if (rc == QSDR_DONE) {
        qsdr_block_finish(b);
        return STEP_FINISHED;
    }
    return (io.consumed || io.produced) ? STEP_PROGRESS : STEP_IDLE;
}

/* ---- threaded scheduler ---------------------------------------------------------------- */
static void *block_thread(void *arg)
{
    qsdr_block_inst *b = arg;
    char name[16];
    snprintf(name, sizeof name, "qsdr:%.10s", b->id);
    pthread_setname_np(pthread_self(), name);
    for (;;) {
        uint32_t seq = atomic_load(&b->wake);
        step_result r = qsdr_block_step(b, 0);
        if (r == STEP_FINISHED || r == STEP_ERROR) break;
        if (r == STEP_PROGRESS) continue;
        atomic_store(&b->sleeping, 1);
        if (atomic_load(&b->wake) == seq) futex_wait_u32(&b->wake, seq, 20 * 1000 * 1000);
        atomic_store(&b->sleeping, 0);
    }
    return NULL;
}

int qsdr_sched_threaded_start(qsdr_flowgraph_t *fg)
{
    for (size_t k = 0; k < fg->n_blocks; k++) {
        qsdr_block_inst *b = fg->order[k];
        int e = qsdr_thread_create(&b->thread, block_thread, b);
        if (e) {
            qsdr_error(QSDR_EEXT, "cannot start a thread for block '%s': %s", b->id, strerror(e));
            qsdr_flowgraph_abort(fg);
            for (size_t j = k; j < fg->n_blocks; j++) qsdr_block_finish(fg->order[j]);
            for (size_t j = 0; j < k; j++) pthread_join(fg->order[j]->thread, NULL);
            return QSDR_EEXT;
        }
        b->thread_started = true;
    }
    return QSDR_OK;
}

int qsdr_sched_threaded_wait(qsdr_flowgraph_t *fg)
{
    for (size_t k = 0; k < fg->n_blocks; k++) {
        qsdr_block_inst *b = fg->order[k];
        if (b->thread_started) {
            pthread_join(b->thread, NULL);
            b->thread_started = false;
        }
    }
    return fg->first_error;
}

/* ---- serial scheduler ------------------------------------------------------------------ */
/* A block with a chunk hint (e.g. the SIMD turbo decoder, which decodes a batch of frames at
 * the cost of one) waits until that much input is queued, unless an input has ended. */
static bool hint_wait(qsdr_block_inst *b)
{
    if (!b->chunk_hint || b->d->n_inputs == 0) return false;
    /* nobody reads its outputs any more: step it, so that it finishes and its upstream stops
       (waiting here kept the whole chain producing a second batch nobody wanted) */
    bool orphaned = b->d->n_outputs > 0;
    for (size_t o = 0; o < b->d->n_outputs && orphaned; o++) orphaned = qsdr_buffer_orphaned(b->out[o]);
    if (orphaned) return false;
    for (size_t i = 0; i < b->d->n_inputs; i++) {
        qsdr_buffer *buf = b->in[i].buf;
        if (atomic_load_explicit(&buf->done, memory_order_acquire)) return false;
        if (qsdr_buffer_avail(buf, b->in[i].reader) < b->chunk_hint) return true;
    }
    return false;
}

/* The flowgraph the serial scheduler runs on this thread (NULL: none): thread-local, so another
   thread (the control port) asking "am I inside its serial run?" reads only its own (a field of
   the flowgraph written at the start of the run raced with those readers; ThreadSanitizer) */
static _Thread_local const qsdr_flowgraph_t *serial_current;

bool qsdr_sched_in_serial_run(const qsdr_flowgraph_t *fg) { return fg && serial_current == fg; }

static int serial_run_body(qsdr_flowgraph_t *fg);

int qsdr_sched_serial_run(qsdr_flowgraph_t *fg)
{
    const qsdr_flowgraph_t *outer = serial_current; /* a block may run a flowgraph of its own */
    serial_current = fg;
    int rc = serial_run_body(fg);
    serial_current = outer;
    return rc;
}

static int serial_run_body(qsdr_flowgraph_t *fg)
{
    size_t n = fg->n_blocks;
    bool force = false; /* a pass without progress: run blocks that wait for their chunk hint */
    for (;;) {
        bool progress = false, alive = false, source_alive = false;
        for (size_t k = 0; k < n; k++) {
            qsdr_block_inst *b = fg->order[k];
            step_result r;
            /* a block runs until it is idle, so a frame travels the whole chain in one pass */
            do {
                r = !force && hint_wait(b) ? STEP_IDLE : qsdr_block_step(b, b->d->n_inputs == 0 ? fg->serial_chunk : 0);
                if (r == STEP_PROGRESS) progress = true;
            } while (r == STEP_PROGRESS && b->d->n_inputs > 0);
            if (r == STEP_ERROR) {
                for (size_t j = 0; j < n; j++) qsdr_block_finish(fg->order[j]);
                return fg->first_error;
            }
            if (!b->finished) {
                alive = true;
                if (b->d->n_inputs == 0) source_alive = true;
            }
        }
        if (!alive) break;
        if (!progress && !force) { /* stuck on hints (a full buffer elsewhere): take what there is */
            force = true;
            continue;
        }
        force = false;
        if (!progress) {
            if (source_alive && !atomic_load(&fg->abort_req)) {
                usleep(1000); /* a polling source (network) has nothing yet */
                continue;
            }
            /* name the block that holds data it does not take (the most downstream unfinished
               block with input waiting: e.g. a ZeroMQ sink nobody reads); else the first unfinished */
            qsdr_block_inst *stuck = NULL;
            size_t held = 0;
            for (size_t k = n; k-- > 0 && !stuck;) {
                qsdr_block_inst *b = fg->order[k];
                for (size_t i = 0; i < b->d->n_inputs && !b->finished; i++)
                    if ((held = qsdr_buffer_avail(b->in[i].buf, b->in[i].reader)) > 0) {
                        stuck = b;
                        break;
                    }
            }
            if (stuck) {
                qsdr_error(QSDR_EINTERNAL,
                           "serial scheduler: no block can make progress: '%s' (%s) does not take the %zu items waiting at its input",
                           stuck->id, stuck->d->name, held);
            } else {
                for (size_t k = 0; k < n && !stuck; k++)
                    if (!fg->order[k]->finished) stuck = fg->order[k];
                qsdr_error(QSDR_EINTERNAL, "serial scheduler: no block can make progress (first waiting block: '%s')",
                           stuck ? stuck->id : "?");
            }
            record_error(stuck ? stuck : fg->order[0], QSDR_EINTERNAL);
            for (size_t j = 0; j < n; j++) qsdr_block_finish(fg->order[j]);
            return QSDR_EINTERNAL;
        }
    }
    return fg->first_error;
}
