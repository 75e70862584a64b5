/* SPDX-License-Identifier: MIT */
/* Welch PSD (lib/phy/spectrum.c): against a direct DFT written out in double precision,
 * Parseval scaling, tone and white-noise spectra, segment counting with overlap, the 99 %
 * occupied bandwidth of RRC-shaped QPSK, bad arguments and non-finite samples. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "qsdr/qsdr.h"
#include "qsdr_test.h"

QSDR_TEST(psd_matches_direct_dft, "unit", "Welch PSD (FFTW) equals windowed periodograms computed by a direct DFT")
{
    enum { N = 32, L = 80 };
    qsdr_cf32 x[L];
    uint64_t st = 7;
    for (int i = 0; i < L; i++) {
        st = st * 6364136223846793005ull + 1442695040888963407ull;
        x[i].re = (float)((double)(st >> 40) / 16777216.0 - 0.5);
        x[i].im = (float)((double)((st >> 16) & 0xffffff) / 16777216.0 - 0.5);
    }
    static const qsdr_window wins[] = {QSDR_WINDOW_HANN, QSDR_WINDOW_BLACKMAN, QSDR_WINDOW_RECT};
    for (int wi = 0; wi < 3; wi++) {
        qsdr_psd_t *p = qsdr_psd_create(N, 0.5, wins[wi]);
        QSDR_REQUIRE(p);
        QSDR_CHECK_EQ_INT(qsdr_psd_push(p, x, 37), QSDR_OK); /* in two pieces: segments span the boundary */
        QSDR_CHECK_EQ_INT(qsdr_psd_push(p, x + 37, L - 37), QSDR_OK);
        /* hop 16: segments start at 0, 16, 32, 48 (the one at 64 is incomplete) */
        QSDR_CHECK_EQ_INT((int)qsdr_psd_segments(p), 4);
        double got[N], ref[N] = {0}, w[N], ew = 0;
        QSDR_CHECK_EQ_INT(qsdr_psd_get(p, got), QSDR_OK);
        for (int i = 0; i < N; i++) {
            double t = 2 * M_PI * i / N;
            w[i] = wi == 0 ? 0.5 - 0.5 * cos(t) : wi == 1 ? 0.42 - 0.5 * cos(t) + 0.08 * cos(2 * t) : 1;
            ew += w[i] * w[i];
        }
        for (int s = 0; s < 4; s++)
            for (int k = 0; k < N; k++) {
                double re = 0, im = 0, f = (double)(k - N / 2) / N; /* bin k: frequency (k - N/2)/N */
                for (int i = 0; i < N; i++) {
                    double a = -2 * M_PI * f * i, xr = w[i] * x[16 * s + i].re, xi = w[i] * x[16 * s + i].im;
                    re += xr * cos(a) - xi * sin(a);
                    im += xr * sin(a) + xi * cos(a);
                }
                ref[k] += (re * re + im * im) / (4.0 * N * ew);
            }
        double worst = 0, tot = 0;
        for (int k = 0; k < N; k++) worst = fmax(worst, fabs(got[k] - ref[k])), tot += ref[k];
        QSDR_CHECK_MSG(worst < 1e-6 * tot, "window %d: PSD differs from the direct DFT by %g (total %g)", wi, worst, tot);
        qsdr_psd_destroy(&p);
        QSDR_CHECK(p == NULL);
    }
}

QSDR_TEST(psd_tone_and_noise, "unit", "a tone lands in its bin with its power; white noise is flat with 99 % bandwidth ~0.99")
{
    enum { N = 64 };
    size_t L = 64 * 2000;
    qsdr_cf32 *x = malloc(L * sizeof *x);
    for (size_t i = 0; i < L; i++) x[i] = (qsdr_cf32){(float)(1.5 * cos(2 * M_PI * 5.0 / N * (double)i)), (float)(1.5 * sin(2 * M_PI * 5.0 / N * (double)i))};
    qsdr_psd_t *p = qsdr_psd_create(N, 0, QSDR_WINDOW_RECT);
    QSDR_REQUIRE(p);
    qsdr_psd_push(p, x, L);
    double pw[N], tot = 0;
    qsdr_psd_get(p, pw);
    for (int k = 0; k < N; k++) tot += pw[k];
    QSDR_CHECK_NEAR(tot, 2.25, 1e-4);                 /* Parseval: the bins sum to the power */
    QSDR_CHECK_NEAR(pw[N / 2 + 5], 2.25, 1e-4);       /* all of it in bin +5/64 */
    qsdr_psd_destroy(&p);

    /* white Gaussian noise, variance 2 (1 per dimension), seed 11: every bin 2/N within +-10 %
       (about 4000 half-overlapping Hann segments: ~1.7 % standard deviation per bin, so the
       extreme of 64 bins lies near 3 sigma ~ 5 %) */
    qsdr_awgn_t *a = qsdr_awgn_create(2.0f, 11);
    QSDR_REQUIRE(a);
    memset(x, 0, L * sizeof *x);
    qsdr_awgn_execute(a, x, L, 0, x);
    qsdr_awgn_destroy(&a);
    p = qsdr_psd_create(N, 0.5, QSDR_WINDOW_HANN);
    qsdr_psd_push(p, x, L);
    qsdr_psd_get(p, pw);
    double lo = 1e9, hi = 0;
    tot = 0;
    for (int k = 0; k < N; k++) lo = fmin(lo, pw[k]), hi = fmax(hi, pw[k]), tot += pw[k];
    QSDR_CHECK_NEAR(tot, 2.0, 0.05);
    QSDR_CHECK_MSG(lo > 0.9 * 2.0 / N && hi < 1.1 * 2.0 / N, "noise PSD not flat: bins in [%g, %g], expected %g", lo, hi, 2.0 / N);
    double obw = qsdr_psd_occupied_bw(pw, N, 0.99);
    QSDR_CHECK_NEAR(obw, 0.99, 0.02);
    qsdr_psd_destroy(&p);
    free(x);
}

QSDR_TEST(psd_rrc_occupied_bandwidth, "unit", "RRC-shaped QPSK (roll-off 0.35, 4 samples/symbol): 99 % bandwidth between 1 and 1.35 symbol rates")
{
    size_t nsym = 20000, sps = 4;
    uint8_t *bits = malloc(2 * nsym);
    uint64_t st = 3;
    for (size_t i = 0; i < 2 * nsym; i++) st = st * 6364136223846793005ull + 1442695040888963407ull, bits[i] = (uint8_t)(st >> 63);
    qsdr_modem_t *m = qsdr_modem_create(QSDR_MOD_QPSK);
    qsdr_rrc_t *r = qsdr_rrc_interp_create((unsigned)sps, 8, 0.35f);
    QSDR_REQUIRE(m && r);
    qsdr_cf32 *sym = malloc(nsym * sizeof *sym), *x = malloc(nsym * sps * sizeof *x);
    qsdr_modem_map(m, bits, nsym, sym);
    qsdr_rrc_execute(r, sym, nsym, x);
    qsdr_psd_t *p = qsdr_psd_create(256, 0.5, QSDR_WINDOW_HANN);
    qsdr_psd_push(p, x + 64, nsym * sps - 64);
    double pw[256];
    qsdr_psd_get(p, pw);
    double obw = qsdr_psd_occupied_bw(pw, 256, 0.99) * (double)sps; /* in symbol rates */
    QSDR_CHECK_MSG(obw > 1.0 && obw < 1.35, "99 %% bandwidth %g symbol rates, expected in (1, 1.35)", obw);
    qsdr_psd_destroy(&p);
    qsdr_rrc_destroy(&r);
    qsdr_modem_destroy(&m);
    free(bits), free(sym), free(x);
}

QSDR_TEST(psd_bad_input, "unit", "bad nfft / overlap / window are refused; NaN samples are an error; no segment is an error")
{
    QSDR_CHECK(qsdr_psd_create(8, 0.5, QSDR_WINDOW_HANN) == NULL);
    QSDR_CHECK(qsdr_psd_create((1u << 20) + 1, 0.5, QSDR_WINDOW_HANN) == NULL);
    QSDR_CHECK(qsdr_psd_create(64, 0.96, QSDR_WINDOW_HANN) == NULL);
    QSDR_CHECK(qsdr_psd_create(64, NAN, QSDR_WINDOW_HANN) == NULL);
    QSDR_CHECK(qsdr_psd_create(64, 0.5, (qsdr_window)7) == NULL);
    qsdr_psd_t *p = qsdr_psd_create(16, 0.95, QSDR_WINDOW_RECT); /* hop rounds to 1 */
    QSDR_REQUIRE(p);
    double pw[16];
    qsdr_cf32 x[20] = {{0}};
    QSDR_CHECK_EQ_INT(qsdr_psd_push(p, x, 10), QSDR_OK);
    QSDR_CHECK(qsdr_psd_get(p, pw) != QSDR_OK);
    QSDR_CHECK_EQ_INT(qsdr_psd_push(p, x, 10), QSDR_OK);
    QSDR_CHECK_EQ_INT((int)qsdr_psd_segments(p), 5); /* starts 0..4 of 20 samples, hop 1 */
    x[3].im = NAN;
    QSDR_CHECK(qsdr_psd_push(p, x, 5) == QSDR_ERANGE);
    QSDR_CHECK(strstr(qsdr_last_error(), "not finite") != NULL);
    qsdr_psd_destroy(&p);
}

QSDR_TEST(sinks_skip_and_scale, "unit",
          "constellation_sink and spectrum_sink leave exactly `skip` samples out; the constellation's mean power and the "
          "spectrum CSV's density (dB per unit of sample_rate) are exact")
{
    /* constellation: (1,0) (0,2) (3,0) (0,4), the first skipped: 3 points of mean power 29/3 */
    qsdr_flowgraph_t *fg = NULL;
    QSDR_REQUIRE(qsdr_flowgraph_load_string("blocks:\n"
                                            "  - {id: v, type: vector_source, params: {type: cf32, data: [1,0, 0,2, 3,0, 0,4]}}\n"
                                            "  - {id: c, type: constellation_sink, params: {skip: 1, print: false}}\n"
                                            "connections: [v -> c]\n",
                                            "sinks.yml", NULL, &fg) == QSDR_OK);
    QSDR_CHECK_EQ_INT(qsdr_flowgraph_run(fg, QSDR_SCHED_SERIAL), QSDR_OK);
    QSDR_CHECK_EQ_INT(qsdr_test_stat(fg, "c", "points"), 3);
    QSDR_CHECK_NEAR(qsdr_test_stat(fg, "c", "power"), 29.0 / 3.0, 1e-9);
    qsdr_flowgraph_destroy(&fg);

    /* spectrum: 64 samples (10, 0) to skip, then 1024 samples of DC (1, 0); rect window, nfft 64,
       sample rate 1000: all power 1 in the 0 Hz bin, whose density is 1 / (1000 / 64) per Hz */
    char csv[] = "/tmp/qsdr_psd_XXXXXX";
    int fd = mkstemp(csv);
    QSDR_REQUIRE(fd >= 0);
    close(fd);
    size_t len = 64 + 1088 * 8;
    char *yaml = malloc(len + 512);
    QSDR_REQUIRE(yaml);
    int k = snprintf(yaml, len + 512, "blocks:\n  - {id: v, type: vector_source, params: {type: cf32, data: [");
    for (int i = 0; i < 1088; i++) k += snprintf(yaml + k, len + 512 - (size_t)k, "%s%d,0", i ? "," : "", i < 64 ? 10 : 1);
    snprintf(yaml + k, len + 512 - (size_t)k,
             "]}}\n  - {id: s, type: spectrum_sink, params: {nfft: 64, window: rect, overlap: 0, skip: 64, sample_rate: 1000, "
             "csv: '%s', print: false}}\nconnections: [v -> s]\n",
             csv);
    QSDR_REQUIRE(qsdr_flowgraph_load_string(yaml, "sinks.yml", NULL, &fg) == QSDR_OK);
    free(yaml);
    QSDR_CHECK_EQ_INT(qsdr_flowgraph_run(fg, QSDR_SCHED_SERIAL), QSDR_OK);
    QSDR_CHECK_EQ_INT(qsdr_test_stat(fg, "s", "segments"), 16);
    QSDR_CHECK_NEAR(qsdr_test_stat(fg, "s", "power"), 1.0, 1e-5);
    qsdr_flowgraph_destroy(&fg);
    FILE *f = fopen(csv, "r");
    QSDR_REQUIRE(f);
    char line[256];
    int rows = 0, dc = 0;
    while (fgets(line, sizeof line, f)) {
        double fr, db, bp;
        if (sscanf(line, "%lf,%lf,%lf", &fr, &db, &bp) != 3) continue;
        rows++;
        if (fr == 0) {
            dc++;
            QSDR_CHECK_NEAR(bp, 1.0, 1e-5);
            QSDR_CHECK_NEAR(db, 10 * log10(64.0 / 1000.0), 1e-3);
        }
    }
    fclose(f);
    unlink(csv);
    QSDR_CHECK_EQ_INT(rows, 64);
    QSDR_CHECK_EQ_INT(dc, 1);
}
