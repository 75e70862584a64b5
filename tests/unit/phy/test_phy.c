/* SPDX-License-Identifier: MIT */
/* PHY algorithms: Philox known answers, Gaussian statistics and chunk invariance, modem
 * constellations and Gray labels, LLRs against a double-precision reference, ADC levels,
 * Eb/N0 accounting, BER counting. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "qsdr/qsdr.h"
#include "qsdr_test.h"

QSDR_TEST(philox_known_answers, "unit", "Philox4x32-10 matches the Random123 known-answer vectors")
{
    struct {
        uint32_t ctr[4], key[2], out[4];
    } kat[] = {
        {{0, 0, 0, 0}, {0, 0}, {0x6627e8d5, 0xe169c58d, 0xbc57ac4c, 0x9b00dbd8}},
        {{0xffffffff, 0xffffffff, 0xffffffff, 0xffffffff}, {0xffffffff, 0xffffffff}, {0x408f276d, 0x41c83b0e, 0xa20bc7c6, 0x6d5451fd}},
        {{0x243f6a88, 0x85a308d3, 0x13198a2e, 0x03707344}, {0xa4093822, 0x299f31d0}, {0xd16cfe09, 0x94fdcceb, 0x5001e420, 0x24126ea1}},
    };
    for (size_t k = 0; k < 3; k++) {
        uint32_t out[4];
        qsdr_philox4x32(kat[k].ctr, kat[k].key, out);
        for (int i = 0; i < 4; i++) QSDR_CHECK_MSG(out[i] == kat[k].out[i], "vector %zu word %d: %08x, expected %08x", k, i, out[i], kat[k].out[i]);
    }
}

QSDR_TEST(randn_statistics, "unit", "Gaussian draws: mean, variance, kurtosis and tail mass of 4e6 samples")
{
    size_t n = 4000000;
    float *x = malloc(n * sizeof *x);
    QSDR_REQUIRE(x);
    qsdr_randn_f32(12345, 0, n, x);
    double m = 0, v = 0, k4 = 0, tail3 = 0, tail4 = 0;
    for (size_t i = 0; i < n; i++) m += x[i];
    m /= n;
    for (size_t i = 0; i < n; i++) {
        double d = x[i] - m;
        v += d * d;
        k4 += d * d * d * d;
        tail3 += fabs(x[i]) > 3;
        tail4 += fabs(x[i]) > 4;
    }
    v /= n;
    k4 = k4 / n / (v * v);
    /* tolerances: ~5 standard errors of each estimator for n = 4e6 */
    QSDR_CHECK_NEAR(m, 0, 5 * sqrt(1.0 / n));
    QSDR_CHECK_NEAR(v, 1, 5 * sqrt(2.0 / n));
    QSDR_CHECK_NEAR(k4, 3, 5 * sqrt(96.0 / n));
    double p3 = erfc(3 / sqrt(2.0)), p4 = erfc(4 / sqrt(2.0));
    QSDR_CHECK_NEAR(tail3 / n, p3, 5 * sqrt(p3 / n));
    QSDR_CHECK_NEAR(tail4 / n, p4, 5 * sqrt(p4 / n));
    free(x);
}

QSDR_TEST(rand_perm, "unit", "qsdr_rand_perm: a permutation of 0..n-1 for n = 0..600 (across its 256-draw refills), repeatable, seed-dependent, and Fisher-Yates on the documented draws")
{
    size_t a[600], b[600], ref[600];
    float u[600];
    for (size_t n = 0; n <= 600; n += n < 10 ? 1 : 59) {
        qsdr_rand_perm(3, 100, n, a);
        qsdr_rand_perm(3, 100, n, b);
        QSDR_CHECK(memcmp(a, b, n * sizeof *a) == 0);
        unsigned char seen[600] = {0};
        for (size_t i = 0; i < n; i++) QSDR_CHECK(a[i] < n && !seen[a[i]]++);
        /* reference: all draws at once, then the swaps from the top */
        qsdr_randu_f32(3, 100, n, u);
        for (size_t i = 0; i < n; i++) ref[i] = i;
        for (size_t i = n; i-- > 1;) {
            size_t j = (size_t)(u[i] * (float)(i + 1)), t;
            if (j > i) j = i;
            t = ref[i], ref[i] = ref[j], ref[j] = t;
        }
        QSDR_CHECK_MSG(memcmp(a, ref, n * sizeof *a) == 0, "n = %zu", n);
    }
    qsdr_rand_perm(4, 100, 600, b);
    QSDR_CHECK(memcmp(a, b, 600 * sizeof *a) != 0);
}

QSDR_TEST(randn_chunk_invariant, "unit", "draw i depends only on (seed, i): any split of a range gives the same numbers")
{
    float all[1000], part[1000];
    qsdr_randn_f32(7, 5, 1000, all);
    size_t cuts[] = {0, 1, 3, 4, 7, 130, 131, 500, 997, 1000};
    for (size_t c = 0; c + 1 < sizeof cuts / sizeof *cuts; c++)
        qsdr_randn_f32(7, 5 + cuts[c], cuts[c + 1] - cuts[c], part + cuts[c]);
    QSDR_CHECK(memcmp(all, part, sizeof all) == 0);
    uint8_t b1[777], b2[777];
    qsdr_rand_bits(9, 100, 777, b1);
    qsdr_rand_bits(9, 100, 300, b2);
    qsdr_rand_bits(9, 400, 477, b2 + 300);
    QSDR_CHECK(memcmp(b1, b2, sizeof b1) == 0);
    float other[1000];
    qsdr_randn_f32(8, 5, 1000, other);
    QSDR_CHECK(memcmp(all, other, sizeof all) != 0);
}

static int popcount(unsigned v) { return __builtin_popcount(v); }

QSDR_TEST(modem_constellations, "unit", "unit mean energy, Gray labels (nearest neighbours differ in one bit), map/slice round trip")
{
    qsdr_modscheme ms[] = {QSDR_MOD_BPSK, QSDR_MOD_QPSK, QSDR_MOD_QAM16, QSDR_MOD_QAM64};
    unsigned want_bps[] = {1, 2, 4, 6};
    for (int k = 0; k < 4; k++) {
        qsdr_modem_t *q = qsdr_modem_create(ms[k]);
        QSDR_REQUIRE(q);
        unsigned bps = qsdr_modem_bps(q), m = 1u << bps;
        QSDR_CHECK_EQ_INT(bps, want_bps[k]);
        double e = 0, dmin = 1e9;
        for (unsigned s = 0; s < m; s++) {
            qsdr_cf32 p = qsdr_modem_point(q, s);
            e += p.re * p.re + p.im * p.im;
            for (unsigned t = 0; t < m; t++)
                if (t != s) {
                    qsdr_cf32 r = qsdr_modem_point(q, t);
                    double d = hypot(p.re - r.re, p.im - r.im);
                    if (d < dmin) dmin = d;
                }
        }
        QSDR_CHECK_NEAR(e / m, 1.0, 1e-5);
        for (unsigned s = 0; s < m; s++)
            for (unsigned t = 0; t < m; t++) {
                qsdr_cf32 p = qsdr_modem_point(q, s), r = qsdr_modem_point(q, t);
                if (t != s && fabs(hypot(p.re - r.re, p.im - r.im) - dmin) < 1e-4)
                    QSDR_CHECK_MSG(popcount(s ^ t) == 1, "modulation %d: neighbours %u and %u differ in %d bits", k, s, t, popcount(s ^ t));
            }
        uint8_t bits[6 * 64], back[6 * 64];
        for (unsigned s = 0; s < m; s++)
            for (unsigned b = 0; b < bps; b++) bits[s * bps + b] = (s >> (bps - 1 - b)) & 1;
        qsdr_cf32 pts[64];
        QSDR_CHECK_EQ_INT(qsdr_modem_map(q, bits, m, pts), QSDR_OK);
        for (unsigned s = 0; s < m; s++) {
            QSDR_CHECK(pts[s].re == qsdr_modem_point(q, s).re && pts[s].im == qsdr_modem_point(q, s).im);
        }
        QSDR_CHECK_EQ_INT(qsdr_modem_demap_hard(q, pts, m, back), QSDR_OK);
        QSDR_CHECK(memcmp(bits, back, m * bps) == 0);
        qsdr_log_set_level(QSDR_LOG_OFF);
        bits[0] = 2;
        QSDR_CHECK(qsdr_modem_map(q, bits, 1, pts) == QSDR_EINVAL);
        qsdr_log_set_level(QSDR_LOG_INFO);
        qsdr_modem_destroy(&q);
        QSDR_CHECK(q == NULL);
    }
    QSDR_CHECK(qsdr_modscheme_parse("qam16") == QSDR_MOD_QAM16);
    QSDR_CHECK(qsdr_modscheme_parse("qam32") == -1);
}

/* Hard decisions per axis (the constellations are separable) against a brute-force nearest-point
 * search in double precision, on seeded noisy points of every constellation; exact ties (a
 * component on a decision boundary: 0 for QPSK) go to the lower level, as liquid's demodulator. */
QSDR_TEST(modem_hard_decisions, "unit", "hard decisions equal the nearest constellation point (20000 noisy points each), ties to the lower level")
{
    const size_t n = 20000;
    qsdr_cf32 *x = malloc(n * sizeof *x);
    uint8_t *bits = malloc(n * 6);
    for (int k = 0; k < 4; k++) {
        qsdr_modem_t *q = qsdr_modem_create((qsdr_modscheme)k);
        unsigned bps = qsdr_modem_bps(q), m = 1u << bps;
        qsdr_randn_cf32(90 + k, 0, n, 0.3f, x);
        for (size_t i = 0; i < n; i++) { /* around the points: every decision region, near every boundary */
            qsdr_cf32 p = qsdr_modem_point(q, (unsigned)(i % m));
            x[i].re += p.re, x[i].im += p.im;
        }
        QSDR_REQUIRE(qsdr_modem_demap_hard(q, x, n, bits) == QSDR_OK);
        size_t bad = 0;
        for (size_t i = 0; i < n; i++) {
            unsigned best = 0, got = 0;
            double dmin = 1e300;
            for (unsigned s = 0; s < m; s++) {
                qsdr_cf32 p = qsdr_modem_point(q, s);
                double d = ((double)x[i].re - p.re) * ((double)x[i].re - p.re) + ((double)x[i].im - p.im) * ((double)x[i].im - p.im);
                if (d < dmin) dmin = d, best = s;
            }
            for (unsigned b = 0; b < bps; b++) got = got << 1 | bits[i * bps + b];
            bad += got != best;
        }
        QSDR_CHECK_MSG(bad == 0, "modulation %d: %zu of %zu decisions are not the nearest point", k, bad, n);
        /* ties: the origin lies on a boundary of every constellation here; the lower level wins */
        qsdr_cf32 o = {0, 0};
        QSDR_REQUIRE(qsdr_modem_demap_hard(q, &o, 1, bits) == QSDR_OK);
        unsigned got = 0;
        for (unsigned b = 0; b < bps; b++) got = got << 1 | bits[b];
        qsdr_cf32 p = qsdr_modem_point(q, got);
        double lowest_pos = 1e9; /* the decided point is the one just below 0 on each axis used */
        for (unsigned s = 0; s < m; s++) {
            qsdr_cf32 r = qsdr_modem_point(q, s);
            if (r.re > 0 && r.re < lowest_pos) lowest_pos = r.re;
        }
        QSDR_CHECK_MSG(p.re < 0 && (k == 0 || p.im < 0) && fabs(p.re) <= lowest_pos + 1e-6, "modulation %d: 0 decided as (%g, %g)", k, p.re, p.im);
        qsdr_modem_destroy(&q);
    }
    free(x);
    free(bits);
}

/* Independent double-precision reference: LLR_b = log sum_{s:b=0} e^{-|y-s|^2/N0} - log sum_{s:b=1} ... */
static double ref_llr(const qsdr_modem_t *q, qsdr_cf32 y, double n0, unsigned b, int maxlog)
{
    unsigned bps = qsdr_modem_bps(q), m = 1u << bps;
    double a0 = -INFINITY, a1 = -INFINITY, s0 = 0, s1 = 0;
    for (unsigned s = 0; s < m; s++) {
        qsdr_cf32 p = qsdr_modem_point(q, s);
        double d = -((y.re - (double)p.re) * (y.re - (double)p.re) + (y.im - (double)p.im) * (y.im - (double)p.im)) / n0;
        if ((s >> (bps - 1 - b)) & 1) a1 = fmax(a1, d);
        else a0 = fmax(a0, d);
    }
    if (maxlog) return a0 - a1;
    for (unsigned s = 0; s < m; s++) {
        qsdr_cf32 p = qsdr_modem_point(q, s);
        double d = -((y.re - (double)p.re) * (y.re - (double)p.re) + (y.im - (double)p.im) * (y.im - (double)p.im)) / n0;
        if ((s >> (bps - 1 - b)) & 1) s1 += exp(d - a1);
        else s0 += exp(d - a0);
    }
    return (a0 + log(s0)) - (a1 + log(s1));
}

QSDR_TEST(demapper_llr_reference, "unit", "soft demapper (exact and max-log) matches a double-precision reference")
{
    qsdr_modscheme ms[] = {QSDR_MOD_BPSK, QSDR_MOD_QPSK, QSDR_MOD_QAM16, QSDR_MOD_QAM64};
    double n0s[] = {0.05, 0.3, 1.5};
    float u[2 * 500];
    qsdr_randu_f32(3, 0, 1000, u);
    for (int k = 0; k < 4; k++) {
        qsdr_modem_t *q = qsdr_modem_create(ms[k]);
        unsigned bps = qsdr_modem_bps(q);
        qsdr_cf32 y[500];
        for (int i = 0; i < 500; i++) y[i] = (qsdr_cf32){3.0f * (u[2 * i] - 0.5f), 3.0f * (u[2 * i + 1] - 0.5f)};
        float llr[500 * 6];
        for (int ni = 0; ni < 3; ni++)
            for (int maxlog = 0; maxlog < 2; maxlog++) {
                QSDR_CHECK_EQ_INT(qsdr_modem_demap_llr(q, y, 500, (float)n0s[ni], maxlog, llr), QSDR_OK);
                double worst = 0;
                for (int i = 0; i < 500; i++)
                    for (unsigned b = 0; b < bps; b++) {
                        double r = ref_llr(q, y[i], n0s[ni], b, maxlog);
                        double err = fabs(llr[i * bps + b] - r) / fmax(1.0, fabs(r));
                        if (err > worst) worst = err;
                    }
                QSDR_CHECK_MSG(worst < 2e-4, "mod %d N0 %g maxlog %d: worst relative LLR error %.3g", k, n0s[ni], maxlog, worst);
            }
        qsdr_modem_destroy(&q);
    }
}

QSDR_TEST(llr_sign_convention, "unit", "LLR = log P(b=0)/P(b=1): a transmitted 0 gives a positive LLR, a 1 a negative one")
{
    qsdr_modem_t *q = qsdr_modem_create(QSDR_MOD_QAM16);
    uint8_t bits[4] = {0, 1, 1, 0};
    qsdr_cf32 p;
    qsdr_modem_map(q, bits, 1, &p);
    float llr[4];
    qsdr_modem_demap_llr(q, &p, 1, 0.01f, false, llr);
    for (int b = 0; b < 4; b++) QSDR_CHECK_MSG(bits[b] ? llr[b] < -1 : llr[b] > 1, "bit %d = %u but LLR = %g", b, bits[b], llr[b]);
    qsdr_log_set_level(QSDR_LOG_OFF);
    qsdr_cf32 nan_pt = {NAN, 0};
    QSDR_CHECK(qsdr_modem_demap_llr(q, &nan_pt, 1, 0.1f, false, llr) == QSDR_ERANGE);
    QSDR_CHECK(qsdr_modem_demap_llr(q, &p, 1, 0.0f, false, llr) == QSDR_EINVAL);
    qsdr_log_set_level(QSDR_LOG_INFO);
    qsdr_modem_destroy(&q);
}

QSDR_TEST(adc_levels, "unit", "b-bit ADC: mid-rise levels, clipping, 1 bit = sign, NaN refused, bad bits refused")
{
    for (unsigned bits = 1; bits <= 8; bits++) {
        qsdr_adc_t *q = qsdr_adc_create(bits, 2.0f, false, 0.01f);
        QSDR_REQUIRE(q);
        float step = 4.0f / (float)(1u << bits);
        qsdr_cf32 x[5] = {{0.0f, -0.0001f}, {10.0f, -10.0f}, {0.26f, -0.26f}, {1.999f, -1.999f}, {-0.7f, 0.7f}}, y[5];
        QSDR_CHECK_EQ_INT(qsdr_adc_execute(q, x, 5, y), QSDR_OK);
        for (int i = 0; i < 5; i++) {
            float xs[2] = {x[i].re, x[i].im}, ys[2] = {y[i].re, y[i].im};
            for (int c = 0; c < 2; c++) {
                double k = floor(xs[c] / step), lim = (1u << bits) / 2.0;
                k = fmin(fmax(k, -lim), lim - 1);
                QSDR_CHECK_NEAR(ys[c], (k + 0.5) * step, 1e-6);
            }
        }
        if (bits == 1) QSDR_CHECK(y[0].re == 1.0f && y[0].im == -1.0f);
        /* statistics: 10 components, of which +10 and -10 lie beyond full scale 2 (+-1.999 are
           still inside the outer levels); a 1-bit ADC (a sign) never clips; the input rms is
           that of the ten values */
        uint64_t nc, ncl;
        double rms, want = 0;
        qsdr_adc_stats(q, &nc, &ncl, &rms);
        for (int i = 0; i < 5; i++) want += x[i].re * x[i].re + x[i].im * x[i].im;
        QSDR_CHECK_EQ_INT((int)nc, 10);
        QSDR_CHECK_EQ_INT((int)ncl, bits == 1 ? 0 : 2);
        QSDR_CHECK_NEAR(rms, sqrt(want / 10), 1e-6);
        qsdr_log_set_level(QSDR_LOG_OFF);
        qsdr_cf32 bad = {NAN, 0};
        QSDR_CHECK(qsdr_adc_execute(q, &bad, 1, y) == QSDR_ERANGE);
        /* named among all samples taken (5 above; a refused call takes none) */
        QSDR_CHECK(strstr(qsdr_last_error(), "input sample 5 is not finite") != NULL);
        qsdr_cf32 two[2] = {{0.5f, 0.5f}, {0.5f, INFINITY}};
        QSDR_CHECK(qsdr_adc_execute(q, two, 2, y) == QSDR_ERANGE);
        QSDR_CHECK(strstr(qsdr_last_error(), "input sample 6 is not finite") != NULL);
        QSDR_CHECK(qsdr_adc_set_bits(q, 0) == QSDR_EINVAL);
        QSDR_CHECK(qsdr_adc_set_bits(q, 9) == QSDR_EINVAL);
        qsdr_log_set_level(QSDR_LOG_INFO);
        qsdr_adc_destroy(&q);
    }
    qsdr_log_set_level(QSDR_LOG_OFF);
    QSDR_CHECK(qsdr_adc_create(0, 1, false, 0.1f) == NULL);
    QSDR_CHECK(qsdr_adc_create(9, 1, false, 0.1f) == NULL);
    QSDR_CHECK(qsdr_adc_create(4, -1, false, 0.1f) == NULL);
    qsdr_log_set_level(QSDR_LOG_INFO);
}

QSDR_TEST(adc_agc_tracks_power, "unit", "ADC automatic gain: 4-bit quantization SNR of a Gaussian input near the optimum (~20 dB)")
{
    size_t n = 200000;
    qsdr_cf32 *x = malloc(n * sizeof *x), *y = malloc(n * sizeof *y);
    qsdr_randn_cf32(5, 0, n, 9.0f, x); /* power 9: far from full_scale 1 */
    qsdr_adc_t *q = qsdr_adc_create(4, 1.0f, true, 0.01f);
    QSDR_REQUIRE(q);
    qsdr_log_set_level(QSDR_LOG_OFF); /* a full scale the AGC would ignore is refused, not silently accepted */
    QSDR_CHECK_EQ_INT(qsdr_adc_set_full_scale(q, 2.0f), QSDR_EINVAL);
    qsdr_log_set_level(QSDR_LOG_INFO);
    qsdr_adc_execute(q, x, n, y);
    double ps = 0, pe = 0;
    for (size_t i = 1000; i < n; i++) {
        ps += x[i].re * x[i].re + x[i].im * x[i].im;
        pe += (x[i].re - y[i].re) * (x[i].re - y[i].re) + (x[i].im - y[i].im) * (x[i].im - y[i].im);
    }
    double snr = 10 * log10(ps / pe);
    /* the MSE-optimum 4-bit uniform quantizer for a Gaussian: SQNR 19.38 dB (Max's table;
       20.2 dB is the non-uniform Lloyd-Max one); allow the AGC's estimation jitter */
    QSDR_CHECK_MSG(snr > 18.7 && snr < 20.6, "4-bit AGC quantization SNR %.2f dB", snr);
    qsdr_adc_destroy(&q);
    free(x);
    free(y);
}

/* MSE of the N-level uniform mid-rise quantizer with step d (levels (k + 1/2) d, outer cells
 * open) for a unit Gaussian, in closed form per cell [a, b] with level c:
 * int (x - c)^2 phi = (1 + c^2) dPhi + a phi(a) - b phi(b) - 2 c (phi(a) - phi(b)) */
static double uq_mse(int n, double d)
{
    double s = 0;
    for (int k = -n / 2; k < n / 2; k++) {
        double c = (k + 0.5) * d, a = k * d, b = (k + 1) * d;
        bool lo = k == -n / 2, hi = k == n / 2 - 1;
        double Pa = lo ? 0 : 0.5 * erfc(-a / sqrt(2)), Pb = hi ? 1 : 0.5 * erfc(-b / sqrt(2));
        double fa = lo ? 0 : exp(-a * a / 2) / sqrt(2 * M_PI), fb = hi ? 0 : exp(-b * b / 2) / sqrt(2 * M_PI);
        s += (1 + c * c) * (Pb - Pa) + (lo ? 0 : a * fa) - (hi ? 0 : b * fb) - 2 * c * (fa - fb);
    }
    return s;
}

QSDR_TEST(adc_agc_optimum_loading, "unit", "ADC automatic gain at 1..8 bits: the full scale is the MSE-optimum uniform loading for a Gaussian, computed here (clip fraction 2Q(load); 1 bit: levels +-sqrt(2/pi) sigma)")
{
    /* The optimum step per bit-width by golden-section search on the exact MSE; the ADC's
       full scale is 2^(b-1) steps (load) times the tracked rms per component, so a Gaussian
       input clips a fraction 2 Q(load) of its components, and a one-bit ADC outputs
       +-load/2 sigma (the optimum: E|x| = sqrt(2/pi) sigma). alpha 1e-4 keeps the AGC's
       own jitter small (its power estimate averages about 10^4 samples). */
    const size_t warm = 100000, n = 1000000;
    qsdr_cf32 *x = malloc((warm + n) * sizeof *x), *y = malloc((warm + n) * sizeof *y);
    QSDR_REQUIRE(x && y);
    qsdr_randn_cf32(6, 0, warm + n, 9.0f, x); /* sigma^2 = 4.5 per component */
    const double sigma = sqrt(4.5);
    for (unsigned b = 1; b <= 8; b++) {
        int levels = 1 << b;
        double lo = 1e-3, hi = 4;
        for (int it = 0; it < 100; it++) {
            double m1 = lo + 0.382 * (hi - lo), m2 = lo + 0.618 * (hi - lo);
            if (uq_mse(levels, m1) < uq_mse(levels, m2)) hi = m2;
            else lo = m1;
        }
        double load = levels / 2 * 0.5 * (lo + hi);
        qsdr_adc_t *q = qsdr_adc_create(b, 1.0f, true, 1e-4f);
        QSDR_REQUIRE(q);
        uint64_t c0, k0, c1, k1;
        QSDR_REQUIRE(qsdr_adc_execute(q, x, warm, y) == QSDR_OK);
        qsdr_adc_stats(q, &c0, &k0, NULL);
        QSDR_REQUIRE(qsdr_adc_execute(q, x + warm, n, y + warm) == QSDR_OK);
        qsdr_adc_stats(q, &c1, &k1, NULL);
        if (b == 1) {
            double m = 0;
            for (size_t i = warm; i < warm + n; i++) m += fabs(y[i].re) + fabs(y[i].im);
            m /= 2.0 * (double)n * sigma;
            printf("  1 bit: optimum load %.4f, output level %.4f sigma (want %.4f)\n", load, m, load / 2);
            QSDR_CHECK_NEAR(load / 2, sqrt(2 / M_PI), 1e-4); /* the search itself */
            QSDR_CHECK_MSG(fabs(m / (load / 2) - 1) < 0.005, "1-bit AGC level %.4f sigma, optimum %.4f", m, load / 2);
        } else {
            double frac = (double)(k1 - k0) / (double)(c1 - c0), want = erfc(load / sqrt(2));
            double sd = sqrt(want / (double)(c1 - c0)) / want; /* counting, relative */
            printf("  %u bits: optimum load %.4f, clipped %.4e, 2Q(load) %.4e, ratio %.4f (counting sd %.4f)\n", b, load, frac, want,
                   frac / want, sd);
            /* 0.5 % in load moves the fraction by 0.5 % x load^2 ~ 2..8 %; AGC jitter adds ~1 % */
            QSDR_CHECK_MSG(fabs(frac / want - 1) < 0.015 + 4 * sd, "%u-bit AGC clips %.4e, optimum loading %.4f clips %.4e", b, frac,
                           load, want);
        }
        qsdr_adc_destroy(&q);
    }
    free(x);
    free(y);
}

QSDR_TEST(ebn0_accounting, "unit", "N0 from Eb/N0 counts code rate, bits per symbol and all samples of a symbol")
{
    /* QPSK rate 1/3, 4 samples/symbol, unit-energy symbols: Es = 1, Eb = 1/(2/3) = 1.5 */
    QSDR_CHECK_NEAR(qsdr_noise_var_from_ebn0(0, 2, 1.0 / 3, 4, 0.25), 1.5, 1e-12);
    QSDR_CHECK_NEAR(qsdr_noise_var_from_ebn0(10, 4, 0.5, 1, 1), 0.5 / 10, 1e-12);
    QSDR_CHECK_NEAR(qsdr_noise_var_from_esn0(3, 2, 1), 2 / pow(10, 0.3), 1e-12);
    QSDR_CHECK(qsdr_noise_var_from_ebn0(NAN, 2, 1, 1, 1) < 0);
    QSDR_CHECK(qsdr_noise_var_from_ebn0(1, 2, 0, 1, 1) < 0);
    QSDR_CHECK(qsdr_noise_var_from_ebn0(1, 2, 1.5, 1, 1) < 0);
    QSDR_CHECK_NEAR(qsdr_ber_qam_theory(4, 5), qsdr_ber_bpsk_theory(5), 1e-15);
    /* 16-QAM at 10 dB: 1.74e-3 (textbook value, Cho & Yoon) */
    QSDR_CHECK_NEAR(qsdr_ber_qam_theory(16, 10) / 1.7388e-3, 1, 0.01);
}

QSDR_TEST(awgn_statistics, "unit", "AWGN, complex and real: noise variance N0 (N0/2 per real dimension), repeatable per sample index, in place, N0 = 0 exact, bad N0 refused")
{
    const size_t n = 1 << 18; /* more than one internal chunk */
    const float var = 0.37f;
    qsdr_awgn_t *a = qsdr_awgn_create(var, 99);
    QSDR_REQUIRE(a);
    qsdr_cf32 *x = calloc(n, sizeof *x), *y = calloc(n, sizeof *y), *z = calloc(n, sizeof *z);
    float *r = calloc(2 * n, sizeof *r), *r2 = calloc(2 * n, sizeof *r2);
    QSDR_REQUIRE(x && y && z && r && r2);
    for (size_t i = 0; i < n; i++) x[i].re = (float)(i % 7) - 3, x[i].im = 0.5f;
    QSDR_REQUIRE(qsdr_awgn_execute(a, x, n, 1000, y) == QSDR_OK);
    double si = 0, sq = 0, siq = 0;
    for (size_t i = 0; i < n; i++) {
        double ni = y[i].re - x[i].re, nq = y[i].im - x[i].im;
        si += ni * ni, sq += nq * nq, siq += ni * nq;
    }
    /* 2.6e5 samples: a variance estimate's relative standard deviation is sqrt(2/n) = 0.28 % */
    QSDR_CHECK_NEAR(si / (double)n, var / 2.0, 0.015 * var / 2);
    QSDR_CHECK_NEAR(sq / (double)n, var / 2.0, 0.015 * var / 2);
    QSDR_CHECK(fabs(siq / (double)n) < 0.015 * var / 2);
    /* the noise depends only on (seed, index): a later start reproduces the tail; in place gives the same */
    memcpy(z, x, n * sizeof *x);
    QSDR_REQUIRE(qsdr_awgn_execute(a, z + 5000, n - 5000, 6000, z + 5000) == QSDR_OK);
    QSDR_CHECK(memcmp(z + 5000, y + 5000, (n - 5000) * sizeof *y) == 0);
    /* real samples: variance N0 / 2 each */
    for (size_t i = 0; i < 2 * n; i++) r[i] = (float)(i % 5);
    QSDR_REQUIRE(qsdr_awgn_execute_real(a, r, 2 * n, 0, r2) == QSDR_OK);
    double sr = 0, mr = 0;
    for (size_t i = 0; i < 2 * n; i++) mr += r2[i] - r[i], sr += (double)(r2[i] - r[i]) * (r2[i] - r[i]);
    QSDR_CHECK_NEAR(sr / (double)(2 * n), var / 2.0, 0.015 * var / 2);
    QSDR_CHECK(fabs(mr / (double)(2 * n)) < 0.01 * sqrt(var));
    QSDR_REQUIRE(qsdr_awgn_execute_real(a, r, 2 * n, 0, r) == QSDR_OK);
    QSDR_CHECK(memcmp(r, r2, 2 * n * sizeof *r) == 0);
    /* N0 = 0: the input comes out unchanged */
    QSDR_REQUIRE(qsdr_awgn_set_noise_var(a, 0) == QSDR_OK);
    QSDR_CHECK(qsdr_awgn_get_noise_var(a) == 0);
    QSDR_REQUIRE(qsdr_awgn_execute(a, x, n, 0, y) == QSDR_OK);
    QSDR_CHECK(memcmp(x, y, n * sizeof *x) == 0);
    /* bad noise variances */
    QSDR_CHECK(qsdr_awgn_set_noise_var(a, -1) != QSDR_OK);
    QSDR_CHECK(qsdr_awgn_set_noise_var(a, NAN) != QSDR_OK);
    QSDR_CHECK(qsdr_awgn_get_noise_var(a) == 0);
    QSDR_CHECK(qsdr_awgn_create(-0.5f, 1) == NULL);
    QSDR_CHECK(qsdr_awgn_create(INFINITY, 1) == NULL);
    qsdr_awgn_destroy(&a);
    QSDR_CHECK(a == NULL);
    free(x), free(y), free(z), free(r), free(r2);
}

QSDR_TEST(awgn_rrc_refuse_nonfinite, "unit",
          "AWGN (complex, real) and the RRC filters refuse NaN/Inf input with QSDR_ERANGE, naming the sample; RRC writes nothing")
{
    const size_t n = 5000; /* the bad sample in AWGN's first 4096-sample chunk or its second */
    qsdr_cf32 *x = calloc(4 * n, sizeof *x), *y = calloc(4 * n, sizeof *y);
    float *r = calloc(2 * n, sizeof *r), *r2 = calloc(2 * n, sizeof *r2);
    QSDR_REQUIRE(x && y && r && r2);
    qsdr_awgn_t *a = qsdr_awgn_create(0.5f, 3);
    qsdr_rrc_t *tx = qsdr_rrc_interp_create(4, 4, 0.35f), *rx = qsdr_rrc_decim_create(4, 4, 0.35f);
    QSDR_REQUIRE(a && tx && rx);
    static const float bad[] = {NAN, INFINITY, -INFINITY};
    static const size_t at[] = {0, 1234, 4999};
    qsdr_log_set_level(QSDR_LOG_OFF);
    for (size_t b = 0; b < 3; b++)
        for (size_t k = 0; k < 3; k++) {
            for (size_t i = 0; i < 4 * n; i++) x[i].re = 0.25f, x[i].im = -0.5f, y[i].re = y[i].im = 7.0f;
            if (k & 1) x[at[k]].im = bad[b];
            else x[at[k]].re = bad[b];
            QSDR_CHECK_EQ_INT(qsdr_awgn_execute(a, x, n, 100, y), QSDR_ERANGE);
            char want[64];
            snprintf(want, sizeof want, "input sample %zu is not finite", 100 + at[k]);
            QSDR_CHECK(strstr(qsdr_last_error(), want) != NULL);
            for (size_t i = 0; i < 4 * n; i++) y[i].re = y[i].im = 7.0f; /* AWGN's y: unspecified */
            QSDR_CHECK_EQ_INT(qsdr_rrc_execute(tx, x, n, y), QSDR_ERANGE);
            snprintf(want, sizeof want, "input sample %zu is not finite", at[k]);
            QSDR_CHECK(strstr(qsdr_last_error(), want) != NULL);
            QSDR_CHECK(y[0].re == 7.0f && y[4 * n - 1].im == 7.0f);
            /* the matched filter reads n * sps samples: a bad one past n counts too */
            if (k == 2) x[at[k]].re = 0.25f, x[3 * n].re = bad[b];
            QSDR_CHECK_EQ_INT(qsdr_rrc_execute(rx, x, n, y), QSDR_ERANGE);
            snprintf(want, sizeof want, "input sample %zu is not finite", k == 2 ? 3 * n : at[k]);
            QSDR_CHECK(strstr(qsdr_last_error(), want) != NULL);
            QSDR_CHECK(y[0].re == 7.0f && y[n - 1].im == 7.0f);
            for (size_t i = 0; i < 2 * n; i++) r[i] = 1.0f, r2[i] = 7.0f;
            r[2 * at[k] + 1] = bad[b];
            QSDR_CHECK_EQ_INT(qsdr_awgn_execute_real(a, r, 2 * n, 0, r2), QSDR_ERANGE);
            snprintf(want, sizeof want, "input sample %zu is not finite", 2 * at[k] + 1);
            QSDR_CHECK(strstr(qsdr_last_error(), want) != NULL);
        }
    qsdr_log_set_level(QSDR_LOG_INFO);
    /* finite input, largest floats included, still runs */
    for (size_t i = 0; i < 4 * n; i++) x[i].re = i % 2 ? 3.4e38f : -3.4e38f, x[i].im = 0;
    QSDR_CHECK_EQ_INT(qsdr_awgn_execute(a, x, n, 0, y), QSDR_OK);
    QSDR_CHECK_EQ_INT(qsdr_rrc_execute(rx, x, n, y), QSDR_OK);
    /* the error names the sample among all this filter has taken, not within the call: the
       matched filter took 4n above, the pulse shaper n now (a failed call takes none) */
    for (size_t i = 0; i < 4 * n; i++) x[i].re = 0.25f;
    QSDR_CHECK_EQ_INT(qsdr_rrc_execute(tx, x, n, y), QSDR_OK);
    x[7].im = NAN;
    qsdr_log_set_level(QSDR_LOG_OFF);
    char want[64];
    for (int rep = 0; rep < 2; rep++) {
        QSDR_CHECK_EQ_INT(qsdr_rrc_execute(tx, x, n, y), QSDR_ERANGE);
        snprintf(want, sizeof want, "input sample %zu is not finite", n + 7);
        QSDR_CHECK(strstr(qsdr_last_error(), want) != NULL);
        QSDR_CHECK_EQ_INT(qsdr_rrc_execute(rx, x, n, y), QSDR_ERANGE);
        snprintf(want, sizeof want, "input sample %zu is not finite", 4 * n + 7);
        QSDR_CHECK(strstr(qsdr_last_error(), want) != NULL);
    }
    qsdr_log_set_level(QSDR_LOG_INFO);
    qsdr_awgn_destroy(&a), qsdr_rrc_destroy(&tx), qsdr_rrc_destroy(&rx);
    free(x), free(y), free(r), free(r2);
}

QSDR_TEST(ber_counter, "unit", "BER/FER counting with skip and partial frames; the same counts however the stream is cut into calls")
{
    qsdr_ber_t *q = qsdr_ber_create(4, 2);
    uint8_t d[10] = {1, 1, 0, 0, 0, 1, 0, 0, 0, 0}, r[10] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 1};
    qsdr_ber_update(q, d, r, 3);
    qsdr_ber_update(q, d + 3, r + 3, 7);
    qsdr_ber_counts c = qsdr_ber_get(q);
    QSDR_CHECK_EQ_INT(c.bits, 8);
    QSDR_CHECK_EQ_INT(c.bit_errors, 2);  /* index 5 and 9; 0 and 1 skipped */
    QSDR_CHECK_EQ_INT(c.frames, 2);
    QSDR_CHECK_EQ_INT(c.frame_errors, 2);
    qsdr_ber_destroy(&q);
    /* the counts do not depend on how the stream is cut into calls: every skip 0..12 (across
       call boundaries, one bit left at a call's start included), calls of 1, 2, 3 and 7 bits */
    uint8_t dd[40], rr[40];
    for (int i = 0; i < 40; i++) dd[i] = (uint8_t)((i * 7) % 5 == 0), rr[i] = (uint8_t)(i % 11 == 3);
    for (uint64_t skip = 0; skip <= 12; skip++) {
        qsdr_ber_t *one = qsdr_ber_create(4, skip);
        qsdr_ber_update(one, dd, rr, 40);
        qsdr_ber_counts want = qsdr_ber_get(one);
        uint64_t be = 0;
        for (uint64_t i = skip; i < 40; i++) be += dd[i] != rr[i];
        QSDR_CHECK_EQ_INT(want.bits, 40 - skip);
        QSDR_CHECK_EQ_INT(want.bit_errors, be);
        qsdr_ber_destroy(&one);
        const size_t steps[] = {1, 2, 3, 7};
        for (size_t si = 0; si < 4; si++) {
            qsdr_ber_t *cut = qsdr_ber_create(4, skip);
            for (size_t at = 0; at < 40; at += steps[si]) qsdr_ber_update(cut, dd + at, rr + at, at + steps[si] <= 40 ? steps[si] : 40 - at);
            qsdr_ber_counts got = qsdr_ber_get(cut);
            QSDR_CHECK_MSG(got.bits == want.bits && got.bit_errors == want.bit_errors && got.frames == want.frames &&
                               got.frame_errors == want.frame_errors,
                           "skip %llu, calls of %zu bits: %llu bits %llu errors %llu frames %llu frame errors; one call: %llu %llu %llu %llu",
                           (unsigned long long)skip, steps[si], (unsigned long long)got.bits, (unsigned long long)got.bit_errors,
                           (unsigned long long)got.frames, (unsigned long long)got.frame_errors, (unsigned long long)want.bits,
                           (unsigned long long)want.bit_errors, (unsigned long long)want.frames, (unsigned long long)want.frame_errors);
            qsdr_ber_destroy(&cut);
        }
    }
    qsdr_log_set_level(QSDR_LOG_OFF);
    QSDR_CHECK(qsdr_ber_create(0, 0) == NULL);
    qsdr_log_set_level(QSDR_LOG_INFO);
}

QSDR_TEST(rrc_round_trip, "unit", "unit-energy RRC: interp then matched filter returns the symbols (ISI < -30 dB), energy kept")
{
    size_t ns = 2000;
    qsdr_rrc_t *tx = qsdr_rrc_interp_create(4, 10, 0.35f), *rx = qsdr_rrc_decim_create(4, 10, 0.35f);
    QSDR_REQUIRE(tx && rx);
    qsdr_modem_t *m = qsdr_modem_create(QSDR_MOD_QPSK);
    uint8_t *bits = malloc(2 * ns);
    qsdr_rand_bits(1, 0, 2 * ns, bits);
    qsdr_cf32 *s = malloc(ns * sizeof *s), *x = malloc(4 * ns * sizeof *x), *y = malloc(ns * sizeof *y);
    qsdr_modem_map(m, bits, ns, s);
    qsdr_rrc_execute(tx, s, ns, x);
    double e = 0;
    for (size_t i = 100; i < 4 * ns - 100; i++) e += x[i].re * x[i].re + x[i].im * x[i].im;
    QSDR_CHECK_NEAR(e / (4 * ns - 200) * 4, 1.0, 0.03); /* energy per symbol = 1 */
    qsdr_rrc_execute(rx, x, ns, y);
    double err = 0, sig = 0;
    for (size_t i = 20; i < ns; i++) { /* delay 2*span = 20 symbols */
        double dr = y[i].re - s[i - 20].re, di = y[i].im - s[i - 20].im;
        err += dr * dr + di * di;
        sig += 1;
    }
    QSDR_CHECK_MSG(10 * log10(err / sig) < -30, "residual ISI %.1f dB", 10 * log10(err / sig));
    qsdr_log_set_level(QSDR_LOG_OFF);
    QSDR_CHECK(qsdr_rrc_interp_create(1, 4, 0.3f) == NULL);
    QSDR_CHECK(qsdr_rrc_interp_create(4, 4, 1.5f) == NULL);
    qsdr_log_set_level(QSDR_LOG_INFO);
    qsdr_rrc_destroy(&tx);
    qsdr_rrc_destroy(&rx);
    qsdr_modem_destroy(&m);
    free(bits);
    free(s);
    free(x);
    free(y);
}

/* Gray square M-QAM by direct integration: two independent sqrt(M)-PAM, levels (2i - L + 1) d
 * labelled with the reflected Gray code i ^ (i >> 1); per level and bit, the Gaussian mass of
 * the decision intervals whose label differs in that bit. Es = 2 (M - 1) d^2 / 3. */
static double qam_ber_direct(unsigned m, double ebn0_db)
{
    int L = (int)lround(sqrt((double)m)), nb = 0;
    while ((1 << nb) < L) nb++;
    double d = 1.0, es = 2.0 * (m - 1) * d * d / 3.0, eb = es / (2.0 * nb), n0 = eb / pow(10.0, ebn0_db / 10.0);
    double sigma = sqrt(n0 / 2.0), err = 0;
    for (int a = 0; a < L; a++) {
        double xa = (2.0 * a - L + 1) * d;
        for (int j = 0; j < L; j++) {
            if (j == a) continue;
            double lo = j == 0 ? -INFINITY : (2.0 * j - L) * d, hi = j == L - 1 ? INFINITY : (2.0 * j - L + 2) * d;
            /* the tail on the far side of the interval from xa (no cancellation at high SNR) */
            double u_lo = (lo - xa) / (sigma * sqrt(2.0)), u_hi = (hi - xa) / (sigma * sqrt(2.0));
            double p = lo >= xa ? 0.5 * (erfc(u_lo) - erfc(u_hi)) : 0.5 * (erfc(-u_hi) - erfc(-u_lo));
            int diff = (a ^ (a >> 1)) ^ (j ^ (j >> 1));
            err += p * __builtin_popcount((unsigned)diff);
        }
    }
    return err / (double)(L * nb);
}

QSDR_TEST(ber_qam_theory_exact, "unit", "the closed-form Gray M-QAM BER (Cho and Yoon) equals direct integration over the decision regions, M = 4..256, 0..16 dB")
{
    const unsigned ms[] = {4, 16, 64, 256};
    for (size_t i = 0; i < sizeof ms / sizeof *ms; i++)
        for (double eb = 0; eb <= 16; eb += 2) {
            double want = qam_ber_direct(ms[i], eb), got = qsdr_ber_qam_theory(ms[i], eb);
            QSDR_CHECK_MSG(fabs(got - want) <= 1e-9 * want, "M=%u %.0f dB: closed form %.12g, integration %.12g", ms[i], eb, got, want);
        }
    QSDR_CHECK_NEAR(qsdr_ber_qam_theory(2, 6.0), 0.5 * erfc(sqrt(pow(10.0, 0.6))), 1e-15);
}
