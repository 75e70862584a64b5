/* SPDX-License-Identifier: MIT */
/* A check run on YAML text before libyaml sees it (flowgraphs, model specs). Deeply nested flow
 * collections ("[[[[...]]]]") make libyaml's scanner quadratic in the depth (it rescans its
 * simple-key stack, one entry per flow level, for every token): 400 kB of brackets took about
 * 90 s. Nothing qsdr reads nests more than a few levels, so deeper text is refused at once. */
#ifndef QSDR_YAML_GUARD_H
#define QSDR_YAML_GUARD_H

#include <stddef.h>

#define QSDR_YAML_MAX_DEPTH 64

/* The 1-based line where flow nesting ('[' '{') first exceeds QSDR_YAML_MAX_DEPTH, or 0.
 * Quoted scalars and comments are skipped; a quote or '#' inside a plain scalar is text. */
static inline int qsdr_yaml_too_deep(const char *t, size_t n)
{
    int depth = 0, line = 1;
    char q = 0; /* the open quote, if inside a quoted scalar */
    for (size_t i = 0; i < n; i++) {
        char c = t[i], prev = i ? t[i - 1] : '\n';
        if (c == '\n') line++;
        if (q) {
            if (q == '"' && c == '\\' && i + 1 < n) i++;        /* escape in a double-quoted scalar */
            else if (c == q && q == '\'' && i + 1 < n && t[i + 1] == '\'') i++; /* '' in a single-quoted one */
            else if (c == q) q = 0;
            continue;
        }
        int starts = prev == '\n' || prev == ' ' || prev == '\t' || prev == '[' || prev == '{' || prev == ',' || prev == ':';
        if ((c == '"' || c == '\'') && starts) q = c;
        else if (c == '#' && (prev == '\n' || prev == ' ' || prev == '\t'))
            while (i + 1 < n && t[i + 1] != '\n') i++;
        else if (c == '[' || c == '{') {
            if (++depth > QSDR_YAML_MAX_DEPTH) return line;
        } else if ((c == ']' || c == '}') && depth > 0)
            depth--;
    }
    return 0;
}

#endif
