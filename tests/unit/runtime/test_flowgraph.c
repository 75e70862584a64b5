/* SPDX-License-Identifier: MIT */
/* Flowgraph runtime: end of stream, fan-out, backpressure, shutdown, live parameters, tags,
 * scheduler equivalence, the C API's error paths. */
#include <math.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "qsdr/phy.h"
#include "qsdr/fec.h"
#include "qsdr/rng.h"
#include "qsdr/qsdr.h"
#include "qsdr_test.h"

/* ---- test-only blocks ------------------------------------------------------------------- */
/* counter source: u32 items 0, 1, 2, ... as f32-sized items (i.e. reinterpret as uint32) */
static int cnt_create(qsdr_block_ctx *c, void **s)
{
    *s = NULL;
    return QSDR_OK;
}
static int cnt_work(void *s, qsdr_work_io *io)
{
    uint32_t *o = io->out[0];
    for (size_t i = 0; i < io->n_out; i++) o[i] = (uint32_t)(io->out_offset + i);
    return QSDR_OK;
}
static const qsdr_port_desc cnt_out[] = {{"out", QSDR_ITEM_F32}};
static const qsdr_block_desc test_counter = {
    .abi = QSDR_BLOCK_ABI, .name = "test_counter", .summary = "u32 counter (test)", .outputs = cnt_out, .n_outputs = 1,
    .rate_kind = QSDR_RATE_SYNC, .rate_in = 1, .rate_out = 1, .create = cnt_create, .work = cnt_work};

/* slow checking sink: takes at most 97 items per call, sleeps 200 us per call, checks order */
typedef struct {
    uint64_t n, bad;
    pthread_t work_thread, stats_thread;
    int stats_calls, stats_off_thread;
    bool ended;
} slow_state;
static int slow_create(qsdr_block_ctx *c, void **s)
{
    *s = calloc(1, sizeof(slow_state));
    return QSDR_OK;
}
static void slow_destroy(void *s) { free(s); }
static int slow_work(void *st, qsdr_work_io *io)
{
    slow_state *s = st;
    size_t n = io->n_in < 97 ? io->n_in : 97;
    const uint32_t *x = io->in[0];
    for (size_t i = 0; i < n; i++)
        if (x[i] != (uint32_t)(s->n + i)) s->bad++;
    s->n += n;
    io->consumed = n;
    s->work_thread = pthread_self();
    usleep(200);
    return QSDR_OK;
}
/* not thread-safe on purpose: the runtime must call it on the block's thread while it runs */
static void slow_stats(void *st, qsdr_stats *o)
{
    slow_state *s = st;
    s->stats_calls++;
    if (s->n && !s->ended && !pthread_equal(pthread_self(), s->work_thread)) s->stats_off_thread++;
    qsdr_stats_add(o, "n", (double)s->n);
}
static void slow_finish(void *st) { ((slow_state *)st)->ended = true; }
static const qsdr_port_desc slow_in[] = {{"in", QSDR_ITEM_F32}};
static const qsdr_block_desc test_slow_sink = {
    .abi = QSDR_BLOCK_ABI, .name = "test_slow_sink", .summary = "slow checking sink (test)", .inputs = slow_in, .n_inputs = 1,
    .rate_kind = QSDR_RATE_SYNC, .rate_in = 1, .rate_out = 1, .create = slow_create, .destroy = slow_destroy, .work = slow_work,
    .stats = slow_stats, .finish = slow_finish};

/* batch copier: frames of BATCH_F bits, asks (like the SIMD turbo decoder) for a chunk hint
 * of BATCH_N frames; records its work calls */
#define BATCH_F 8192
#define BATCH_N 64
typedef struct {
    unsigned calls, frames, most;
} batch_state;
static int batch_create(qsdr_block_ctx *c, void **s)
{
    *s = calloc(1, sizeof(batch_state));
    return *s ? qsdr_ctx_set_chunk_hint(c, (size_t)BATCH_N * BATCH_F) : QSDR_ENOMEM;
}
static int batch_work(void *st, qsdr_work_io *io)
{
    batch_state *s = st;
    unsigned f = (unsigned)(io->n_in / BATCH_F);
    s->calls++;
    s->frames += f;
    if (f > s->most) s->most = f;
    memcpy(io->out[0], io->in[0], io->n_in);
    return QSDR_OK;
}
static const qsdr_port_desc batch_in[] = {{"in", QSDR_ITEM_BIT}}, batch_out[] = {{"out", QSDR_ITEM_BIT}};
static const qsdr_block_desc test_batch = {
    .abi = QSDR_BLOCK_ABI, .name = "test_batch", .summary = "framed copy with a chunk hint (test)", .inputs = batch_in,
    .n_inputs = 1, .outputs = batch_out, .n_outputs = 1, .rate_kind = QSDR_RATE_FRAMED, .rate_in = BATCH_F,
    .rate_out = BATCH_F, .create = batch_create, .destroy = slow_destroy, .work = batch_work};

/* gain by message: u32 items x gain, where a message "gain" (integer) changes the gain; records
   the first input item processed with each new gain and the thread messages arrive on */
typedef struct {
    uint32_t gain;
    bool pending;
    uint64_t switched_at, messages;
    pthread_t work_thread, msg_thread;
    bool worked, msg_off_thread;
} mg_state;
static int mg_create(qsdr_block_ctx *c, void **s)
{
    mg_state *m = calloc(1, sizeof(mg_state));
    if (!m) return QSDR_ENOMEM;
    m->gain = 1, m->switched_at = UINT64_MAX;
    *s = m;
    return QSDR_OK;
}
static int mg_work(void *st, qsdr_work_io *io)
{
    mg_state *m = st;
    m->work_thread = pthread_self(), m->worked = true;
    if (m->pending) m->pending = false, m->switched_at = io->in_offset;
    const uint32_t *x = io->in[0];
    uint32_t *y = io->out[0];
    for (size_t i = 0; i < io->n_in; i++) y[i] = x[i] * m->gain;
    return QSDR_OK;
}
static int mg_message(void *st, const char *key, const qsdr_tag_value *v)
{
    mg_state *m = st;
    m->messages++;
    m->msg_thread = pthread_self();
    if (m->worked) m->msg_off_thread |= !pthread_equal(m->msg_thread, m->work_thread);
    if (strcmp(key, "gain")) return qsdr_error(QSDR_EINVAL, "test_msg_gain: unknown message '%s'", key);
    if (v->type != QSDR_TAGV_INT || v->i < 1 || v->i > 100) return qsdr_error(QSDR_ERANGE, "test_msg_gain: gain must be an integer 1..100");
    m->gain = (uint32_t)v->i, m->pending = true;
    return QSDR_OK;
}
static const qsdr_port_desc mg_in[] = {{"in", QSDR_ITEM_F32}}, mg_out[] = {{"out", QSDR_ITEM_F32}};
static const qsdr_block_desc test_msg_gain = {
    .abi = QSDR_BLOCK_ABI, .name = "test_msg_gain", .summary = "u32 gain set by messages (test)", .inputs = mg_in, .n_inputs = 1,
    .outputs = mg_out, .n_outputs = 1, .rate_kind = QSDR_RATE_SYNC, .rate_in = 1, .rate_out = 1, .create = mg_create,
    .destroy = slow_destroy, .work = mg_work, .message = mg_message};

/* records io->eos: framed 3 -> 2 taking one frame per call (tags and partial consumption), and
   a 1 -> 2 interpolator taking all it is offered (an output buffer smaller than its input) */
typedef struct {
    unsigned calls, eos_calls;
    bool eos_last;
} eos_state;
static int eos_create(qsdr_block_ctx *c, void **s)
{
    *s = calloc(1, sizeof(eos_state));
    return *s ? QSDR_OK : QSDR_ENOMEM;
}
static void eos_note(eos_state *s, const qsdr_work_io *io)
{
    s->calls++;
    s->eos_calls += io->eos;
    s->eos_last = io->eos;
}
static int frame32_work(void *st, qsdr_work_io *io)
{
    eos_note(st, io);
    const float *x = io->in[0];
    float *y = io->out[0];
    io->consumed = 3, io->produced = 2; /* one frame, though offered more */
    y[0] = x[0], y[1] = x[1];
    return QSDR_OK;
}
static int interp2_work(void *st, qsdr_work_io *io)
{
    eos_note(st, io);
    const float *x = io->in[0];
    float *y = io->out[0];
    for (size_t i = 0; i < io->n_in; i++) y[2 * i] = y[2 * i + 1] = x[i];
    return QSDR_OK;
}
static void eos_stats(void *st, qsdr_stats *o)
{
    eos_state *s = st;
    qsdr_stats_add(o, "calls", s->calls);
    qsdr_stats_add(o, "eos_calls", s->eos_calls);
    qsdr_stats_add(o, "eos_last", s->eos_last);
}
static const qsdr_block_desc test_frame32 = {
    .abi = QSDR_BLOCK_ABI, .name = "test_frame32", .summary = "framed 3 -> 2, one frame per call (test)", .inputs = mg_in,
    .n_inputs = 1, .outputs = mg_out, .n_outputs = 1, .rate_kind = QSDR_RATE_FRAMED, .rate_in = 3, .rate_out = 2,
    .create = eos_create, .destroy = slow_destroy, .work = frame32_work, .stats = eos_stats};
static const qsdr_block_desc test_interp2 = {
    .abi = QSDR_BLOCK_ABI, .name = "test_interp2", .summary = "1 -> 2 repeat (test)", .inputs = mg_in, .n_inputs = 1,
    .outputs = mg_out, .n_outputs = 1, .rate_kind = QSDR_RATE_INTERP, .rate_in = 1, .rate_out = 2, .create = eos_create,
    .destroy = slow_destroy, .work = interp2_work, .stats = eos_stats};

/* a faulty plugin: claims one item more than it was offered, consumed when its id is "more_in",
   produced otherwise */
static int liar_create(qsdr_block_ctx *c, void **s)
{
    *s = (void *)(intptr_t)(strcmp(qsdr_ctx_id(c), "more_in") != 0);
    return QSDR_OK;
}
static int liar_work(void *st, qsdr_work_io *io)
{
    memcpy(io->out[0], io->in[0], io->n_in * sizeof(float));
    if (st) io->produced = io->n_out + 1;
    else io->consumed = io->n_in + 1;
    return QSDR_OK;
}
static const qsdr_block_desc test_liar = {
    .abi = QSDR_BLOCK_ABI, .name = "test_liar", .summary = "reports more than it was offered (test)", .inputs = mg_in,
    .n_inputs = 1, .outputs = mg_out, .n_outputs = 1, .rate_kind = QSDR_RATE_SYNC, .rate_in = 1, .rate_out = 1,
    .create = liar_create, .work = liar_work};

/* framed source: frames of 4 u32 counter values */
static const qsdr_block_desc test_frame_src = {
    .abi = QSDR_BLOCK_ABI, .name = "test_frame_src", .summary = "u32 counter in frames of 4 (test)", .outputs = cnt_out,
    .n_outputs = 1, .rate_kind = QSDR_RATE_FRAMED, .rate_in = 1, .rate_out = 4, .create = cnt_create, .work = cnt_work};

static void register_test_blocks(void)
{
    static int done;
    if (done) return;
    done = 1;
    qsdr_registry_add(&test_counter);
    qsdr_registry_add(&test_slow_sink);
    qsdr_registry_add(&test_batch);
    qsdr_registry_add(&test_msg_gain);
    qsdr_registry_add(&test_frame32);
    qsdr_registry_add(&test_interp2);
    qsdr_registry_add(&test_frame_src);
    qsdr_registry_add(&test_liar);
}

#define QSDR_N_ELEMS(a) (sizeof(a) / sizeof((a)[0]))

static qsdr_flowgraph_t *load(const char *yaml)
{
    qsdr_flowgraph_t *fg = NULL;
    int rc = qsdr_flowgraph_load_string(yaml, "test.yml", NULL, &fg);
    QSDR_CHECK_MSG(rc == QSDR_OK, "load failed: %s", qsdr_last_error());
    return fg; /* start/run prepare it, after the test has set buffer sizes etc. */
}

/* Run fg on another thread and wait at most `secs`: a run that does not end (a scheduler bug
   under test) fails the test process at once instead of hanging it until ctest's timeout. */
typedef struct {
    qsdr_flowgraph_t *fg;
    qsdr_sched_kind kind;
    int rc;
    char err[600]; /* the run's last error, from its thread */
    _Atomic int done;
} run_job;
static void *run_job_thread(void *arg)
{
    run_job *j = arg;
    j->rc = qsdr_flowgraph_run(j->fg, j->kind);
    snprintf(j->err, sizeof j->err, "%s", qsdr_last_error());
    atomic_store(&j->done, 1);
    return NULL;
}
static int run_within(qsdr_flowgraph_t *fg, qsdr_sched_kind kind, double secs, const char *what, char *err, size_t nerr)
{
    run_job j = {.fg = fg, .kind = kind};
    pthread_t th;
    if (pthread_create(&th, NULL, run_job_thread, &j)) return QSDR_EEXT;
    for (double t = 0; t < secs && !atomic_load(&j.done); t += 0.01) usleep(10000);
    if (!atomic_load(&j.done)) {
        fprintf(stderr, "  FAIL %s (%s scheduler): the run did not end within %g s\n", what,
                kind == QSDR_SCHED_SERIAL ? "serial" : "threaded", secs);
        fflush(NULL);
        _exit(1);
    }
    pthread_join(th, NULL);
    if (err) snprintf(err, nerr, "%s", j.err);
    return j.rc;
}

QSDR_TEST(fg_eos_head, "unit", "head ends the stream after exactly n items; EOS reaches every block (both schedulers)")
{
    for (int sched = 0; sched < 2; sched++) {
        qsdr_flowgraph_t *fg = load("blocks:\n"
                                    "  - {id: src, type: null_source, params: {type: f32}}\n"
                                    "  - {id: head, type: head, params: {type: f32, n: 123457}}\n"
                                    "  - {id: cp, type: copy, params: {type: f32}}\n"
                                    "  - {id: snk, type: vector_sink, params: {type: f32}}\n"
                                    "connections: [src -> head, head -> cp, cp -> snk]\n");
        QSDR_REQUIRE(fg);
        QSDR_CHECK_EQ_INT(qsdr_flowgraph_run(fg, sched ? QSDR_SCHED_SERIAL : QSDR_SCHED_THREADED), QSDR_OK);
        size_t n = 0;
        QSDR_CHECK_EQ_INT(qsdr_vector_sink_data(fg, "snk", NULL, &n, NULL, NULL), QSDR_OK);
        QSDR_CHECK_EQ_INT(n, 123457);
        qsdr_stats st;
        qsdr_flowgraph_stats(fg, "cp", &st);
        QSDR_CHECK_EQ_INT(st.v[0].value, 123457); /* items_in */
        qsdr_flowgraph_destroy(&fg);
    }
}

QSDR_TEST(fg_hard_decision_convention, "unit", "hard_decision: bit 1 exactly when LLR < 0 (LLR = log P(0)/P(1)); an LLR of 0 or -0 (no information) gives 0")
{
    qsdr_flowgraph_t *fg = load("blocks:\n"
                                "  - {id: src, type: vector_source, params: {type: f32, data: [0, -0.0, -1e-30, 1e-30, -7, 7, -1e30, 1e30]}}\n"
                                "  - {id: hd, type: hard_decision}\n"
                                "  - {id: snk, type: vector_sink, params: {type: bit}}\n"
                                "connections: [src -> hd, hd -> snk]\n");
    QSDR_REQUIRE(fg);
    QSDR_CHECK_EQ_INT(qsdr_flowgraph_run(fg, QSDR_SCHED_SERIAL), QSDR_OK);
    const uint8_t *b = NULL;
    size_t n = 0;
    QSDR_CHECK_EQ_INT(qsdr_vector_sink_data(fg, "snk", (const void **)&b, &n, NULL, NULL), QSDR_OK);
    const uint8_t want[8] = {0, 0, 1, 0, 1, 0, 1, 0};
    QSDR_REQUIRE(n == 8);
    for (size_t i = 0; i < 8; i++) QSDR_CHECK_EQ_INT(b[i], want[i]);
    qsdr_flowgraph_destroy(&fg);
}

QSDR_TEST(fg_end_with_meter, "unit", "qsdr_flowgraph_end_with: a BER meter done at max_bits ends a run whose endless source also feeds a tap sink (both schedulers)")
{
    for (int sched = 0; sched < 2; sched++) {
        for (int end_with = 0; end_with < 2; end_with++) {
            qsdr_flowgraph_t *fg = load("blocks:\n"
                                        "  - {id: src, type: random_source}\n"
                                        "  - {id: ber, type: ber, params: {max_bits: 100000, print: false}}\n"
                                        "  - {id: tap, type: null_sink, params: {type: bit}}\n"
                                        "connections: [src -> ber.in, src -> ber.ref, src -> tap]\n");
            QSDR_REQUIRE(fg);
            /* the safety net: without end_with the tap keeps the run going until the sources
               have made this many items */
            qsdr_flowgraph_set_item_limit(fg, 20000000);
            if (end_with) QSDR_CHECK_EQ_INT(qsdr_flowgraph_end_with(fg, "ber"), QSDR_OK);
            QSDR_CHECK_EQ_INT(qsdr_flowgraph_run(fg, sched ? QSDR_SCHED_SERIAL : QSDR_SCHED_THREADED), QSDR_OK);
            qsdr_stats st;
            QSDR_REQUIRE(qsdr_flowgraph_stats(fg, "tap", &st) == QSDR_OK);
            double tap_in = st.v[0].value; /* items_in */
            QSDR_REQUIRE(qsdr_flowgraph_stats(fg, "ber", &st) == QSDR_OK);
            double bits = -1;
            for (size_t i = 0; i < st.n; i++)
                if (!strcmp(st.v[i].name, "bits")) bits = st.v[i].value;
            QSDR_CHECK_MSG(bits == 100000, "sched %d end_with %d: the meter counted %g bits", sched, end_with, bits);
            /* with end_with, the tap gets what was in flight: a few buffers, not the whole limit */
            if (end_with) QSDR_CHECK_MSG(tap_in >= 100000 && tap_in < 5000000, "sched %d: the tap got %g items", sched, tap_in);
            else QSDR_CHECK_MSG(tap_in == 20000000, "sched %d, no end_with: the tap got %g items", sched, tap_in);
            qsdr_flowgraph_destroy(&fg);
        }
    }
    qsdr_flowgraph_t *fg = load("blocks:\n  - {id: src, type: random_source}\n  - {id: tap, type: null_sink, params: {type: bit}}\n"
                                "connections: [src -> tap]\n");
    QSDR_REQUIRE(fg);
    QSDR_CHECK(qsdr_flowgraph_end_with(fg, "nope") == QSDR_EINVAL && strstr(qsdr_last_error(), "no block 'nope'"));
    qsdr_flowgraph_destroy(&fg);
}

QSDR_TEST(fg_vector_source_eos, "unit", "a finite vector source ends the run and every value arrives in order")
{
    qsdr_flowgraph_t *fg = load("blocks:\n"
                                "  - {id: src, type: vector_source, params: {type: i16, data: [1, -2, 3, -4, 5]}}\n"
                                "  - {id: snk, type: vector_sink, params: {type: i16}}\n"
                                "connections: [src -> snk]\n");
    QSDR_REQUIRE(fg);
    QSDR_CHECK_EQ_INT(qsdr_flowgraph_run(fg, QSDR_SCHED_THREADED), QSDR_OK);
    const int16_t *d;
    size_t n;
    qsdr_vector_sink_data(fg, "snk", (const void **)&d, &n, NULL, NULL);
    QSDR_REQUIRE(n == 5);
    int16_t want[] = {1, -2, 3, -4, 5};
    QSDR_CHECK_ARRAY(d, want, 5, 0);
    qsdr_flowgraph_destroy(&fg);
}

QSDR_TEST(fg_progress, "unit", "progress: -1 for an unbounded run, 0..1 from head's n and ber's skip + max_bits, 1 at the end")
{
    qsdr_flowgraph_t *fg = load("blocks:\n"
                                "  - {id: src, type: null_source, params: {type: f32}}\n"
                                "  - {id: snk, type: null_sink, params: {type: f32}}\n"
                                "connections: [src -> snk]\n");
    QSDR_REQUIRE(fg);
    QSDR_CHECK_EQ_INT(qsdr_flowgraph_prepare(fg), QSDR_OK);
    QSDR_CHECK(qsdr_flowgraph_progress(fg) == -1);
    qsdr_flowgraph_destroy(&fg);
    /* head's n bounds the run: 0 before, strictly between 0 and 1 while it runs, 1 at the end */
    fg = load("blocks:\n"
              "  - {id: src, type: null_source, params: {type: f32}}\n"
              "  - {id: head, type: head, params: {type: f32, n: 1000000000000000}}\n"
              "  - {id: snk, type: null_sink, params: {type: f32}}\n"
              "connections: [src -> head, head -> snk]\n");
    QSDR_REQUIRE(fg);
    QSDR_CHECK_EQ_INT(qsdr_flowgraph_prepare(fg), QSDR_OK);
    QSDR_CHECK(qsdr_flowgraph_progress(fg) == 0);
    QSDR_CHECK_EQ_INT(qsdr_flowgraph_start(fg, QSDR_SCHED_THREADED), QSDR_OK);
    double p = 0;
    for (int i = 0; i < 500 && p <= 0; i++) {
        usleep(2000);
        p = qsdr_flowgraph_progress(fg);
    }
    QSDR_CHECK_MSG(p > 0 && p < 1, "progress while running: %g", p);
    qsdr_flowgraph_stop(fg);
    QSDR_CHECK_EQ_INT(qsdr_flowgraph_wait(fg), QSDR_OK);
    qsdr_flowgraph_destroy(&fg);
    /* ber: skip + max_bits input items end the run */
    fg = load("blocks:\n"
              "  - {id: src, type: random_source}\n"
              "  - {id: ber, type: ber, params: {frame_size: 100, skip: 500, max_bits: 1500}}\n"
              "connections: [src -> ber.in, src -> ber.ref]\n");
    QSDR_REQUIRE(fg);
    QSDR_CHECK_EQ_INT(qsdr_flowgraph_prepare(fg), QSDR_OK);
    QSDR_CHECK(qsdr_flowgraph_progress(fg) == 0);
    QSDR_CHECK_EQ_INT(qsdr_flowgraph_run(fg, QSDR_SCHED_SERIAL), QSDR_OK);
    QSDR_CHECK(qsdr_flowgraph_progress(fg) == 1);
    qsdr_stats st;
    qsdr_flowgraph_stats(fg, "ber", &st);
    QSDR_CHECK_EQ_INT(st.v[0].value, 2000); /* items_in: the budget the progress counts against */
    qsdr_flowgraph_destroy(&fg);
}

QSDR_TEST(fg_progress_file_source, "unit", "progress: a file_source on a regular file counts its items (file size / item size), so the fraction passes 0.5 while it runs")
{
    register_test_blocks();
    char path[] = "/tmp/qsdr_progress_XXXXXX";
    int fd = mkstemp(path);
    QSDR_REQUIRE(fd >= 0);
    static float v[20000];
    QSDR_REQUIRE(write(fd, v, sizeof v) == (ssize_t)sizeof v);
    close(fd);
    char yaml[1024];
    snprintf(yaml, sizeof yaml,
             "options: {buffer_items: 256}\n"
             "blocks:\n"
             "  - {id: src, type: file_source, params: {type: f32, path: '%s'}}\n"
             "  - {id: snk, type: test_slow_sink}\n"
             "connections: [src -> snk]\n",
             path);
    qsdr_flowgraph_t *fg = load(yaml);
    QSDR_REQUIRE(fg);
    QSDR_CHECK_EQ_INT(qsdr_flowgraph_start(fg, QSDR_SCHED_THREADED), QSDR_OK);
    double most = 0; /* the largest fraction seen while running (the sink takes 97 items per 0.2 ms) */
    while (!qsdr_flowgraph_wait_for(fg, 0.001)) {
        double p = qsdr_flowgraph_progress(fg);
        QSDR_CHECK_MSG(p >= 0 && p <= 1, "progress %g", p);
        if (p < 1 && p > most) most = p;
    }
    QSDR_CHECK_EQ_INT(qsdr_flowgraph_wait(fg), QSDR_OK);
    QSDR_CHECK_MSG(most > 0.5, "largest progress seen while running: %g (a budget in bytes, not items, stays below 0.25)", most);
    QSDR_CHECK(qsdr_flowgraph_progress(fg) == 1);
    QSDR_CHECK_EQ_INT(qsdr_test_stat(fg, "snk", "n"), 20000);
    qsdr_flowgraph_destroy(&fg);
    remove(path);
}

QSDR_TEST(fg_vector_tags_exact, "unit", "vector_source emits each tag once, on its item, across chunk boundaries; vector_sink with max_items keeps the tags of the items it keeps, no more (both schedulers)")
{
    /* tags on item 0 and around every multiple of 256 (where chunks of a power-of-two buffer end) */
    uint64_t off[200];
    size_t nt_all = 0;
    off[nt_all++] = 0;
    for (uint64_t k = 1; k <= 40; k++)
        for (int d = -1; d <= 1; d++) off[nt_all++] = 256 * k + (uint64_t)(int64_t)d;
    char tags[4096];
    size_t len = 0;
    for (size_t i = 0; i < nt_all; i++)
        len += (size_t)snprintf(tags + len, sizeof tags - len, "%s%llu:n=%zu", i ? ";" : "", (unsigned long long)off[i], i);
    QSDR_REQUIRE(len < sizeof tags - 1);
    char yaml[8192];
    for (int run = 0; run < 4; run++) {
        int cut = run & 1, sched = run >> 1;
        size_t max_items = cut ? 5121 : 20000, want = 0;
        for (size_t i = 0; i < nt_all; i++) want += off[i] < max_items;
        snprintf(yaml, sizeof yaml,
                 "blocks:\n"
                 "  - {id: src, type: vector_source, params: {type: f32, data: [1, 2, 3], repeat: true, tags: '%s'}}\n"
                 "  - {id: snk, type: vector_sink, params: {type: f32, max_items: %zu}}\n"
                 "connections: [src -> snk]\n",
                 tags, max_items);
        qsdr_flowgraph_t *fg = load(yaml);
        QSDR_REQUIRE(fg);
        QSDR_CHECK_EQ_INT(qsdr_flowgraph_run(fg, sched ? QSDR_SCHED_SERIAL : QSDR_SCHED_THREADED), QSDR_OK);
        const float *y;
        const qsdr_tag *t;
        size_t n = 0, nt = 0;
        qsdr_vector_sink_data(fg, "snk", (const void **)&y, &n, &t, &nt);
        QSDR_CHECK_EQ_INT(n, max_items);
        QSDR_CHECK_MSG(nt == want, "%s, max_items %zu: %zu tags kept, want %zu", sched ? "serial" : "threaded", max_items, nt, want);
        for (size_t i = 0; i < nt && i < want; i++)
            QSDR_CHECK_MSG(t[i].offset == off[i] && t[i].value.type == QSDR_TAGV_INT && t[i].value.i == (int64_t)i && !strcmp(t[i].key, "n"),
                           "tag %zu: offset %llu (want %llu) key %s value %lld", i, (unsigned long long)t[i].offset,
                           (unsigned long long)off[i], t[i].key, (long long)t[i].value.i);
        for (size_t i = 0; i < n; i++)
            if (y[i] != (float)(1 + i % 3)) {
                QSDR_CHECK_MSG(0, "item %zu is %g", i, y[i]);
                break;
            }
        qsdr_flowgraph_destroy(&fg);
    }
}

QSDR_TEST(fg_probe_statistics, "unit", "probe: count, means of I and Q, power mean |x|^2, min/max of the real part, over the finite samples")
{
    qsdr_flowgraph_t *fg = load("blocks:\n"
                                "  - {id: src, type: vector_source, params: {type: cf32, data: [1, 5, -2, 3, 0.5, -9]}}\n"
                                "  - {id: pr, type: probe, params: {print: false}}\n"
                                "connections: [src -> pr]\n");
    QSDR_REQUIRE(fg);
    QSDR_CHECK_EQ_INT(qsdr_flowgraph_run(fg, QSDR_SCHED_SERIAL), QSDR_OK);
    QSDR_CHECK_EQ_INT(qsdr_test_stat(fg, "pr", "count"), 3);
    QSDR_CHECK_NEAR(qsdr_test_stat(fg, "pr", "mean"), -0.5 / 3, 1e-12);
    QSDR_CHECK_NEAR(qsdr_test_stat(fg, "pr", "mean_im"), -1.0 / 3, 1e-12);
    QSDR_CHECK_NEAR(qsdr_test_stat(fg, "pr", "power"), (1 + 25 + 4 + 9 + 0.25 + 81) / 3.0, 1e-12);
    QSDR_CHECK_NEAR(qsdr_test_stat(fg, "pr", "min"), -2, 0);
    QSDR_CHECK_NEAR(qsdr_test_stat(fg, "pr", "max"), 1, 0);
    QSDR_CHECK_NEAR(qsdr_test_stat(fg, "pr", "nonfinite"), 0, 0);
    qsdr_flowgraph_destroy(&fg);
}

QSDR_TEST(fg_tags_through_rates, "unit",
          "a tag on input item i of a K -> N block lands on output item floor(i / K) * N, once, also when the block "
          "consumes less than it is offered (both schedulers)")
{
    register_test_blocks();
    for (int sched = 0; sched < 2; sched++) {
        /* 12 items = 4 frames of 3; tags inside frames 0, 1 (at its first item and inside) and 3 */
        qsdr_flowgraph_t *fg = load("blocks:\n"
                                    "  - {id: src, type: vector_source, params: {type: f32, data: [0,1,2,3,4,5,6,7,8,9,10,11],\n"
                                    "     tags: \"0:a=1;3:c=3;4:b=2;11:d=4\"}}\n"
                                    "  - {id: fr, type: test_frame32}\n"
                                    "  - {id: snk, type: vector_sink, params: {type: f32}}\n"
                                    "connections: [src -> fr, fr -> snk]\n");
        QSDR_REQUIRE(fg);
        QSDR_CHECK_EQ_INT(qsdr_flowgraph_run(fg, sched ? QSDR_SCHED_SERIAL : QSDR_SCHED_THREADED), QSDR_OK);
        const float *y;
        const qsdr_tag *tags;
        size_t n = 0, nt = 0;
        qsdr_vector_sink_data(fg, "snk", (const void **)&y, &n, &tags, &nt);
        QSDR_CHECK_EQ_INT(n, 8);
        float want_y[] = {0, 1, 3, 4, 6, 7, 9, 10};
        if (n == 8) QSDR_CHECK_ARRAY(y, want_y, 8, 0);
        QSDR_CHECK_EQ_INT(qsdr_test_stat(fg, "fr", "calls"), 4); /* one frame per call: offered more than taken */
        /* key and offset of each tag, in the sink's (sorted) order; c and b both map to item 2 */
        char got[128] = "";
        for (size_t k = 0; k < nt; k++)
            snprintf(got + strlen(got), sizeof got - strlen(got), "%s%s@%llu", k ? " " : "", tags[k].key,
                     (unsigned long long)tags[k].offset);
        QSDR_CHECK_MSG(!strcmp(got, "a@0 c@2 b@2 d@6") || !strcmp(got, "a@0 b@2 c@2 d@6"),
                       "%s scheduler: sink tags '%s', want a@0, b@2, c@2, d@6 once each", sched ? "serial" : "threaded", got);
        qsdr_flowgraph_destroy(&fg);
    }
}

QSDR_TEST(fg_eos_flag, "unit",
          "io->eos is set only on a call offered the last of the stream: not while the output buffer holds back the rest")
{
    register_test_blocks();
    for (int sched = 0; sched < 2; sched++) {
        /* 513 items into a 1 -> 2 block whose output holds 1024 items: two calls (512, then 1) in
           the serial scheduler, the second with eos; the last item, a whole chunk waiting while the
           output is full, must not be taken for a broken end of stream */
        char yaml[16384];
        int k = snprintf(yaml, sizeof yaml, "blocks:\n  - {id: src, type: vector_source, params: {type: f32, data: [0");
        for (int i = 1; i < 513; i++) k += snprintf(yaml + k, sizeof yaml - (size_t)k, ",%d", i);
        snprintf(yaml + k, sizeof yaml - (size_t)k,
                 "]}}\n  - {id: up, type: test_interp2}\n  - {id: snk, type: vector_sink, params: {type: f32}}\n"
                 "connections: [src -> up, up -> snk]\n");
        qsdr_flowgraph_t *fg = load(yaml);
        QSDR_REQUIRE(fg);
        qsdr_flowgraph_set_buffer_items(fg, 1024);
        QSDR_CHECK_EQ_INT(qsdr_flowgraph_run(fg, sched ? QSDR_SCHED_SERIAL : QSDR_SCHED_THREADED), QSDR_OK);
        size_t n = 0;
        qsdr_vector_sink_data(fg, "snk", NULL, &n, NULL, NULL);
        QSDR_CHECK_EQ_INT(n, 1026);
        double calls = qsdr_test_stat(fg, "up", "calls"), eos = qsdr_test_stat(fg, "up", "eos_calls"), last = qsdr_test_stat(fg, "up", "eos_last");
        if (sched) { /* serial: deterministic */
            QSDR_CHECK_EQ_INT(calls, 2);
            QSDR_CHECK_EQ_INT(eos, 1);
            QSDR_CHECK_EQ_INT(last, 1);
        } else { /* threaded: the stream may end after the last call (then no call has eos) */
            QSDR_CHECK_MSG(eos == 0 || (eos == 1 && last == 1), "threaded: %g of %g calls had eos (last: %g)", eos, calls, last);
        }
        qsdr_flowgraph_destroy(&fg);
    }
}

QSDR_TEST(fg_port_type, "unit", "port types: declared ones, and ANY ports resolved from the parameters before prepare")
{
    qsdr_flowgraph_t *fg = qsdr_flowgraph_create();
    QSDR_REQUIRE(fg);
    QSDR_CHECK_EQ_INT(qsdr_flowgraph_add(fg, "dec", "turbo_decoder"), QSDR_OK);
    QSDR_CHECK_EQ_INT(qsdr_flowgraph_add(fg, "cp", "copy"), QSDR_OK);
    qsdr_item_type t = QSDR_ITEM_ANY;
    QSDR_CHECK_EQ_INT(qsdr_flowgraph_port_type(fg, "dec", false, 0, &t), QSDR_OK);
    QSDR_CHECK_EQ_INT(t, QSDR_ITEM_F32);
    QSDR_CHECK_EQ_INT(qsdr_flowgraph_port_type(fg, "dec", true, 0, &t), QSDR_OK);
    QSDR_CHECK_EQ_INT(t, QSDR_ITEM_BIT);
    QSDR_CHECK_EQ_INT(qsdr_flowgraph_param(fg, "dec", "soft", "true"), QSDR_OK);
    QSDR_CHECK_EQ_INT(qsdr_flowgraph_port_type(fg, "dec", true, 0, &t), QSDR_OK);
    QSDR_CHECK_EQ_INT(t, QSDR_ITEM_F32);
    QSDR_CHECK_EQ_INT(qsdr_flowgraph_param(fg, "cp", "type", "i16"), QSDR_OK);
    QSDR_CHECK_EQ_INT(qsdr_flowgraph_port_type(fg, "cp", false, 0, &t), QSDR_OK);
    QSDR_CHECK_EQ_INT(t, QSDR_ITEM_I16);
    qsdr_log_set_level(QSDR_LOG_OFF);
    QSDR_CHECK(qsdr_flowgraph_port_type(fg, "nosuch", true, 0, &t) == QSDR_EINVAL);
    QSDR_CHECK(qsdr_flowgraph_port_type(fg, "dec", true, 1, &t) == QSDR_EINVAL);
    QSDR_CHECK(strstr(qsdr_last_error(), "no output port 1") != NULL);
    qsdr_log_set_level(QSDR_LOG_INFO);
    qsdr_flowgraph_destroy(&fg);
}

QSDR_TEST(fg_fanout, "unit", "one output feeding three consumers: each gets every item")
{
    register_test_blocks();
    qsdr_flowgraph_t *fg = load("blocks:\n"
                                "  - {id: src, type: test_counter}\n"
                                "  - {id: head, type: head, params: {type: f32, n: 300000}}\n"
                                "  - {id: a, type: vector_sink, params: {type: f32}}\n"
                                "  - {id: b, type: vector_sink, params: {type: f32}}\n"
                                "  - {id: c, type: test_slow_sink}\n"
                                "connections: [src -> head, head -> a, head -> b, head -> c]\n");
    QSDR_REQUIRE(fg);
    qsdr_flowgraph_set_buffer_items(fg, 4096);
    QSDR_CHECK_EQ_INT(qsdr_flowgraph_run(fg, QSDR_SCHED_THREADED), QSDR_OK);
    const char *ids[] = {"a", "b"};
    for (int k = 0; k < 2; k++) {
        const uint32_t *d;
        size_t n;
        qsdr_vector_sink_data(fg, ids[k], (const void **)&d, &n, NULL, NULL);
        QSDR_CHECK_EQ_INT(n, 300000);
        size_t bad = 0;
        for (size_t i = 0; i < n; i++) bad += d[i] != i;
        QSDR_CHECK_EQ_INT(bad, 0);
    }
    slow_state *s = qsdr_flowgraph_block_state(fg, "c");
    QSDR_CHECK_EQ_INT(s->n, 300000);
    QSDR_CHECK_EQ_INT(s->bad, 0);
    qsdr_flowgraph_destroy(&fg);
}

QSDR_TEST(fg_backpressure, "unit", "a slow sink throttles an endless source: nothing dropped, source never runs ahead of the buffer")
{
    register_test_blocks();
    qsdr_flowgraph_t *fg = load("blocks:\n"
                                "  - {id: src, type: test_counter}\n"
                                "  - {id: cp, type: copy, params: {type: f32}}\n"
                                "  - {id: slow, type: test_slow_sink}\n"
                                "connections: [src -> cp, cp -> slow]\n");
    QSDR_REQUIRE(fg);
    qsdr_flowgraph_set_buffer_items(fg, 1024);
    QSDR_REQUIRE(qsdr_flowgraph_start(fg, QSDR_SCHED_THREADED) == QSDR_OK);
    usleep(300 * 1000);
    qsdr_stats a, b;
    qsdr_flowgraph_stats(fg, "src", &a);
    qsdr_flowgraph_stats(fg, "slow", &b);
    /* the source can only be ahead by the two buffers (1024 items each, page-rounded) */
    QSDR_CHECK_MSG(a.v[1].value - b.v[0].value <= 2 * 1024 + 8, "source ran %g items ahead of the sink", a.v[1].value - b.v[0].value);
    QSDR_CHECK(b.v[0].value > 0);
    qsdr_flowgraph_stop(fg);
    QSDR_CHECK_EQ_INT(qsdr_flowgraph_wait(fg), QSDR_OK);
    qsdr_flowgraph_stats(fg, "src", &a);
    qsdr_flowgraph_stats(fg, "slow", &b);
    /* after a stop the tail drains: every produced item reached the sink */
    QSDR_CHECK_EQ_INT(a.v[1].value, b.v[0].value);
    slow_state *s = qsdr_flowgraph_block_state(fg, "slow");
    QSDR_CHECK_EQ_INT(s->bad, 0);
    qsdr_flowgraph_destroy(&fg);
}

QSDR_TEST(fg_serial_batch, "unit",
          "serial scheduler: a block with a chunk hint gets its whole batch in one call, also when the source also feeds "
          "the BER meter's reference, and the source stops once the meter has its frames")
{
    register_test_blocks();
    char yaml[640];
    snprintf(yaml, sizeof yaml,
             "blocks:\n  - {id: src, type: random_source}\n  - {id: cp, type: copy, params: {type: bit}}\n"
             "  - {id: bat, type: test_batch}\n"
             "  - {id: ber, type: ber, params: {frame_size: %d, max_bits: %d, print: false}}\n"
             "connections: [src -> cp, cp -> bat, bat -> ber.in, src -> ber.ref]\n",
             BATCH_F, BATCH_N * BATCH_F);
    qsdr_flowgraph_t *fg = load(yaml);
    QSDR_REQUIRE(fg);
    QSDR_CHECK_EQ_INT(qsdr_flowgraph_run(fg, QSDR_SCHED_SERIAL), QSDR_OK);
    batch_state *b = qsdr_flowgraph_block_state(fg, "bat");
    /* one call with the whole batch (before: 32-frame calls, the output buffer being 256 KiB,
       and forced partial calls while the source stalled on the reference stream's buffer, which
       the meter reads only once the batch has passed) */
    QSDR_CHECK_EQ_INT(b->most, BATCH_N);
    QSDR_CHECK_EQ_INT(b->frames, BATCH_N);
    QSDR_CHECK_EQ_INT(b->calls, 1);
    qsdr_stats st;
    QSDR_REQUIRE(qsdr_flowgraph_stats(fg, "src", &st) == QSDR_OK);
    /* the source stops within two serial chunks (4096 items each) of what the meter needed
       (before: a second batch, since the hinted block kept waiting for input after the meter
       ended) */
    QSDR_CHECK_MSG(st.v[1].value <= BATCH_N * BATCH_F + 2 * 4096, "the source produced %g items for %d", st.v[1].value,
                   BATCH_N * BATCH_F);
    QSDR_REQUIRE(qsdr_flowgraph_stats(fg, "ber", &st) == QSDR_OK);
    double frames = -1;
    for (size_t i = 0; i < st.n; i++)
        if (!strcmp(st.v[i].name, "frames")) frames = st.v[i].value;
    QSDR_CHECK_EQ_INT(frames, BATCH_N);
    qsdr_flowgraph_destroy(&fg);
}

#include "runtime/runtime_internal.h"
QSDR_TEST(fg_hint_buffer_sizes, "unit",
          "buffers sized for a chunk hint: the reference stream holds two batches, the decoder's output one, and a "
          "fan-out far upstream at a high sample rate stops at 64 MiB")
{
    /* K = 6144 turbo code, QPSK at 64 samples per symbol, the sample stream also read by a
       monitor: 2 x the decoder's hint at that stream's rate would be 600 MB */
    qsdr_flowgraph_t *fg =
        load("blocks:\n  - {id: src, type: random_source}\n  - {id: enc, type: turbo_encoder, params: {k: 6144}}\n"
             "  - {id: map, type: mapper, params: {modulation: qpsk}}\n"
             "  - {id: tx, type: rrc_interp, params: {sps: 64, span: 4, rolloff: 0.5}}\n"
             "  - {id: hd, type: head, params: {type: cf32, n: 1000}}\n  - {id: mon, type: null_sink, params: {type: cf32}}\n"
             "  - {id: rx, type: rrc_decim, params: {sps: 64, span: 4, rolloff: 0.5}}\n"
             "  - {id: llr, type: demapper, params: {modulation: qpsk, noise_var: 0.1}}\n"
             "  - {id: dec, type: turbo_decoder, params: {k: 6144, impl: fast}}\n"
             "  - {id: ber, type: ber, params: {frame_size: 6144, max_bits: 393216, print: false}}\n"
             "connections: [src -> enc, enc -> map, map -> tx, tx -> hd, hd -> mon, tx -> rx, rx -> llr, llr -> dec, "
             "dec -> ber.in, src -> ber.ref]\n");
    QSDR_REQUIRE(fg);
    QSDR_REQUIRE(qsdr_flowgraph_prepare(fg) == QSDR_OK);
    qsdr_block_inst *dec = qsdr_fg_find(fg, "dec"), *src = qsdr_fg_find(fg, "src"), *tx = qsdr_fg_find(fg, "tx");
    QSDR_REQUIRE(dec && src && tx && dec->chunk_hint > 0);
    size_t frames = dec->chunk_hint / 18444; /* the hint is whole frames of 3 K + 12 LLRs */
    QSDR_CHECK_EQ_INT(dec->chunk_hint % 18444, 0);
    QSDR_CHECK(dec->out[0]->cap >= frames * 6144);     /* a whole batch of decisions */
    QSDR_CHECK(src->out[0]->cap >= 2 * frames * 6144); /* the reference bits of two batches */
    size_t bytes = tx->out[0]->cap * tx->out[0]->item_size;
    QSDR_CHECK_MSG(bytes <= ((size_t)64 << 20) + 4096, "the fan-out sample buffer takes %zu bytes", bytes);
    QSDR_CHECK(bytes >= ((size_t)64 << 20) - 4096); /* capped, not left at the default 256 KiB */
    QSDR_CHECK_EQ_INT(qsdr_flowgraph_run(fg, QSDR_SCHED_SERIAL), QSDR_OK);
    qsdr_stats st;
    QSDR_REQUIRE(qsdr_flowgraph_stats(fg, "ber", &st) == QSDR_OK);
    double nf = -1;
    for (size_t i = 0; i < st.n; i++)
        if (!strcmp(st.v[i].name, "frames")) nf = st.v[i].value;
    QSDR_CHECK_EQ_INT(nf, 64);
    /* the serial scheduler gave the SIMD decoder whole batches (the hint is two of them) */
    QSDR_REQUIRE(qsdr_flowgraph_stats(fg, "dec", &st) == QSDR_OK);
    double avg_batch = -1;
    for (size_t i = 0; i < st.n; i++)
        if (!strcmp(st.v[i].name, "avg_batch")) avg_batch = st.v[i].value;
    QSDR_CHECK_MSG(avg_batch == (double)(frames / 2), "the decoder ran %g frames per call, a batch is %zu", avg_batch, frames / 2);
    qsdr_flowgraph_destroy(&fg);
}

QSDR_TEST(fg_buffer_pool, "unit",
          "a buffer pool lends its mappings to the next flowgraph of the same shape; results are those without a pool")
{
    const char *yaml = "blocks:\n  - {id: src, type: random_source}\n  - {id: map, type: mapper, params: {modulation: qpsk}}\n"
                       "  - {id: awgn, type: awgn, params: {esn0_db: 3}}\n  - {id: head, type: head, params: {type: cf32, n: 300000}}\n"
                       "  - {id: snk, type: vector_sink, params: {type: cf32}}\n"
                       "connections: [src -> map, map -> awgn, awgn -> head, head -> snk]\n";
    qsdr_buffer_pool *pool = qsdr_buffer_pool_create();
    QSDR_REQUIRE(pool);
    QSDR_CHECK_EQ_INT(qsdr_buffer_pool_bytes(pool), 0);
    qsdr_cf32 *first = NULL;
    size_t held = 0;
    for (int run = 0; run < 4; run++) { /* 0: no pool; 1: fresh mappings into the pool; 2, 3: reused */
        qsdr_flowgraph_t *fg = load(yaml);
        QSDR_REQUIRE(fg);
        qsdr_flowgraph_set_seed(fg, 5);
        if (run) QSDR_CHECK_EQ_INT(qsdr_flowgraph_set_buffer_pool(fg, pool), QSDR_OK);
        QSDR_CHECK_EQ_INT(qsdr_flowgraph_run(fg, run == 3 ? QSDR_SCHED_THREADED : QSDR_SCHED_SERIAL), QSDR_OK);
        QSDR_CHECK(qsdr_flowgraph_set_buffer_pool(fg, pool) == QSDR_EINVAL); /* too late: the buffers exist */
        if (run >= 2) QSDR_CHECK_EQ_INT(qsdr_buffer_pool_bytes(pool), 0); /* all lent out again */
        const qsdr_cf32 *d;
        size_t n = 0;
        qsdr_vector_sink_data(fg, "snk", (const void **)&d, &n, NULL, NULL);
        QSDR_REQUIRE(n == 300000);
        if (!run) {
            first = malloc(n * sizeof *first);
            QSDR_REQUIRE(first);
            memcpy(first, d, n * sizeof *first);
        } else {
            QSDR_CHECK(!memcmp(first, d, n * sizeof *first));
        }
        qsdr_flowgraph_destroy(&fg);
        if (run == 1) held = qsdr_buffer_pool_bytes(pool);
        if (run >= 1) QSDR_CHECK_EQ_INT(qsdr_buffer_pool_bytes(pool), held);
    }
    /* 4 streams: bits, cf32 x 3; at least 256 KiB each by default */
    QSDR_CHECK_MSG(held >= 4 * 256 * 1024, "the pool holds %zu bytes", held);
    free(first);
    qsdr_buffer_pool_destroy(&pool);
    QSDR_CHECK(pool == NULL);
    qsdr_buffer_pool_destroy(&pool); /* harmless */
}

QSDR_TEST(fg_live_stats, "unit",
          "statistics of a running block are taken on its own thread (a consistent snapshot); after the block ends they come at once")
{
    register_test_blocks();
    qsdr_flowgraph_t *fg = load("blocks:\n"
                                "  - {id: src, type: test_counter}\n"
                                "  - {id: slow, type: test_slow_sink}\n"
                                "connections: [src -> slow]\n");
    QSDR_REQUIRE(fg);
    qsdr_flowgraph_set_item_limit(fg, 200000);
    QSDR_REQUIRE(qsdr_flowgraph_start(fg, QSDR_SCHED_THREADED) == QSDR_OK);
    slow_state *s = qsdr_flowgraph_block_state(fg, "slow");
    int live = 0;
    double last = 0;
    for (int i = 0; i < 40; i++) {
        usleep(2000);
        qsdr_stats st;
        QSDR_CHECK_EQ_INT(qsdr_flowgraph_stats(fg, "slow", &st), QSDR_OK);
        QSDR_REQUIRE(st.n == 4);
        /* items_in (the runtime's counter) and n (the block's) are read between two work calls */
        QSDR_CHECK_MSG(st.v[0].value == st.v[3].value, "items_in %g but the block counted %g", st.v[0].value, st.v[3].value);
        QSDR_CHECK(st.v[0].value >= last);
        last = st.v[0].value;
        if (st.v[0].value > 0 && st.v[0].value < 200000) live++;
    }
    QSDR_CHECK_MSG(live > 0, "no statistics were taken while the sink ran");
    QSDR_CHECK_EQ_INT(s->stats_off_thread, 0);
    while (!qsdr_flowgraph_wait_for(fg, 1.0)) {}
    /* every block has ended but the flowgraph has not been waited for: no request can be served */
    double t0 = qsdr_now();
    qsdr_stats st;
    QSDR_CHECK_EQ_INT(qsdr_flowgraph_stats(fg, "slow", &st), QSDR_OK);
    QSDR_CHECK_MSG(qsdr_now() - t0 < 1.0, "statistics of an ended block took %.1f s", qsdr_now() - t0);
    QSDR_CHECK_EQ_INT(st.v[0].value, 200000);
    QSDR_CHECK_EQ_INT(st.v[3].value, 200000);
    QSDR_CHECK_EQ_INT(qsdr_flowgraph_wait(fg), QSDR_OK);
    qsdr_flowgraph_destroy(&fg);
}

QSDR_TEST(fg_stop_endless, "unit", "stop() ends an endless threaded flowgraph promptly; abort() ends it without draining")
{
    for (int mode = 0; mode < 2; mode++) {
        qsdr_flowgraph_t *fg = load("blocks:\n"
                                    "  - {id: src, type: null_source}\n"
                                    "  - {id: c1, type: copy}\n"
                                    "  - {id: c2, type: copy}\n"
                                    "  - {id: snk, type: null_sink}\n"
                                    "connections: [src -> c1, c1 -> c2, c2 -> snk]\n");
        QSDR_REQUIRE(fg);
        QSDR_REQUIRE(qsdr_flowgraph_start(fg, QSDR_SCHED_THREADED) == QSDR_OK);
        usleep(100 * 1000);
        double t0 = qsdr_now();
        if (mode == 0) qsdr_flowgraph_stop(fg);
        else qsdr_flowgraph_abort(fg);
        QSDR_CHECK(qsdr_flowgraph_wait_for(fg, 5.0));
        QSDR_CHECK_EQ_INT(qsdr_flowgraph_wait(fg), QSDR_OK);
        QSDR_CHECK_MSG(qsdr_now() - t0 < 2.0, "shutdown took %.2f s", qsdr_now() - t0);
        QSDR_CHECK(qsdr_flowgraph_sink_items(fg) > 0);
        QSDR_CHECK(!qsdr_flowgraph_running(fg));
        qsdr_flowgraph_destroy(&fg);
    }
}


QSDR_TEST(fg_item_limit, "unit", "the item limit (--items) caps every source exactly")
{
    qsdr_flowgraph_t *fg = load("blocks:\n"
                                "  - {id: src, type: random_source}\n"
                                "  - {id: snk, type: vector_sink, params: {type: bit}}\n"
                                "connections: [src -> snk]\n");
    QSDR_REQUIRE(fg);
    qsdr_flowgraph_destroy(&fg);
    qsdr_flowgraph_load_string("blocks:\n"
                               "  - {id: src, type: random_source}\n"
                               "  - {id: snk, type: vector_sink, params: {type: bit}}\n"
                               "connections: [src -> snk]\n",
                               "t.yml", NULL, &fg);
    QSDR_REQUIRE(fg);
    qsdr_flowgraph_set_item_limit(fg, 99991);
    QSDR_CHECK_EQ_INT(qsdr_flowgraph_run(fg, QSDR_SCHED_THREADED), QSDR_OK);
    size_t n;
    const uint8_t *d;
    qsdr_vector_sink_data(fg, "snk", (const void **)&d, &n, NULL, NULL);
    QSDR_CHECK_EQ_INT(n, 99991);
    size_t ones = 0;
    for (size_t i = 0; i < n; i++) ones += d[i];
    QSDR_CHECK_MSG(ones > 49000 && ones < 51000, "random bits are unbalanced: %zu ones of %zu", ones, n);
    qsdr_flowgraph_destroy(&fg);

    /* a source that makes frames of 4: a limit of 10 gives its 2 whole frames, then the run ends
       (waited for with a deadline: a source that never ends would hang the test) */
    register_test_blocks();
    for (int sched = 0; sched < 2; sched++) {
        fg = load("blocks:\n"
                  "  - {id: src, type: test_frame_src}\n"
                  "  - {id: snk, type: vector_sink, params: {type: f32}}\n"
                  "connections: [src -> snk]\n");
        QSDR_REQUIRE(fg);
        qsdr_flowgraph_set_item_limit(fg, 10);
        QSDR_CHECK_EQ_INT(run_within(fg, sched ? QSDR_SCHED_SERIAL : QSDR_SCHED_THREADED, 10, "a limit of 10 items on 4-item frames", NULL, 0),
                          QSDR_OK);
        const uint32_t *u;
        qsdr_vector_sink_data(fg, "snk", (const void **)&u, &n, NULL, NULL);
        QSDR_CHECK_EQ_INT(n, 8);
        for (size_t i = 0; i < n && i < 8; i++) QSDR_CHECK_EQ_INT(u[i], i);
        qsdr_flowgraph_destroy(&fg);
    }
}

static const char *chain_yaml = "variables: {ebn0: 3}\n"
                                "blocks:\n"
                                "  - {id: src, type: random_source}\n"
                                "  - {id: map, type: mapper, params: {modulation: qam16}}\n"
                                "  - {id: tx, type: rrc_interp, params: {sps: 4, span: 6}}\n"
                                "  - {id: awgn, type: awgn, params: {ebn0_db: '${ebn0}', bits_per_symbol: 4, sps: 4}}\n"
                                "  - {id: rx, type: rrc_decim, params: {sps: 4, span: 6}}\n"
                                "  - {id: snk, type: vector_sink}\n"
                                "connections: [src -> map, map -> tx, tx -> awgn, awgn -> rx, rx -> snk]\n";

QSDR_TEST(fg_sched_identical, "unit", "threaded and serial schedulers give bit-identical output for the same seed")
{
    qsdr_cf32 *out[3] = {0};
    size_t n[3] = {0};
    qsdr_flowgraph_t *fgs[3] = {0};
    for (int k = 0; k < 3; k++) {
        QSDR_REQUIRE(qsdr_flowgraph_load_string(chain_yaml, "chain.yml", NULL, &fgs[k]) == QSDR_OK);
        qsdr_flowgraph_set_seed(fgs[k], 77);
        qsdr_flowgraph_set_item_limit(fgs[k], 400000);
        if (k == 2) qsdr_flowgraph_set_serial_chunk(fgs[k], 1000); /* other chunking */
        if (k == 0) qsdr_flowgraph_set_buffer_items(fgs[k], 3000);
        QSDR_CHECK_EQ_INT(qsdr_flowgraph_run(fgs[k], k == 0 ? QSDR_SCHED_THREADED : QSDR_SCHED_SERIAL), QSDR_OK);
        qsdr_vector_sink_data(fgs[k], "snk", (const void **)&out[k], &n[k], NULL, NULL);
    }
    QSDR_CHECK_EQ_INT(n[0], 100000 - 12);
    QSDR_CHECK_EQ_INT(n[1], n[0]);
    QSDR_CHECK_EQ_INT(n[2], n[0]);
    QSDR_CHECK(n[0] && memcmp(out[0], out[1], n[0] * sizeof(qsdr_cf32)) == 0);
    QSDR_CHECK(n[0] && memcmp(out[0], out[2], n[0] * sizeof(qsdr_cf32)) == 0);
    /* a different seed changes the output */
    qsdr_flowgraph_t *other = NULL;
    QSDR_REQUIRE(qsdr_flowgraph_load_string(chain_yaml, "chain.yml", NULL, &other) == QSDR_OK);
    qsdr_flowgraph_set_seed(other, 78);
    qsdr_flowgraph_set_item_limit(other, 4000);
    qsdr_flowgraph_run(other, QSDR_SCHED_SERIAL);
    const qsdr_cf32 *o;
    size_t no;
    qsdr_vector_sink_data(other, "snk", (const void **)&o, &no, NULL, NULL);
    QSDR_CHECK(no > 100 && memcmp(o, out[0], 100 * sizeof *o) != 0);
    qsdr_flowgraph_destroy(&other);
    for (int k = 0; k < 3; k++) qsdr_flowgraph_destroy(&fgs[k]);
}

QSDR_TEST(fg_live_adc_bits, "unit", "adc.bits, then adc.full_scale, changed while running take effect exactly at the reported item, which is tagged")
{
    qsdr_flowgraph_t *fg = load("blocks:\n"
                                "  - {id: src, type: vector_source, params: {type: cf32, data: [0.3, -0.3], repeat: true}}\n"
                                "  - {id: adc, type: adc, params: {bits: 8, full_scale: 1}}\n"
                                "  - {id: snk, type: vector_sink, params: {max_items: 3000000}}\n"
                                "connections: [src -> adc, adc -> snk]\n");
    QSDR_REQUIRE(fg);
    qsdr_flowgraph_set_buffer_items(fg, 4096);
    QSDR_REQUIRE(qsdr_flowgraph_start(fg, QSDR_SCHED_THREADED) == QSDR_OK);
    while (qsdr_flowgraph_sink_items(fg) < 10000 && qsdr_flowgraph_running(fg)) usleep(1000);
    uint64_t at = UINT64_MAX;
    QSDR_CHECK_EQ_INT(qsdr_flowgraph_set(fg, "adc.bits", "1", &at), QSDR_OK);
    /* invalid live changes are refused with an error */
    QSDR_CHECK(qsdr_flowgraph_set(fg, "adc.bits", "9", NULL) == QSDR_ERANGE);
    QSDR_CHECK(qsdr_flowgraph_set(fg, "adc.bits", "1 1", NULL) == QSDR_EINVAL);
    /* white space around a value is no part of it: " 9 " is the number 9, out of range (without
       the trim, "expected an integer"); not a second valid set here, whose tag could land on the
       same item as the first one's on a slow machine */
    QSDR_CHECK(qsdr_flowgraph_set(fg, "adc.bits", " 9 ", NULL) == QSDR_ERANGE);
    QSDR_CHECK(qsdr_flowgraph_set(fg, "adc.agc", "true", NULL) == QSDR_EINVAL);
    QSDR_CHECK(qsdr_flowgraph_set(fg, "nosuch.bits", "1", NULL) == QSDR_EINVAL);
    char buf[16];
    qsdr_flowgraph_get(fg, "adc.bits", buf, sizeof buf);
    QSDR_CHECK(!strcmp(buf, "1"));
    /* then the full scale, well after (its tag on another item): 1-bit levels +-full_scale / 2 */
    while (qsdr_flowgraph_sink_items(fg) < at + 20000 && qsdr_flowgraph_running(fg)) usleep(1000);
    uint64_t at2 = UINT64_MAX;
    QSDR_CHECK_EQ_INT(qsdr_flowgraph_set(fg, "adc.full_scale", "2", &at2), QSDR_OK);
    qsdr_flowgraph_wait(fg);
    const qsdr_cf32 *d;
    size_t n, nt;
    const qsdr_tag *tags;
    qsdr_vector_sink_data(fg, "snk", (const void **)&d, &n, &tags, &nt);
    QSDR_REQUIRE(at >= 10000 && at2 > at && at2 < n);
    /* 8-bit: step 2/256, 0.3 -> (floor(0.3*128)+0.5)/128 = 38.5/128; 1-bit: +-0.5, then +-1 */
    size_t bad = 0;
    for (size_t i = 0; i < n; i++) {
        float want = i < at ? 38.5f / 128.0f : i < at2 ? 0.5f : 1.0f;
        if (d[i].re != want || d[i].im != -want) bad++;
    }
    QSDR_CHECK_MSG(bad == 0, "%zu items quantized with the wrong bit-width around item %llu", bad, (unsigned long long)at);
    int found = 0;
    for (size_t k = 0; k < nt; k++)
        if (!strcmp(tags[k].key, "set:bits") && tags[k].offset == at && !strcmp(tags[k].value.s, "1")) found++;
    QSDR_CHECK_EQ_INT(found, 1);
    qsdr_flowgraph_destroy(&fg);
}

/* set `path` to `value` once the sink `snk` holds `after` items; returns the item it applies from */
static uint64_t set_after(qsdr_flowgraph_t *fg, uint64_t after, const char *path, const char *value)
{
    while (qsdr_flowgraph_sink_items(fg) < after && qsdr_flowgraph_running(fg)) usleep(1000);
    uint64_t at = UINT64_MAX;
    QSDR_CHECK_EQ_INT(qsdr_flowgraph_set(fg, path, value, &at), QSDR_OK);
    return at;
}

/* QPSK LLRs llr (2 per sample of x, n samples) against the exact demapper with N0 n0[s] for the
   samples from[s] <= i < from[s + 1] (from[0] = 0, nseg segments): how many samples differ */
static size_t demapped_with_other_n0(const qsdr_cf32 *x, const float *llr, size_t n, size_t nseg, const uint64_t *from, const float *n0)
{
    qsdr_modem_t *m = qsdr_modem_create(QSDR_MOD_QPSK);
    if (!m) return n;
    size_t bad = 0, s = 0;
    for (size_t i = 0; i < n; i++) {
        while (s + 1 < nseg && i >= from[s + 1]) s++;
        float w[2];
        qsdr_modem_demap_llr(m, x + i, 1, n0[s], false, w);
        bad += fabsf(w[0] - llr[2 * i]) > 1e-5f * (1 + fabsf(w[0])) || fabsf(w[1] - llr[2 * i + 1]) > 1e-5f * (1 + fabsf(w[1]));
    }
    qsdr_modem_destroy(&m);
    return bad;
}

QSDR_TEST(fg_live_noise_var_back_to_tags, "unit",
          "demapper and onebit_llr: noise_var set while running, then set back to 0, follow the awgn block's tagged N0 again at once")
{
    register_test_blocks();
    qsdr_flowgraph_t *fg = load("blocks:\n"
                                "  - {id: src, type: vector_source, params: {type: cf32, data: [0.7071, -0.7071], repeat: true}}\n"
                                "  - {id: awgn, type: awgn, params: {ebn0_db: 3, bits_per_symbol: 2, sps: 1}}\n"
                                "  - {id: x, type: vector_sink, params: {max_items: 1000000}}\n"
                                "  - {id: dem, type: demapper, params: {modulation: qpsk}}\n"
                                "  - {id: adc, type: adc}\n"
                                "  - {id: ob, type: onebit_llr, params: {modulation: qpsk}}\n"
                                "  - {id: obs, type: test_slow_sink}\n"
                                "  - {id: snk, type: vector_sink, params: {type: f32, max_items: 2000000}}\n"
                                "connections: [src -> awgn, awgn -> x, awgn -> dem, dem -> snk, awgn -> adc, adc -> ob, ob -> obs]\n");
    QSDR_REQUIRE(fg);
    /* the slow sink holds the whole graph to about 200k symbols/s (small buffers, backpressure),
       so the sets below land mid-stream; the sinks count 5 items per symbol together */
    qsdr_flowgraph_set_buffer_items(fg, 256);
    QSDR_REQUIRE(qsdr_flowgraph_start(fg, QSDR_SCHED_THREADED) == QSDR_OK);
    while (qsdr_flowgraph_sink_items(fg) < 50000 && qsdr_flowgraph_running(fg)) usleep(1000);
    qsdr_stats st;
    double lc0 = -1, lc1 = -1, lc2 = -1;
    QSDR_REQUIRE(qsdr_flowgraph_stats(fg, "ob", &st) == QSDR_OK);
    for (size_t i = 0; i < st.n; i++) if (!strcmp(st.v[i].name, "lc_i")) lc0 = st.v[i].value;
    uint64_t at1 = set_after(fg, 100000, "dem.noise_var", "5");
    QSDR_CHECK_EQ_INT(qsdr_flowgraph_set(fg, "ob.noise_var", "5", NULL), QSDR_OK);
    uint64_t at2 = set_after(fg, 5 * at1 + 100000, "dem.noise_var", "0");
    /* onebit_llr's L_c (its statistic) after its own set: read once the set has been applied */
    while (qsdr_flowgraph_sink_items(fg) < 5 * at2 + 50000 && qsdr_flowgraph_running(fg)) usleep(1000);
    QSDR_REQUIRE(qsdr_flowgraph_stats(fg, "ob", &st) == QSDR_OK);
    for (size_t i = 0; i < st.n; i++) if (!strcmp(st.v[i].name, "lc_i")) lc1 = st.v[i].value;
    QSDR_CHECK_EQ_INT(qsdr_flowgraph_set(fg, "ob.noise_var", "0", NULL), QSDR_OK);
    while (qsdr_flowgraph_sink_items(fg) < 5 * at2 + 150000 && qsdr_flowgraph_running(fg)) usleep(1000);
    QSDR_REQUIRE(qsdr_flowgraph_stats(fg, "ob", &st) == QSDR_OK);
    for (size_t i = 0; i < st.n; i++) if (!strcmp(st.v[i].name, "lc_i")) lc2 = st.v[i].value;
    qsdr_flowgraph_stop(fg);
    qsdr_flowgraph_wait(fg);
    QSDR_CHECK(lc0 > 1 && lc1 > 0 && lc1 < 0.5 * lc0);
    QSDR_CHECK_MSG(lc2 == lc0, "onebit_llr L_c %g after noise_var 0, %g before the sets (N0 = 5: %g)", lc2, lc0, lc1);
    const qsdr_cf32 *x;
    const float *llr;
    const qsdr_tag *tags;
    size_t nx, nl, nt;
    qsdr_vector_sink_data(fg, "x", (const void **)&x, &nx, &tags, &nt);
    qsdr_vector_sink_data(fg, "snk", (const void **)&llr, &nl, NULL, NULL);
    float n0 = -1;
    for (size_t k = 0; k < nt; k++)
        if (!strcmp(tags[k].key, "noise_var") && tags[k].offset == 0) n0 = (float)tags[k].value.f;
    QSDR_REQUIRE(n0 > 0 && n0 < 1);
    QSDR_REQUIRE(at1 >= 10000 && at2 > at1 + 10000 && 2 * at2 + 20000 <= nl && nl / 2 <= nx);
    size_t bad = demapped_with_other_n0(x, llr, nl / 2, 3, (const uint64_t[]){0, at1, at2}, (const float[]){n0, 5.0f, n0});
    QSDR_CHECK_MSG(bad == 0, "%zu of %zu symbols demapped with the wrong N0 (set 5 at %llu, 0 at %llu; tagged N0 %g)", bad, nl / 2,
                   (unsigned long long)at1, (unsigned long long)at2, n0);
    qsdr_flowgraph_destroy(&fg);
}

QSDR_TEST(fg_live_awgn_set, "unit",
          "awgn: ebn0_db, then esn0_db, set while running change the noise exactly at the reported item, which carries the new "
          "noise_var tag; a demapper following the tags uses it from that item, also one set back to follow them after the change")
{
    register_test_blocks();
    /* zeros in: the output is the noise alone. The slow sink behind the demapper paces the graph */
    qsdr_flowgraph_t *fg = load("blocks:\n"
                                "  - {id: src, type: vector_source, params: {type: cf32, data: [0, 0], repeat: true}}\n"
                                "  - {id: awgn, type: awgn, params: {ebn0_db: 3, bits_per_symbol: 2, sps: 1}}\n"
                                "  - {id: x, type: vector_sink, params: {max_items: 1000000}}\n"
                                "  - {id: dem, type: demapper, params: {modulation: qpsk}}\n"
                                "  - {id: obs, type: test_slow_sink}\n"
                                "  - {id: llr, type: vector_sink, params: {type: f32, max_items: 2000000}}\n"
                                "  - {id: dm2, type: demapper, params: {modulation: qpsk}}\n"
                                "  - {id: llr2, type: vector_sink, params: {type: f32, max_items: 2000000}}\n"
                                "connections: [src -> awgn, awgn -> x, awgn -> dem, dem -> obs, dem -> llr, awgn -> dm2, dm2 -> llr2]\n");
    QSDR_REQUIRE(fg);
    qsdr_flowgraph_set_buffer_items(fg, 256);
    QSDR_REQUIRE(qsdr_flowgraph_start(fg, QSDR_SCHED_THREADED) == QSDR_OK);
    /* the sinks count 7 items per sample together (x: 1, obs, llr and llr2: 2 LLRs each). The
       second demapper is set to N0 = 5 by hand before the first change and back to 0 (follow the
       tags) after it: from then on it uses the N0 tagged while it was set by hand */
    uint64_t a5 = set_after(fg, 7 * 20000, "dm2.noise_var", "5");
    uint64_t at1 = set_after(fg, 7 * (a5 + 20000), "awgn.ebn0_db", "10");
    uint64_t a0 = set_after(fg, 7 * (at1 + 20000), "dm2.noise_var", "0");
    uint64_t at2 = set_after(fg, 7 * (a0 + 20000), "awgn.esn0_db", "0");
    while (qsdr_flowgraph_sink_items(fg) < 7 * (at2 + 30000) && qsdr_flowgraph_running(fg)) usleep(1000);
    qsdr_flowgraph_stop(fg);
    qsdr_flowgraph_wait(fg);
    const qsdr_cf32 *x;
    const qsdr_tag *tags;
    size_t nx, nt;
    qsdr_vector_sink_data(fg, "x", (const void **)&x, &nx, &tags, &nt);
    QSDR_REQUIRE(at1 >= 20000 && at2 >= at1 + 20000 && nx >= at2 + 20000);
    /* QPSK, unit symbol energy: N0 = Es / (2 Eb/N0) before, at Eb/N0 10 dB after the first set,
       N0 = Es / (Es/N0) = 1 after the second */
    const double want[3] = {qsdr_noise_var_from_ebn0(3, 2, 1, 1, 1), qsdr_noise_var_from_ebn0(10, 2, 1, 1, 1), qsdr_noise_var_from_esn0(0, 1, 1)};
    const uint64_t from[3] = {0, at1, at2}, to[3] = {at1, at2, nx};
    QSDR_CHECK_NEAR(want[0], 0.5 / pow(10, 0.3), 1e-9);
    size_t found = 0;
    for (size_t k = 0; k < nt; k++) {
        if (strcmp(tags[k].key, "noise_var")) continue;
        QSDR_CHECK_MSG(found < 3 && tags[k].offset == from[found] && fabs(tags[k].value.f - want[found]) <= 1e-6 * want[found],
                       "noise_var tag %zu: %g at item %llu; want %g at %llu", found, tags[k].value.f, (unsigned long long)tags[k].offset,
                       found < 3 ? want[found] : -1.0, found < 3 ? (unsigned long long)from[found] : 0ull);
        found++;
    }
    QSDR_CHECK_EQ_INT((int)found, 3);
    /* the noise itself: each segment's mean |x|^2 within 4 % (10000+ samples: 1 % sampling), and
       the 4000 samples on either side of each set already at their own variance (within 8 %) */
    for (int s = 0; s < 3; s++) {
        double e = 0, near = 0;
        for (uint64_t i = from[s]; i < to[s]; i++) e += (double)x[i].re * x[i].re + (double)x[i].im * x[i].im;
        e /= (double)(to[s] - from[s]);
        uint64_t a = s ? from[s] : to[s] - 4000, b = a + 4000;
        for (uint64_t i = a; i < b; i++) near += (double)x[i].re * x[i].re + (double)x[i].im * x[i].im;
        near /= 4000;
        QSDR_CHECK_MSG(fabs(e / want[s] - 1) < 0.04, "segment %d: mean |x|^2 %g, N0 %g", s, e, want[s]);
        QSDR_CHECK_MSG(fabs(near / want[s] - 1) < 0.08, "segment %d, next to its boundary: mean |x|^2 %g, N0 %g", s, near, want[s]);
    }
    /* the demapper follows the tags: every LLR with the N0 of its own sample's segment */
    const float *llr;
    size_t nl, bad;
    const float w0 = (float)want[0], w1 = (float)want[1], w2 = (float)want[2];
    qsdr_vector_sink_data(fg, "llr", (const void **)&llr, &nl, NULL, NULL);
    QSDR_REQUIRE(nl / 2 >= at2 + 20000 && nl / 2 <= nx);
    bad = demapped_with_other_n0(x, llr, nl / 2, 3, (const uint64_t[]){0, at1, at2}, (const float[]){w0, w1, w2});
    QSDR_CHECK_MSG(bad == 0, "%zu of %zu samples demapped with another N0 than their segment's", bad, nl / 2);
    qsdr_vector_sink_data(fg, "llr2", (const void **)&llr, &nl, NULL, NULL);
    QSDR_REQUIRE(nl / 2 >= at2 + 20000 && nl / 2 <= nx && a5 < at1 && at1 < a0 && a0 < at2);
    bad = demapped_with_other_n0(x, llr, nl / 2, 4, (const uint64_t[]){0, a5, a0, at2}, (const float[]){w0, 5.0f, w1, w2});
    QSDR_CHECK_MSG(bad == 0, "demapper set by hand, then back to the tags: %zu of %zu samples with another N0 (5 from %llu, tags from %llu)",
                   bad, nl / 2, (unsigned long long)a5, (unsigned long long)a0);
    qsdr_flowgraph_destroy(&fg);
}

QSDR_TEST(fg_awgn_code_rate_tag_midstream, "unit",
          "awgn with code_rate 0: a 'code_rate' tag in mid-stream changes the noise exactly at its item (noise_var tag there)")
{
    /* 4000 zero samples, the rate tagged 1/2 at sample 1500 (a plugin encoder, a file): before it
       rate 1 (awgn's start value), after it twice the noise */
    size_t n = 4000, len = 0;
    char *yaml = malloc(16 * n + 1024);
    QSDR_REQUIRE(yaml);
    len += (size_t)sprintf(yaml, "blocks:\n  - {id: src, type: vector_source, params: {type: cf32, tags: \"1500:code_rate=0.5\", data: [0");
    for (size_t i = 1; i < 2 * n; i++) len += (size_t)sprintf(yaml + len, ", 0");
    sprintf(yaml + len, "]}}\n  - {id: awgn, type: awgn, params: {ebn0_db: 4, bits_per_symbol: 2, code_rate: 0, seed: 3}}\n"
                        "  - {id: x, type: vector_sink}\nconnections: [src -> awgn, awgn -> x]\n");
    for (int sched = 0; sched < 2; sched++) {
        qsdr_flowgraph_t *fg = load(yaml);
        QSDR_REQUIRE(fg);
        QSDR_REQUIRE(qsdr_flowgraph_run(fg, sched ? QSDR_SCHED_THREADED : QSDR_SCHED_SERIAL) == QSDR_OK);
        const qsdr_cf32 *x;
        const qsdr_tag *tags;
        size_t nx, nt, found = 0;
        qsdr_vector_sink_data(fg, "x", (const void **)&x, &nx, &tags, &nt);
        QSDR_REQUIRE(nx == n);
        const double want[2] = {qsdr_noise_var_from_ebn0(4, 2, 1, 1, 1), qsdr_noise_var_from_ebn0(4, 2, 0.5, 1, 1)};
        const uint64_t from[2] = {0, 1500}, to[2] = {1500, 4000};
        for (size_t k = 0; k < nt; k++) {
            if (strcmp(tags[k].key, "noise_var")) continue;
            QSDR_CHECK_MSG(found < 2 && tags[k].offset == from[found] && fabs(tags[k].value.f - want[found]) <= 1e-6 * want[found],
                           "noise_var tag %zu: %g at item %llu", found, tags[k].value.f, (unsigned long long)tags[k].offset);
            found++;
        }
        QSDR_CHECK_EQ_INT((int)found, 2);
        for (int sg = 0; sg < 2; sg++) { /* 1500 / 2500 samples: 2.6 % / 2 % sampling */
            double e = 0;
            for (uint64_t i = from[sg]; i < to[sg]; i++) e += (double)x[i].re * x[i].re + (double)x[i].im * x[i].im;
            e /= (double)(to[sg] - from[sg]);
            QSDR_CHECK_MSG(fabs(e / want[sg] - 1) < 0.12, "segment %d: mean |x|^2 %g, N0 %g", sg, e, want[sg]);
        }
        qsdr_flowgraph_destroy(&fg);
    }
    free(yaml);
}

QSDR_TEST(fg_turbo_decoder_block_params, "unit",
          "turbo_decoder's scaling and precision reach the decoder: its output is the library decoder's with them (int_bits counter)")
{
    /* 8 frames of K 1024 at rate 1/3 through BPSK and noise (sigma 1.25, Eb/N0 about 0 dB: some
       frames not yet decoded, so decoders that differ show it), as LLRs in a file */
    const size_t k = 1024, n = qsdr_turbo_n(k, QSDR_TURBO_R13), F = 8;
    uint8_t *u = malloc(k), *c = malloc(n), *bits = malloc(F * k), *ref8 = malloc(F * k), *ref16 = malloc(F * k);
    float *llr = malloc(F * n * sizeof(float)), *app = malloc(F * k * sizeof(float));
    QSDR_REQUIRE(u && c && bits && ref8 && ref16 && llr && app);
    qsdr_turbo_enc_t *enc = qsdr_turbo_enc_create(k, QSDR_TURBO_R13);
    QSDR_REQUIRE(enc);
    qsdr_randn_f32(11, 0, F * n, llr);
    const float sigma = 1.25f;
    for (size_t f = 0; f < F; f++) {
        for (size_t i = 0; i < k; i++) u[i] = (uint8_t)((i * 37 + f * 11) % 7 < 3);
        QSDR_REQUIRE(qsdr_turbo_enc_execute(enc, u, c) == QSDR_OK);
        for (size_t i = 0; i < n; i++) llr[f * n + i] = 2 * ((1 - 2 * (float)c[i]) + sigma * llr[f * n + i]) / (sigma * sigma);
    }
    qsdr_turbo_enc_destroy(&enc);
    char path[1024];
    snprintf(path, sizeof path, "%s/fg_turbo_llr.f32", qsdr_test_build_dir);
    FILE *fp = fopen(path, "wb");
    QSDR_REQUIRE(fp && fwrite(llr, sizeof(float), F * n, fp) == F * n);
    fclose(fp);
    /* the library: the float reference at scaling 0.6 with soft output; the fast decoder at int8 and int16 */
    qsdr_turbo_dec_config cfg = qsdr_turbo_dec_default();
    cfg.scaling = 0.6f;
    qsdr_turbo_dec_t *d = qsdr_turbo_dec_create(k, &cfg);
    QSDR_REQUIRE(d);
    for (size_t f = 0; f < F; f++) QSDR_REQUIRE(qsdr_turbo_dec_execute(d, llr + f * n, bits + f * k, app + f * k) >= 1); /* iterations run */
    qsdr_turbo_dec_destroy(&d);
    const char *variant[2] = {"int8", "int16"};
    uint8_t *ref[2] = {ref8, ref16};
    for (int v = 0; v < 2; v++) {
        qsdr_turbo_fast_t *q = qsdr_turbo_fast_create(k, cfg.iterations, QSDR_TURBO_R13, variant[v]);
        QSDR_REQUIRE(q);
        QSDR_REQUIRE(qsdr_turbo_fast_execute(q, llr, F, ref[v]) == QSDR_OK);
        qsdr_turbo_fast_destroy(&q);
    }
    /* int8 and int16 give the same decisions here (max-log is scale-free; saturation is rare): the
       block's int_bits counter tells which ran */
    for (int blk = 0; blk < 3; blk++) {
        static const char *const params[3] = {"{k: 1024, scaling: 0.6, soft: true}", "{k: 1024, precision: int8}", "{k: 1024}"};
        char yaml[2048];
        snprintf(yaml, sizeof yaml,
                 "blocks:\n  - {id: src, type: file_source, params: {type: f32, path: \"%s\"}}\n"
                 "  - {id: dec, type: turbo_decoder, params: %s}\n  - {id: snk, type: vector_sink, params: {type: %s}}\n"
                 "connections: [src -> dec, dec -> snk]\n",
                 path, params[blk], blk ? "bit" : "f32");
        qsdr_flowgraph_t *fg = load(yaml);
        QSDR_REQUIRE(fg);
        QSDR_REQUIRE(qsdr_flowgraph_run(fg, QSDR_SCHED_SERIAL) == QSDR_OK);
        const void *out;
        size_t got;
        qsdr_vector_sink_data(fg, "snk", &out, &got, NULL, NULL);
        QSDR_REQUIRE(got == F * k);
        if (blk == 0) QSDR_CHECK_MSG(!memcmp(out, app, F * k * sizeof(float)), "scaling 0.6, soft: not the reference decoder's APP LLRs");
        else {
            QSDR_CHECK_MSG(!memcmp(out, blk == 1 ? ref8 : ref16, F * k), "%s: not the fast decoder's decisions", params[blk]);
            double ib = qsdr_test_stat(fg, "dec", "int_bits");
            QSDR_CHECK_MSG(ib == (blk == 1 ? 8 : 16), "%s: int_bits %g", params[blk], ib);
        }
        qsdr_flowgraph_destroy(&fg);
    }
    remove(path);
    free(u), free(c), free(bits), free(ref8), free(ref16), free(llr), free(app);
}

/* the poster: what a control port does, from its own thread while the flowgraph runs */
typedef struct {
    qsdr_flowgraph_t *fg;
    int rc_ok, rc_range, rc_unknown_key, rc_no_block, rc_no_handler;
    char err_range[256], err_key[256], err_handler[256];
} poster;
static void *post_thread(void *arg)
{
    poster *p = arg;
    while (qsdr_flowgraph_sink_items(p->fg) < 20000) usleep(1000);
    qsdr_tag_value three = qsdr_tagv_int(3), bad = qsdr_tagv_int(1000), word = qsdr_tagv_string("x");
    p->rc_ok = qsdr_flowgraph_post(p->fg, "g", "gain", &three);
    p->rc_range = qsdr_flowgraph_post(p->fg, "g", "gain", &bad);
    snprintf(p->err_range, sizeof p->err_range, "%s", qsdr_last_error());
    p->rc_unknown_key = qsdr_flowgraph_post(p->fg, "g", "colour", &word);
    snprintf(p->err_key, sizeof p->err_key, "%s", qsdr_last_error());
    p->rc_no_block = qsdr_flowgraph_post(p->fg, "nosuch", "gain", &three);
    p->rc_no_handler = qsdr_flowgraph_post(p->fg, "src", "gain", &three);
    snprintf(p->err_handler, sizeof p->err_handler, "%s", qsdr_last_error());
    /* run on a while after the message (applied at the block's next work call), then stop */
    uint64_t after = qsdr_flowgraph_sink_items(p->fg) + 100000;
    while (qsdr_flowgraph_sink_items(p->fg) < after) usleep(1000);
    qsdr_flowgraph_stop(p->fg);
    return NULL;
}

QSDR_TEST(fg_post_message, "unit",
          "qsdr_flowgraph_post from another thread: the message reaches the block's message callback on its own thread "
          "between work calls (both schedulers); its refusal comes back; bad ids and blocks without messages are errors")
{
    register_test_blocks();
    for (int sched = 0; sched < 2; sched++) {
        const char *name = sched ? "serial" : "threaded";
        qsdr_flowgraph_t *fg = load("blocks:\n"
                                    "  - {id: src, type: test_counter}\n"
                                    "  - {id: g, type: test_msg_gain}\n"
                                    "  - {id: snk, type: vector_sink, params: {type: f32, max_items: 16000000}}\n"
                                    "connections: [src -> g, g -> snk]\n");
        QSDR_REQUIRE(fg);
        qsdr_tag_value three = qsdr_tagv_int(3);
        QSDR_CHECK(qsdr_flowgraph_post(fg, "g", "gain", &three) == QSDR_EINVAL); /* not prepared yet */
        QSDR_CHECK(strstr(qsdr_last_error(), "prepare or start") != NULL);
        qsdr_flowgraph_set_buffer_items(fg, 4096);
        /* prepared before the other thread exists, as qsdr run does before its control port
           starts (the calls from other threads are for a prepared flowgraph: docs/runtime.md) */
        QSDR_REQUIRE(qsdr_flowgraph_prepare(fg) == QSDR_OK);
        poster p = {.fg = fg};
        pthread_t th;
        QSDR_REQUIRE(pthread_create(&th, NULL, post_thread, &p) == 0);
        QSDR_CHECK_EQ_INT(qsdr_flowgraph_start(fg, sched ? QSDR_SCHED_SERIAL : QSDR_SCHED_THREADED), QSDR_OK);
        QSDR_CHECK_EQ_INT(qsdr_flowgraph_wait(fg), QSDR_OK);
        pthread_join(th, NULL);
        QSDR_CHECK_EQ_INT(p.rc_ok, QSDR_OK);
        QSDR_CHECK_MSG(p.rc_range == QSDR_ERANGE && strstr(p.err_range, "gain must be an integer 1..100"), "%s: %d %s", name, p.rc_range,
                       p.err_range);
        QSDR_CHECK_MSG(p.rc_unknown_key == QSDR_EINVAL && strstr(p.err_key, "unknown message 'colour'"), "%s: %s", name, p.err_key);
        QSDR_CHECK_EQ_INT(p.rc_no_block, QSDR_EINVAL);
        QSDR_CHECK_MSG(p.rc_no_handler == QSDR_EINVAL && strstr(p.err_handler, "takes no messages"), "%s: %s", name, p.err_handler);
        const uint32_t *d;
        size_t n, nt;
        const qsdr_tag *tags;
        qsdr_vector_sink_data(fg, "snk", (const void **)&d, &n, &tags, &nt);
        mg_state *m = qsdr_flowgraph_block_state(fg, "g");
        QSDR_REQUIRE(m);
        uint64_t at = m->switched_at;
        QSDR_CHECK_MSG(at >= 20000 && at < n && n < 16000000, "%s: switched at %llu of %zu (%llu messages)", name,
                       (unsigned long long)at, n, (unsigned long long)m->messages);
        size_t wrong = 0;
        for (size_t i = 0; i < n && at < n; i++) wrong += d[i] != (uint32_t)i * (i < at ? 1u : 3u);
        QSDR_CHECK_MSG(wrong == 0, "%s: %zu items with the wrong gain around item %llu", name, wrong, (unsigned long long)at);
        QSDR_CHECK_MSG(!m->msg_off_thread, "%s: a message arrived off the block's thread", name);
        qsdr_flowgraph_destroy(&fg);
    }
}

QSDR_TEST(fg_awgn_tag_demapper, "unit", "awgn tags its noise variance; the demapper uses it and tags survive rate changes")
{
    qsdr_flowgraph_t *fg = load("blocks:\n"
                                "  - {id: src, type: random_source}\n"
                                "  - {id: map, type: mapper, params: {modulation: qpsk}}\n"
                                "  - {id: awgn, type: awgn, params: {ebn0_db: 7, bits_per_symbol: 2}}\n"
                                "  - {id: dm, type: demapper}\n"
                                "  - {id: snk, type: vector_sink, params: {type: f32}}\n"
                                "connections: [src -> map, map -> awgn, awgn -> dm, dm -> snk]\n");
    QSDR_REQUIRE(fg);
    qsdr_flowgraph_set_item_limit(fg, 20000);
    QSDR_CHECK_EQ_INT(qsdr_flowgraph_run(fg, QSDR_SCHED_THREADED), QSDR_OK);
    const qsdr_tag *tags;
    size_t nt, n;
    const float *llr;
    qsdr_vector_sink_data(fg, "snk", (const void **)&llr, &n, &tags, &nt);
    QSDR_CHECK_EQ_INT(n, 20000);
    QSDR_REQUIRE(nt >= 1);
    QSDR_CHECK(!strcmp(tags[0].key, "noise_var") && tags[0].offset == 0);
    /* Eb/N0 = 7 dB, Es = 1, 2 bits/symbol: N0 = 0.5 / 10^0.7 */
    QSDR_CHECK_NEAR(tags[0].value.f, 0.5 / pow(10, 0.7), 1e-7);
    /* QPSK exact LLR = 2 sqrt(2) y / N0 per dimension: mean |LLR| is large */
    double m = 0;
    for (size_t i = 0; i < n; i++) m += fabs(llr[i]);
    QSDR_CHECK(m / n > 10);
    qsdr_flowgraph_destroy(&fg);
}

QSDR_TEST(fg_api_errors, "unit", "the C API refuses bad ids, types, ports, parameters and double connections")
{
    qsdr_log_set_level(QSDR_LOG_OFF);
    qsdr_flowgraph_t *fg = qsdr_flowgraph_create();
    QSDR_REQUIRE(fg);
    QSDR_CHECK(qsdr_flowgraph_add(fg, "a", "no_such_block") == QSDR_EINVAL);
    QSDR_CHECK(qsdr_flowgraph_add(fg, "bad id", "copy") == QSDR_EINVAL);
    QSDR_CHECK(qsdr_flowgraph_add(fg, "src", "random_source") == QSDR_OK);
    QSDR_CHECK(qsdr_flowgraph_add(fg, "src", "copy") == QSDR_EINVAL);
    QSDR_CHECK(qsdr_flowgraph_add(fg, "map", "mapper") == QSDR_OK);
    QSDR_CHECK(qsdr_flowgraph_param(fg, "map", "modulation", "qam1024") == QSDR_EINVAL);
    QSDR_CHECK(qsdr_flowgraph_param(fg, "map", "nosuch", "1") == QSDR_EINVAL);
    QSDR_CHECK(qsdr_flowgraph_connect(fg, "src", "nosuch", "map", NULL) == QSDR_EINVAL);
    QSDR_CHECK(qsdr_flowgraph_connect(fg, "src", NULL, "map", NULL) == QSDR_OK);
    QSDR_CHECK(qsdr_flowgraph_connect(fg, "src", NULL, "map", NULL) == QSDR_EINVAL);
    /* map's output is unconnected */
    QSDR_CHECK(qsdr_flowgraph_prepare(fg) == QSDR_EINVAL);
    QSDR_CHECK(strstr(qsdr_last_error(), "output port 'out'") != NULL);
    qsdr_flowgraph_destroy(&fg);
    QSDR_CHECK(fg == NULL);
    qsdr_flowgraph_destroy(&fg); /* NULL is fine */
    qsdr_log_set_level(QSDR_LOG_INFO);
}

QSDR_TEST(fg_block_overreports, "unit",
          "a block reporting more items consumed or produced than offered stops the run with an internal error naming "
          "it (never a read or write past the buffers)")
{
    register_test_blocks();
    qsdr_log_set_level(QSDR_LOG_OFF);
    const char *ids[] = {"more_in", "more_out"};
    for (int k = 0; k < 2; k++)
        for (int sched = 0; sched < 2; sched++) {
            char yaml[400];
            snprintf(yaml, sizeof yaml,
                     "blocks:\n"
                     "  - {id: src, type: test_counter}\n"
                     "  - {id: %s, type: test_liar}\n"
                     "  - {id: snk, type: null_sink, params: {type: f32}}\n"
                     "connections: [src -> %s, %s -> snk]\n",
                     ids[k], ids[k], ids[k]);
            qsdr_flowgraph_t *fg = load(yaml);
            QSDR_REQUIRE(fg);
            qsdr_clear_error();
            char err[600];
            QSDR_CHECK_EQ_INT(run_within(fg, sched ? QSDR_SCHED_SERIAL : QSDR_SCHED_THREADED, 10, ids[k], err, sizeof err), QSDR_EINTERNAL);
            if (sched) /* the serial scheduler reports on the thread that runs it */
                QSDR_CHECK_MSG(strstr(err, ids[k]) && strstr(err, "more than offered"), "%s: last error: %s", ids[k], err);
            qsdr_flowgraph_destroy(&fg);
        }
    qsdr_log_set_level(QSDR_LOG_INFO);
}

QSDR_TEST(fg_independent_sources_rates, "unit",
          "inputs fed by independent sources may run at any rates (the rate check compares paths from one source only)")
{
    /* ber.in comes from a second source through a 4:1 decimation and a 1 -> 2 demapper (1/2 of
       that source's rate), ber.ref from the first at 1/1: unrelated clocks, as with a receiver */
    qsdr_flowgraph_t *fg = load("blocks:\n"
                                "  - {id: ref, type: random_source, params: {seed: 1}}\n"
                                "  - {id: rx, type: null_source}\n"
                                "  - {id: down, type: rrc_decim, params: {sps: 4}}\n"
                                "  - {id: dm, type: demapper, params: {modulation: qpsk, noise_var: 1}}\n"
                                "  - {id: hd, type: hard_decision}\n"
                                "  - {id: ber, type: ber, params: {max_bits: 4000}}\n"
                                "connections: [rx -> down, down -> dm, dm -> hd, hd -> ber.in, ref -> ber.ref]\n");
    QSDR_REQUIRE(fg);
    qsdr_clear_error();
    QSDR_CHECK_MSG(qsdr_flowgraph_prepare(fg) == QSDR_OK, "prepare: %s", qsdr_last_error());
    qsdr_flowgraph_destroy(&fg);
}

QSDR_TEST(fg_runtime_error_exit, "unit", "a block failing at run time (NaN into the ADC) stops the flowgraph with its error")
{
    qsdr_log_set_level(QSDR_LOG_OFF);
    qsdr_flowgraph_t *fg;
    /* a vector source with a NaN cannot be written in YAML (lists must be finite), so inject
       NaN through a raw file */
    char path[] = "/tmp/qsdr_nan_XXXXXX";
    int fd = mkstemp(path);
    QSDR_REQUIRE(fd >= 0);
    float v[8] = {0.1f, 0.2f, 0.3f, NAN, 0.5f, 0.6f, 0.7f, 0.8f};
    QSDR_REQUIRE(write(fd, v, sizeof v) == (ssize_t)sizeof v);
    close(fd);
    char yaml[512];
    snprintf(yaml, sizeof yaml,
             "blocks:\n"
             "  - {id: src, type: file_source, params: {path: '%s', type: cf32}}\n"
             "  - {id: adc, type: adc}\n"
             "  - {id: snk, type: null_sink}\n"
             "connections: [src -> adc, adc -> snk]\n",
             path);
    for (int sched = 0; sched < 2; sched++) {
        fg = load(yaml);
        QSDR_REQUIRE(fg);
        qsdr_clear_error();
        QSDR_CHECK_EQ_INT(qsdr_flowgraph_run(fg, sched ? QSDR_SCHED_SERIAL : QSDR_SCHED_THREADED), QSDR_ERANGE);
        /* the serial scheduler runs blocks on this thread, so the message is visible here */
        if (sched) QSDR_CHECK_MSG(strstr(qsdr_last_error(), "'adc'") != NULL, "last error: %s", qsdr_last_error());
        qsdr_flowgraph_destroy(&fg);
    }
    unlink(path);
    qsdr_log_set_level(QSDR_LOG_INFO);
}

/* Load yaml ("test.yml") and run it on the serial scheduler: with want NULL it must succeed,
 * else fail with QSDR_EINVAL and an error containing want (and want2, if given). */
static void run_expect(const char *yaml, const char *label, const char *want, const char *want2)
{
    qsdr_flowgraph_t *fg = NULL;
    QSDR_REQUIRE(qsdr_flowgraph_load_string(yaml, "test.yml", NULL, &fg) == QSDR_OK);
    qsdr_clear_error();
    int rc = qsdr_flowgraph_run(fg, QSDR_SCHED_SERIAL);
    if (!want) {
        QSDR_CHECK_MSG(rc == QSDR_OK, "%s: %s", label, qsdr_last_error());
    } else {
        QSDR_CHECK_MSG(rc == QSDR_EINVAL, "%s: rc %d", label, rc);
        QSDR_CHECK_MSG(strstr(qsdr_last_error(), want) && (!want2 || strstr(qsdr_last_error(), want2)), "%s: %s", label, qsdr_last_error());
    }
    qsdr_flowgraph_destroy(&fg);
}

QSDR_TEST(fg_awgn_geometry_check, "unit",
          "awgn refuses a bits_per_symbol / sps that disagrees with what the modulators upstream tag (silently wrong Eb/N0)")
{
    qsdr_log_set_level(QSDR_LOG_OFF);
    static const struct {
        const char *mod, *shape, *awgn, *want;
    } cases[] = {
        {"qam16", "", "bits_per_symbol: 2", "test.yml:4: block 'awgn' (awgn): parameter 'bits_per_symbol' is 2, but the stream carries 4"},
        {"qpsk", "rrc_interp", "bits_per_symbol: 2", "parameter 'sps' is 1, but the stream carries 4 (tag 'samples_per_symbol' from the "
                                                      "block upstream, item 0): Eb/N0 or Es/N0 would be off by 6.02 dB"},
        {"qam16", "rrc_interp", "bits_per_symbol: 4, sps: 4", NULL}, /* consistent: runs */
        {"bpsk", "", "bits_per_symbol: 1", NULL},
    };
    for (size_t k = 0; k < sizeof cases / sizeof cases[0]; k++) {
        char yaml[1024];
        bool shaped = cases[k].shape[0] != 0;
        snprintf(yaml, sizeof yaml,
                 "blocks:\n"
                 "  - {id: src, type: random_source}\n"
                 "  - {id: map, type: mapper, params: {modulation: %s}}\n"
                 "  - {id: awgn, type: awgn, params: {%s}}\n"
                 "  - {id: snk, type: head, params: {n: 4000}}\n"
                 "  - {id: out, type: null_sink}\n"
                 "%s"
                 "connections: [src -> map, %s, awgn -> snk, snk -> out]\n",
                 cases[k].mod, cases[k].awgn, shaped ? "  - {id: shape, type: rrc_interp, params: {sps: 4}}\n" : "",
                 shaped ? "map -> shape, shape -> awgn" : "map -> awgn");
        char label[32];
        snprintf(label, sizeof label, "case %zu", k);
        run_expect(yaml, label, cases[k].want, NULL);
    }
    qsdr_log_set_level(QSDR_LOG_INFO);
}

QSDR_TEST(fg_demod_bps_check, "unit", "demodulators refuse a stream modulated with another number of bits per symbol (mapper's tag)")
{
    qsdr_log_set_level(QSDR_LOG_OFF);
    static const char *rx[] = {"demapper", "slicer", "onebit_llr", "blind_demapper"};
    for (size_t k = 0; k < 2 * QSDR_N_ELEMS(rx); k++) {
        char yaml[1024];
        snprintf(yaml, sizeof yaml,
                 "blocks:\n"
                 "  - {id: src, type: random_source}\n"
                 "  - {id: map, type: mapper, params: {modulation: qam16}}\n"
                 "  - {id: rx, type: %s, params: {modulation: %s}}\n"
                 "  - {id: lim, type: head, params: {n: 65536, type: %s}}\n"
                 "  - {id: out, type: null_sink, params: {type: %s}}\n"
                 "connections: [src -> map, map -> rx, rx -> lim, lim -> out]\n",
                 rx[k / 2], k % 2 ? "qam16" : "qpsk", !strcmp(rx[k / 2], "slicer") ? "bit" : "f32", !strcmp(rx[k / 2], "slicer") ? "bit" : "f32");
        run_expect(yaml, rx[k / 2], k % 2 ? NULL : "block 'rx'",
                   "the stream was modulated with 4 bits per symbol (tag 'bits_per_symbol' from upstream, item 0), but this block's "
                   "modulation has 2");
    }
    qsdr_log_set_level(QSDR_LOG_INFO);
}

QSDR_TEST(fg_awgn_code_rate_check, "unit",
          "awgn: an explicit code_rate far from the encoder's tagged rate is an error; the nominal 1/3 runs; 0 and the exact rate match")
{
    qsdr_log_set_level(QSDR_LOG_OFF);
    static const struct {
        const char *rate, *err;
    } cases[] = {{"0.5", "parameter 'code_rate' is 0.5, but the encoder upstream tags its rate 0.332036 (item 0): Eb/N0 would be off by 1.78 dB"},
                 /* 10 % off: more than a nominal rate's 0.4 % */
                 {"0.3", "parameter 'code_rate' is 0.3, but the encoder upstream tags its rate 0.332036 (item 0): Eb/N0 would be off by 0.44 dB"},
                 {"0.3333333333", NULL},
                 {"0", NULL},
                 {"${1024 / (3 * 1024 + 12)}", NULL}};
    for (size_t k = 0; k < QSDR_N_ELEMS(cases); k++) {
        char yaml[1024];
        snprintf(yaml, sizeof yaml,
                 "blocks:\n"
                 "  - {id: src, type: random_source}\n"
                 "  - {id: enc, type: turbo_encoder, params: {k: 1024}}\n"
                 "  - {id: map, type: mapper, params: {modulation: qpsk}}\n"
                 "  - {id: awgn, type: awgn, params: {ebn0_db: 3, bits_per_symbol: 2, code_rate: \"%s\"}}\n"
                 "  - {id: lim, type: head, params: {n: 10000}}\n"
                 "  - {id: out, type: null_sink}\n"
                 "connections: [src -> enc, enc -> map, map -> awgn, awgn -> lim, lim -> out]\n",
                 cases[k].rate);
        run_expect(yaml, cases[k].rate, cases[k].err, NULL);
    }
    qsdr_log_set_level(QSDR_LOG_INFO);
}

QSDR_TEST(fg_ber_frame_size_check, "unit", "the ber meter refuses a frame_size other than the turbo decoder's frames (a silently wrong FER)")
{
    qsdr_log_set_level(QSDR_LOG_OFF);
    for (int k = 0; k < 2; k++) {
        char yaml[1024];
        snprintf(yaml, sizeof yaml,
                 "blocks:\n"
                 "  - {id: src, type: random_source}\n"
                 "  - {id: enc, type: turbo_encoder, params: {k: 1024}}\n"
                 "  - {id: map, type: mapper, params: {modulation: qpsk}}\n"
                 "  - {id: awgn, type: awgn, params: {ebn0_db: 3, bits_per_symbol: 2, code_rate: 0}}\n"
                 "  - {id: dem, type: demapper, params: {modulation: qpsk}}\n"
                 "  - {id: dec, type: turbo_decoder, params: {k: 1024}}\n"
                 "  - {id: ber, type: ber, params: {frame_size: %d, max_bits: 10240, print: false}}\n"
                 "connections: [src -> enc, enc -> map, map -> awgn, awgn -> dem, dem -> dec, dec -> ber.in, src -> ber.ref]\n",
                 k ? 1024 : 6144);
        run_expect(yaml, k ? "frame_size 1024" : "frame_size 6144",
                   k ? NULL : "test.yml:8: block 'ber' (ber): parameter 'frame_size' is 6144, but the decoder upstream sends frames of 1024 bits",
                   NULL);
    }
    qsdr_log_set_level(QSDR_LOG_INFO);
}

QSDR_TEST(fg_alloc_failures, "unit", "every allocation failure while loading and preparing is reported, never a crash or leak")
{
    qsdr_log_set_level(QSDR_LOG_OFF);
    int failures = 0, successes = 0;
    for (long k = 1; k < 400; k++) {
        qsdr_flowgraph_t *fg = NULL;
        qsdr_test_fail_alloc_after(k);
        int rc = qsdr_flowgraph_load_string(chain_yaml, "chain.yml", NULL, &fg);
        if (rc == QSDR_OK) rc = qsdr_flowgraph_prepare(fg);
        qsdr_test_fail_alloc_after(0);
        if (rc == QSDR_OK) successes++;
        else failures++;
        qsdr_flowgraph_destroy(&fg);
    }
    QSDR_CHECK(failures > 20);
    QSDR_CHECK(successes > 0);
    qsdr_log_set_level(QSDR_LOG_INFO);
}

QSDR_TEST(fg_thread_start_failure, "unit",
          "a block thread the system refuses: the threaded run fails naming the block, the started threads are joined, "
          "nothing leaks or hangs")
{
    static const char *yaml = "blocks:\n"
                              "  - {id: src, type: vector_source, params: {type: f32, data: [1, 2, 3]}}\n"
                              "  - {id: cp, type: copy, params: {type: f32}}\n"
                              "  - {id: snk, type: vector_sink, params: {type: f32}}\n"
                              "connections: [src -> cp, cp -> snk]\n";
    qsdr_log_set_level(QSDR_LOG_OFF);
    for (long k = 1; k <= 4; k++) { /* the k-th thread fails; 4: none (3 blocks) */
        qsdr_flowgraph_t *fg = load(yaml);
        QSDR_REQUIRE(fg);
        qsdr_test_fail_thread_after(k);
        int rc = qsdr_flowgraph_run(fg, QSDR_SCHED_THREADED);
        qsdr_test_fail_thread_after(0);
        if (k <= 3) {
            QSDR_CHECK_EQ_INT(rc, QSDR_EEXT);
            QSDR_CHECK_MSG(strstr(qsdr_last_error(), "cannot start a thread for block '") != NULL, "thread %ld: %s", k,
                           qsdr_last_error());
        } else {
            QSDR_CHECK_EQ_INT(rc, QSDR_OK);
            size_t n = 0;
            QSDR_CHECK_EQ_INT(qsdr_vector_sink_data(fg, "snk", NULL, &n, NULL, NULL), QSDR_OK);
            QSDR_CHECK_EQ_INT(n, 3);
        }
        qsdr_flowgraph_destroy(&fg);
    }
    qsdr_log_set_level(QSDR_LOG_INFO);
}

#include "runtime/yaml_guard.h"
QSDR_TEST(yaml_depth_guard, "unit", "YAML nesting check: brackets in quotes and comments do not count; 65 levels are refused")
{
    char t[400];
    size_t k = 0;
    for (int i = 0; i < 64; i++) t[k++] = '[';
    for (int i = 0; i < 64; i++) t[k++] = ']';
    t[k] = 0;
    QSDR_CHECK_EQ_INT(qsdr_yaml_too_deep(t, k), 0); /* 64 is the limit */
    snprintf(t, sizeof t, "a: 1\nb: [[x]]\nc: %s\n", "[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[");
    QSDR_CHECK_EQ_INT(qsdr_yaml_too_deep(t, strlen(t)), 3);
    /* the same brackets quoted, escaped, doubled-quote, in a comment, or after a quote inside a
       plain scalar's word (Bob's is text, not a quote) */
    const char *ok[] = {
        "t: \"[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[\\\" [\"\n",
        "t: '[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[['' ['\n",
        "x: 1 # [[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[\n",
    };
    for (size_t i = 0; i < 3; i++) QSDR_CHECK_MSG(qsdr_yaml_too_deep(ok[i], strlen(ok[i])) == 0, "case %zu refused", i);
    snprintf(t, sizeof t, "t: Bob's [%s\n", "[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[");
    QSDR_CHECK_EQ_INT(qsdr_yaml_too_deep(t, strlen(t)), 1); /* a plain scalar's quote opens nothing */
}

QSDR_TEST(fg_explicit_seed, "unit",
          "a block's own seed parameter wins over the one derived from the flowgraph seed and its id; unset seeds "
          "differ between blocks and follow the flowgraph seed")
{
    const char *y = "blocks:\n"
                    "  - {id: a, type: random_source, params: {seed: 42}}\n"
                    "  - {id: b, type: random_source, params: {seed: 42}}\n"
                    "  - {id: c, type: random_source}\n"
                    "  - {id: ha, type: head, params: {type: bit, n: 256}}\n"
                    "  - {id: hb, type: head, params: {type: bit, n: 256}}\n"
                    "  - {id: hc, type: head, params: {type: bit, n: 256}}\n"
                    "  - {id: sa, type: vector_sink, params: {type: bit}}\n"
                    "  - {id: sb, type: vector_sink, params: {type: bit}}\n"
                    "  - {id: sc, type: vector_sink, params: {type: bit}}\n"
                    "connections: [a -> ha, ha -> sa, b -> hb, hb -> sb, c -> hc, hc -> sc]\n";
    uint8_t bits[2][3][256];
    for (int run = 0; run < 2; run++) {
        qsdr_flowgraph_t *fg = load(y);
        QSDR_REQUIRE(fg);
        qsdr_flowgraph_set_seed(fg, run ? 7 : 1);
        QSDR_CHECK_EQ_INT(qsdr_flowgraph_run(fg, QSDR_SCHED_SERIAL), QSDR_OK);
        const char *snk[3] = {"sa", "sb", "sc"};
        for (int k = 0; k < 3; k++) {
            const uint8_t *d;
            size_t n = 0;
            qsdr_vector_sink_data(fg, snk[k], (const void **)&d, &n, NULL, NULL);
            QSDR_REQUIRE(n == 256);
            memcpy(bits[run][k], d, 256);
        }
        qsdr_flowgraph_destroy(&fg);
        /* a and b: the same explicit seed, so the same bits; c: its own */
        QSDR_CHECK(memcmp(bits[run][0], bits[run][1], 256) == 0);
        QSDR_CHECK(memcmp(bits[run][0], bits[run][2], 256) != 0);
    }
    /* another flowgraph seed changes c only */
    QSDR_CHECK(memcmp(bits[0][0], bits[1][0], 256) == 0);
    QSDR_CHECK(memcmp(bits[0][2], bits[1][2], 256) != 0);
}
