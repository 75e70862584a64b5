/* SPDX-License-Identifier: MIT */
/* Model spec text (YAML or JSON) to a cJSON tree. YAML plain scalars that read as numbers,
 * booleans or null become those JSON types; quoted scalars stay strings. */
#include <cjson/cJSON.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>

#include "nn/nn_internal.h"
#include "nn/spec.h"
#include "runtime/yaml_guard.h"

typedef struct {
    qsdr_nn_spec_pos *v; /* NULL: lines not wanted */
    size_t n, cap;
    bool failed;
} lines;

static cJSON *note_line(lines *L, cJSON *node, size_t line0)
{
    if (!node || !L->v) return node;
    if (L->n == L->cap) {
        size_t cap = L->cap * 2;
        qsdr_nn_spec_pos *nv = qsdr_realloc(L->v, cap * sizeof *nv);
        if (!nv) {
            L->failed = true;
            return node;
        }
        L->v = nv, L->cap = cap;
    }
    L->v[L->n++] = (qsdr_nn_spec_pos){node, (unsigned)(line0 + 1)};
    return node;
}

static cJSON *node_to_json(yaml_document_t *doc, yaml_node_t *n, int depth, lines *L)
{
    if (!n || depth > 64) return NULL;
    switch (n->type) {
    case YAML_SCALAR_NODE: {
        const char *s = (const char *)n->data.scalar.value;
        if (n->data.scalar.style == YAML_PLAIN_SCALAR_STYLE) {
            if (!strcmp(s, "true") || !strcmp(s, "True")) return cJSON_CreateBool(1);
            if (!strcmp(s, "false") || !strcmp(s, "False")) return cJSON_CreateBool(0);
            if (!strcmp(s, "null") || !strcmp(s, "~") || !*s) return cJSON_CreateNull();
            char *end;
            double v = strtod(s, &end);
            if (end != s && !*end && isfinite(v)) return cJSON_CreateNumber(v); /* nan, inf: stay text */
        }
        return cJSON_CreateString(s);
    }
    case YAML_SEQUENCE_NODE: {
        cJSON *a = cJSON_CreateArray();
        for (yaml_node_item_t *it = n->data.sequence.items.start; a && it < n->data.sequence.items.top; it++) {
            yaml_node_t *en = yaml_document_get_node(doc, *it);
            cJSON *e = en ? note_line(L, node_to_json(doc, en, depth + 1, L), en->start_mark.line) : NULL;
            if (!e) {
                cJSON_Delete(a);
                return NULL;
            }
            cJSON_AddItemToArray(a, e);
        }
        return a;
    }
    case YAML_MAPPING_NODE: {
        cJSON *o = cJSON_CreateObject();
        for (yaml_node_pair_t *p = n->data.mapping.pairs.start; o && p < n->data.mapping.pairs.top; p++) {
            yaml_node_t *k = yaml_document_get_node(doc, p->key);
            if (!k || k->type != YAML_SCALAR_NODE) {
                cJSON_Delete(o);
                return NULL;
            }
            cJSON *v = note_line(L, node_to_json(doc, yaml_document_get_node(doc, p->value), depth + 1, L), k->start_mark.line);
            if (!v) {
                cJSON_Delete(o);
                return NULL;
            }
            cJSON_AddItemToObject(o, (const char *)k->data.scalar.value, v);
        }
        return o;
    }
    default: return NULL;
    }
}

const char *qsdr_nn_spec_at(const qsdr_nn_spec_pos *pos, size_t n_pos, const void *node, const char *origin)
{
    static _Thread_local char buf[8][320];
    static _Thread_local unsigned next;
    for (size_t i = 0; node && i < n_pos; i++)
        if (pos[i].node == node) {
            char *b = buf[next++ % 8];
            snprintf(b, sizeof buf[0], "%s:%u", origin, pos[i].line);
            return b;
        }
    return origin;
}

const char *qsdr_nn_spec_show(const void *value)
{
    static _Thread_local char buf[8][96];
    static _Thread_local unsigned next;
    const cJSON *v = value;
    char *b = buf[next++ % 8];
    if (!v) snprintf(b, sizeof buf[0], "nothing");
    else if (cJSON_IsNumber(v)) snprintf(b, sizeof buf[0], "%g", v->valuedouble);
    else if (cJSON_IsString(v)) snprintf(b, sizeof buf[0], "'%.60s%s'", v->valuestring, strlen(v->valuestring) > 60 ? "..." : "");
    else snprintf(b, sizeof buf[0], "%s", cJSON_IsArray(v) ? "a list" : cJSON_IsObject(v) ? "a mapping" : cJSON_IsTrue(v) ? "true" : cJSON_IsFalse(v) ? "false" : "null");
    return b;
}

void *qsdr_nn_spec_parse(const char *text, const char *origin, qsdr_nn_spec_pos **pos, size_t *n_pos)
{
    lines L = {NULL, 0, 0, false};
    if (pos) *pos = NULL, *n_pos = 0;
    yaml_parser_t p;
    yaml_document_t doc;
    int deep = qsdr_yaml_too_deep(text, strlen(text));
    if (deep) return qsdr_error_null(QSDR_EFORMAT, "%s:%d: lists or mappings nested more than %d deep", origin, deep, QSDR_YAML_MAX_DEPTH);
    if (!yaml_parser_initialize(&p)) return qsdr_error_null(QSDR_ENOMEM, "%s: cannot create a YAML parser", origin);
    yaml_parser_set_input_string(&p, (const unsigned char *)text, strlen(text));
    if (!yaml_parser_load(&p, &doc)) {
        qsdr_error(QSDR_EFORMAT, "%s:%zu:%zu: %s %s", origin, p.problem_mark.line + 1, p.problem_mark.column + 1,
                   p.problem ? p.problem : "YAML error", p.context ? p.context : "");
        yaml_parser_delete(&p);
        return NULL;
    }
    if (pos && (L.v = qsdr_malloc(64 * sizeof *L.v))) L.cap = 64;
    L.failed = pos && !L.v;
    yaml_node_t *root = L.failed ? NULL : yaml_document_get_root_node(&doc);
    cJSON *j = root ? note_line(&L, node_to_json(&doc, root, 0, &L), root->start_mark.line) : NULL;
    yaml_document_delete(&doc);
    yaml_parser_delete(&p);
    if (!j || !cJSON_IsObject(j) || L.failed) {
        cJSON_Delete(j);
        qsdr_free(L.v);
        if (L.failed) return qsdr_error_null(QSDR_ENOMEM, "%s: out of memory", origin);
        return qsdr_error_null(QSDR_EFORMAT, "%s: a model spec must be a mapping with at least `input` and `layers`",
                               origin);
    }
    if (pos) *pos = L.v, *n_pos = L.n;
    return j;
}
