/* SPDX-License-Identifier: MIT */
/* Uncoded BER against theory through the real runtime (fixed seeds).
 * Tolerance: the issue's +-10 % relative with >= 200 errors per point; 1000 errors are
 * counted, whose 95 % interval is about +-6 %. */
#include <string.h>

#include "qsdr/qsdr.h"
#include "qsdr_test.h"

/* rx: YAML block lines for the receiver, from block 'first' (fed by awgn) to block 'dec'. */
static qsdr_ber_counts run_chain(const char *mod, int bps, double ebn0, uint64_t min_errors, const char *rx, uint64_t seed)
{
    char y[2048];
    snprintf(y, sizeof y,
             "blocks:\n"
             "  - {id: src, type: random_source}\n"
             "  - {id: map, type: mapper, params: {modulation: %s}}\n"
             "  - {id: awgn, type: awgn, params: {ebn0_db: %g, bits_per_symbol: %d}}\n"
             "%s"
             "  - {id: ber, type: ber, params: {max_bit_errors: %llu, print: false}}\n"
             "connections: [src -> map, map -> awgn, awgn -> first, first -> dec, dec -> ber.in, src -> ber.ref]\n",
             mod, ebn0, bps, rx, (unsigned long long)min_errors);
    qsdr_flowgraph_t *fg = NULL;
    qsdr_ber_counts c = {0};
    if (qsdr_flowgraph_load_string(y, "ber.yml", NULL, &fg)) {
        qsdr_test_fail(__FILE__, __LINE__, "load: %s", qsdr_last_error());
        return c;
    }
    qsdr_flowgraph_set_seed(fg, seed);
    int rc = qsdr_flowgraph_run(fg, QSDR_SCHED_SERIAL);
    QSDR_CHECK_MSG(rc == QSDR_OK, "run: %s", qsdr_last_error());
    qsdr_stats st;
    qsdr_flowgraph_stats(fg, "ber", &st);
    for (size_t i = 0; i < st.n; i++) {
        if (!strcmp(st.v[i].name, "bits")) c.bits = (uint64_t)st.v[i].value;
        if (!strcmp(st.v[i].name, "bit_errors")) c.bit_errors = (uint64_t)st.v[i].value;
    }
    qsdr_flowgraph_destroy(&fg);
    return c;
}

static const char *soft_rx(const char *mod, char *buf, size_t n)
{
    snprintf(buf, n,
             "  - {id: first, type: demapper, params: {modulation: %s}}\n"
             "  - {id: dec, type: hard_decision}\n",
             mod);
    return buf;
}

QSDR_TEST(ber_bpsk_qpsk_theory, "ber", "uncoded BPSK and QPSK BER within 10 % of Q(sqrt(2Eb/N0)) at 0, 2, 4, 6 dB")
{
    const char *mods[] = {"bpsk", "qpsk"};
    int bps[] = {1, 2};
    double pts[] = {0, 2, 4, 6};
    char rx[512];
    for (int m = 0; m < 2; m++)
        for (int p = 0; p < 4; p++) {
            qsdr_ber_counts c = run_chain(mods[m], bps[m], pts[p], 1000, soft_rx(mods[m], rx, sizeof rx), 11 + p);
            double ber = c.bits ? (double)c.bit_errors / (double)c.bits : 1, th = qsdr_ber_bpsk_theory(pts[p]);
            printf("  %s Eb/N0 %.0f dB: BER %.4e (%llu errors), theory %.4e, ratio %.3f\n", mods[m], pts[p], ber,
                   (unsigned long long)c.bit_errors, th, ber / th);
            QSDR_CHECK(c.bit_errors >= 200);
            QSDR_CHECK_MSG(fabs(ber / th - 1) < 0.10, "%s at %.0f dB: BER %.4e vs theory %.4e", mods[m], pts[p], ber, th);
        }
}

QSDR_TEST(ber_qam16_qam64_theory, "ber", "uncoded Gray 16-QAM and 64-QAM BER within 10 % of the exact formula")
{
    const char *mods[] = {"qam16", "qam64"};
    int bps[] = {4, 6};
    unsigned m_[] = {16, 64};
    double pts[2][3] = {{4, 8, 11}, {8, 12, 15}};
    char rx[512];
    for (int m = 0; m < 2; m++)
        for (int p = 0; p < 3; p++) {
            qsdr_ber_counts c = run_chain(mods[m], bps[m], pts[m][p], 1000, soft_rx(mods[m], rx, sizeof rx), 21 + p);
            double ber = c.bits ? (double)c.bit_errors / (double)c.bits : 1, th = qsdr_ber_qam_theory(m_[m], pts[m][p]);
            printf("  %s Eb/N0 %.0f dB: BER %.4e (%llu errors), theory %.4e, ratio %.3f\n", mods[m], pts[m][p], ber,
                   (unsigned long long)c.bit_errors, th, ber / th);
            QSDR_CHECK_MSG(fabs(ber / th - 1) < 0.10, "%s at %.0f dB: BER %.4e vs theory %.4e", mods[m], pts[m][p], ber, th);
        }
}

QSDR_TEST(ber_onebit_equals_hard_qpsk, "ber", "one-bit ADC at 1 sample/symbol gives exactly the hard-decision QPSK errors")
{
    for (int p = 0; p < 3; p++) {
        double eb = 2.0 * p;
        qsdr_ber_counts hard = run_chain("qpsk", 2, eb, 500,
                                         "  - {id: first, type: copy}\n"
                                         "  - {id: dec, type: slicer, params: {modulation: qpsk}}\n",
                                         99 + p);
        qsdr_ber_counts onebit = run_chain("qpsk", 2, eb, 500,
                                           "  - {id: first, type: adc, params: {bits: 1}}\n"
                                           "  - {id: dec, type: slicer, params: {modulation: qpsk}}\n",
                                           99 + p);
        printf("  Eb/N0 %.0f dB: hard %llu/%llu, one-bit %llu/%llu\n", eb, (unsigned long long)hard.bit_errors,
               (unsigned long long)hard.bits, (unsigned long long)onebit.bit_errors, (unsigned long long)onebit.bits);
        QSDR_CHECK(hard.bit_errors >= 500);
        QSDR_CHECK_EQ_INT(onebit.bit_errors, hard.bit_errors);
        QSDR_CHECK_EQ_INT(onebit.bits, hard.bits);
        double th = qsdr_ber_bpsk_theory(eb), ber = hard.bits ? (double)onebit.bit_errors / (double)onebit.bits : 1;
        QSDR_CHECK_MSG(fabs(ber / th - 1) < 0.15, "one-bit at %.0f dB: %.4e vs %.4e", eb, ber, th);
    }
}

QSDR_TEST(ber_onebit_llr_calibrated, "ber", "onebit_llr's |LLR| equals log((1-p)/p) of the sign-bit crossover p measured on the same stream (QPSK 4 and 11 dB, 16-QAM 8 dB)")
{
    /* The block computes L_c from theory (p = mean over the constellation of Q(|a|/sigma), sigma
       from the awgn block's N0 tag); here p is counted. Tolerance: 5 standard deviations of the
       measured log((1-p)/p), 1/sqrt(n p (1-p)) by the delta method. */
    const struct { const char *mod; int bps; double esn0; unsigned n_bits; } pt[] = {
        {"qpsk", 2, 4, 1000000}, {"qpsk", 2, 11, 2000000}, {"qam16", 4, 8, 2000000}};
    for (int t = 0; t < 3; t++) {
        char y[2048];
        snprintf(y, sizeof y,
                 "blocks:\n"
                 "  - {id: src, type: random_source}\n"
                 "  - {id: hd, type: head, params: {type: bit, n: %u}}\n"
                 "  - {id: map, type: mapper, params: {modulation: %s}}\n"
                 "  - {id: awgn, type: awgn, params: {esn0_db: %g, bits_per_symbol: %d}}\n"
                 "  - {id: adc, type: adc, params: {bits: 1}}\n"
                 "  - {id: ob, type: onebit_llr, params: {modulation: %s}}\n"
                 "  - {id: bits, type: vector_sink, params: {type: bit}}\n"
                 "  - {id: llr, type: vector_sink, params: {type: f32}}\n"
                 "connections: [src -> hd, hd -> map, hd -> bits, map -> awgn, awgn -> adc, adc -> ob, ob -> llr]\n",
                 pt[t].n_bits, pt[t].mod, pt[t].esn0, pt[t].bps, pt[t].mod);
        const uint8_t *b;
        const float *l;
        const size_t nl = pt[t].n_bits;
        qsdr_flowgraph_t *fg = qsdr_test_run_bits_llr(y, 31 + (uint64_t)t, nl, &b, &l);
        const unsigned B = (unsigned)pt[t].bps;
        unsigned sign_bits = 0;
        for (unsigned k = 0; k < B; k++) {
            size_t n = 0, err = 0, erased = 0;
            float mag = -1;
            bool one_mag = true;
            for (size_t i = k; i < nl; i += B) {
                if (l[i] == 0) { erased++; continue; }
                n++;
                err += (l[i] > 0) != (b[i] == 0);
                if (mag < 0) mag = fabsf(l[i]);
                one_mag = one_mag && fabsf(l[i]) == mag;
            }
            if (erased) { /* 16-QAM amplitude bits: erased on every symbol */
                QSDR_CHECK_MSG(n == 0, "%s bit %u: %zu LLRs erased, %zu not", pt[t].mod, k, erased, n);
                continue;
            }
            sign_bits++;
            double p = (double)err / (double)n, want = log((1 - p) / p), sd = 1 / sqrt((double)n * p * (1 - p));
            printf("  %s Es/N0 %.0f dB bit %u: |LLR| %.4f, measured crossover %.3e (%zu errors) -> %.4f +- %.4f\n",
                   pt[t].mod, pt[t].esn0, k, mag, p, err, want, sd);
            QSDR_CHECK_MSG(one_mag, "%s bit %u: the LLR magnitude varies", pt[t].mod, k);
            QSDR_CHECK_MSG(err >= 100, "%s bit %u: only %zu errors", pt[t].mod, k, err);
            QSDR_CHECK_MSG(fabs(mag - want) <= 5 * sd, "%s Es/N0 %g dB bit %u: |LLR| %.4f, log((1-p)/p) of the measured p %.4f (5 sd: %.4f)",
                           pt[t].mod, pt[t].esn0, k, mag, want, 5 * sd);
        }
        QSDR_CHECK_EQ_INT(sign_bits, 2);
        qsdr_flowgraph_destroy(&fg);
    }
}

QSDR_TEST(ber_blind_demapper_noise_estimate, "ber", "blind_demapper: its N0 estimate equals the channel's N0 relative to the received power (QPSK 15 dB, 16-QAM 25 dB Es/N0), and its LLRs equal the demapper's with that N0 after power normalisation")
{
    /* At these SNRs decisions are error-free (symbol error rates below 1e-7), so the
       decision-directed estimate is the mean |g x - s|^2 of a window scaled to unit received
       power (g = 1/rms): checked exactly against the sent symbols s, and against theory,
       N0 / (Es + N0) with Es = 1, within 2 % (its relative standard deviation over 65536
       symbols is 0.4 %, and the shrunk constellation adds (1 - g)^2 Es, +0.8 % for QPSK here). */
    const struct { const char *mod; int bps; double esn0; } pt[] = {{"qpsk", 2, 15}, {"qam16", 4, 25}};
    for (int t = 0; t < 2; t++) {
        char y[2048];
        snprintf(y, sizeof y,
                 "blocks:\n"
                 "  - {id: src, type: random_source}\n"
                 "  - {id: hd, type: head, params: {type: bit, n: %d}}\n"
                 "  - {id: map, type: mapper, params: {modulation: %s}}\n"
                 "  - {id: awgn, type: awgn, params: {esn0_db: %g, bits_per_symbol: %d}}\n"
                 "  - {id: bd, type: blind_demapper, params: {modulation: %s, window: 65536}}\n"
                 "  - {id: rx, type: vector_sink, params: {type: cf32}}\n"
                 "  - {id: llr, type: vector_sink, params: {type: f32}}\n"
                 "  - {id: tx, type: vector_sink, params: {type: cf32}}\n"
                 "connections: [src -> hd, hd -> map, map -> awgn, map -> tx, awgn -> bd, awgn -> rx, bd -> llr]\n",
                 65536 * pt[t].bps, pt[t].mod, pt[t].esn0, pt[t].bps, pt[t].mod);
        qsdr_flowgraph_t *fg = NULL;
        QSDR_REQUIRE(qsdr_flowgraph_load_string(y, "blind.yml", NULL, &fg) == QSDR_OK);
        qsdr_flowgraph_set_seed(fg, 41 + (uint64_t)t);
        QSDR_REQUIRE(qsdr_flowgraph_run(fg, QSDR_SCHED_SERIAL) == QSDR_OK);
        qsdr_stats st;
        double n0_est = -1;
        QSDR_REQUIRE(qsdr_flowgraph_stats(fg, "bd", &st) == QSDR_OK);
        for (size_t i = 0; i < st.n; i++)
            if (!strcmp(st.v[i].name, "noise_var")) n0_est = st.v[i].value;
        double n0 = pow(10, -pt[t].esn0 / 10), want = n0 / (1 + n0);
        printf("  %s Es/N0 %.0f dB: estimated N0 %.5e, N0/(Es+N0) %.5e, ratio %.4f\n", pt[t].mod, pt[t].esn0, n0_est, want, n0_est / want);
        QSDR_CHECK_MSG(fabs(n0_est / want - 1) < 0.02, "%s: blind N0 %.5e, expected %.5e", pt[t].mod, n0_est, want);
        /* the LLRs: the exact demapper's on the window scaled to unit power, with the block's N0 */
        const qsdr_cf32 *x;
        const float *l;
        size_t nx = 0, nl = 0;
        qsdr_vector_sink_data(fg, "rx", (const void **)&x, &nx, NULL, NULL);
        qsdr_vector_sink_data(fg, "llr", (const void **)&l, &nl, NULL, NULL);
        QSDR_REQUIRE(nx == 65536 && nl == nx * (size_t)pt[t].bps);
        double p = 0;
        for (size_t i = 0; i < nx; i++) p += (double)x[i].re * x[i].re + (double)x[i].im * x[i].im;
        double g = 1 / sqrt(p / (double)nx);
        /* exactly: the mean |g x - s|^2 over the window, s the sent symbols (= the decisions) */
        const qsdr_cf32 *tx;
        size_t ntx = 0;
        qsdr_vector_sink_data(fg, "tx", (const void **)&tx, &ntx, NULL, NULL);
        QSDR_REQUIRE(ntx == nx);
        double e = 0;
        for (size_t i = 0; i < nx; i++) {
            double dr = x[i].re * g - tx[i].re, di = x[i].im * g - tx[i].im;
            e += dr * dr + di * di;
        }
        e /= (double)nx;
        printf("    mean |g x - s|^2 over the window %.5e\n", e);
        QSDR_CHECK_MSG(fabs(n0_est / e - 1) < 1e-4, "%s: blind N0 %.6e, mean |g x - s|^2 %.6e", pt[t].mod, n0_est, e);
        qsdr_modem_t *m = qsdr_modem_create(t ? QSDR_MOD_QAM16 : QSDR_MOD_QPSK);
        QSDR_REQUIRE(m);
        double worst = 0;
        for (size_t i = 0; i < nx; i += 97) {
            qsdr_cf32 s = {(float)(x[i].re * g), (float)(x[i].im * g)};
            float ref[4];
            QSDR_REQUIRE(qsdr_modem_demap_llr(m, &s, 1, (float)n0_est, false, ref) == QSDR_OK);
            for (int b = 0; b < pt[t].bps; b++)
                worst = qsdr_test_max(worst, fabs(l[i * (size_t)pt[t].bps + b] - ref[b]) / (1 + fabs(ref[b])));
        }
        /* the same N0 and gain: equal up to float rounding */
        printf("    LLRs against the exact demapper's with that N0: largest relative difference %.2g\n", worst);
        QSDR_CHECK_MSG(worst < 1e-4, "%s: blind LLRs differ from the exact demapper's by %.3g (relative)", pt[t].mod, worst);
        qsdr_modem_destroy(&m);
        qsdr_flowgraph_destroy(&fg);
    }
}
