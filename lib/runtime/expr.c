/* SPDX-License-Identifier: MIT */
/* A small arithmetic evaluator for flowgraph variables: numbers, names, + - * / %,
 * unary minus, parentheses and a few functions (sqrt, log2, log10, exp, pow, min, max). */
#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "runtime_internal.h"

typedef struct {
    const char *s, *p;
    qsdr_expr_lookup lookup;
    void *user;
    char *err;
    size_t errlen;
    int failed;
} parser;

static double expr(parser *ps);

static void fail(parser *ps, const char *msg)
{
    if (ps->failed) return;
    ps->failed = 1;
    snprintf(ps->err, ps->errlen, "%s at position %d in expression '%s'", msg, (int)(ps->p - ps->s) + 1, ps->s);
}

static void skip(parser *ps)
{
    while (isspace((unsigned char)*ps->p)) ps->p++;
}

static double primary(parser *ps)
{
    skip(ps);
    if (ps->failed) return 0;
    char c = *ps->p;
    if (c == '(') {
        ps->p++;
        double v = expr(ps);
        skip(ps);
        if (*ps->p != ')') fail(ps, "expected ')'");
        else ps->p++;
        return v;
    }
    if (c == '-') {
        ps->p++;
        return -primary(ps);
    }
    if (c == '+') {
        ps->p++;
        return primary(ps);
    }
    if (isdigit((unsigned char)c) || c == '.') {
        char *end;
        double v = strtod(ps->p, &end);
        if (end == ps->p) fail(ps, "bad number");
        ps->p = end;
        return v;
    }
    if (isalpha((unsigned char)c) || c == '_') {
        char name[64];
        size_t n = 0;
        while ((isalnum((unsigned char)*ps->p) || *ps->p == '_') && n < sizeof name - 1) name[n++] = *ps->p++;
        name[n] = 0;
        skip(ps);
        if (*ps->p == '(') {
            ps->p++;
            double a = expr(ps), b = 0;
            int two = 0;
            skip(ps);
            if (*ps->p == ',') {
                ps->p++;
                b = expr(ps);
                two = 1;
                skip(ps);
            }
            if (*ps->p != ')') {
                fail(ps, "expected ')' after function arguments");
                return 0;
            }
            ps->p++;
            if (!two && !strcmp(name, "sqrt")) return sqrt(a);
            if (!two && !strcmp(name, "log2")) return log2(a);
            if (!two && !strcmp(name, "log10")) return log10(a);
            if (!two && !strcmp(name, "exp")) return exp(a);
            if (!two && !strcmp(name, "floor")) return floor(a);
            if (!two && !strcmp(name, "ceil")) return ceil(a);
            if (two && !strcmp(name, "pow")) return pow(a, b);
            if (two && !strcmp(name, "min")) return a < b ? a : b;
            if (two && !strcmp(name, "max")) return a > b ? a : b;
            char m[128];
            snprintf(m, sizeof m, "unknown function '%s' with %d argument(s)", name, two ? 2 : 1);
            fail(ps, m);
            return 0;
        }
        double v = 0;
        if (!ps->lookup || ps->lookup(ps->user, name, &v) != 0) {
            char m[128];
            snprintf(m, sizeof m, "unknown variable '%s'", name);
            fail(ps, m);
        }
        return v;
    }
    fail(ps, c ? "unexpected character" : "unexpected end");
    return 0;
}

static double term(parser *ps)
{
    double v = primary(ps);
    for (;;) {
        skip(ps);
        char c = *ps->p;
        if (c != '*' && c != '/' && c != '%') return v;
        ps->p++;
        double r = primary(ps);
        if (c == '*') v *= r;
        else if (r == 0) {
            fail(ps, "division by zero");
            return 0;
        } else if (c == '/') v /= r;
        else v = fmod(v, r);
    }
}

static double expr(parser *ps)
{
    double v = term(ps);
    for (;;) {
        skip(ps);
        char c = *ps->p;
        if (c != '+' && c != '-') return v;
        ps->p++;
        double r = term(ps);
        v = c == '+' ? v + r : v - r;
    }
}

int qsdr_expr_eval(const char *text, qsdr_expr_lookup lookup, void *user, double *out, char *err, size_t errlen)
{
    parser ps = {text, text, lookup, user, err, errlen, 0};
    double v = expr(&ps);
    skip(&ps);
    if (!ps.failed && *ps.p) fail(&ps, "unexpected trailing text");
    if (!ps.failed && !isfinite(v)) fail(&ps, "result is not finite");
    if (ps.failed) return QSDR_EINVAL;
    *out = v;
    return QSDR_OK;
}
