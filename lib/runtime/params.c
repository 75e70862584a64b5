/* SPDX-License-Identifier: MIT */
/* Parameter parsing and validation against the descriptor; create-time context accessors. */
#define _GNU_SOURCE
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "runtime_internal.h"

static const char *type_name(qsdr_param_type t)
{
    switch (t) {
    case QSDR_PARAM_INT: return "integer";
    case QSDR_PARAM_UINT: return "unsigned integer";
    case QSDR_PARAM_FLOAT: return "number";
    case QSDR_PARAM_BOOL: return "boolean (true/false)";
    case QSDR_PARAM_STRING: return "string";
    case QSDR_PARAM_ENUM: return "one of the listed words";
    case QSDR_PARAM_SEED: return "unsigned 64-bit seed";
    case QSDR_PARAM_LIST: return "comma-separated list of numbers";
    }
    return "?";
}

int qsdr_param_parse_bool(const char *s, bool *out)
{
    if (!strcasecmp(s, "true") || !strcasecmp(s, "yes") || !strcasecmp(s, "on") || !strcmp(s, "1")) {
        *out = true;
        return 0;
    }
    if (!strcasecmp(s, "false") || !strcasecmp(s, "no") || !strcasecmp(s, "off") || !strcmp(s, "0")) {
        *out = false;
        return 0;
    }
    return -1;
}

static bool enum_index(const char *choices, const char *v, int *idx)
{
    size_t n = strlen(v);
    const char *p = choices;
    int i = 0;
    while (p && *p) {
        const char *bar = strchr(p, '|');
        size_t len = bar ? (size_t)(bar - p) : strlen(p);
        if (len == n && !strncmp(p, v, n)) {
            if (idx) *idx = i;
            return true;
        }
        p = bar ? bar + 1 : NULL;
        i++;
    }
    return false;
}

static bool has_range(const qsdr_param_desc *p) { return p->min <= p->max; }

static void fmt_range(const qsdr_param_desc *p, char *buf, size_t n)
{
    if (!has_range(p)) {
        snprintf(buf, n, "any");
        return;
    }
    snprintf(buf, n, "[%.10g, %.10g]%s%s", p->min, p->max, p->units && *p->units ? " " : "",
             p->units ? p->units : "");
}

int qsdr_param_check(const qsdr_param_desc *p, const char *value, char *err, size_t errlen)
{
    char rng[96];
    fmt_range(p, rng, sizeof rng);
    if (!value) {
        snprintf(err, errlen, "no value given");
        return QSDR_EINVAL;
    }
    char *end = NULL;
    errno = 0;
    switch (p->type) {
    case QSDR_PARAM_INT: {
        long long v = strtoll(value, &end, qsdr_int_base(value));
        if (end == value || *end || errno) {
            /* accept integral floats like "4.0" (from arithmetic) */
            double d = strtod(value, &end);
            if (end != value && !*end && isfinite(d) && d == floor(d) && fabs(d) > 9.0e15) { /* a number, too large */
                snprintf(err, errlen, "value %s out of range, allowed %s", value, rng);
                return QSDR_ERANGE;
            }
            if (end == value || *end || !isfinite(d) || d != floor(d)) {
                snprintf(err, errlen, "expected an integer, got '%s' (allowed range %s)", value, rng);
                return QSDR_EINVAL;
            }
            v = (long long)d;
        }
        if (has_range(p) && ((double)v < p->min || (double)v > p->max)) {
            snprintf(err, errlen, "value %lld out of range, allowed %s", v, rng);
            return QSDR_ERANGE;
        }
        return QSDR_OK;
    }
    case QSDR_PARAM_UINT:
    case QSDR_PARAM_SEED: {
        const char *s = value;
        while (isspace((unsigned char)*s)) s++;
        if (*s == '-') {
            snprintf(err, errlen, "expected a non-negative integer, got '%s' (allowed range %s)", value, rng);
            return QSDR_ERANGE;
        }
        unsigned long long v = strtoull(value, &end, qsdr_int_base(value));
        if (end == value || *end || errno) {
            double d = strtod(value, &end);
            if (end != value && !*end && isfinite(d) && d == floor(d) && d > 1.8e19) { /* "1e30": a number, too large */
                snprintf(err, errlen, "value %s out of range, allowed %s", value, p->type == QSDR_PARAM_SEED ? "[0, 2^64 - 1]" : rng);
                return QSDR_ERANGE;
            }
            if (end == value || *end || !isfinite(d) || d != floor(d) || d < 0) {
                snprintf(err, errlen, "expected a non-negative integer, got '%s' (allowed range %s)",
                         value, rng);
                return QSDR_EINVAL;
            }
            v = (unsigned long long)d;
        }
        if (p->type == QSDR_PARAM_UINT && has_range(p) && ((double)v < p->min || (double)v > p->max)) {
            snprintf(err, errlen, "value %llu out of range, allowed %s", v, rng);
            return QSDR_ERANGE;
        }
        return QSDR_OK;
    }
    case QSDR_PARAM_FLOAT: {
        double v = strtod(value, &end);
        if (end == value || *end) {
            snprintf(err, errlen, "expected a number, got '%s' (allowed range %s)", value, rng);
            return QSDR_EINVAL;
        }
        if (!isfinite(v)) {
            snprintf(err, errlen, "value must be finite, got '%s' (allowed range %s)", value, rng);
            return QSDR_ERANGE;
        }
        if (has_range(p) && (v < p->min || v > p->max)) {
            snprintf(err, errlen, "value %g out of range, allowed %s", v, rng);
            return QSDR_ERANGE;
        }
        return QSDR_OK;
    }
    case QSDR_PARAM_BOOL: {
        bool b;
        if (qsdr_param_parse_bool(value, &b)) {
            snprintf(err, errlen, "expected true or false, got '%s'", value);
            return QSDR_EINVAL;
        }
        return QSDR_OK;
    }
    case QSDR_PARAM_STRING: return QSDR_OK;
    case QSDR_PARAM_ENUM:
        if (!enum_index(p->choices, value, NULL)) {
            qsdr_suggest sg;
            qsdr_suggest_init(&sg, value);
            qsdr_suggest_add_list(&sg, p->choices);
            const char *h = qsdr_suggest_hint(&sg);
            snprintf(err, errlen, "expected one of %s, got '%s'%s%s%s", p->choices, value, *h ? " (" : "", h, *h ? ")" : "");
            return QSDR_EINVAL;
        }
        return QSDR_OK;
    case QSDR_PARAM_LIST: {
        const char *s = value;
        size_t count = 0;
        while (*s) {
            while (isspace((unsigned char)*s) || *s == '[') s++;
            if (*s == ']' || !*s) break;
            double v = strtod(s, &end);
            if (end == s || !isfinite(v)) {
                snprintf(err, errlen, "expected a comma-separated list of finite numbers, got '%s'", value);
                return QSDR_EINVAL;
            }
            count++;
            s = end;
            while (isspace((unsigned char)*s) || *s == ']') s++;
            if (*s == ',') s++;
            else if (*s) {
                snprintf(err, errlen, "expected a comma-separated list of numbers, got '%s'", value);
                return QSDR_EINVAL;
            }
        }
        (void)count;
        return QSDR_OK;
    }
    }
    snprintf(err, errlen, "unknown parameter type %d (expected %s)", (int)p->type, type_name(p->type));
    return QSDR_EINTERNAL;
}

const qsdr_param_desc *qsdr_block_find_param(const qsdr_block_desc *d, const char *name)
{
    for (size_t i = 0; i < d->n_params; i++)
        if (!strcmp(d->params[i].name, name)) return &d->params[i];
    return NULL;
}

static bool snake_case(const char *s)
{
    if (!s || !*s) return false;
    for (const char *c = s; *c; c++)
        if (!(islower((unsigned char)*c) || isdigit((unsigned char)*c) || *c == '_')) return false;
    return true;
}

int qsdr_block_desc_check(const qsdr_block_desc *d)
{
    if (!d || !d->name) return qsdr_error(QSDR_EINVAL, "block descriptor without a name");
    if (d->abi != QSDR_BLOCK_ABI)
        return qsdr_error(QSDR_EINVAL, "block '%s': ABI version %u, this qsdr expects %u", d->name,
                          d->abi, QSDR_BLOCK_ABI);
    if (!d->create || !d->work)
        return qsdr_error(QSDR_EINVAL, "block '%s': create and work callbacks are required", d->name);
    if (!snake_case(d->name)) return qsdr_error(QSDR_EINVAL, "block '%s': name must be lower_snake_case", d->name);
    /* a plugin's descriptor is data from outside: everything the runtime, `qsdr blocks` and the
       loader dereference or switch on is checked here, so a bad one is refused, not a crash */
    if (!d->summary) return qsdr_error(QSDR_EINVAL, "block '%s': summary (one line) is required", d->name);
    if ((d->n_params && !d->params) || (d->n_inputs && !d->inputs) || (d->n_outputs && !d->outputs))
        return qsdr_error(QSDR_EINVAL, "block '%s': n_params/n_inputs/n_outputs > 0 with a NULL table", d->name);
    if ((unsigned)d->rate_kind > QSDR_RATE_FRAMED)
        return qsdr_error(QSDR_EINVAL, "block '%s': rate_kind %d is not a qsdr_rate_kind (0..%d)", d->name, (int)d->rate_kind, QSDR_RATE_FRAMED);
    if ((unsigned)d->tag_policy > QSDR_TAGS_NONE)
        return qsdr_error(QSDR_EINVAL, "block '%s': tag_policy %d is not a qsdr_tag_policy (0..%d)", d->name, (int)d->tag_policy, QSDR_TAGS_NONE);
    for (size_t i = 0; i < d->n_params; i++) {
        const qsdr_param_desc *p = &d->params[i];
        if (!snake_case(p->name))
            return qsdr_error(QSDR_EINVAL, "block '%s': parameter %zu: name '%s' must be lower_snake_case", d->name, i, p->name ? p->name : "(null)");
        if ((unsigned)p->type > QSDR_PARAM_LIST)
            return qsdr_error(QSDR_EINVAL, "block '%s': parameter '%s': type %d is not a qsdr_param_type (0..%d)", d->name, p->name, (int)p->type, QSDR_PARAM_LIST);
        if (!p->help) return qsdr_error(QSDR_EINVAL, "block '%s': parameter '%s': help (one line) is required", d->name, p->name);
        if ((p->flags & (QSDR_PARAM_READS_FILE | QSDR_PARAM_WRITES_FILE)) && p->type != QSDR_PARAM_STRING)
            return qsdr_error(QSDR_EINVAL, "block '%s': parameter '%s': only a string names a file (READS_FILE, WRITES_FILE)", d->name, p->name);
        if (p->type == QSDR_PARAM_ENUM && !(p->choices && *p->choices))
            return qsdr_error(QSDR_EINVAL, "block '%s': parameter '%s': an enum needs choices (\"a|b|c\")", d->name, p->name);
        for (size_t j = 0; j < i; j++)
            if (!strcmp(d->params[j].name, p->name))
                return qsdr_error(QSDR_EINVAL, "block '%s': duplicate parameter '%s'", d->name, p->name);
        if (!p->def) {
            if (!(p->flags & QSDR_PARAM_OPTIONAL))
                return qsdr_error(QSDR_EINVAL, "block '%s': parameter '%s' has no default", d->name, p->name);
            continue;
        }
        char err[256];
        if (qsdr_param_check(p, p->def, err, sizeof err) != QSDR_OK)
            return qsdr_error(QSDR_EINVAL, "block '%s': default of '%s' invalid: %s", d->name, p->name, err);
    }
    for (size_t k = 0; k < 2; k++) {
        const qsdr_port_desc *ports = k ? d->outputs : d->inputs;
        for (size_t i = 0, n = k ? d->n_outputs : d->n_inputs; i < n; i++)
            if (!snake_case(ports[i].name) ||
                !((unsigned)ports[i].type < QSDR_ITEM_N || ports[i].type == QSDR_ITEM_ANY))
                return qsdr_error(QSDR_EINVAL, "block '%s': %s port %zu: needs a lower_snake_case name and an item type "
                                  "(qsdr_item_type 0..%d or QSDR_ITEM_ANY), got '%s' and %d", d->name, k ? "output" : "input", i,
                                  QSDR_ITEM_N - 1, ports[i].name ? ports[i].name : "(null)", (int)ports[i].type);
    }
    for (size_t i = 0; i < d->n_inputs; i++)
        for (size_t j = 0; j < i; j++)
            if (!strcmp(d->inputs[i].name, d->inputs[j].name))
                return qsdr_error(QSDR_EINVAL, "block '%s': duplicate input port '%s'", d->name, d->inputs[i].name);
    for (size_t i = 0; i < d->n_outputs; i++)
        for (size_t j = 0; j < i; j++)
            if (!strcmp(d->outputs[i].name, d->outputs[j].name))
                return qsdr_error(QSDR_EINVAL, "block '%s': duplicate output port '%s'", d->name, d->outputs[i].name);
    if (d->rate_in == 0 || d->rate_out == 0)
        return qsdr_error(QSDR_EINVAL, "block '%s': rate_in and rate_out must be >= 1", d->name);
    return QSDR_OK;
}

/* ---- context accessors ----------------------------------------------------------------- */
static int pidx(const qsdr_block_ctx *c, const char *name)
{
    const qsdr_block_desc *d = c->b->d;
    for (size_t i = 0; i < d->n_params; i++)
        if (!strcmp(d->params[i].name, name)) return (int)i;
    qsdr_error(QSDR_EINTERNAL, "block '%s' (%s) asked for undeclared parameter '%s'", c->b->id, d->name, name);
    return -1;
}

static const char *pv(const qsdr_block_ctx *c, const char *name)
{
    int i = pidx(c, name);
    if (i < 0 || !c->b->pval[i]) return "";
    return c->b->pval[i];
}

int64_t qsdr_ctx_int(const qsdr_block_ctx *c, const char *name)
{
    const char *s = pv(c, name);
    char *end;
    long long v = strtoll(s, &end, qsdr_int_base(s));
    if (*end) v = (long long)strtod(s, NULL);
    return v;
}

uint64_t qsdr_ctx_uint(const qsdr_block_ctx *c, const char *name)
{
    const char *s = pv(c, name);
    char *end;
    unsigned long long v = strtoull(s, &end, qsdr_int_base(s));
    if (*end) v = (unsigned long long)strtod(s, NULL);
    return v;
}

double qsdr_ctx_float(const qsdr_block_ctx *c, const char *name) { return strtod(pv(c, name), NULL); }

bool qsdr_ctx_bool(const qsdr_block_ctx *c, const char *name)
{
    bool b = false;
    qsdr_param_parse_bool(pv(c, name), &b);
    return b;
}

const char *qsdr_ctx_string(const qsdr_block_ctx *c, const char *name) { return pv(c, name); }

int qsdr_ctx_enum(const qsdr_block_ctx *c, const char *name)
{
    int i = pidx(c, name);
    if (i < 0) return -1;
    int idx = -1;
    enum_index(c->b->d->params[i].choices, pv(c, name), &idx);
    return idx;
}

bool qsdr_ctx_is_set(const qsdr_block_ctx *c, const char *name)
{
    int i = pidx(c, name);
    return i >= 0 && c->b->pset[i];
}

const char *qsdr_ctx_where(const qsdr_block_ctx *c, const char *name)
{
    int i = pidx(c, name);
    return i >= 0 && c->b->pset[i] ? c->b->pwhere[i] : NULL;
}

int qsdr_ctx_list(const qsdr_block_ctx *c, const char *name, double **values, size_t *n)
{
    const char *s = pv(c, name);
    size_t cap = 16, k = 0;
    double *v = qsdr_malloc(cap * sizeof *v);
    if (!v) return qsdr_error(QSDR_ENOMEM, "qsdr_ctx_list: out of memory");
    char *end;
    while (*s) {
        while (isspace((unsigned char)*s) || *s == '[') s++;
        if (*s == ']' || !*s) break;
        double x = strtod(s, &end);
        if (end == s) break;
        if (k == cap) {
            cap *= 2;
            double *nv = qsdr_realloc(v, cap * sizeof *nv);
            if (!nv) {
                qsdr_free(v);
                return qsdr_error(QSDR_ENOMEM, "qsdr_ctx_list: out of memory");
            }
            v = nv;
        }
        v[k++] = x;
        s = end;
        while (isspace((unsigned char)*s) || *s == ']' || *s == ',') s++;
    }
    *values = v;
    *n = k;
    return QSDR_OK;
}

const char *qsdr_ctx_id(const qsdr_block_ctx *c) { return c->b->id; }

int qsdr_ctx_set_rate(qsdr_block_ctx *c, size_t rin, size_t rout)
{
    const qsdr_block_desc *d = c->b->d;
    bool ok = rin >= 1 && rout >= 1;
    switch (d->rate_kind) {
    case QSDR_RATE_SYNC: ok = ok && rin == 1 && rout == 1; break;
    case QSDR_RATE_DECIM: ok = ok && rout == 1; break;
    case QSDR_RATE_INTERP: ok = ok && rin == 1; break;
    case QSDR_RATE_FRAMED: break;
    }
    if (!ok)
        return qsdr_error(QSDR_EINTERNAL, "block '%s' (%s): rate %zu:%zu does not fit its rate kind",
                          c->b->id, d->name, rin, rout);
    c->b->rate_in = rin;
    c->b->rate_out = rout;
    return QSDR_OK;
}

int qsdr_ctx_set_port_type(qsdr_block_ctx *c, bool is_output, unsigned port, qsdr_item_type t)
{
    const qsdr_block_desc *d = c->b->d;
    size_t n = is_output ? d->n_outputs : d->n_inputs;
    if (port >= n || qsdr_item_size(t) == 0)
        return qsdr_error(QSDR_EINTERNAL, "block '%s': bad port %u or type in set_port_type", c->b->id, port);
    if (is_output)
        c->b->out_type[port] = t;
    else
        c->b->in_type[port] = t;
    return QSDR_OK;
}

int qsdr_ctx_set_item_budget(qsdr_block_ctx *c, uint64_t items)
{
    c->b->budget = items;
    return QSDR_OK;
}

int qsdr_ctx_set_chunk_hint(qsdr_block_ctx *c, size_t items)
{
    if (items > ((size_t)1 << 27))
        return qsdr_error(QSDR_ERANGE, "block '%s': chunk hint %zu items is too large", c->b->id, items);
    c->b->chunk_hint = items;
    return QSDR_OK;
}
