/* SPDX-License-Identifier: MIT */
/* Flowgraph construction, validation (types, connections, rates, cycles), live parameters,
 * counters and configuration echo. The schedulers live in sched.c. */
#define _GNU_SOURCE
#include <ctype.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "runtime_internal.h"

uint64_t qsdr_mix64(uint64_t x)
{
    x += 0x9e3779b97f4a7c15ULL;
    x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
    x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
    return x ^ (x >> 31);
}

uint64_t qsdr_hash_str(const char *s)
{
    uint64_t h = 0xcbf29ce484222325ULL;
    for (; *s; s++) h = (h ^ (uint8_t)*s) * 0x100000001b3ULL;
    return qsdr_mix64(h);
}

qsdr_flowgraph_t *qsdr_flowgraph_create(void)
{
    qsdr_flowgraph_t *fg = qsdr_calloc(1, sizeof *fg);
    if (!fg) return qsdr_error_null(QSDR_ENOMEM, "qsdr_flowgraph_create: out of memory");
    fg->seed = 1;
    fg->serial_chunk = 4096;
    pthread_mutex_init(&fg->mu, NULL);
    pthread_cond_init(&fg->cv, NULL);
    return fg;
}

static void block_free(qsdr_block_inst *b)
{
    if (!b) return;
    if (b->state && b->d->destroy) b->d->destroy(b->state);
    for (size_t i = 0; i < b->d->n_params; i++) {
        if (b->pval) qsdr_free(b->pval[i]);
        if (b->pwhere) qsdr_free(b->pwhere[i]);
    }
    for (size_t o = 0; b->out && o < b->d->n_outputs; o++) qsdr_buffer_destroy(&b->out[o]);
    qsdr_request *r = b->req_head;
    while (r) {
        qsdr_request *n = r->next;
        qsdr_free(r->value);
        qsdr_free(r->error);
        qsdr_free(r);
        r = n;
    }
    pthread_mutex_destroy(&b->req_mu);
    pthread_cond_destroy(&b->req_cv);
    qsdr_free(b->pval);
    qsdr_free(b->pset);
    qsdr_free(b->pwhere);
    qsdr_free(b->in_type);
    qsdr_free(b->out_type);
    qsdr_free(b->in);
    qsdr_free(b->out);
    qsdr_free(b->out_fanout);
    qsdr_free(b->in_ptrs);
    qsdr_free(b->out_ptrs);
    qsdr_free(b->tag_scratch);
    qsdr_free(b->id);
    qsdr_free(b->where);
    qsdr_free(b->log_prefix);
    qsdr_free(b);
}

void qsdr_flowgraph_destroy(qsdr_flowgraph_t **fgp)
{
    if (!fgp || !*fgp) return;
    qsdr_flowgraph_t *fg = *fgp;
    if (atomic_load(&fg->running)) {
        qsdr_flowgraph_abort(fg);
        qsdr_flowgraph_wait(fg);
    }
    for (size_t i = 0; i < fg->n_blocks; i++) block_free(fg->blocks[i]);
    qsdr_free(fg->blocks);
    qsdr_free(fg->order);
    qsdr_free(fg->first_error_block);
    qsdr_free(fg->origin);
    pthread_mutex_destroy(&fg->mu);
    pthread_cond_destroy(&fg->cv);
    qsdr_free(fg);
    *fgp = NULL;
}

qsdr_block_inst *qsdr_fg_find(qsdr_flowgraph_t *fg, const char *id)
{
    for (size_t i = 0; i < fg->n_blocks; i++)
        if (!strcmp(fg->blocks[i]->id, id)) return fg->blocks[i];
    return NULL;
}

#define WHERE(w) ((w) ? (w) : fg->origin ? fg->origin : "flowgraph") /* a block's file:line, else the flowgraph's name */

const char *qsdr_fg_id_hint(qsdr_flowgraph_t *fg, const char *id)
{
    static _Thread_local char buf[260];
    qsdr_suggest sg;
    qsdr_suggest_init(&sg, id);
    for (size_t i = 0; i < fg->n_blocks; i++) qsdr_suggest_add(&sg, fg->blocks[i]->id, SIZE_MAX);
    const char *h = qsdr_suggest_hint(&sg);
    snprintf(buf, sizeof buf, "%s%s%s", *h ? " (" : "", h, *h ? ")" : "");
    return buf;
}

/* For an unknown parameter name: "did you mean 'x'? parameters: a, b, ..." (the hint only when one
 * is near) into buf */
static const char *param_hint(const qsdr_block_desc *d, const char *name, char *buf, size_t n)
{
    qsdr_suggest sg;
    qsdr_suggest_init(&sg, name);
    for (size_t i = 0; i < d->n_params; i++) qsdr_suggest_add(&sg, d->params[i].name, SIZE_MAX);
    const char *h = qsdr_suggest_hint(&sg);
    snprintf(buf, n, "%s%sparameters: %s", h, *h ? " " : "", d->n_params ? "" : "none");
    for (size_t i = 0; i < d->n_params; i++) snprintf(buf + strlen(buf), n - strlen(buf), "%s%s", i ? ", " : "", d->params[i].name);
    return buf;
}

static bool valid_id(const char *id)
{
    if (!id || !*id) return false;
    for (const char *c = id; *c; c++)
        if (!((*c >= 'a' && *c <= 'z') || (*c >= 'A' && *c <= 'Z') || (*c >= '0' && *c <= '9') || *c == '_' || *c == '-'))
            return false;
    return true;
}

int qsdr_fg_add_at(qsdr_flowgraph_t *fg, const char *id, const char *type, const char *where)
{
    if (fg->prepared) return qsdr_error(QSDR_EINVAL, "%s: cannot add block '%s' after the flowgraph was prepared", WHERE(where), id);
    if (!valid_id(id))
        return qsdr_error(QSDR_EINVAL, "%s: block id '%s' is not valid (letters, digits, '_' and '-' only)", WHERE(where), id ? id : "");
    qsdr_block_inst *prev = qsdr_fg_find(fg, id);
    if (prev)
        return qsdr_error(QSDR_EINVAL, "%s: duplicate block id '%s' (first defined at %s)", WHERE(where), id, WHERE(prev->where));
    qsdr_registry_load_plugins();
    const qsdr_block_desc *d = qsdr_registry_find(type ? type : "");
    if (!d)
        return qsdr_error(QSDR_EINVAL, "%s: block '%s': unknown block type '%s' (%srun `qsdr blocks` for the list)", WHERE(where), id,
                          type ? type : "", qsdr_registry_hint(type));
    qsdr_block_inst *b = qsdr_calloc_aligned(QSDR_CACHELINE, sizeof *b);
    if (!b) return qsdr_error(QSDR_ENOMEM, "out of memory");
    b->d = d;
    b->fg = fg;
    pthread_mutex_init(&b->req_mu, NULL);
    pthread_cond_init(&b->req_cv, NULL);
    b->id = qsdr_strdup(id);
    b->where = where ? qsdr_strdup(where) : NULL;
    char prefix[600];
    snprintf(prefix, sizeof prefix, "%s: block '%s' (%s)", WHERE(where), id, d->name);
    b->log_prefix = qsdr_strdup(prefix);
    size_t np = d->n_params, ni = d->n_inputs, no = d->n_outputs;
    b->pval = qsdr_calloc(np, sizeof *b->pval);
    b->pset = qsdr_calloc(np, sizeof *b->pset);
    b->pwhere = qsdr_calloc(np, sizeof *b->pwhere);
    b->in_type = qsdr_calloc(ni, sizeof *b->in_type);
    b->out_type = qsdr_calloc(no, sizeof *b->out_type);
    b->in = qsdr_calloc(ni, sizeof *b->in);
    b->out = qsdr_calloc(no, sizeof *b->out);
    b->out_fanout = qsdr_calloc(no, sizeof *b->out_fanout);
    b->in_ptrs = qsdr_calloc(ni, sizeof *b->in_ptrs);
    b->out_ptrs = qsdr_calloc(no, sizeof *b->out_ptrs);
    bool ok = b->id && b->log_prefix && b->pval && b->pset && b->pwhere && b->in_type && b->out_type && b->in && b->out && b->out_fanout && b->in_ptrs && b->out_ptrs && (!where || b->where);
    for (size_t i = 0; ok && i < np; i++)
        if (d->params[i].def && !(b->pval[i] = qsdr_strdup(d->params[i].def))) ok = false;
    if (ok && fg->n_blocks == fg->cap_blocks) {
        size_t nc = fg->cap_blocks ? 2 * fg->cap_blocks : 16;
        qsdr_block_inst **nb = qsdr_realloc(fg->blocks, nc * sizeof *nb);
        if (!nb) ok = false;
        else {
            fg->blocks = nb;
            fg->cap_blocks = nc;
        }
    }
    if (!ok) {
        block_free(b);
        return qsdr_error(QSDR_ENOMEM, "out of memory adding block '%s'", id);
    }
    for (size_t i = 0; i < ni; i++) b->in_type[i] = d->inputs[i].type;
    for (size_t i = 0; i < no; i++) b->out_type[i] = d->outputs[i].type;
    b->rate_in = d->rate_in;
    b->rate_out = d->rate_out;
    fg->blocks[fg->n_blocks++] = b;
    return QSDR_OK;
}

/* A copy of a parameter's value (not NULL); for every type but a string, without the white space
 * around it ("--set 'x.n=5 '" is 5, as a leading space always was: strtod skips it). NULL: out of
 * memory. */
static char *param_value_dup(const qsdr_param_desc *p, const char *value)
{
    if (p->type == QSDR_PARAM_STRING) return qsdr_strdup(value);
    while (isspace((unsigned char)*value)) value++;
    size_t n = strlen(value);
    while (n && isspace((unsigned char)value[n - 1])) n--;
    char *v = qsdr_malloc(n + 1);
    if (v) memcpy(v, value, n), v[n] = 0;
    return v;
}

int qsdr_fg_param_at(qsdr_flowgraph_t *fg, const char *id, const char *name, const char *value, const char *where)
{
    qsdr_block_inst *b = qsdr_fg_find(fg, id);
    if (!b) return qsdr_error(QSDR_EINVAL, "%s: no block with id '%s'%s", WHERE(where), id, qsdr_fg_id_hint(fg, id));
    const qsdr_param_desc *p = qsdr_block_find_param(b->d, name);
    if (!p) {
        char hint[700];
        return qsdr_error(QSDR_EINVAL, "%s: block '%s' (%s): unknown parameter '%s' (%s)", WHERE(where), id, b->d->name, name,
                          param_hint(b->d, name, hint, sizeof hint));
    }
    if (fg->prepared) return qsdr_error(QSDR_EINVAL, "%s: block '%s': parameters are fixed once the flowgraph is prepared; use qsdr_flowgraph_set for run-time parameters", WHERE(where), id);
    char err[320];
    char *v = value ? param_value_dup(p, value) : NULL;
    if (value && !v) return qsdr_error(QSDR_ENOMEM, "out of memory");
    int rc = qsdr_param_check(p, v, err, sizeof err); /* NULL: "no value given" */
    if (rc) {
        qsdr_free(v);
        return qsdr_error(rc, "%s: block '%s' (%s): parameter '%s': %s", WHERE(where), id, b->d->name, name, err);
    }
    size_t i = (size_t)(p - b->d->params);
    char *w = where ? qsdr_strdup(where) : NULL;
    if (where && !w) {
        qsdr_free(v);
        qsdr_free(w);
        return qsdr_error(QSDR_ENOMEM, "out of memory");
    }
    qsdr_free(b->pval[i]);
    qsdr_free(b->pwhere[i]);
    b->pval[i] = v;
    b->pwhere[i] = w;
    b->pset[i] = true;
    return QSDR_OK;
}

static int find_port(const qsdr_port_desc *ports, size_t n, const char *name)
{
    if (!name) return n == 1 ? 0 : -1;
    for (size_t i = 0; i < n; i++)
        if (!strcmp(ports[i].name, name)) return (int)i;
    /* numeric port index */
    char *end;
    long v = strtol(name, &end, 10);
    if (*name && !*end && v >= 0 && (size_t)v < n) return (int)v;
    return -1;
}

static void port_list(const qsdr_port_desc *ports, size_t n, char *buf, size_t len)
{
    buf[0] = 0;
    for (size_t i = 0; i < n; i++) {
        strncat(buf, i ? ", " : "", len - strlen(buf) - 1);
        strncat(buf, ports[i].name, len - strlen(buf) - 1);
    }
    if (!n) snprintf(buf, len, "none");
}

int qsdr_fg_connect_at(qsdr_flowgraph_t *fg, const char *src, const char *sp, const char *dst, const char *dp, const char *where)
{
    if (fg->prepared) return qsdr_error(QSDR_EINVAL, "%s: cannot connect after the flowgraph was prepared", WHERE(where));
    qsdr_block_inst *a = qsdr_fg_find(fg, src ? src : "");
    qsdr_block_inst *b = qsdr_fg_find(fg, dst ? dst : "");
    if (!a) return qsdr_error(QSDR_EINVAL, "%s: connection source: no block with id '%s'%s", WHERE(where), src ? src : "", qsdr_fg_id_hint(fg, src ? src : ""));
    if (!b) return qsdr_error(QSDR_EINVAL, "%s: connection destination: no block with id '%s'%s", WHERE(where), dst ? dst : "", qsdr_fg_id_hint(fg, dst ? dst : ""));
    char list[256];
    int o = find_port(a->d->outputs, a->d->n_outputs, sp);
    if (o < 0) {
        port_list(a->d->outputs, a->d->n_outputs, list, sizeof list);
        return qsdr_error(QSDR_EINVAL, "%s: block '%s' (%s) has no output port '%s' (outputs: %s)%s", WHERE(where), src, a->d->name,
                          sp ? sp : "", list, !sp && a->d->n_outputs > 1 ? "; name the port as id.port" : "");
    }
    int i = find_port(b->d->inputs, b->d->n_inputs, dp);
    if (i < 0) {
        port_list(b->d->inputs, b->d->n_inputs, list, sizeof list);
        return qsdr_error(QSDR_EINVAL, "%s: block '%s' (%s) has no input port '%s' (inputs: %s)%s", WHERE(where), dst, b->d->name,
                          dp ? dp : "", list, !dp && b->d->n_inputs > 1 ? "; name the port as id.port" : "");
    }
    if (b->in[i].connected)
        return qsdr_error(QSDR_EINVAL, "%s: input '%s.%s' is already connected (from '%s.%s'); an input takes one connection", WHERE(where),
                          dst, b->d->inputs[i].name, b->in[i].src->id, b->in[i].src->d->outputs[b->in[i].src_port].name);
    b->in[i].connected = true;
    b->in[i].src = a;
    b->in[i].src_port = (size_t)o;
    b->in[i].reader = a->out_fanout[o]++;
    return QSDR_OK;
}

int qsdr_flowgraph_add(qsdr_flowgraph_t *fg, const char *id, const char *type) { return qsdr_fg_add_at(fg, id, type, NULL); }
int qsdr_flowgraph_param(qsdr_flowgraph_t *fg, const char *id, const char *name, const char *value)
{
    return qsdr_fg_param_at(fg, id, name, value, NULL);
}
int qsdr_flowgraph_connect(qsdr_flowgraph_t *fg, const char *src, const char *sp, const char *dst, const char *dp)
{
    return qsdr_fg_connect_at(fg, src, sp, dst, dp, NULL);
}

int qsdr_flowgraph_set_name(qsdr_flowgraph_t *fg, const char *name)
{
    char *copy = name ? qsdr_strdup(name) : NULL;
    if (name && !copy) return qsdr_error(QSDR_ENOMEM, "out of memory");
    qsdr_free(fg->origin);
    fg->origin = copy;
    return QSDR_OK;
}
void qsdr_flowgraph_set_seed(qsdr_flowgraph_t *fg, uint64_t seed) { fg->seed = seed; }
uint64_t qsdr_flowgraph_get_seed(const qsdr_flowgraph_t *fg) { return fg->seed; }
void qsdr_flowgraph_set_item_limit(qsdr_flowgraph_t *fg, uint64_t n) { fg->item_limit = n; }
void qsdr_flowgraph_set_buffer_items(qsdr_flowgraph_t *fg, size_t n) { fg->buffer_items = n; }
void qsdr_flowgraph_set_serial_chunk(qsdr_flowgraph_t *fg, size_t n) { fg->serial_chunk = n ? n : 4096; }
int qsdr_flowgraph_set_buffer_pool(qsdr_flowgraph_t *fg, qsdr_buffer_pool *pool)
{
    if (fg->prepared) return qsdr_error(QSDR_EINVAL, "qsdr_flowgraph_set_buffer_pool: the buffers exist already (call it before prepare/start)");
    fg->buffer_pool = pool;
    return QSDR_OK;
}

/* ---- validation ------------------------------------------------------------------------ */
typedef struct {
    uint64_t num, den;
    int root; /* index of the source block the rate is relative to, -1 unknown */
} rate_t;

uint64_t qsdr_gcd64(uint64_t a, uint64_t b)
{
    while (b) {
        uint64_t t = a % b;
        a = b;
        b = t;
    }
    return a;
}

static rate_t rate_mul(rate_t r, uint64_t num, uint64_t den)
{
    uint64_t g1 = qsdr_gcd64(r.num, den), g2 = qsdr_gcd64(num, r.den);
    r.num = (r.num / g1) * (num / g2);
    r.den = (r.den / g2) * (den / g1);
    return r;
}

/* Create one block instance (its seeds derived first); on success every ANY port is resolved. */
static int create_instance(qsdr_flowgraph_t *fg, qsdr_block_inst *b)
{
    b->budget = 0; /* the block's create sets it again if it knows it */
    /* derive unset seeds from the flowgraph seed and the block id */
    for (size_t i = 0; i < b->d->n_params; i++) {
        if (b->d->params[i].type != QSDR_PARAM_SEED || b->pset[i]) continue;
        char buf[32];
        snprintf(buf, sizeof buf, "%" PRIu64, qsdr_mix64(fg->seed ^ qsdr_hash_str(b->id)));
        char *v = qsdr_strdup(buf);
        if (!v) return qsdr_error(QSDR_ENOMEM, "out of memory");
        qsdr_free(b->pval[i]);
        b->pval[i] = v;
    }
    char prefix[600];
    snprintf(prefix, sizeof prefix, "%s: block '%s' (%s)", WHERE(b->where), b->id, b->d->name);
    qsdr_block_ctx ctx = {.b = b};
    qsdr_log_set_prefix(prefix);
    int rc = b->d->create(&ctx, &b->state);
    qsdr_log_set_prefix(NULL);
    if (rc != QSDR_OK) {
        /* a block that failed after setting its state: the runtime frees it */
        if (b->state && b->d->destroy) b->d->destroy(b->state);
        b->state = NULL;
        if (!*qsdr_last_error()) qsdr_error(rc, "%s: cannot create block: %s", prefix, qsdr_strerror(rc));
        return rc < 0 ? rc : QSDR_EINVAL;
    }
    for (size_t i = 0; i < b->d->n_inputs; i++)
        if (b->in_type[i] == QSDR_ITEM_ANY)
            return qsdr_error(QSDR_EINTERNAL, "%s: input '%s' type left unresolved by the block", prefix, b->d->inputs[i].name);
    for (size_t i = 0; i < b->d->n_outputs; i++)
        if (b->out_type[i] == QSDR_ITEM_ANY)
            return qsdr_error(QSDR_EINTERNAL, "%s: output '%s' type left unresolved by the block", prefix, b->d->outputs[i].name);
    return QSDR_OK;
}

/* A parameter that writes a file another parameter reads or writes (QSDR_PARAM_*_FILE): a
 * file_sink opening its file would truncate what a file_source is about to read, two sinks
 * would overwrite each other. Checked before any block is created, so nothing is touched. */
static int check_files(qsdr_flowgraph_t *fg)
{
    const unsigned FILE_FLAGS = QSDR_PARAM_READS_FILE | QSDR_PARAM_WRITES_FILE;
    for (size_t ka = 0; ka < fg->n_blocks; ka++) {
        const qsdr_block_inst *a = fg->blocks[ka];
        for (size_t i = 0; i < a->d->n_params; i++) {
            if (!(a->d->params[i].flags & QSDR_PARAM_WRITES_FILE) || !a->pval[i] || !*a->pval[i]) continue;
            for (size_t kb = 0; kb < fg->n_blocks; kb++) {
                const qsdr_block_inst *b = fg->blocks[kb];
                for (size_t j = 0; j < b->d->n_params; j++) {
                    unsigned fl = b->d->params[j].flags & FILE_FLAGS;
                    if (!fl || !b->pval[j] || !*b->pval[j] || (kb == ka && j == i)) continue;
                    if ((fl & QSDR_PARAM_WRITES_FILE) && (kb < ka || (kb == ka && j < i))) continue; /* that pair was seen */
                    if (!qsdr_same_file(a->pval[i], b->pval[j])) continue;
                    bool reads = !(fl & QSDR_PARAM_WRITES_FILE);
                    return qsdr_error(QSDR_EINVAL, "%s: block '%s' (%s): parameter '%s' writes '%s', the file that block '%s' (%s) %s with "
                                      "'%s' (%s): %s", WHERE(a->where), a->id, a->d->name, a->d->params[i].name, a->pval[i], b->id,
                                      b->d->name, reads ? "reads" : "writes", b->d->params[j].name, WHERE(b->where),
                                      reads ? "it would be overwritten before it is read; write another file"
                                            : "one would overwrite the other; give each its own file");
                }
            }
        }
    }
    return QSDR_OK;
}

static int create_instances(qsdr_flowgraph_t *fg)
{
    int frc = check_files(fg);
    if (frc) return frc;
    for (size_t k = 0; k < fg->n_blocks; k++) {
        int rc = create_instance(fg, fg->blocks[k]);
        if (rc) return rc;
    }
    return QSDR_OK;
}

int qsdr_flowgraph_port_type(qsdr_flowgraph_t *fg, const char *id, bool is_output, unsigned port, qsdr_item_type *type)
{
    qsdr_block_inst *b = fg ? qsdr_fg_find(fg, id ? id : "") : NULL;
    if (!b) return qsdr_error(QSDR_EINVAL, "no block '%s' in the flowgraph", id ? id : "");
    size_t n = is_output ? b->d->n_outputs : b->d->n_inputs;
    if (port >= n) return qsdr_error(QSDR_EINVAL, "block '%s' (%s) has no %s port %u", b->id, b->d->name, is_output ? "output" : "input", port);
    qsdr_item_type t = is_output ? b->out_type[port] : b->in_type[port];
    if (t == QSDR_ITEM_ANY && !b->state) {
        /* resolved by the block's create from its parameters: create it once and let it go,
           leaving the port unresolved (the parameters may still change before prepare) */
        int rc = create_instance(fg, b);
        if (b->state && b->d->destroy) b->d->destroy(b->state);
        b->state = NULL;
        t = is_output ? b->out_type[port] : b->in_type[port];
        for (size_t i = 0; i < b->d->n_inputs; i++) b->in_type[i] = b->d->inputs[i].type;
        for (size_t i = 0; i < b->d->n_outputs; i++) b->out_type[i] = b->d->outputs[i].type;
        if (rc) return rc;
    }
    *type = t;
    return QSDR_OK;
}

/* " (set B.type: T)" when block b's port (an `any` port its `type` parameter resolves) could take
   item type t; else "" */
static const char *type_hint(const qsdr_block_inst *b, bool is_output, unsigned port, qsdr_item_type t, char *buf, size_t len)
{
    const qsdr_port_desc *pd = is_output ? &b->d->outputs[port] : &b->d->inputs[port];
    const char *tn = qsdr_item_name(t);
    buf[0] = 0;
    if (pd->type != QSDR_ITEM_ANY) return buf;
    for (size_t i = 0; i < b->d->n_params; i++) {
        const qsdr_param_desc *p = &b->d->params[i];
        if (strcmp(p->name, "type") || p->type != QSDR_PARAM_ENUM || !p->choices) continue;
        size_t n = strlen(tn);
        for (const char *c = p->choices; *c;) { /* "bit|u8|i8|..." */
            const char *e = strchr(c, '|');
            size_t l = e ? (size_t)(e - c) : strlen(c);
            if (l == n && !strncmp(c, tn, n)) {
                snprintf(buf, len, " (set %s.type: %s)", b->id, tn);
                return buf;
            }
            c += l + (e != NULL);
        }
    }
    return buf;
}

static int check_connections(qsdr_flowgraph_t *fg)
{
    for (size_t k = 0; k < fg->n_blocks; k++) {
        qsdr_block_inst *b = fg->blocks[k];
        for (size_t i = 0; i < b->d->n_inputs; i++) {
            if (!b->in[i].connected)
                return qsdr_error(QSDR_EINVAL, "%s: block '%s' (%s): input port '%s' (%s) is not connected", WHERE(b->where), b->id,
                                  b->d->name, b->d->inputs[i].name, qsdr_item_name(b->in_type[i]));
            qsdr_block_inst *a = b->in[i].src;
            qsdr_item_type ta = a->out_type[b->in[i].src_port], tb = b->in_type[i];
            if (ta != tb && ta != QSDR_ITEM_ANY && tb != QSDR_ITEM_ANY) { /* ANY: checked after create */
                char h[160];
                if (!*type_hint(b, false, (unsigned)i, ta, h, sizeof h)) type_hint(a, true, b->in[i].src_port, tb, h, sizeof h);
                return qsdr_error(QSDR_EINVAL, "%s: connection %s.%s -> %s.%s: item type mismatch: output is %s, input expects %s%s",
                                  WHERE(b->where), a->id, a->d->outputs[b->in[i].src_port].name, b->id, b->d->inputs[i].name,
                                  qsdr_item_name(ta), qsdr_item_name(tb), h);
            }
        }
        for (size_t o = 0; o < b->d->n_outputs; o++)
            if (b->out_fanout[o] == 0)
                return qsdr_error(QSDR_EINVAL, "%s: block '%s' (%s): output port '%s' (%s) is not connected (connect it, e.g. to a null_sink)",
                                  WHERE(b->where), b->id, b->d->name, b->d->outputs[o].name, qsdr_item_name(b->out_type[o]));
    }
    return QSDR_OK;
}

static int topo_sort(qsdr_flowgraph_t *fg)
{
    size_t n = fg->n_blocks;
    int *indeg = qsdr_calloc(n, sizeof *indeg);
    fg->order = qsdr_calloc(n, sizeof *fg->order);
    if (!indeg || !fg->order) {
        qsdr_free(indeg);
        return qsdr_error(QSDR_ENOMEM, "out of memory");
    }
    for (size_t k = 0; k < n; k++) {
        fg->blocks[k]->topo = (int)k;
        indeg[k] = (int)fg->blocks[k]->d->n_inputs;
    }
    size_t head = 0, tail = 0;
    for (size_t k = 0; k < n; k++)
        if (indeg[k] == 0) fg->order[tail++] = fg->blocks[k];
    while (head < tail) {
        qsdr_block_inst *a = fg->order[head++];
        for (size_t k = 0; k < n; k++) {
            qsdr_block_inst *b = fg->blocks[k];
            for (size_t i = 0; i < b->d->n_inputs; i++)
                if (b->in[i].src == a && --indeg[k] == 0) fg->order[tail++] = b;
        }
    }
    int rc = QSDR_OK;
    if (tail < n) {
        char list[512] = "";
        for (size_t k = 0; k < n; k++)
            if (indeg[k] > 0) {
                strncat(list, *list ? ", " : "", sizeof list - strlen(list) - 1);
                strncat(list, fg->blocks[k]->id, sizeof list - strlen(list) - 1);
            }
        qsdr_block_inst *first = NULL;
        for (size_t k = 0; k < n && !first; k++)
            if (indeg[k] > 0) first = fg->blocks[k];
        rc = qsdr_error(QSDR_EINVAL, "%s: the connections form a cycle through blocks: %s (flowgraphs must be acyclic)",
                        WHERE(first ? first->where : NULL), list);
    }
    for (size_t k = 0; k < tail; k++) fg->order[k]->topo = (int)k;
    qsdr_free(indeg);
    return rc;
}

static int check_rates(qsdr_flowgraph_t *fg)
{
    size_t n = fg->n_blocks;
    rate_t *out_rate = qsdr_calloc(n, sizeof *out_rate); /* rate of each block's outputs */
    if (!out_rate) return qsdr_error(QSDR_ENOMEM, "out of memory");
    int rc = QSDR_OK;
    for (size_t k = 0; k < n && rc == QSDR_OK; k++) {
        qsdr_block_inst *b = fg->order[k];
        rate_t in = {1, 1, -1};
        if (b->d->n_inputs == 0) {
            in.root = b->topo;
        } else {
            rate_t first = out_rate[b->in[0].src->topo];
            in = first;
            for (size_t i = 1; i < b->d->n_inputs; i++) {
                rate_t r = out_rate[b->in[i].src->topo];
                if (r.root != first.root) continue; /* independent sources: nothing to compare */
                if (r.num * first.den != first.num * r.den) {
                    rc = qsdr_error(QSDR_EINVAL,
                                    "%s: block '%s' (%s): inconsistent rates: input '%s' runs at %" PRIu64 "/%" PRIu64
                                    " and input '%s' at %" PRIu64 "/%" PRIu64 " items per item of source '%s': a parameter on one "
                                    "path disagrees with one on the other (a decoder's k or rate against its encoder's, a "
                                    "demodulator's modulation or model against the modulator's)",
                                    WHERE(b->where), b->id, b->d->name, b->d->inputs[0].name, first.num, first.den,
                                    b->d->inputs[i].name, r.num, r.den, fg->order[first.root]->id);
                    break;
                }
            }
        }
        out_rate[b->topo] = rate_mul(in, b->rate_out, b->rate_in);
        b->orate_num = out_rate[b->topo].num, b->orate_den = out_rate[b->topo].den, b->orate_root = out_rate[b->topo].root;
    }
    qsdr_free(out_rate);
    return rc;
}

/* The buffer rules for chunk hints only save time, so they stop at this many bytes per buffer:
 * a stream far upstream of the decoder at a high sample rate would otherwise take gigabytes. */
#define HINT_BUFFER_BYTES ((size_t)64 << 20)

/* Twice the largest chunk hint of the blocks fed from a's source, in items of a's outputs, at
 * most `most`. */
static size_t fanout_hint_items(const qsdr_flowgraph_t *fg, const qsdr_block_inst *a, size_t most)
{
    double v = 0;
    for (size_t j = 0; j < fg->n_blocks; j++) {
        const qsdr_block_inst *h = fg->blocks[j];
        if (!h->chunk_hint || h->d->n_inputs == 0) continue;
        const qsdr_block_inst *src = h->in[0].src;
        if (src->orate_root != a->orate_root || !src->orate_num || !a->orate_den) continue;
        /* hint [items of h's input] x (a's rate / h's input rate) */
        double t = 2.0 * (double)h->chunk_hint * ((double)a->orate_num / (double)a->orate_den) /
                   ((double)src->orate_num / (double)src->orate_den);
        if (t > v) v = t;
    }
    return v < (double)most ? (size_t)ceil(v) : most;
}

static int alloc_buffers(qsdr_flowgraph_t *fg)
{
    for (size_t k = 0; k < fg->n_blocks; k++) {
        qsdr_block_inst *a = fg->blocks[k];
        for (size_t o = 0; o < a->d->n_outputs; o++) {
            size_t isz = qsdr_item_size(a->out_type[o]);
            size_t want = fg->buffer_items ? fg->buffer_items : (size_t)(256 * 1024) / isz;
            size_t need = 4 * a->rate_out;
            const size_t most = HINT_BUFFER_BYTES / isz;
            /* room for what a chunk hint's worth of input makes: a smaller output buffer cut the
               SIMD turbo decoder's batch short (42 of its 64 frames, then a partial batch at the
               cost of a whole one) while its input kept waiting for the full hint */
            if (a->chunk_hint && a->rate_in) {
                size_t h = (a->chunk_hint + a->rate_in - 1) / a->rate_in * a->rate_out;
                if (h > most) h = most;
                if (h > need) need = h;
            }
            /* a stream read on two paths (the BER meter's reference) holds everything in flight
               on the other one: twice the chunk hint of any block fed from the same source,
               counted in this stream's items, or the source stalls on it and the hinted block
               is forced to run on a part of its batch */
            if (a->out_fanout[o] > 1) {
                size_t h = fanout_hint_items(fg, a, most);
                if (h > need) need = h;
            }
            for (size_t j = 0; j < fg->n_blocks; j++) {
                qsdr_block_inst *b = fg->blocks[j];
                for (size_t i = 0; i < b->d->n_inputs; i++)
                    if (b->in[i].src == a && b->in[i].src_port == o) {
                        if (4 * b->rate_in > need) need = 4 * b->rate_in;
                        if (b->chunk_hint > need) need = b->chunk_hint;
                    }
            }
            if (need > want) want = need;
            a->out[o] = qsdr_buffer_create(isz, want, a->out_fanout[o], fg->buffer_pool);
            if (!a->out[o]) return QSDR_ENOMEM;
            a->out[o]->writer = a;
        }
    }
    for (size_t k = 0; k < fg->n_blocks; k++) {
        qsdr_block_inst *b = fg->blocks[k];
        for (size_t i = 0; i < b->d->n_inputs; i++) {
            qsdr_buffer *buf = b->in[i].src->out[b->in[i].src_port];
            b->in[i].buf = buf;
            buf->readers[b->in[i].reader].blk = b;
        }
    }
    return QSDR_OK;
}

int qsdr_flowgraph_prepare(qsdr_flowgraph_t *fg)
{
    if (fg->prepared) return QSDR_OK;
    if (fg->n_blocks == 0) return qsdr_error(QSDR_EINVAL, "%s: the flowgraph has no blocks", WHERE(fg->origin));
    qsdr_clear_error();
    int rc = check_connections(fg);
    if (!rc) rc = topo_sort(fg);
    if (!rc) rc = create_instances(fg);
    if (!rc) rc = check_connections(fg); /* again: ANY ports are resolved now */
    if (!rc) rc = check_rates(fg);
    if (!rc) rc = alloc_buffers(fg);
    if (rc) {
        for (size_t k = 0; k < fg->n_blocks; k++) {
            qsdr_block_inst *b = fg->blocks[k];
            if (b->state && b->d->destroy) b->d->destroy(b->state);
            b->state = NULL;
            for (size_t o = 0; o < b->d->n_outputs; o++) qsdr_buffer_destroy(&b->out[o]);
        }
        qsdr_free(fg->order);
        fg->order = NULL;
        return rc;
    }
    for (size_t k = 0; k < fg->n_blocks; k++)
        if (fg->blocks[k]->d->n_inputs == 0) fg->blocks[k]->limit = fg->item_limit;
    fg->prepared = true;
    return QSDR_OK;
}

/* ---- run control ----------------------------------------------------------------------- */
int qsdr_flowgraph_start(qsdr_flowgraph_t *fg, qsdr_sched_kind kind)
{
    if (atomic_load(&fg->running)) return qsdr_error(QSDR_EINVAL, "qsdr_flowgraph_start: already running");
    int rc = qsdr_flowgraph_prepare(fg);
    if (rc) return rc;
    for (size_t k = 0; k < fg->n_blocks; k++)
        if (fg->blocks[k]->finished || fg->blocks[k]->n_calls)
            return qsdr_error(QSDR_EINVAL, "qsdr_flowgraph_start: a flowgraph runs once; create a new one to run again");
    fg->sched = kind;
    fg->first_error = 0;
    atomic_store(&fg->n_alive, (int)fg->n_blocks);
    int ends = 0;
    for (size_t k = 0; k < fg->n_blocks; k++) ends += fg->blocks[k]->ends_run;
    atomic_store(&fg->ends_left, ends);
    atomic_store(&fg->running, 1);
    fg->t_start = qsdr_now();
    if (kind == QSDR_SCHED_SERIAL) {
        rc = qsdr_sched_serial_run(fg);
        fg->t_end = qsdr_now();
        atomic_store(&fg->running, 0);
        return rc;
    }
    rc = qsdr_sched_threaded_start(fg);
    if (rc) atomic_store(&fg->running, 0);
    return rc;
}

int qsdr_flowgraph_wait(qsdr_flowgraph_t *fg)
{
    if (fg->sched == QSDR_SCHED_THREADED && atomic_load(&fg->running)) {
        qsdr_sched_threaded_wait(fg);
        fg->t_end = qsdr_now();
        atomic_store(&fg->running, 0);
    }
    return fg->first_error;
}

bool qsdr_flowgraph_wait_for(qsdr_flowgraph_t *fg, double timeout_s)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    double t = (double)ts.tv_nsec * 1e-9 + timeout_s;
    ts.tv_sec += (time_t)t;
    ts.tv_nsec = (long)((t - (double)(time_t)t) * 1e9);
    pthread_mutex_lock(&fg->mu);
    int rc = 0;
    while (atomic_load(&fg->n_alive) > 0 && rc == 0) rc = pthread_cond_timedwait(&fg->cv, &fg->mu, &ts);
    bool done = atomic_load(&fg->n_alive) == 0;
    pthread_mutex_unlock(&fg->mu);
    return done;
}

uint64_t qsdr_flowgraph_sink_items(const qsdr_flowgraph_t *fg)
{
    uint64_t n = 0;
    for (size_t k = 0; k < fg->n_blocks; k++)
        if (fg->blocks[k]->d->n_outputs == 0) n += fg->blocks[k]->n_consumed;
    return n;
}

double qsdr_flowgraph_source_progress(const qsdr_flowgraph_t *fg)
{
    if (!fg->item_limit) return -1;
    double f = 1;
    for (size_t k = 0; k < fg->n_blocks; k++) {
        const qsdr_block_inst *b = fg->blocks[k];
        if (b->d->n_inputs || b->finished) continue;
        double x = (double)b->n_produced / (double)fg->item_limit;
        if (x < f) f = x;
    }
    return f;
}

double qsdr_flowgraph_progress(const qsdr_flowgraph_t *fg)
{
    double f = qsdr_flowgraph_source_progress(fg);
    for (size_t k = 0; k < fg->n_blocks; k++) {
        const qsdr_block_inst *b = fg->blocks[k];
        if (!b->budget) continue;
        double x = b->finished ? 1 : (double)(b->d->n_inputs ? b->n_consumed : b->n_produced) / (double)b->budget;
        if (x > f) f = x > 1 ? 1 : x;
    }
    return f;
}

int qsdr_flowgraph_run(qsdr_flowgraph_t *fg, qsdr_sched_kind kind)
{
    int rc = qsdr_flowgraph_start(fg, kind);
    if (rc) return rc;
    return qsdr_flowgraph_wait(fg);
}

int qsdr_flowgraph_end_with(qsdr_flowgraph_t *fg, const char *id)
{
    qsdr_block_inst *b = fg && id ? qsdr_fg_find(fg, id) : NULL;
    if (!b) return qsdr_error(QSDR_EINVAL, "qsdr_flowgraph_end_with: no block '%s' in the flowgraph", id ? id : "(null)");
    if (atomic_load(&fg->running) || b->n_calls) return qsdr_error(QSDR_EINVAL, "qsdr_flowgraph_end_with: call it before the run");
    b->ends_run = true;
    return QSDR_OK;
}

void qsdr_flowgraph_stop(qsdr_flowgraph_t *fg)
{
    atomic_store(&fg->stop_req, 1);
    for (size_t k = 0; k < fg->n_blocks; k++) qsdr_block_notify(fg->blocks[k]);
}

void qsdr_flowgraph_abort(qsdr_flowgraph_t *fg)
{
    atomic_store(&fg->abort_req, 1);
    atomic_store(&fg->stop_req, 1);
    for (size_t k = 0; k < fg->n_blocks; k++) qsdr_block_notify(fg->blocks[k]);
}

bool qsdr_flowgraph_running(const qsdr_flowgraph_t *fg) { return atomic_load(&((qsdr_flowgraph_t *)fg)->running) != 0; }

/* ---- live parameters and messages ------------------------------------------------------- */
static int split_path(qsdr_flowgraph_t *fg, const char *path, qsdr_block_inst **bo, const qsdr_param_desc **po)
{
    const char *dot = path ? strchr(path, '.') : NULL;
    if (!dot) return qsdr_error(QSDR_EINVAL, "parameter path '%s' must be 'block_id.param'", path ? path : "");
    char id[256];
    size_t l = (size_t)(dot - path);
    if (l >= sizeof id) l = sizeof id - 1;
    memcpy(id, path, l);
    id[l] = 0;
    qsdr_block_inst *b = qsdr_fg_find(fg, id);
    if (!b) return qsdr_error(QSDR_EINVAL, "'%s': no block with id '%s'%s", path, id, qsdr_fg_id_hint(fg, id));
    const qsdr_param_desc *p = qsdr_block_find_param(b->d, dot + 1);
    char hint[700];
    if (!p)
        return qsdr_error(QSDR_EINVAL, "'%s': block '%s' (%s) has no parameter '%s' (%s)", path, id, b->d->name, dot + 1,
                          param_hint(b->d, dot + 1, hint, sizeof hint));
    *bo = b;
    *po = p;
    return QSDR_OK;
}

int qsdr_flowgraph_get(qsdr_flowgraph_t *fg, const char *path, char *buf, size_t buflen)
{
    qsdr_block_inst *b = NULL;
    const qsdr_param_desc *p = NULL;
    int rc = split_path(fg, path, &b, &p);
    if (rc) return rc;
    pthread_mutex_lock(&b->req_mu);
    const char *v = b->pval[p - b->d->params];
    snprintf(buf, buflen, "%s", v ? v : "");
    pthread_mutex_unlock(&b->req_mu);
    return QSDR_OK;
}

/* Queues r to the block's thread and waits for it. Returns QSDR_BLOCK_ENDED, r untouched and
   still the caller's, when the block has finished (nothing would serve it any more). */
#define QSDR_BLOCK_ENDED 1
static int enqueue_and_wait(qsdr_block_inst *b, qsdr_request *r, uint64_t *at, qsdr_stats *stats, double timeout_s)
{
    /* called from inside a serial run (e.g. by a block): processed, and freed, at the next step */
    bool deferred = qsdr_sched_in_serial_run(b->fg);
    pthread_mutex_lock(&b->req_mu);
    if (b->finished) {
        pthread_mutex_unlock(&b->req_mu);
        return QSDR_BLOCK_ENDED;
    }
    r->abandoned = deferred;
    qsdr_request **tail = &b->req_head;
    while (*tail) tail = &(*tail)->next;
    *tail = r;
    atomic_store(&b->req_pending, 1);
    pthread_mutex_unlock(&b->req_mu);
    qsdr_block_notify(b);
    if (deferred) {
        if (at) *at = UINT64_MAX;
        return QSDR_OK;
    }
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    ts.tv_sec += (time_t)timeout_s;
    pthread_mutex_lock(&b->req_mu);
    int wrc = 0;
    while (!r->done && wrc == 0) wrc = pthread_cond_timedwait(&b->req_cv, &b->req_mu, &ts);
    int rc;
    if (r->done) {
        rc = r->status;
        if (at) *at = r->at;
        if (stats) *stats = r->stats;
        if (rc != QSDR_OK)
            qsdr_set_last_error(r->error && r->error[0] ? r->error : "the block refused the request without a message");
        qsdr_free(r->value);
        qsdr_free(r->error);
        qsdr_free(r);
    } else {
        r->abandoned = true; /* the block thread frees it later */
        rc = qsdr_error(QSDR_EINTR, "block '%s' did not apply the request within %.0f s", b->id, timeout_s);
    }
    pthread_mutex_unlock(&b->req_mu);
    return rc;
}

/* prepared but not running: apply the request right away on this thread, and free it */
static int apply_now(qsdr_block_inst *b, qsdr_request *r, uint64_t *at)
{
    pthread_mutex_lock(&b->req_mu);
    r->next = b->req_head;
    b->req_head = r;
    atomic_store(&b->req_pending, 1);
    pthread_mutex_unlock(&b->req_mu);
    r->abandoned = false;
    qsdr_block_process_requests(b);
    /* process_requests completed it; it is still ours to free */
    int rc = r->status; /* a refusal's message is this thread's last error already */
    if (at) *at = r->at;
    qsdr_free(r->value);
    qsdr_free(r->error);
    qsdr_free(r);
    return rc;
}

int qsdr_flowgraph_set(qsdr_flowgraph_t *fg, const char *path, const char *value, uint64_t *at)
{
    qsdr_block_inst *b = NULL;
    const qsdr_param_desc *p = NULL;
    int rc = split_path(fg, path, &b, &p);
    if (rc) return rc;
    if (!fg->prepared) {
        if (at) *at = 0;
        return qsdr_fg_param_at(fg, b->id, p->name, value, "qsdr_flowgraph_set");
    }
    if (!(p->flags & QSDR_PARAM_RUNTIME) || !b->d->set_param)
        return qsdr_error(QSDR_EINVAL, "'%s': parameter '%s' of %s cannot be changed while running (only before start)", path, p->name,
                          b->d->name);
    char err[320];
    qsdr_request *r = qsdr_calloc(1, sizeof *r);
    if (!r || (value && !(r->value = param_value_dup(p, value)))) {
        qsdr_free(r);
        return qsdr_error(QSDR_ENOMEM, "out of memory");
    }
    rc = qsdr_param_check(p, r->value, err, sizeof err); /* NULL: "no value given" */
    if (rc) {
        qsdr_free(r->value);
        qsdr_free(r);
        return qsdr_error(rc, "'%s': %s", path, err);
    }
    r->kind = 0;
    r->param_index = (int)(p - b->d->params);
    rc = b->finished ? QSDR_BLOCK_ENDED : atomic_load(&fg->running) ? enqueue_and_wait(b, r, at, NULL, 5.0) : apply_now(b, r, at);
    if (rc != QSDR_BLOCK_ENDED) return rc;
    qsdr_free(r->value);
    qsdr_free(r);
    return qsdr_error(QSDR_EINTR, "'%s': block '%s' has already finished", path, b->id);
}

int qsdr_flowgraph_post(qsdr_flowgraph_t *fg, const char *id, const char *key, const qsdr_tag_value *value)
{
    qsdr_block_inst *b = qsdr_fg_find(fg, id ? id : "");
    if (!b) return qsdr_error(QSDR_EINVAL, "qsdr_flowgraph_post: no block with id '%s'", id ? id : "");
    if (!b->d->message) return qsdr_error(QSDR_EINVAL, "qsdr_flowgraph_post: block '%s' (%s) takes no messages", id, b->d->name);
    if (!fg->prepared) return qsdr_error(QSDR_EINVAL, "qsdr_flowgraph_post: prepare or start the flowgraph first");
    qsdr_request *r = qsdr_calloc(1, sizeof *r);
    if (!r) return qsdr_error(QSDR_ENOMEM, "out of memory");
    r->kind = 1;
    snprintf(r->key, sizeof r->key, "%s", key ? key : "");
    if (value) r->msg = *value;
    if (!atomic_load(&fg->running)) {
        int rc = b->d->message(b->state, r->key, &r->msg);
        qsdr_free(r);
        return rc;
    }
    int rc = enqueue_and_wait(b, r, NULL, NULL, 5.0);
    if (rc == QSDR_BLOCK_ENDED) {
        qsdr_free(r);
        return qsdr_error(QSDR_EINTR, "qsdr_flowgraph_post: block '%s' has already finished", b->id);
    }
    return rc;
}

/* ---- counters and configuration --------------------------------------------------------- */
int qsdr_flowgraph_stats(qsdr_flowgraph_t *fg, const char *id, qsdr_stats *out)
{
    qsdr_block_inst *b = qsdr_fg_find(fg, id ? id : "");
    if (!b) return qsdr_error(QSDR_EINVAL, "qsdr_flowgraph_stats: no block with id '%s'", id ? id : "");
    /* a running block's counters are read on its own thread (its stats callback need not be
       thread-safe); before the start, after the end and inside a serial run, right here */
    bool here = !atomic_load(&fg->running) ||
                qsdr_sched_in_serial_run(fg);
    if (!here) {
        qsdr_request *r = qsdr_calloc(1, sizeof *r);
        if (!r) return qsdr_error(QSDR_ENOMEM, "out of memory");
        r->kind = 2;
        int rc = enqueue_and_wait(b, r, NULL, out, 5.0);
        if (rc != QSDR_BLOCK_ENDED) return rc;
        qsdr_free(r);
    }
    qsdr_block_fill_stats(b, out);
    return QSDR_OK;
}

void qsdr_block_fill_stats(qsdr_block_inst *b, qsdr_stats *out)
{
    memset(out, 0, sizeof *out);
    qsdr_stats_add(out, "items_in", (double)b->n_consumed);
    qsdr_stats_add(out, "items_out", (double)b->n_produced);
    qsdr_stats_add(out, "work_calls", (double)b->n_calls);
    if (b->state && b->d->stats) b->d->stats(b->state, out);
}

void qsdr_flowgraph_print_stats(qsdr_flowgraph_t *fg, FILE *f)
{
    double el = (fg->t_end > fg->t_start ? fg->t_end : qsdr_now()) - fg->t_start;
    fprintf(f, "%-16s %-14s %14s %14s %10s  %s\n", "block", "type", "items in", "items out", "Mitems/s", "counters");
    for (size_t k = 0; k < fg->n_blocks; k++) {
        qsdr_block_inst *b = fg->order ? fg->order[k] : fg->blocks[k];
        qsdr_stats s;
        if (qsdr_flowgraph_stats(fg, b->id, &s)) continue;
        /* s.v[0..2]: items_in, items_out, work_calls (qsdr_block_fill_stats) */
        double n = b->d->n_inputs ? s.v[0].value : s.v[1].value;
        fprintf(f, "%-16s %-14s %14.0f %14.0f %10.2f ", b->id, b->d->name, s.v[0].value, s.v[1].value, el > 0 ? n / el / 1e6 : 0.0);
        for (size_t i = 3; i < s.n; i++) fprintf(f, " %s=%.6g", s.v[i].name, s.v[i].value);
        fputc('\n', f);
    }
}

void qsdr_flowgraph_print_config(qsdr_flowgraph_t *fg, FILE *f)
{
    fprintf(f, "# qsdr %s  flowgraph: %s  seed: %" PRIu64 "\n", QSDR_VERSION_STRING, fg->origin ? fg->origin : "(api)", fg->seed);
    for (size_t k = 0; k < fg->n_blocks; k++) {
        qsdr_block_inst *b = fg->blocks[k];
        fprintf(f, "#   %s (%s):", b->id, b->d->name);
        for (size_t i = 0; i < b->d->n_params; i++)
            fprintf(f, " %s=%s%s", b->d->params[i].name, b->pval[i] ? b->pval[i] : "(unset)", b->pset[i] ? "" : "");
        fputc('\n', f);
    }
}

size_t qsdr_flowgraph_block_count(const qsdr_flowgraph_t *fg) { return fg->n_blocks; }
const char *qsdr_flowgraph_block_id(const qsdr_flowgraph_t *fg, size_t i) { return i < fg->n_blocks ? fg->blocks[i]->id : NULL; }
const char *qsdr_flowgraph_block_type(const qsdr_flowgraph_t *fg, size_t i)
{
    return i < fg->n_blocks ? fg->blocks[i]->d->name : NULL;
}
void *qsdr_flowgraph_block_state(qsdr_flowgraph_t *fg, const char *id)
{
    qsdr_block_inst *b = qsdr_fg_find(fg, id);
    return b ? b->state : NULL;
}
