/* SPDX-License-Identifier: MIT */
/* Test runner: `qsdr_tests` runs every non-opt-in test, `qsdr_tests NAME...` runs those,
 * `qsdr_tests --list` lists NAME LABEL. Prints "N passed, N failed". */
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "qsdr/common.h"
#include "qsdr/flowgraph.h"
#include "qsdr_test.h"

#define MAX_TESTS 512
static struct {
    const char *name, *label, *desc;
    qsdr_test_fn fn;
} g_tests[MAX_TESTS];
static int g_n;
jmp_buf qsdr_test_jmp;
int qsdr_test_failures;
const char *qsdr_test_src_dir = QSDR_SOURCE_DIR;
const char *qsdr_test_build_dir = QSDR_BINARY_DIR;

void qsdr_test_register(const char *name, const char *label, const char *desc, qsdr_test_fn fn)
{
    if (g_n < MAX_TESTS) {
        g_tests[g_n].name = name;
        g_tests[g_n].label = label;
        g_tests[g_n].desc = desc;
        g_tests[g_n].fn = fn;
        g_n++;
    }
}

void qsdr_test_fail(const char *file, int line, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fprintf(stderr, "  FAIL %s:%d: ", file, line);
    vfprintf(stderr, fmt, ap);
    fprintf(stderr, "\n");
    va_end(ap);
    qsdr_test_failures++;
}

static int run_one(int i)
{
    qsdr_test_failures = 0;
    printf("[ RUN  ] %s (%s): %s\n", g_tests[i].name, g_tests[i].label, g_tests[i].desc);
    fflush(stdout);
    double t0 = qsdr_now();
    if (!setjmp(qsdr_test_jmp)) g_tests[i].fn();
    int ok = qsdr_test_failures == 0;
    printf("[ %s ] %s (%.2f s)\n", ok ? " OK " : "FAIL", g_tests[i].name, qsdr_now() - t0);
    fflush(stdout);
    return ok;
}

int main(int argc, char **argv)
{
    if (getenv("QSDR_TEST_SRC_DIR")) qsdr_test_src_dir = getenv("QSDR_TEST_SRC_DIR");
    if (argc > 1 && !strcmp(argv[1], "--list")) {
        for (int i = 0; i < g_n; i++) printf("%s %s\n", g_tests[i].name, g_tests[i].label);
        return 0;
    }
    int pass = 0, fail = 0;
    if (argc > 1) {
        for (int a = 1; a < argc; a++) {
            int found = 0;
            for (int i = 0; i < g_n; i++)
                if (!strcmp(g_tests[i].name, argv[a])) {
                    found = 1;
                    run_one(i) ? pass++ : fail++;
                }
            if (!found) {
                fprintf(stderr, "no test named '%s'\n", argv[a]);
                fail++;
            }
        }
    } else {
        for (int i = 0; i < g_n; i++)
            if (strcmp(g_tests[i].label, "long")) run_one(i) ? pass++ : fail++;
    }
    printf("%d passed, %d failed\n", pass, fail);
    return fail ? 1 : 0;
}

struct qsdr_flowgraph *qsdr_test_run_bits_llr(const char *yaml, unsigned long long seed, size_t n, const unsigned char **bits,
                                              const float **llr)
{
    qsdr_flowgraph_t *fg = NULL;
    if (qsdr_flowgraph_load_string(yaml, "test.yml", NULL, &fg) != QSDR_OK) {
        qsdr_test_fail(__FILE__, __LINE__, "load: %s", qsdr_last_error());
        longjmp(qsdr_test_jmp, 1);
    }
    qsdr_flowgraph_set_seed(fg, seed);
    size_t nb = 0, nl = 0;
    if (qsdr_flowgraph_run(fg, QSDR_SCHED_SERIAL) != QSDR_OK || qsdr_vector_sink_data(fg, "bits", (const void **)bits, &nb, NULL, NULL) ||
        qsdr_vector_sink_data(fg, "llr", (const void **)llr, &nl, NULL, NULL) || nb != n || nl != n) {
        qsdr_test_fail(__FILE__, __LINE__, "run: %s (bits %zu, llrs %zu, expected %zu)", qsdr_last_error(), nb, nl, n);
        qsdr_flowgraph_destroy(&fg);
        longjmp(qsdr_test_jmp, 1);
    }
    return fg;
}

double qsdr_test_stat(struct qsdr_flowgraph *fg, const char *id, const char *name)
{
    qsdr_stats st;
    if (qsdr_flowgraph_stats(fg, id, &st)) return NAN;
    for (size_t k = 0; k < st.n; k++)
        if (!strcmp(st.v[k].name, name)) return st.v[k].value;
    return NAN;
}
