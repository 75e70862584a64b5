/* SPDX-License-Identifier: MIT */
/* Spec text to cJSON (spec.c). */
#ifndef QSDR_NN_SPEC_H
#define QSDR_NN_SPEC_H
/* Parse YAML or JSON text into a cJSON object; NULL with a file:line message on error. */
void *qsdr_nn_spec_parse(const char *text, const char *origin);

#include <stdbool.h>

#include <cjson/cJSON.h>
/* v is a number with an integer value in [lo, hi] (NaN, infinities and fractions are not), so
 * that casting it is defined. */
static inline bool qsdr_nn_json_int(const cJSON *v, double lo, double hi)
{
    return cJSON_IsNumber(v) && v->valuedouble >= lo && v->valuedouble <= hi && v->valuedouble == (double)(long long)v->valuedouble;
}
#endif
