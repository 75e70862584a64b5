/* SPDX-License-Identifier: MIT */
/* Runtime internals shared by the runtime sources and their tests; never installed. */
#ifndef QSDR_RUNTIME_INTERNAL_H
#define QSDR_RUNTIME_INTERNAL_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "qsdr/block.h"
#include "qsdr/flowgraph.h"

#define QSDR_CACHELINE 64

/* ---- ring buffer: one writer, n readers, lock-free ------------------------------------- */
/* The data area is mapped twice back to back, so any window of up to `cap` items starting at
 * any position is contiguous in memory (GNU Radio's vmcircbuf idea, done with memfd). */
typedef struct qsdr_buffer qsdr_buffer;

typedef struct {
    _Alignas(QSDR_CACHELINE) _Atomic uint64_t r; /* items consumed by this reader */
    _Atomic int detached;                        /* reader gone: ignore it for space */
    struct qsdr_block_inst *blk;                 /* reading block (for wake-ups), may be NULL */
} qsdr_reader;

struct qsdr_buffer {
    uint8_t *base;
    qsdr_buffer_pool *pool; /* where base came from and goes back to, or NULL */
    size_t item_size;
    size_t cap;        /* items */
    size_t map_bytes;  /* bytes of one mapping */
    _Alignas(QSDR_CACHELINE) _Atomic uint64_t w; /* items written */
    _Atomic int done;                           /* writer finished (end of stream) */
    _Alignas(QSDR_CACHELINE) uint64_t w_cache_min; /* writer-private: last seen min reader */
    struct qsdr_block_inst *writer;
    size_t n_readers;
    qsdr_reader *readers;
    /* tags (rare): protected by tag_mu; n_tags_hint lets readers skip the lock */
    pthread_mutex_t tag_mu;
    qsdr_tag *tags;
    size_t n_tags, cap_tags;
    _Atomic size_t n_tags_hint;
};

/* Create a buffer of at least min_items items (rounded up to whole pages), its ring memory
 * taken from pool when it holds a mapping of that size (pool may be NULL). */
qsdr_buffer *qsdr_buffer_create(size_t item_size, size_t min_items, size_t n_readers, qsdr_buffer_pool *pool);
void qsdr_buffer_destroy(qsdr_buffer **b);
/* Writer side: free space in items and the write pointer; commit n items. */
size_t qsdr_buffer_space(qsdr_buffer *b);
void *qsdr_buffer_write_ptr(qsdr_buffer *b);
void qsdr_buffer_produce(qsdr_buffer *b, size_t n);
void qsdr_buffer_set_done(qsdr_buffer *b);
/* All readers detached (nobody will ever read again). */
bool qsdr_buffer_orphaned(qsdr_buffer *b);
/* Reader side. */
size_t qsdr_buffer_avail(qsdr_buffer *b, size_t reader);
const void *qsdr_buffer_read_ptr(qsdr_buffer *b, size_t reader);
void qsdr_buffer_consume(qsdr_buffer *b, size_t reader, size_t n);
/* Tags: add one (offset absolute); copy the tags with offset in [lo, hi) into *dst (grown with
 * qsdr_realloc as needed), appending; prune tags below min reader position. */
int qsdr_buffer_add_tag(qsdr_buffer *b, const qsdr_tag *t);
int qsdr_buffer_get_tags(qsdr_buffer *b, uint64_t lo, uint64_t hi, unsigned port, qsdr_tag **dst,
                         size_t *n, size_t *cap);
void qsdr_buffer_prune_tags(qsdr_buffer *b);

/* ---- block instances ------------------------------------------------------------------- */
typedef struct qsdr_request {
    struct qsdr_request *next;
    int kind;           /* 0 = set param, 1 = message, 2 = statistics */
    int param_index;
    char *value;        /* set param */
    char key[QSDR_TAG_KEY_MAX];
    qsdr_tag_value msg;
    qsdr_stats stats;   /* statistics: filled on the block's thread */
    /* completion */
    bool done;
    int status;
    uint64_t at;
    bool abandoned;     /* the caller timed out; the runner frees it */
    char *error;        /* set param / message refused: the block's message (its thread's last error) */
} qsdr_request;

typedef struct {
    qsdr_buffer *buf;
    size_t reader;
    struct qsdr_block_inst *src;
    size_t src_port;
    bool connected;
} qsdr_in_edge;

typedef struct qsdr_block_inst {
    char *id;
    char *where;                 /* "file:line" of the definition, or NULL */
    char *log_prefix;            /* "file:line: block 'id' (type)": messages logged while it works */
    const qsdr_block_desc *d;
    void *state;
    char **pval;                 /* current values as text, per descriptor param */
    bool *pset;                  /* explicitly set */
    char **pwhere;               /* file:line of each explicit value */
    qsdr_item_type *in_type, *out_type;
    size_t rate_in, rate_out;
    size_t chunk_hint;           /* wanted input buffer size (items), 0 = none */
    uint64_t orate_num, orate_den; /* output items per item of source orate_root (check_rates) */
    int orate_root;
    qsdr_in_edge *in;            /* per input port */
    qsdr_buffer **out;           /* per output port */
    size_t *out_fanout;          /* readers per output (during graph build) */
    const void **in_ptrs;
    void **out_ptrs;
    qsdr_tag *tag_scratch;
    size_t n_tag_scratch, cap_tag_scratch;
    /* written by the block's thread only (qsdr_ctr_add), read by any thread */
    _Atomic uint64_t n_consumed, n_produced, n_calls;
    uint64_t limit;              /* sources: stop after this many items (0 = none) */
    uint64_t budget;             /* the block ends the stream after this many items (0 = unknown) */
    _Atomic bool finished;       /* set under req_mu (qsdr_block_finish) */
    bool ends_run;               /* qsdr_flowgraph_end_with: its end stops the sources */
    int status;
    struct qsdr_flowgraph *fg;
    pthread_t thread;
    bool thread_started;
    double busy_s;
    /* wake-up eventcount */
    _Alignas(QSDR_CACHELINE) _Atomic uint32_t wake;
    _Atomic int sleeping;
    /* requests from other threads */
    pthread_mutex_t req_mu;
    pthread_cond_t req_cv;
    qsdr_request *req_head;
    _Atomic int req_pending;
    int topo;                    /* position in topological order */
} qsdr_block_inst;

struct qsdr_flowgraph {
    qsdr_block_inst **blocks;
    size_t n_blocks, cap_blocks;
    qsdr_block_inst **order;     /* topological order after prepare */
    uint64_t seed;
    uint64_t item_limit;
    size_t buffer_items;
    size_t serial_chunk;
    qsdr_buffer_pool *buffer_pool;
    bool prepared;
    _Atomic int running;
    _Atomic int stop_req;
    _Atomic int abort_req;
    _Atomic int n_alive;
    _Atomic int ends_left;       /* end_with blocks still running (0: none named) */
    int first_error;
    char *first_error_block;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    qsdr_sched_kind sched;
    double t_start, t_end;
    char *origin;                /* file name for messages */
};

struct qsdr_block_ctx {
    qsdr_block_inst *b;
};

/* Internal graph building with source locations for error messages ("file:line" or NULL). */
int qsdr_fg_add_at(qsdr_flowgraph_t *fg, const char *id, const char *type, const char *where);
int qsdr_fg_param_at(qsdr_flowgraph_t *fg, const char *id, const char *name, const char *value,
                     const char *where);
int qsdr_fg_connect_at(qsdr_flowgraph_t *fg, const char *src, const char *src_port,
                       const char *dst, const char *dst_port, const char *where);
qsdr_block_inst *qsdr_fg_find(qsdr_flowgraph_t *fg, const char *id);
/* " (did you mean 'x'?)" naming the flowgraph's block id nearest to id, or "" (thread-local text) */
const char *qsdr_fg_id_hint(qsdr_flowgraph_t *fg, const char *id);

/* Scheduler core (sched.c). */
typedef enum { STEP_IDLE = 0, STEP_PROGRESS = 1, STEP_FINISHED = 2, STEP_ERROR = 3 } step_result;
step_result qsdr_block_step(qsdr_block_inst *b, size_t max_items);
void qsdr_block_notify(qsdr_block_inst *b);
void qsdr_block_finish(qsdr_block_inst *b);
int qsdr_sched_threaded_start(qsdr_flowgraph_t *fg);
int qsdr_sched_threaded_wait(qsdr_flowgraph_t *fg);
int qsdr_sched_serial_run(qsdr_flowgraph_t *fg);
/* true on the thread that runs fg with the serial scheduler, while it does */
bool qsdr_sched_in_serial_run(const qsdr_flowgraph_t *fg);
void qsdr_block_process_requests(qsdr_block_inst *b);
/* items in/out, work calls and the block's own counters into out; on the block's thread or while
   it does not run */
void qsdr_block_fill_stats(qsdr_block_inst *b, qsdr_stats *out);

/* The base of an integer in a flowgraph (a parameter, an option): decimal, or hexadecimal after
 * "0x" (seeds). Never octal: "010" is ten, as the user reads it (strtoull's base 0 made it 8). */
static inline int qsdr_int_base(const char *s)
{
    while (*s == ' ' || *s == '\t') s++;
    if (*s == '+' || *s == '-') s++;
    return s[0] == '0' && (s[1] == 'x' || s[1] == 'X') ? 16 : 10;
}

/* a counter with one writer (the block's thread) and readers anywhere */
static inline void qsdr_ctr_add(_Atomic uint64_t *c, uint64_t v)
{
    atomic_store_explicit(c, atomic_load_explicit(c, memory_order_relaxed) + v, memory_order_relaxed);
}

/* Expressions (expr.c): evaluate "a * (b + 2)" with variables; returns QSDR_OK or QSDR_EINVAL
 * with a message in err. lookup returns 0 and the value, or -1 if the name is unknown. */
typedef int (*qsdr_expr_lookup)(void *user, const char *name, double *value);
int qsdr_expr_eval(const char *text, qsdr_expr_lookup lookup, void *user, double *out, char *err,
                   size_t errlen);

/* Registry (registry.c). */
extern const qsdr_block_desc *const qsdr_builtin_blocks[];
int qsdr_param_parse_bool(const char *s, bool *out);

void qsdr_log_set_prefix(const char *prefix);
const char *qsdr_log_prefix(void);

/* 64-bit mixing hash of a string (FNV-1a then a splitmix finaliser). */
uint64_t qsdr_hash_str(const char *s);
uint64_t qsdr_mix64(uint64_t x);
uint64_t qsdr_gcd64(uint64_t a, uint64_t b);

/* Errors logged on the calling thread so far (a block's finish reports failure by logging). */
unsigned long qsdr_error_count(void);
/* Make msg this thread's last error without logging it again (an error logged on another thread). */
void qsdr_set_last_error(const char *msg);

#endif
