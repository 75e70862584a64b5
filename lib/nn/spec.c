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

static cJSON *node_to_json(yaml_document_t *doc, yaml_node_t *n, int depth)
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
            cJSON *e = node_to_json(doc, yaml_document_get_node(doc, *it), depth + 1);
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
            cJSON *v = node_to_json(doc, yaml_document_get_node(doc, p->value), depth + 1);
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

void *qsdr_nn_spec_parse(const char *text, const char *origin)
{
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
    yaml_node_t *root = yaml_document_get_root_node(&doc);
    cJSON *j = root ? node_to_json(&doc, root, 0) : NULL;
    yaml_document_delete(&doc);
    yaml_parser_delete(&p);
    if (!j || !cJSON_IsObject(j)) {
        cJSON_Delete(j);
        return qsdr_error_null(QSDR_EFORMAT, "%s: a model spec must be a mapping with at least `input` and `layers`",
                               origin);
    }
    return j;
}
