/* SPDX-License-Identifier: MIT */
/* Flowgraphs: build from C or YAML, validate, run with the threaded or serial scheduler. */
#ifndef QSDR_FLOWGRAPH_H
#define QSDR_FLOWGRAPH_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "qsdr/block.h"
#include "qsdr/common.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct qsdr_flowgraph qsdr_flowgraph_t;

typedef enum {
    QSDR_SCHED_THREADED = 0, /* one thread per block, lock-free SPSC ring buffers (streaming) */
    QSDR_SCHED_SERIAL,       /* all blocks on the caller's thread, topological order (simulation) */
} qsdr_sched_kind;

/* Create an empty flowgraph (free with qsdr_flowgraph_destroy). NULL on allocation failure. */
qsdr_flowgraph_t *qsdr_flowgraph_create(void);
void qsdr_flowgraph_destroy(qsdr_flowgraph_t **fg);

/* Load a YAML flowgraph file (see docs/flowgraph-format.md). Every error names file:line and
 * what was expected. overrides: NULL-terminated list of "id.param=value" (block parameter) or
 * "name=value" (variable) strings applied before validation (the `--set` option); one may start
 * with the option that gave it and a space ("--sweep awgn.ebn0_db=3"), which its error
 * messages then name in place of --set.
 * Checks syntax, block types, parameters and connection names; the graph-level checks (port
 * types, unconnected ports, rates, cycles) run in qsdr_flowgraph_prepare, which start calls.
 * Returns QSDR_OK and *out, or a negative code (QSDR_EINVAL for bad input). */
int qsdr_flowgraph_load(const char *path, const char *const *overrides, qsdr_flowgraph_t **out);
/* Same from a string; `name` is used in messages in place of a file name. */
int qsdr_flowgraph_load_string(const char *text, const char *name, const char *const *overrides,
                               qsdr_flowgraph_t **out);

/* Add a block instance `id` of registered type `type`. */
int qsdr_flowgraph_add(qsdr_flowgraph_t *fg, const char *id, const char *type);
/* Set a parameter before the flowgraph is prepared (validated at once). */
int qsdr_flowgraph_param(qsdr_flowgraph_t *fg, const char *id, const char *name, const char *value);
/* Connect src.src_port -> dst.dst_port; a NULL port name means the block's only port. */
int qsdr_flowgraph_connect(qsdr_flowgraph_t *fg, const char *src, const char *src_port,
                           const char *dst, const char *dst_port);

/* The name that error messages and the configuration echo give a flowgraph built through this
 * API ("flowgraph" and "(api)" without one; a loaded flowgraph is named by its file). */
int qsdr_flowgraph_set_name(qsdr_flowgraph_t *fg, const char *name);
/* Seed from which every block's unset `seed` parameter is derived (default 1). */
void qsdr_flowgraph_set_seed(qsdr_flowgraph_t *fg, uint64_t seed);
uint64_t qsdr_flowgraph_get_seed(const qsdr_flowgraph_t *fg);
/* Stop every source after it has produced n items (0 = no limit, the default). */
void qsdr_flowgraph_set_item_limit(qsdr_flowgraph_t *fg, uint64_t n);
/* Ring buffer capacity in items per stream (0 = automatic). */
void qsdr_flowgraph_set_buffer_items(qsdr_flowgraph_t *fg, size_t n);
/* Largest chunk the serial scheduler hands a source per pass (default 4096 items). */
void qsdr_flowgraph_set_serial_chunk(qsdr_flowgraph_t *fg, size_t n);

/* Buffer memory that outlives flowgraphs. A program that runs the same flowgraph many times
 * (qsdr ber runs a fresh one per unit of frames) spends much of its time having the kernel
 * map, zero and unmap the ring buffers' pages. Buffers of a flowgraph given a pool take a
 * mapping of the right size from it when they are created and give it back, pages still
 * populated, when the flowgraph is destroyed. Only the ring memory is reused: every flowgraph
 * still writes each item before reading it, so results do not change. A pool may serve
 * several flowgraphs at once from several threads; it holds at most what the flowgraphs
 * using it held at their peak, and must outlive them. */
typedef struct qsdr_buffer_pool qsdr_buffer_pool;
qsdr_buffer_pool *qsdr_buffer_pool_create(void);
/* Unmap everything the pool holds; the flowgraphs that used it must be destroyed first. */
void qsdr_buffer_pool_destroy(qsdr_buffer_pool **pool);
/* Bytes of ring memory the pool holds now (mappings not lent to a flowgraph). */
size_t qsdr_buffer_pool_bytes(qsdr_buffer_pool *pool);
/* Take this flowgraph's buffers from pool (before it is prepared; NULL = the default, fresh
 * mappings). Returns QSDR_EINVAL once the buffers exist. */
int qsdr_flowgraph_set_buffer_pool(qsdr_flowgraph_t *fg, qsdr_buffer_pool *pool);

/* Create block instances and validate the whole graph: parameters, port types, connections,
 * rates, cycles. Called by start if not done before. Returns QSDR_OK or QSDR_EINVAL (logged). */
int qsdr_flowgraph_prepare(qsdr_flowgraph_t *fg);

/* Start running. The threaded scheduler returns at once; the serial one runs to completion
 * on the caller's thread before returning. */
int qsdr_flowgraph_start(qsdr_flowgraph_t *fg, qsdr_sched_kind kind);
/* Wait until every block has finished. Returns QSDR_OK, or the first block error. */
int qsdr_flowgraph_wait(qsdr_flowgraph_t *fg);
/* Wait at most timeout_s seconds. Returns true when every block has finished. */
bool qsdr_flowgraph_wait_for(qsdr_flowgraph_t *fg, double timeout_s);
/* Items consumed so far by all sink blocks together (progress reporting). */
uint64_t qsdr_flowgraph_sink_items(const qsdr_flowgraph_t *fg);
/* Fraction of the item limit the slowest source has produced, in [0, 1]; -1 without a limit. */
double qsdr_flowgraph_source_progress(const qsdr_flowgraph_t *fg);
/* How far the run is, in [0, 1], from what is known of its end: the item limit (as above) and
 * every block's item budget (qsdr_ctx_set_item_budget: head's n, ber's max_bits, a file
 * source's length); the largest fraction, since the first of them to be reached ends the run.
 * -1 when nothing bounds the run. */
double qsdr_flowgraph_progress(const qsdr_flowgraph_t *fg);
/* Start + wait. */
int qsdr_flowgraph_run(qsdr_flowgraph_t *fg, qsdr_sched_kind kind);
/* End the run when block `id` has ended (called for several blocks: when all of them have), as
 * qsdr_flowgraph_stop does: the sources end their streams and data in flight drains. Without it
 * a run ends when every sink has, so a BER meter done after max_bits would leave a file_sink on
 * an endless source writing for ever. `qsdr run` and `qsdr ber` end with the BER meters. Call
 * before the run. */
int qsdr_flowgraph_end_with(qsdr_flowgraph_t *fg, const char *id);
/* Ask sources to end their streams; data in flight drains to the sinks (async-signal-safe). */
void qsdr_flowgraph_stop(qsdr_flowgraph_t *fg);
/* Stop without draining (second Ctrl-C). Async-signal-safe. */
void qsdr_flowgraph_abort(qsdr_flowgraph_t *fg);
/* True while started and not finished. */
bool qsdr_flowgraph_running(const qsdr_flowgraph_t *fg);

/* Change a parameter "id.param" to `value` (text). Validated against the descriptor (type,
 * range, settable at run time). While running, it is applied by the block's own thread at an
 * item boundary; the call waits (at most timeout_s seconds) until then. *at (may be NULL)
 * receives the absolute index of the first input item (or, for a source, output item) that is
 * processed with the new value; a tag with key "set:<param>" and the new value is put on every
 * output stream at that item. Before start, the value is simply stored (at = 0).
 * Returns QSDR_OK, QSDR_EINVAL (unknown block/param, not settable, bad value, message
 * written to the log) or QSDR_EINTR (flowgraph ended first). */
int qsdr_flowgraph_set(qsdr_flowgraph_t *fg, const char *path, const char *value, uint64_t *at);
/* Read back a parameter's current value as text into buf. */
int qsdr_flowgraph_get(qsdr_flowgraph_t *fg, const char *path, char *buf, size_t buflen);
/* Post a message to a block (delivered between work calls by its `message` callback, on the
 * block's thread while it runs). Like qsdr_flowgraph_set and _stats, callable from another
 * thread once the flowgraph is prepared (docs/runtime.md). */
int qsdr_flowgraph_post(qsdr_flowgraph_t *fg, const char *id, const char *key,
                        const qsdr_tag_value *value);

/* Counters of block `id`: items in/out, work calls, plus the block's own stats. Thread-safe:
 * while the flowgraph runs, the block's thread takes them between two work calls (waiting up
 * to 5 s); QSDR_EINTR if it does not answer in time. */
int qsdr_flowgraph_stats(qsdr_flowgraph_t *fg, const char *id, qsdr_stats *out);
/* Print the per-block counters table. */
void qsdr_flowgraph_print_stats(qsdr_flowgraph_t *fg, FILE *f);
/* Print the effective configuration (every block's every parameter) as YAML-ish text. */
void qsdr_flowgraph_print_config(qsdr_flowgraph_t *fg, FILE *f);

/* Number of blocks and the id / type name of the i-th (in insertion order). */
size_t qsdr_flowgraph_block_count(const qsdr_flowgraph_t *fg);
const char *qsdr_flowgraph_block_id(const qsdr_flowgraph_t *fg, size_t i);
const char *qsdr_flowgraph_block_type(const qsdr_flowgraph_t *fg, size_t i);
/* Item type of block `id`'s input (is_output false) or output port `port`. A port the block
 * resolves from its parameters (declared QSDR_ITEM_ANY, e.g. turbo_decoder's output, bits or
 * soft LLRs) is resolved by creating the block once with its current parameters when the
 * flowgraph is not prepared yet. QSDR_EINVAL (message in the log) for an unknown block or port,
 * or the block's own error when its parameters do not let it be created. */
int qsdr_flowgraph_port_type(qsdr_flowgraph_t *fg, const char *id, bool is_output, unsigned port, qsdr_item_type *type);
/* The block's state pointer (for tests and embedding; NULL before prepare). */
void *qsdr_flowgraph_block_state(qsdr_flowgraph_t *fg, const char *id);

/* Items and tags a vector_sink block `id` has kept (valid until the flowgraph is destroyed). */
int qsdr_vector_sink_data(qsdr_flowgraph_t *fg, const char *id, const void **data, size_t *n_items, const qsdr_tag **tags,
                          size_t *n_tags);

#ifdef __cplusplus
}
#endif
#endif
