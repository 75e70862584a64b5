/* SPDX-License-Identifier: MIT */
/* Spec text to cJSON (spec.c). */
#ifndef QSDR_NN_SPEC_H
#define QSDR_NN_SPEC_H
/* Parse YAML or JSON text into a cJSON object; NULL with a file:line message on error. */
void *qsdr_nn_spec_parse(const char *text, const char *origin);
#endif
