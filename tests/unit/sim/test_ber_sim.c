/* SPDX-License-Identifier: MIT */
/* BER engine: identical counts for 1, 2 and 3 threads; stop rules; uncoded QPSK inside its
 * confidence intervals of theory; Wilson interval; bad configurations. */
#include <math.h>
#include <string.h>

#include "qsdr/qsdr.h"
#include "qsdr_test.h"

static const char *qpsk_yaml = "blocks:\n"
                               "  - {id: src, type: random_source}\n"
                               "  - {id: map, type: mapper, params: {modulation: qpsk}}\n"
                               "  - {id: awgn, type: awgn, params: {bits_per_symbol: 2}}\n"
                               "  - {id: dm, type: demapper}\n"
                               "  - {id: hd, type: hard_decision}\n"
                               "  - {id: ber, type: ber, params: {frame_size: 1000}}\n"
                               "connections: [src -> map, map -> awgn, awgn -> dm, dm -> hd, hd -> ber.in, src -> ber.ref]\n";

static qsdr_ber_config base_cfg(const double *x, size_t nx, unsigned threads)
{
    qsdr_ber_config c = {.text = qpsk_yaml, .name = "qpsk.yml", .sweep_param = "awgn.ebn0_db", .x = x, .nx = nx, .seed = 5,
                         .threads = threads, .min_frame_errors = 50};
    return c;
}

QSDR_TEST(ber_sim_threads_identical, "unit",
          "qsdr ber counts are identical for 1, 2 and 3 threads, and with 3 when the system refuses a thread (its unit runs "
          "on the calling thread)")
{
    double x[] = {0, 3, 6, 8};
    qsdr_ber_point ref[4];
    memset(ref, 0, sizeof ref);
    for (unsigned k = 1; k <= 5; k++) {
        unsigned t = k <= 3 ? k : 3;
        qsdr_ber_config c = base_cfg(x, 4, t);
        qsdr_ber_sim_t *s = qsdr_ber_sim_create(&c);
        QSDR_REQUIRE(s);
        QSDR_CHECK_EQ_INT(qsdr_ber_sim_frames_per_unit(s), 66); /* ceil(65536 / 1000) */
        qsdr_test_fail_thread_after(k == 4 ? 1 : k == 5 ? 3 : 0); /* the first / third thread of the first round */
        QSDR_CHECK_EQ_INT(qsdr_ber_sim_run(s), QSDR_OK);
        qsdr_test_fail_thread_after(0);
        qsdr_ber_point *r = qsdr_ber_sim_results(s);
        for (int p = 0; p < 4; p++) {
            QSDR_CHECK(r[p].done);
            if (k == 1) ref[p] = r[p];
            else {
                QSDR_CHECK_EQ_INT(r[p].frames, ref[p].frames);
                QSDR_CHECK_EQ_INT(r[p].bit_errors, ref[p].bit_errors);
                QSDR_CHECK_EQ_INT(r[p].frame_errors, ref[p].frame_errors);
                QSDR_CHECK_EQ_INT(r[p].bits, ref[p].bits);
            }
        }
        qsdr_ber_sim_destroy(&s);
    }
}

QSDR_TEST(ber_sim_stop_rules, "unit", "min frame errors stops at the first unit reaching it; max frames; BER floor ends a curve")
{
    double x[] = {7, 9, 11};
    qsdr_ber_config c = base_cfg(x, 3, 2);
    c.min_frame_errors = 40;
    c.max_frames = 66 * 5;
    c.ber_floor = 1e-4;
    qsdr_ber_sim_t *s = qsdr_ber_sim_create(&c);
    QSDR_REQUIRE(s);
    QSDR_CHECK_EQ_INT(qsdr_ber_sim_run(s), QSDR_OK);
    qsdr_ber_point *r = qsdr_ber_sim_results(s);
    /* 7 dB: BER 7.7e-4 with 1000-bit frames -> FER ~0.5: reaches 40 frame errors in 2 units */
    QSDR_CHECK(r[0].done && !strcmp(r[0].stop, "frame errors"));
    QSDR_CHECK(r[0].frame_errors >= 40);
    QSDR_CHECK_EQ_INT(r[0].frames % 66, 0);
    /* 9 dB: BER 3.4e-5: FER ~3 %, 40 errors would need ~1300 frames: max frames (330) ends it */
    QSDR_CHECK(r[1].done && !strcmp(r[1].stop, "max frames"));
    QSDR_CHECK_EQ_INT(r[1].frames, 330);
    /* BER at 9 dB < 1e-4: the floor skips 11 dB */
    QSDR_CHECK_EQ_INT(r[2].frames, 0);
    qsdr_ber_sim_destroy(&s);
    /* exactly at the rule: at -30 dB every 1000-bit frame is wrong, and min_frame_errors 132 is
       one round of 2 threads x 66 frames: it stops after that round (frame errors >= the
       minimum), not one round later */
    double xl[] = {-30};
    c = base_cfg(xl, 1, 2);
    c.min_frame_errors = 132;
    s = qsdr_ber_sim_create(&c);
    QSDR_REQUIRE(s);
    QSDR_CHECK_EQ_INT(qsdr_ber_sim_run(s), QSDR_OK);
    r = qsdr_ber_sim_results(s);
    QSDR_CHECK_EQ_INT(r[0].frames, 132);
    QSDR_CHECK_EQ_INT(r[0].frame_errors, 132);
    qsdr_ber_sim_destroy(&s);
}

QSDR_TEST(ber_sim_qpsk_theory, "ber", "uncoded QPSK 0..8 dB: theory inside each point's 99.9 % Wilson interval")
{
    double x[] = {0, 1, 2, 3, 4, 5, 6, 7, 8};
    qsdr_ber_config c = base_cfg(x, 9, 2);
    c.min_frame_errors = 200;
    qsdr_ber_sim_t *s = qsdr_ber_sim_create(&c);
    QSDR_REQUIRE(s);
    QSDR_CHECK_EQ_INT(qsdr_ber_sim_run(s), QSDR_OK);
    qsdr_ber_point *r = qsdr_ber_sim_results(s);
    for (int p = 0; p < 9; p++) {
        double n = (double)r[p].bits, k = (double)r[p].bit_errors, ph = k / n, z = 3.2905;
        double den = 1 + z * z / n, ctr = (ph + z * z / (2 * n)) / den, h = z * sqrt(ph * (1 - ph) / n + z * z / (4 * n * n)) / den;
        double th = qsdr_ber_bpsk_theory(x[p]);
        printf("  %g dB: BER %.4e in [%.4e, %.4e], theory %.4e\n", x[p], ph, ctr - h, ctr + h, th);
        QSDR_CHECK_MSG(th >= ctr - h && th <= ctr + h, "%g dB: theory %.4e outside [%.4e, %.4e]", x[p], th, ctr - h, ctr + h);
    }
    double lo, hi;
    qsdr_wilson95(10, 100, &lo, &hi);
    QSDR_CHECK_NEAR(lo, 0.05523, 1e-4); /* textbook Wilson interval for 10/100 */
    QSDR_CHECK_NEAR(hi, 0.17437, 1e-4);
    /* no errors: the lower bound is exactly 0 (not a rounding residue such as 8.47e-22, printed in
     * the CSV), the upper z^2 / (n + z^2); all errors: the mirror image */
    const double z2 = 1.959963984540054 * 1.959963984540054;
    qsdr_wilson95(0, 614400, &lo, &hi);
    QSDR_CHECK_MSG(lo == 0, "0 of 614400: lower bound %.3e, not 0", lo);
    QSDR_CHECK_NEAR(hi, z2 / (614400 + z2), 1e-12);
    qsdr_wilson95(7, 7, &lo, &hi);
    QSDR_CHECK_MSG(hi == 1, "7 of 7: upper bound 1 - %.3e, not 1", 1 - hi);
    QSDR_CHECK_NEAR(lo, 7 / (7 + z2), 1e-12);
    qsdr_ber_sim_destroy(&s);
}

QSDR_TEST(ber_sim_bad_config, "unit", "no ber block, unknown sweep parameter, no stop rule, zero threads: clear errors")
{
    double x[] = {1};
    qsdr_log_set_level(QSDR_LOG_OFF);
    qsdr_ber_config c = base_cfg(x, 1, 1);
    c.sweep_param = "awgn.ebno";
    QSDR_CHECK(qsdr_ber_sim_create(&c) == NULL);
    QSDR_CHECK(strstr(qsdr_last_error(), "unknown parameter 'ebno'") != NULL);
    c = base_cfg(x, 1, 0);
    QSDR_CHECK(qsdr_ber_sim_create(&c) == NULL);
    c = base_cfg(x, 1, 1);
    c.min_frame_errors = 0;
    QSDR_CHECK(qsdr_ber_sim_create(&c) == NULL);
    QSDR_CHECK(strstr(qsdr_last_error(), "no stop rule") != NULL);
    c = base_cfg(x, 1, 1);
    c.text = "blocks:\n  - {id: src, type: null_source}\n  - {id: awgn, type: awgn}\n  - {id: s, type: null_sink}\n"
             "connections: [src -> awgn, awgn -> s]\n";
    QSDR_CHECK(qsdr_ber_sim_create(&c) == NULL);
    QSDR_CHECK(strstr(qsdr_last_error(), "exactly one 'ber' block") != NULL);
    qsdr_log_set_level(QSDR_LOG_INFO);
}

static qsdr_ber_point pt(uint64_t bits, uint64_t errors)
{
    qsdr_ber_point p = {0};
    p.bits = bits;
    p.bit_errors = errors;
    p.frames = bits ? 1 : 0;
    return p;
}

QSDR_TEST(ber_cross, "unit", "qsdr_ber_cross: log-BER (and log-FER) interpolation, unsorted and skipped points, no errors above, below at the first point, not reached")
{
    /* BER 1e-2 at x = 2, 1e-4 at x = 4 (given out of order, with an unrun point and a NaN x):
       1e-3 lies half-way in log BER, 1e-3.5 three quarters */
    double x[] = {4, 0, 2, 3, NAN};
    qsdr_ber_point p[] = {pt(1000000, 100), pt(1000, 400), pt(100000, 1000), pt(0, 0), pt(10, 5)};
    qsdr_ber_crossing r = qsdr_ber_cross(x, p, 5, 1e-3, false);
    QSDR_CHECK(r.kind == QSDR_BER_CROSS_AT);
    QSDR_CHECK_NEAR(r.x, 3.0, 1e-12);
    QSDR_CHECK(r.lo == 2 && r.hi == 0);
    r = qsdr_ber_cross(x, p, 5, pow(10, -3.5), false);
    QSDR_CHECK(r.kind == QSDR_BER_CROSS_AT);
    QSDR_CHECK_NEAR(r.x, 3.5, 1e-12);
    /* between 0.4 at x = 0 and 1e-2 at x = 2 */
    r = qsdr_ber_cross(x, p, 5, 0.1, false);
    QSDR_CHECK(r.kind == QSDR_BER_CROSS_AT && r.lo == 1 && r.hi == 2);
    QSDR_CHECK_NEAR(r.x, 2 * (log10(0.4) + 1) / (log10(0.4) + 2), 1e-12);
    /* exactly on a point's BER: that point */
    r = qsdr_ber_cross(x, p, 5, 1e-2, false);
    QSDR_CHECK(r.kind == QSDR_BER_CROSS_AT);
    QSDR_CHECK_NEAR(r.x, 2.0, 1e-12);
    /* below every point's BER: not reached, naming the lowest */
    r = qsdr_ber_cross(x, p, 5, 1e-6, false);
    QSDR_CHECK(r.kind == QSDR_BER_CROSS_NOT_REACHED && r.lo == 0);
    QSDR_CHECK(isnan(r.x));
    /* above the first point's BER: below already there */
    r = qsdr_ber_cross(x, p, 5, 0.45, false);
    QSDR_CHECK(r.kind == QSDR_BER_CROSS_BELOW_FIRST && r.lo == 1);
    /* the point past the crossing saw no errors: between, no x */
    p[0] = pt(1000000, 0);
    r = qsdr_ber_cross(x, p, 5, 1e-3, false);
    QSDR_CHECK(r.kind == QSDR_BER_CROSS_BETWEEN && r.lo == 2 && r.hi == 0);
    QSDR_CHECK(isnan(r.x));
    /* the FER curve: frames and frame errors, not bits (FER 0.5 at x = 1, 0.05 at x = 2) */
    double xf[] = {1, 2};
    qsdr_ber_point f[] = {pt(100000, 10), pt(100000, 100000)}; /* BER 1e-4, 1: the BER would not cross 0.1 */
    f[0].frames = 100, f[0].frame_errors = 50, f[1].frames = 1000, f[1].frame_errors = 50;
    r = qsdr_ber_cross(xf, f, 2, pow(10, -0.8), true); /* log10 FER from -0.301 to -1.301: -0.8 at 1.499 */
    QSDR_CHECK(r.kind == QSDR_BER_CROSS_AT && r.lo == 0 && r.hi == 1);
    QSDR_CHECK_NEAR(r.x, 1 + (log10(0.5) + 0.8) / (log10(0.5) - log10(0.05)), 1e-12);
    QSDR_CHECK(qsdr_ber_cross(xf, f, 2, pow(10, -0.8), false).kind == QSDR_BER_CROSS_BELOW_FIRST);
    f[1].frame_errors = 0;
    QSDR_CHECK(qsdr_ber_cross(xf, f, 2, 0.1, true).kind == QSDR_BER_CROSS_BETWEEN);
    /* nothing run */
    r = qsdr_ber_cross(x, p + 3, 1, 1e-3, false);
    QSDR_CHECK(r.kind == QSDR_BER_CROSS_NO_POINTS);
    r = qsdr_ber_cross(x, p, 0, 1e-3, false);
    QSDR_CHECK(r.kind == QSDR_BER_CROSS_NO_POINTS);
}
