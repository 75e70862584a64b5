/* SPDX-License-Identifier: MIT */
/* YAML flowgraph files (libyaml document API): variables with ${expr} substitution, blocks,
 * connections. Every error names file:line. Format: docs/flowgraph-format.md. */
#define _GNU_SOURCE
#include <errno.h>
#include <stdarg.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <yaml.h>

#include "runtime_internal.h"
#include "yaml_guard.h"

#define MAX_VARS 256

typedef struct {
    char *name;
    char *text;   /* value as text */
    double num;
    bool is_num;
    int line;
    bool overridden;
} var_t;

typedef struct {
    const char *file;
    yaml_document_t *doc;
    var_t vars[MAX_VARS];
    size_t n_vars;
    const char *const *overrides;
    bool *override_used;
} loader;

static int line_of(yaml_node_t *n) { return n ? (int)n->start_mark.line + 1 : 0; }

static int lerr(loader *L, yaml_node_t *n, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static int lerr(loader *L, yaml_node_t *n, const char *fmt, ...)
{
    char msg[900];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    return qsdr_error(QSDR_EINVAL, "%s:%d: %s", L->file, line_of(n), msg);
}

static const char *scalar(yaml_node_t *n) { return n && n->type == YAML_SCALAR_NODE ? (const char *)n->data.scalar.value : NULL; }

static int var_lookup(void *user, const char *name, double *value)
{
    loader *L = user;
    for (size_t i = 0; i < L->n_vars; i++)
        if (!strcmp(L->vars[i].name, name)) {
            if (!L->vars[i].is_num) return -1;
            *value = L->vars[i].num;
            return 0;
        }
    return -1;
}

static var_t *find_var(loader *L, const char *name)
{
    for (size_t i = 0; i < L->n_vars; i++)
        if (!strcmp(L->vars[i].name, name)) return &L->vars[i];
    return NULL;
}

static void fmt_num(double v, char *buf, size_t n)
{
    if (v == floor(v) && fabs(v) < 9.0e15) snprintf(buf, n, "%.0f", v);
    else qsdr_fmt_double(buf, n, v);
}

static bool parse_num(const char *s, double *v)
{
    char *end;
    errno = 0;
    *v = strtod(s, &end);
    return end != s && !*end && isfinite(*v);
}

/* An error in text from the command line (origin: "--set ebn0=...") names the option, not a
 * line of the file; else the node's line. */
static void xerr(loader *L, yaml_node_t *n, const char *origin, const char *fmt, ...) __attribute__((format(printf, 4, 5)));
static void xerr(loader *L, yaml_node_t *n, const char *origin, const char *fmt, ...)
{
    char msg[900];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    if (origin) qsdr_error(QSDR_EINVAL, "%s: %s", origin, msg);
    else lerr(L, n, "%s", msg);
}

/* Expand ${...} in text into a new string (qsdr_malloc). NULL on error (logged with the line of
 * n, or naming origin when the text came from the command line). */
static char *expand(loader *L, yaml_node_t *n, const char *origin, const char *text)
{
    size_t cap = strlen(text) + 64, len = 0;
    char *out = qsdr_malloc(cap);
    if (!out) return NULL;
    const char *p = text;
    while (*p) {
        const char *st = strstr(p, "${");
        size_t lit = st ? (size_t)(st - p) : strlen(p);
        char piece[512];
        const char *add = NULL;
        size_t addlen = 0;
        if (lit) {
            add = p;
            addlen = lit;
            p += lit;
        } else {
            const char *close = strchr(st + 2, '}');
            if (!close) {
                xerr(L, n, origin, "unterminated '${' in '%s'", text);
                qsdr_free(out);
                return NULL;
            }
            char ex[400];
            size_t el = (size_t)(close - st - 2);
            if (el >= sizeof ex) el = sizeof ex - 1;
            memcpy(ex, st + 2, el);
            ex[el] = 0;
            /* a bare variable name may hold text */
            char *trim = ex;
            while (*trim == ' ') trim++;
            size_t tl = strlen(trim);
            while (tl && trim[tl - 1] == ' ') trim[--tl] = 0;
            var_t *v = find_var(L, trim);
            if (v) {
                snprintf(piece, sizeof piece, "%s", v->text);
            } else {
                double val;
                char err[512];
                if (qsdr_expr_eval(ex, var_lookup, L, &val, err, sizeof err)) {
                    xerr(L, n, origin, "%s", err);
                    qsdr_free(out);
                    return NULL;
                }
                fmt_num(val, piece, sizeof piece);
            }
            add = piece;
            addlen = strlen(piece);
            p = close + 1;
        }
        if (len + addlen + 1 > cap) {
            cap = 2 * (len + addlen + 1);
            char *no = qsdr_realloc(out, cap);
            if (!no) {
                qsdr_free(out);
                return NULL;
            }
            out = no;
        }
        memcpy(out + len, add, addlen);
        len += addlen;
    }
    out[len] = 0;
    return out;
}

/* Text of a parameter value node: a scalar, or a sequence of scalars joined with commas. */
static char *node_text(loader *L, yaml_node_t *n);

/* A block parameter's value: a YAML list only for list parameters (vector_source data); for any
 * other a list was joined into text ("[3]" read as 3, "[3, 4]" as the text "3,4"). */
static char *param_text(loader *L, qsdr_flowgraph_t *fg, const char *id, const char *pname, yaml_node_t *v)
{
    const qsdr_block_inst *b = qsdr_fg_find(fg, id);
    const qsdr_param_desc *p = b ? qsdr_block_find_param(b->d, pname) : NULL;
    if (v->type == YAML_SEQUENCE_NODE && p && p->type != QSDR_PARAM_LIST) {
        lerr(L, v, "block '%s': parameter '%s': expected a single value, got a list (only list parameters, such as "
             "vector_source data, take one)", id, pname);
        return NULL;
    }
    return node_text(L, v);
}

static char *node_text(loader *L, yaml_node_t *n)
{
    if (n->type == YAML_SCALAR_NODE) return expand(L, n, NULL, scalar(n));
    if (n->type == YAML_SEQUENCE_NODE) {
        size_t cap = 256, len = 0;
        char *out = qsdr_malloc(cap);
        if (!out) return NULL;
        out[0] = 0;
        for (yaml_node_item_t *it = n->data.sequence.items.start; it < n->data.sequence.items.top; it++) {
            yaml_node_t *e = yaml_document_get_node(L->doc, *it);
            if (!e || e->type != YAML_SCALAR_NODE) {
                lerr(L, e ? e : n, "list elements must be plain values");
                qsdr_free(out);
                return NULL;
            }
            char *t = expand(L, e, NULL, scalar(e));
            if (!t) {
                qsdr_free(out);
                return NULL;
            }
            size_t tl = strlen(t);
            if (len + tl + 2 > cap) {
                cap = 2 * (len + tl + 2);
                char *no = qsdr_realloc(out, cap);
                if (!no) {
                    qsdr_free(t);
                    qsdr_free(out);
                    return NULL;
                }
                out = no;
            }
            if (len) out[len++] = ',';
            memcpy(out + len, t, tl + 1);
            len += tl;
            qsdr_free(t);
        }
        return out;
    }
    lerr(L, n, "expected a value or a list of values, found a mapping");
    return NULL;
}

/* An override is "id.param=value" or "name=value", optionally after the option that gave it
 * and a space ("--sweep awgn.ebn0_db=3"), which messages then name instead of --set. */
static const char *ov_body(const char *o, char *opt, size_t n)
{
    const char *sp = strncmp(o, "--", 2) ? NULL : strchr(o, ' ');
    snprintf(opt, n, "%.*s", sp ? (int)(sp - o) : 5, sp ? o : "--set");
    return sp ? sp + 1 : o;
}

static int load_variables(loader *L, yaml_node_t *n)
{
    if (n->type != YAML_MAPPING_NODE) return lerr(L, n, "'variables' must be a mapping of name: value");
    for (yaml_node_pair_t *pr = n->data.mapping.pairs.start; pr < n->data.mapping.pairs.top; pr++) {
        yaml_node_t *k = yaml_document_get_node(L->doc, pr->key), *v = yaml_document_get_node(L->doc, pr->value);
        const char *name = scalar(k);
        if (!name) return lerr(L, k, "variable names must be plain words");
        if (!strcmp(name, "flowgraph_dir")) return lerr(L, k, "'flowgraph_dir' is a built-in variable (the flowgraph file's directory); choose another name");
        if (find_var(L, name)) return lerr(L, k, "duplicate variable '%s'", name);
        if (L->n_vars == MAX_VARS) return lerr(L, k, "too many variables (at most %d)", MAX_VARS);
        if (!v || v->type != YAML_SCALAR_NODE) return lerr(L, v ? v : k, "variable '%s': expected a plain value", name);
        /* --set name=value overrides the file */
        const char *ov = NULL, *ov_full = NULL;
        for (size_t i = 0; L->overrides && L->overrides[i]; i++) {
            char opt[32];
            const char *o = ov_body(L->overrides[i], opt, sizeof opt), *eq = strchr(o, '=');
            if (eq && !memchr(o, '.', (size_t)(eq - o)) && strlen(name) == (size_t)(eq - o) && !strncmp(o, name, strlen(name))) {
                ov = eq + 1;
                ov_full = L->overrides[i];
                L->override_used[i] = true;
            }
        }
        char origin[600];
        if (ov) {
            char opt[32];
            const char *body = ov_body(ov_full, opt, sizeof opt);
            snprintf(origin, sizeof origin, "%s %s", opt, body);
        }
        char *text = expand(L, v, ov ? origin : NULL, ov ? ov : scalar(v));
        if (!text) return QSDR_EINVAL;
        var_t *var = &L->vars[L->n_vars++];
        var->name = qsdr_strdup(name);
        var->text = text;
        var->line = line_of(k);
        var->overridden = ov != NULL;
        var->is_num = parse_num(text, &var->num);
        if (!var->name) return QSDR_ENOMEM;
    }
    return QSDR_OK;
}

/* "<<: *a" or "<<: [*a, *b]" inside a block's params: set the merged mapping's parameters that
 * the params mapping itself does not give (earlier aliases in a list win, as in YAML 1.1) */
static int merge_params(loader *L, qsdr_flowgraph_t *fg, const char *id, yaml_node_t *params, yaml_node_t *key, yaml_node_t *v)
{
    yaml_node_item_t one = 0, *items = &one, *end = &one + 1;
    if (v->type == YAML_SEQUENCE_NODE) items = v->data.sequence.items.start, end = v->data.sequence.items.top;
    char where[600];
    for (yaml_node_item_t *it = items; it < end; it++) {
        yaml_node_t *m = v->type == YAML_SEQUENCE_NODE ? yaml_document_get_node(L->doc, *it) : v;
        if (!m || m->type != YAML_MAPPING_NODE)
            return lerr(L, key, "block '%s': '<<' merges a mapping of parameters (an alias such as *common, or a list of them)", id);
        for (yaml_node_pair_t *pr = m->data.mapping.pairs.start; pr < m->data.mapping.pairs.top; pr++) {
            yaml_node_t *k = yaml_document_get_node(L->doc, pr->key), *pv = yaml_document_get_node(L->doc, pr->value);
            const char *pname = scalar(k);
            if (!pname || !strcmp(pname, "<<")) return lerr(L, k, "block '%s': a merged mapping holds plain parameter names only", id);
            bool given = false; /* by the params mapping itself, or an earlier merged mapping */
            for (yaml_node_pair_t *q = params->data.mapping.pairs.start; q < params->data.mapping.pairs.top && !given; q++) {
                const char *o = scalar(yaml_document_get_node(L->doc, q->key));
                given = o && !strcmp(o, pname);
            }
            for (yaml_node_item_t *e = items; e < it && !given; e++) {
                yaml_node_t *pm = yaml_document_get_node(L->doc, *e);
                for (yaml_node_pair_t *q = pm->data.mapping.pairs.start; q < pm->data.mapping.pairs.top && !given; q++) {
                    const char *o = scalar(yaml_document_get_node(L->doc, q->key));
                    given = o && !strcmp(o, pname);
                }
            }
            if (given) continue;
            char *text = param_text(L, fg, id, pname, pv);
            if (!text) return QSDR_EINVAL;
            snprintf(where, sizeof where, "%s:%d (merged at line %d)", L->file, line_of(k), line_of(key));
            int rc = qsdr_fg_param_at(fg, id, pname, text, where);
            qsdr_free(text);
            if (rc) return rc;
        }
    }
    return QSDR_OK;
}

static int load_blocks(loader *L, qsdr_flowgraph_t *fg, yaml_node_t *n)
{
    if (n->type != YAML_SEQUENCE_NODE) return lerr(L, n, "'blocks' must be a list of {id, type, params}");
    for (yaml_node_item_t *it = n->data.sequence.items.start; it < n->data.sequence.items.top; it++) {
        yaml_node_t *b = yaml_document_get_node(L->doc, *it);
        if (!b || b->type != YAML_MAPPING_NODE) return lerr(L, b ? b : n, "each block must be a mapping with 'id' and 'type'");
        const char *id = NULL, *type = NULL;
        yaml_node_t *params = NULL, *idn = NULL;
        for (yaml_node_pair_t *pr = b->data.mapping.pairs.start; pr < b->data.mapping.pairs.top; pr++) {
            yaml_node_t *k = yaml_document_get_node(L->doc, pr->key), *v = yaml_document_get_node(L->doc, pr->value);
            const char *key = scalar(k);
            if (!key) return lerr(L, k, "block keys must be plain words");
            if (!strcmp(key, "id")) {
                if (!(id = scalar(v))) return lerr(L, v, "block 'id' must be a plain word");
                idn = v;
            } else if (!strcmp(key, "type")) {
                if (!(type = scalar(v))) return lerr(L, v, "block 'type' must be a plain word");
            } else if (!strcmp(key, "params")) {
                params = v;
            } else if (!strcmp(key, "comment") || !strcmp(key, "doc")) {
                continue;
            } else {
                return lerr(L, k, "unknown block key '%s' (%sexpected id, type, params, comment)", key,
                            qsdr_suggest_among(key, (const char *const[]){"id", "type", "params", "comment", NULL}));
            }
        }
        if (!id) return lerr(L, b, "block without 'id'");
        if (!type) return lerr(L, b, "block '%s' without 'type'", id);
        char where[600];
        snprintf(where, sizeof where, "%s:%d", L->file, line_of(idn));
        char *xid = expand(L, idn, NULL, id), *xtype = xid ? expand(L, idn, NULL, type) : NULL;
        int rc = xtype ? qsdr_fg_add_at(fg, xid, xtype, where) : QSDR_EINVAL;
        char idbuf[256];
        snprintf(idbuf, sizeof idbuf, "%s", xid ? xid : id);
        id = idbuf;
        qsdr_free(xid);
        qsdr_free(xtype);
        if (rc) return rc;
        if (params && params->type == YAML_SCALAR_NODE && !*scalar(params)) params = NULL; /* "params:" left empty */
        if (params) {
            if (params->type != YAML_MAPPING_NODE) return lerr(L, params, "block '%s': 'params' must be a mapping of name: value", id);
            /* YAML merge keys: "<<: *common" (or a list of aliases) takes the parameters of the
               anchored mapping(s), under those given here; first the merged ones, then these */
            for (int pass = 0; pass < 2; pass++)
                for (yaml_node_pair_t *pr = params->data.mapping.pairs.start; pr < params->data.mapping.pairs.top; pr++) {
                    yaml_node_t *k = yaml_document_get_node(L->doc, pr->key), *v = yaml_document_get_node(L->doc, pr->value);
                    const char *pname = scalar(k);
                    if (!pname) return lerr(L, k, "parameter names must be plain words");
                    bool merge = !strcmp(pname, "<<");
                    if (merge != (pass == 0)) continue;
                    if (merge) {
                        rc = merge_params(L, fg, id, params, k, v);
                        if (rc) return rc;
                        continue;
                    }
                    char *text = param_text(L, fg, id, pname, v);
                    if (!text) return QSDR_EINVAL;
                    snprintf(where, sizeof where, "%s:%d", L->file, line_of(k));
                    rc = qsdr_fg_param_at(fg, id, pname, text, where);
                    qsdr_free(text);
                    if (rc) return rc;
                }
        }
    }
    return QSDR_OK;
}

static int parse_endpoint(char *s, char **id, char **port)
{
    while (*s == ' ' || *s == '\t') s++;
    char *e = s + strlen(s);
    while (e > s && (e[-1] == ' ' || e[-1] == '\t')) *--e = 0;
    if (!*s) return -1;
    char *dot = strchr(s, '.');
    *id = s;
    *port = NULL;
    if (dot) {
        *dot = 0;
        *port = dot + 1;
        if (!**port) return -1;
    }
    return 0;
}

static int load_connections(loader *L, qsdr_flowgraph_t *fg, yaml_node_t *n)
{
    if (n->type != YAML_SEQUENCE_NODE) return lerr(L, n, "'connections' must be a list of 'src.port -> dst.port'");
    for (yaml_node_item_t *it = n->data.sequence.items.start; it < n->data.sequence.items.top; it++) {
        yaml_node_t *c = yaml_document_get_node(L->doc, *it);
        const char *text = scalar(c);
        if (!text) return lerr(L, c ? c : n, "each connection must be a string 'src.port -> dst.port'");
        char buf[512];
        snprintf(buf, sizeof buf, "%s", text);
        char *arrow = strstr(buf, "->");
        char *sid, *sp, *did, *dp;
        if (!arrow) return lerr(L, c, "connection '%s': expected 'src[.port] -> dst[.port]'", text);
        *arrow = 0;
        if (parse_endpoint(buf, &sid, &sp) || parse_endpoint(arrow + 2, &did, &dp))
            return lerr(L, c, "connection '%s': expected 'src[.port] -> dst[.port]'", text);
        char where[600];
        snprintf(where, sizeof where, "%s:%d", L->file, line_of(c));
        int rc = qsdr_fg_connect_at(fg, sid, sp, did, dp, where);
        if (rc) return rc;
    }
    return QSDR_OK;
}

static int load_options(loader *L, qsdr_flowgraph_t *fg, yaml_node_t *n)
{
    if (n->type != YAML_MAPPING_NODE) return lerr(L, n, "'options' must be a mapping");
    for (yaml_node_pair_t *pr = n->data.mapping.pairs.start; pr < n->data.mapping.pairs.top; pr++) {
        yaml_node_t *k = yaml_document_get_node(L->doc, pr->key), *v = yaml_document_get_node(L->doc, pr->value);
        const char *key = scalar(k);
        if (key && v && v->type == YAML_SEQUENCE_NODE) return lerr(L, v, "option '%s': expected a single value, got a list", key);
        char *text = v ? node_text(L, v) : NULL;
        if (!key || !text) {
            qsdr_free(text);
            return lerr(L, k, "options must be name: value");
        }
        char *end;
        errno = 0;
        unsigned long long u = strtoull(text, &end, qsdr_int_base(text));
        bool ok = *text && !*end && !errno && text[0] != '-';
        int rc = QSDR_OK;
        if (!strcmp(key, "seed")) {
            if (!ok) rc = lerr(L, v, "option 'seed': expected a non-negative integer, got '%s'", text);
            else qsdr_flowgraph_set_seed(fg, u);
        } else if (!strcmp(key, "buffer_items")) {
            if (!ok || u < 1 || u > (1ull << 26)) rc = lerr(L, v, "option 'buffer_items': expected an integer in [1, 67108864], got '%s'", text);
            else qsdr_flowgraph_set_buffer_items(fg, (size_t)u);
        } else {
            rc = lerr(L, k, "unknown option '%s' (%sexpected seed, buffer_items)", key,
                      qsdr_suggest_among(key, (const char *const[]){"seed", "buffer_items", NULL}));
        }
        qsdr_free(text);
        if (rc) return rc;
    }
    return QSDR_OK;
}

static int apply_block_overrides(loader *L, qsdr_flowgraph_t *fg)
{
    for (size_t i = 0; L->overrides && L->overrides[i]; i++) {
        char opt[32];
        const char *o = ov_body(L->overrides[i], opt, sizeof opt);
        const char *eq = strchr(o, '=');
        if (!eq || eq == o)
            return qsdr_error(QSDR_EINVAL, "%s '%s': expected id.param=value or variable=value", opt, o);
        const char *dot = memchr(o, '.', (size_t)(eq - o));
        if (!dot) {
            if (!L->override_used[i]) {
                char name[128];
                snprintf(name, sizeof name, "%.*s", (int)(eq - o), o);
                qsdr_suggest sg;
                qsdr_suggest_init(&sg, name);
                for (size_t v = 0; v < L->n_vars; v++) qsdr_suggest_add(&sg, L->vars[v].name, SIZE_MAX);
                const char *h = qsdr_suggest_hint(&sg);
                return qsdr_error(QSDR_EINVAL, "%s '%s': %s has no variable '%s' (%s%suse id.param=value for a block parameter)", opt, o, L->file,
                                  name, h, *h ? " " : "");
            }
            continue;
        }
        char id[128], pname[128];
        snprintf(id, sizeof id, "%.*s", (int)(dot - o), o);
        snprintf(pname, sizeof pname, "%.*s", (int)(eq - dot - 1), dot + 1);
        if (!qsdr_fg_find(fg, id))
            return qsdr_error(QSDR_EINVAL, "%s '%s': %s has no block with id '%s'%s", opt, o, L->file, id, qsdr_fg_id_hint(fg, id));
        char where[300];
        snprintf(where, sizeof where, "%s %s", opt, o);
        char *text = expand(L, NULL, where, eq + 1);
        if (!text) return QSDR_EINVAL;
        int rc = qsdr_fg_param_at(fg, id, pname, text, where);
        qsdr_free(text);
        if (rc) return rc;
    }
    return QSDR_OK;
}

static int load_doc(loader *L, qsdr_flowgraph_t *fg)
{
    yaml_node_t *root = yaml_document_get_root_node(L->doc);
    if (!root) return qsdr_error(QSDR_EINVAL, "%s:1: the file is empty (expected blocks: and connections:)", L->file);
    if (root->type != YAML_MAPPING_NODE) return lerr(L, root, "the top level must be a mapping with 'blocks' and 'connections'");
    yaml_node_t *vars = NULL, *blocks = NULL, *conns = NULL, *opts = NULL;
    for (yaml_node_pair_t *pr = root->data.mapping.pairs.start; pr < root->data.mapping.pairs.top; pr++) {
        yaml_node_t *k = yaml_document_get_node(L->doc, pr->key), *v = yaml_document_get_node(L->doc, pr->value);
        const char *key = scalar(k);
        if (!key) return lerr(L, k, "top-level keys must be plain words");
        if (!strcmp(key, "variables")) vars = v;
        else if (!strcmp(key, "blocks")) blocks = v;
        else if (!strcmp(key, "connections")) conns = v;
        else if (!strcmp(key, "options")) opts = v;
        else if (!strcmp(key, "name") || !strcmp(key, "description")) continue;
        else
            return lerr(L, k, "unknown top-level key '%s' (%sexpected name, description, options, variables, blocks, connections)", key,
                        qsdr_suggest_among(key, (const char *const[]){"name", "description", "options", "variables", "blocks", "connections", NULL}));
    }
    int rc;
    if (vars && (rc = load_variables(L, vars))) return rc;
    if (opts && (rc = load_options(L, fg, opts))) return rc;
    if (!blocks) return lerr(L, root, "no 'blocks:' list");
    if ((rc = load_blocks(L, fg, blocks))) return rc;
    if ((rc = apply_block_overrides(L, fg))) return rc;
    if (conns && (rc = load_connections(L, fg, conns))) return rc;
    return QSDR_OK;
}

static int load_common(yaml_parser_t *parser, const char *name, const char *const *overrides, qsdr_flowgraph_t **out)
{
    *out = NULL;
    loader L = {.file = name, .overrides = overrides};
    size_t n_ov = 0;
    while (overrides && overrides[n_ov]) n_ov++;
    L.override_used = qsdr_calloc(n_ov + 1, sizeof(bool));
    if (!L.override_used) return qsdr_error(QSDR_ENOMEM, "out of memory");
    yaml_document_t doc;
    if (!yaml_parser_load(parser, &doc)) {
        int rc = qsdr_error(QSDR_EINVAL, "%s:%d:%d: YAML syntax error: %s%s%s", name, (int)parser->problem_mark.line + 1,
                            (int)parser->problem_mark.column + 1, parser->problem ? parser->problem : "unknown",
                            parser->context ? " " : "", parser->context ? parser->context : "");
        qsdr_free(L.override_used);
        return rc;
    }
    L.doc = &doc;
    /* built-in text variable: the directory of the flowgraph file ("." for text without a
     * path), so a flowgraph can name files beside it: ${flowgraph_dir}/../models/... */
    const char *slash = strrchr(name, '/');
    var_t *dv = &L.vars[L.n_vars++];
    dv->name = qsdr_strdup("flowgraph_dir");
    dv->text = slash ? qsdr_malloc((size_t)(slash - name) + 2) : qsdr_strdup(".");
    if (slash && dv->text) snprintf(dv->text, (size_t)(slash - name) + 2, "%.*s", slash == name ? 1 : (int)(slash - name), name);
    qsdr_flowgraph_t *fg = dv->name && dv->text ? qsdr_flowgraph_create() : NULL;
    int rc = fg ? load_doc(&L, fg) : QSDR_ENOMEM;
    if (fg && !rc && !(fg->origin = qsdr_strdup(name))) rc = QSDR_ENOMEM;
    yaml_document_delete(&doc);
    for (size_t i = 0; i < L.n_vars; i++) {
        qsdr_free(L.vars[i].name);
        qsdr_free(L.vars[i].text);
    }
    qsdr_free(L.override_used);
    if (rc) {
        qsdr_flowgraph_destroy(&fg);
        return rc;
    }
    *out = fg;
    return QSDR_OK;
}

int qsdr_flowgraph_load(const char *path, const char *const *overrides, qsdr_flowgraph_t **out)
{
    *out = NULL;
    /* flowgraphs are a few kB; read whole for the nesting check */
    char *text;
    size_t n;
    int rrc = qsdr_read_file(path, 16 << 20, "flowgraph file", &text, &n);
    if (rrc) return rrc == QSDR_ENOMEM ? rrc : QSDR_EINVAL;
    if (memchr(text, 0, n)) {
        qsdr_free(text);
        return qsdr_error(QSDR_EINVAL, "%s: not a text file (it contains a NUL byte)", path);
    }
    int rc = qsdr_flowgraph_load_string(text, path, overrides, out);
    qsdr_free(text);
    return rc;
}

int qsdr_flowgraph_load_string(const char *text, const char *name, const char *const *overrides, qsdr_flowgraph_t **out)
{
    *out = NULL;
    name = name ? name : "<string>";
    size_t len = strlen(text);
    int deep = qsdr_yaml_too_deep(text, len);
    if (deep) return qsdr_error(QSDR_EINVAL, "%s:%d: lists or mappings nested more than %d deep", name, deep, QSDR_YAML_MAX_DEPTH);
    yaml_parser_t parser;
    yaml_parser_initialize(&parser);
    yaml_parser_set_input_string(&parser, (const unsigned char *)text, len);
    int rc = load_common(&parser, name, overrides, out);
    yaml_parser_delete(&parser);
    return rc;
}
