/* SPDX-License-Identifier: MIT */
/* The qsdr test framework: one runner (qsdr_tests), tests registered by macro with a label. */
#ifndef QSDR_TEST_H
#define QSDR_TEST_H

#include <math.h>
#include <setjmp.h>
#include <stddef.h>
#include <stdio.h>

typedef void (*qsdr_test_fn)(void);
void qsdr_test_register(const char *name, const char *label, const char *desc, qsdr_test_fn fn);
void qsdr_test_fail(const char *file, int line, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
extern jmp_buf qsdr_test_jmp;
extern int qsdr_test_failures;
/* Path of the source tree (for flowgraph files) and of the build tree. */
extern const char *qsdr_test_src_dir;
extern const char *qsdr_test_build_dir;

/* QSDR_TEST(name, label, description): label is "unit", "qa", "ber" or "long" (opt-in). */
#define QSDR_TEST(name, label, desc)                                                 \
    static void qsdr_test_##name(void);                                              \
    __attribute__((constructor)) static void qsdr_test_reg_##name(void)              \
    {                                                                                \
        qsdr_test_register(#name, label, desc, qsdr_test_##name);                    \
    }                                                                                \
    static void qsdr_test_##name(void)

/* max(m, x) that keeps a NaN (fmax() drops it, so a NaN result would pass a tolerance check).
 * Also keeps GCC 12's aarch64 vectorizer off fmax() reductions of widened floats, which crash
 * it (internal compiler error in vect_transform_reduction). */
static inline double qsdr_test_max(double m, double x) { return (x > m || x != x) ? x : m; }

/* Runs a flowgraph (YAML text; seed; serial scheduler) whose vector sinks "bits" (type bit) and
 * "llr" (type f32) must each hold n items, and points *bits and *llr at them: a failed load or
 * run, or other counts, fail the test (longjmp). Destroy the returned flowgraph after use. */
struct qsdr_flowgraph;
struct qsdr_flowgraph *qsdr_test_run_bits_llr(const char *yaml, unsigned long long seed, size_t n, const unsigned char **bits,
                                              const float **llr);
/* The statistic `name` of block `id` (qsdr_flowgraph_stats), NaN when there is none. */
double qsdr_test_stat(struct qsdr_flowgraph *fg, const char *id, const char *name);

#define QSDR_CHECK(c)                                                                \
    do {                                                                             \
        if (!(c)) qsdr_test_fail(__FILE__, __LINE__, "check failed: %s", #c);        \
    } while (0)
#define QSDR_CHECK_MSG(c, ...)                                                       \
    do {                                                                             \
        if (!(c)) qsdr_test_fail(__FILE__, __LINE__, __VA_ARGS__);                   \
    } while (0)
#define QSDR_REQUIRE(c)                                                              \
    do {                                                                             \
        if (!(c)) {                                                                  \
            qsdr_test_fail(__FILE__, __LINE__, "requirement failed: %s", #c);       \
            longjmp(qsdr_test_jmp, 1);                                               \
        }                                                                            \
    } while (0)
#define QSDR_CHECK_NEAR(a, b, tol)                                                   \
    do {                                                                             \
        double qa_ = (double)(a), qb_ = (double)(b), qt_ = (double)(tol);            \
        if (!(fabs(qa_ - qb_) <= qt_))                                               \
            qsdr_test_fail(__FILE__, __LINE__, "%s = %.9g, %s = %.9g, |diff| %.3g > %.3g", #a, qa_, #b, qb_, \
                           fabs(qa_ - qb_), qt_);                                    \
    } while (0)
#define QSDR_CHECK_EQ_INT(a, b)                                                      \
    do {                                                                             \
        long long qa_ = (long long)(a), qb_ = (long long)(b);                        \
        if (qa_ != qb_) qsdr_test_fail(__FILE__, __LINE__, "%s = %lld, expected %s = %lld", #a, qa_, #b, qb_); \
    } while (0)
/* Compare arrays element by element; reports the first 5 mismatches as index, expected, actual. */
#define QSDR_CHECK_ARRAY(got, want, n, tol)                                          \
    do {                                                                             \
        size_t qbad_ = 0;                                                            \
        for (size_t qi_ = 0; qi_ < (size_t)(n); qi_++) {                             \
            double qg_ = (double)(got)[qi_], qw_ = (double)(want)[qi_];              \
            if (!(fabs(qg_ - qw_) <= (tol)) && !(qg_ == qw_)) {                      \
                if (qbad_ < 5) qsdr_test_fail(__FILE__, __LINE__, "%s[%zu]: expected %.9g, got %.9g", #got, qi_, qw_, qg_); \
                qbad_++;                                                             \
            }                                                                        \
        }                                                                            \
        if (qbad_ > 5) qsdr_test_fail(__FILE__, __LINE__, "%s: %zu mismatches in all", #got, qbad_); \
    } while (0)

#endif
