/* SPDX-License-Identifier: MIT */
/* Block API: the constant descriptor every block declares, and the work/tag/param interface. */
#ifndef QSDR_BLOCK_H
#define QSDR_BLOCK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "qsdr/common.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Bumped whenever qsdr_block_desc or the callbacks change layout; plugins built against another
 * ABI version are refused at load time. */
#define QSDR_BLOCK_ABI 1

/* ---- item types ------------------------------------------------------------------------ */
typedef enum {
    QSDR_ITEM_BIT = 0, /* uint8_t holding 0 or 1 (unpacked bit) */
    QSDR_ITEM_U8,      /* uint8_t */
    QSDR_ITEM_I8,      /* int8_t */
    QSDR_ITEM_I16,     /* int16_t, little-endian */
    QSDR_ITEM_F32,     /* float32 (also LLRs: log P(b=0)/P(b=1)) */
    QSDR_ITEM_CF32,    /* complex float32, interleaved I/Q (qsdr_cf32) */
    QSDR_ITEM_N,
    QSDR_ITEM_ANY = 100 /* port type chosen by the block at create time (e.g. its "type" param) */
} qsdr_item_type;

/* Size of one item in bytes (0 for QSDR_ITEM_ANY or an invalid type). */
size_t qsdr_item_size(qsdr_item_type t);
/* Name ("bit", "u8", "i8", "i16", "f32", "cf32", "any"); parse returns -1 if unknown. */
const char *qsdr_item_name(qsdr_item_type t);
int qsdr_item_parse(const char *name);

/* ---- parameters ------------------------------------------------------------------------ */
typedef enum {
    QSDR_PARAM_INT = 0, /* int64 in [min, max] */
    QSDR_PARAM_UINT,    /* uint64 in [min, max] */
    QSDR_PARAM_FLOAT,   /* double in [min, max], finite */
    QSDR_PARAM_BOOL,    /* true/false, yes/no, 1/0 */
    QSDR_PARAM_STRING,  /* any text (file names, ...) */
    QSDR_PARAM_ENUM,    /* one of the '|'-separated words in choices */
    QSDR_PARAM_SEED,    /* uint64; when not set explicitly, derived from the flowgraph seed and
                           the block id so every block draws an independent stream */
    QSDR_PARAM_LIST,    /* comma-separated list of numbers (vector source data) */
} qsdr_param_type;

enum {
    QSDR_PARAM_RUNTIME = 1u << 0,  /* may be changed while the flowgraph runs */
    QSDR_PARAM_OPTIONAL = 1u << 1, /* no default value; "unset" is meaningful */
    /* a STRING naming a file the block reads / writes ("" = none): a flowgraph in which one
       parameter writes the file another reads or writes is refused before any block is created
       (a file_sink would truncate its file_source's input) */
    QSDR_PARAM_READS_FILE = 1u << 2,
    QSDR_PARAM_WRITES_FILE = 1u << 3
};

typedef struct {
    const char *name;      /* lower_snake_case */
    qsdr_param_type type;
    const char *def;       /* default as text; NULL only with QSDR_PARAM_OPTIONAL */
    double min, max;       /* range for INT/UINT/FLOAT (ignored when min > max) */
    const char *units;     /* "dB", "samples", "" ... */
    const char *help;      /* one line */
    unsigned flags;        /* QSDR_PARAM_* */
    const char *choices;   /* ENUM only: "bpsk|qpsk|qam16" */
} qsdr_param_desc;

/* ---- ports and rates ------------------------------------------------------------------- */
typedef struct {
    const char *name;
    qsdr_item_type type;
} qsdr_port_desc;

typedef enum {
    QSDR_RATE_SYNC = 0, /* 1 item in -> 1 item out */
    QSDR_RATE_DECIM,    /* D items in -> 1 out */
    QSDR_RATE_INTERP,   /* 1 item in -> I out */
    QSDR_RATE_FRAMED,   /* K items in -> N out (e.g. turbo encoder K -> 3K+12) */
} qsdr_rate_kind;

/* Tag propagation policy (applied by the runtime after each work call). */
typedef enum {
    QSDR_TAGS_ALL_TO_ALL = 0, /* every input tag goes to every output, item i to floor(i / rate_in) * rate_out */
    QSDR_TAGS_ONE_TO_ONE,     /* input port i -> output port i */
    QSDR_TAGS_NONE,           /* the block handles tags itself (or drops them) */
} qsdr_tag_policy;

/* ---- tags ------------------------------------------------------------------------------ */
#define QSDR_TAG_KEY_MAX 32
#define QSDR_TAG_STR_MAX 64
/* TIME: i = whole seconds, f = fractional seconds in [0, 1) (GNU Radio's rx_time tuple). */
typedef enum { QSDR_TAGV_INT = 0, QSDR_TAGV_FLOAT, QSDR_TAGV_STRING, QSDR_TAGV_TIME } qsdr_tagv_type;
typedef struct {
    qsdr_tagv_type type;
    int64_t i;
    double f;
    char s[QSDR_TAG_STR_MAX];
} qsdr_tag_value;

typedef struct {
    uint64_t offset;  /* absolute item index in the stream */
    unsigned port;    /* input port it arrived on (on input), or output port */
    char key[QSDR_TAG_KEY_MAX];
    qsdr_tag_value value;
} qsdr_tag;

/* Value constructors. A float value also fills i: truncated toward zero, saturated to the
 * int64 range (0 for NaN). */
qsdr_tag_value qsdr_tagv_int(int64_t v);
qsdr_tag_value qsdr_tagv_float(double v);
qsdr_tag_value qsdr_tagv_string(const char *s);

/* ---- work interface -------------------------------------------------------------------- */
typedef struct qsdr_work_io qsdr_work_io;
struct qsdr_work_io {
    /* Inputs: n_in items are readable at in[p] for every input port p (contiguous). */
    const void *const *in;
    size_t n_in;
    uint64_t in_offset;      /* absolute index of in[*][0] (input items consumed before) */
    /* Outputs: room for n_out items at out[p] for every output port p (contiguous). */
    void *const *out;
    size_t n_out;
    uint64_t out_offset;     /* absolute index of out[*][0] */
    /* For fixed-rate blocks the runtime offers whole chunks: n_in = c*rate_in, n_out =
     * c*rate_out. Set by the runtime to n_in / n_out before the call; a block that consumes or
     * produces less (sources, head, filters with start-up delay) lowers them. */
    size_t consumed;
    size_t produced;
    /* Input tags whose offset lies in [in_offset, in_offset + n_in), sorted by offset. */
    const qsdr_tag *tags;
    size_t n_tags;
    bool eos;                /* all inputs have ended and this offer is all that is left */
    struct qsdr_block_inst *inst; /* runtime-private */
};

/* Add a tag on output port `port` at absolute offset `offset` (usually io->out_offset + i). */
int qsdr_work_add_tag(qsdr_work_io *io, unsigned port, uint64_t offset, const char *key,
                      qsdr_tag_value value);

/* ---- create-time context --------------------------------------------------------------- */
typedef struct qsdr_block_ctx qsdr_block_ctx;

/* Parameter values, already validated against the descriptor (type and range) and with
 * defaults filled in. Asking for a name the descriptor does not declare is a bug (logged,
 * returns 0 / ""). */
int64_t qsdr_ctx_int(const qsdr_block_ctx *c, const char *name);
uint64_t qsdr_ctx_uint(const qsdr_block_ctx *c, const char *name);
double qsdr_ctx_float(const qsdr_block_ctx *c, const char *name);
bool qsdr_ctx_bool(const qsdr_block_ctx *c, const char *name);
const char *qsdr_ctx_string(const qsdr_block_ctx *c, const char *name); /* also ENUM, LIST */
/* Index of an ENUM value within its choices (0-based). */
int qsdr_ctx_enum(const qsdr_block_ctx *c, const char *name);
/* True when the parameter was given explicitly (flowgraph, --set or API). */
bool qsdr_ctx_is_set(const qsdr_block_ctx *c, const char *name);
/* Where the parameter was given: "FILE:LINE" (flowgraph), "--set ID.PARAM=VALUE" or
 * "--sweep ID.PARAM=VALUE" (command line: starts with "--"), "qsdr_flowgraph_set"; NULL when it
 * was not, or the caller did not say. */
const char *qsdr_ctx_where(const qsdr_block_ctx *c, const char *name);
/* Parse a LIST parameter into a newly allocated array (free with qsdr_free). */
int qsdr_ctx_list(const qsdr_block_ctx *c, const char *name, double **values, size_t *n);
/* The block instance id ("awgn"). */
const char *qsdr_ctx_id(const qsdr_block_ctx *c);

/* Set the instance's rate: rate_in items on each input -> rate_out items on each output
 * (must agree with the descriptor's rate kind). */
int qsdr_ctx_set_rate(qsdr_block_ctx *c, size_t rate_in, size_t rate_out);
/* Ask for input buffers of at least `items` items (a block that works best on many frames at
 * once, e.g. a SIMD decoder taking one frame per lane); its output buffers then hold what that
 * much input makes, and the serial scheduler waits for that much input before calling it
 * (unless an input has ended or its outputs are no longer read). */
int qsdr_ctx_set_chunk_hint(qsdr_block_ctx *c, size_t items);
/* Progress hint: the block ends its stream after `items` items on its inputs (a source: on its
 * output), unless something else ends it first (e.g. head's n, ber's max_bits). Read only to
 * show progress and an ETA (qsdr_flowgraph_progress); 0 = unknown, the default. */
int qsdr_ctx_set_item_budget(qsdr_block_ctx *c, uint64_t items);
/* Resolve a QSDR_ITEM_ANY port to a concrete type. is_output selects the port list. */
int qsdr_ctx_set_port_type(qsdr_block_ctx *c, bool is_output, unsigned port, qsdr_item_type t);

/* ---- statistics ------------------------------------------------------------------------ */
#define QSDR_STATS_MAX 16
typedef struct {
    size_t n;
    struct {
        char name[32];
        double value;
    } v[QSDR_STATS_MAX];
} qsdr_stats;
int qsdr_stats_add(qsdr_stats *s, const char *name, double value);

/* ---- the descriptor -------------------------------------------------------------------- */
typedef struct qsdr_block_desc {
    unsigned abi;                /* QSDR_BLOCK_ABI */
    const char *name;            /* type name used in flowgraphs */
    const char *summary;         /* one line */
    const qsdr_port_desc *inputs;
    size_t n_inputs;
    const qsdr_port_desc *outputs;
    size_t n_outputs;
    const qsdr_param_desc *params;
    size_t n_params;
    qsdr_rate_kind rate_kind;
    size_t rate_in, rate_out;    /* default rate (blocks override in create) */
    qsdr_tag_policy tag_policy;
    const char *doc;             /* optional longer description (markdown) */

    /* Create an instance from validated parameters. Returns QSDR_OK and sets *state, or a
     * QSDR_E* code after logging why; if *state was set before the failure, the runtime passes
     * it to destroy (which must then cope with a partly built state). */
    int (*create)(qsdr_block_ctx *ctx, void **state);
    void (*destroy)(void *state);
    /* Process items (see qsdr_work_io). Returns QSDR_OK, QSDR_DONE (stream finished after the
     * items reported) or a QSDR_E* code (logged). */
    int (*work)(void *state, qsdr_work_io *io);
    /* Apply a new value of a QSDR_PARAM_RUNTIME parameter (already validated). Called on the
     * block's own thread between work calls. Optional. */
    int (*set_param)(void *state, const char *name, const char *value);
    /* Receive a message (key, value) between work calls. Optional. */
    int (*message)(void *state, const char *key, const qsdr_tag_value *value);
    /* Report counters (optional), e.g. the BER meter's bit errors. While the flowgraph runs it
     * is called on the block's own thread, between two work calls. */
    void (*stats)(void *state, qsdr_stats *out);
    /* Called once when the stream has ended for this block, after the last work call (which
     * may or may not have had io->eos set). End-of-stream output (a plot, a summary file) goes
     * here; a failure is reported by logging it with qsdr_error(), and the run then fails. */
    void (*finish)(void *state);
} qsdr_block_desc;

/* ---- registry -------------------------------------------------------------------------- */
/* Look a block type up by name in the built-in table and loaded plugins (NULL if unknown). */
const qsdr_block_desc *qsdr_registry_find(const char *name);
/* For a name that qsdr_registry_find does not know: "did you mean 'x'? " naming the nearest
 * registered types (qsdr_suggest), or "" when none is near; the calling thread's text. */
const char *qsdr_registry_hint(const char *name);
/* Number of registered block types and the i-th one (sorted by name). */
size_t qsdr_registry_count(void);
const qsdr_block_desc *qsdr_registry_get(size_t i);
/* Register a block type (plugins call this from qsdr_plugin_init). Refuses duplicates. */
int qsdr_registry_add(const qsdr_block_desc *d);
/* Load plugins from the ':'-separated directories in QSDR_PLUGIN_PATH (every *.so). Called once
 * automatically by the flowgraph loader and `qsdr blocks`. Returns the number of plugins loaded
 * or a negative code. */
int qsdr_registry_load_plugins(void);
/* Load one plugin file. */
int qsdr_registry_load_plugin(const char *path);
/* Validate a descriptor: ABI, callbacks, lower_snake_case names (block, parameters, ports),
 * a summary and each parameter's help, tables present for their counts, enum values in range
 * (param, item, rate kind, tag policy), enum choices, no duplicates, defaults that parse and lie
 * in range, rates >= 1. qsdr_registry_add refuses what fails, with a message naming the field. */
int qsdr_block_desc_check(const qsdr_block_desc *d);

/* A plugin shared library exports this function; it calls qsdr_registry_add for each block. */
typedef int (*qsdr_plugin_init_fn)(unsigned abi);
#define QSDR_PLUGIN_INIT_SYMBOL "qsdr_plugin_init"

/* Parse and validate a value for a parameter. On error returns QSDR_EINVAL/QSDR_ERANGE and
 * writes a message naming the constraint into err (size errlen). */
int qsdr_param_check(const qsdr_param_desc *p, const char *value, char *err, size_t errlen);
/* Find a parameter descriptor by name (NULL if unknown). */
const qsdr_param_desc *qsdr_block_find_param(const qsdr_block_desc *d, const char *name);

#ifdef __cplusplus
}
#endif
#endif
