/* SPDX-License-Identifier: MIT */
/* Spec text to cJSON (spec.c). */
#ifndef QSDR_NN_SPEC_H
#define QSDR_NN_SPEC_H
#include <stddef.h>

/* Where a spec node stands in its text: the line of its key (a mapping's value) or its own line
 * (a list item, the root). */
typedef struct qsdr_nn_spec_pos_s {
    const void *node;
    unsigned line;
} qsdr_nn_spec_pos;

/* Parse YAML or JSON text into a cJSON object; NULL with a file:line message on error. With pos,
 * *pos (qsdr_free) and *n_pos get every node's line. */
void *qsdr_nn_spec_parse(const char *text, const char *origin, qsdr_nn_spec_pos **pos, size_t *n_pos);
/* "origin:line" of node, or origin where the node has no recorded line (a spec read back from a
 * model file, a NULL node); the text lives in a per-thread ring of 8 buffers, for an error
 * message formatted at once. */
const char *qsdr_nn_spec_at(const qsdr_nn_spec_pos *pos, size_t n_pos, const void *node, const char *origin);
/* A spec value for a message, in a per-thread ring of its own: a number (%g), 'text', or its kind (a list, a
 * mapping, true, false, null). */
const char *qsdr_nn_spec_show(const void *value);

#include <stdbool.h>

#include <cjson/cJSON.h>
/* v is a number with an integer value in [lo, hi] (NaN, infinities and fractions are not), so
 * that casting it is defined. */
static inline bool qsdr_nn_json_int(const cJSON *v, double lo, double hi)
{
    return cJSON_IsNumber(v) && v->valuedouble >= lo && v->valuedouble <= hi && v->valuedouble == (double)(long long)v->valuedouble;
}
#endif
