/* SPDX-License-Identifier: MIT */
/* Experiment (not a speed benchmark; not run by `make bench`): the flagship's inner codes under
 * a convolutional outer code instead of the LTE turbo code. docs/flagship.md, "With a
 * convolutional outer code". Measures what the issue-7 note only estimated from textbooks.
 *
 * Chain: K info bits -> K = 7 convolutional code, rate 1/2 (133, 171 octal) or 1/3 (133, 171,
 * 165: LTE's), terminated with 6 zeros (R = K / (n (K + 6)) exactly) -> random bit interleaver
 * (seeded) -> inner:
 *   soft  QPSK, unquantized, exact LLRs (the B0 of this outer code)
 *   b1    QPSK, one-bit ADC at one sample per symbol, LLRs +-L_c (the B1 of this outer code)
 *   ae    the autoencoder (--tx / --rx model files, e.g. models/ae_qpsk_L2), one-bit ADC on
 *         all L samples, the neural decoder's LLRs
 * -> AWGN at Eb/N0 counting every transmitted sample (Eb = n_s / (R m), qsdr_ae_sigma2) ->
 * deinterleaver -> soft-input Viterbi (max-log: correlation metric on the LLRs).
 *
 *   build/bench/exp_conv_outer --inner ae --tx models/ae_qpsk_L2/tx.safetensors \
 *       --rx models/ae_qpsk_L2/rx.safetensors --k 1024 --ebn0 3:0.5:7
 *
 * Prints BER and FER per point, the inner LLRs' Bhattacharyya parameter Z = E[exp(-L x / 2)]
 * (x = +-1 the transmitted bit; a Viterbi decoder's error events of weight d go roughly as Z^d),
 * and the Eb/N0 at BER 1e-4 (log-linear interpolation between the points around it); CSV with
 * --csv. */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "qsdr/ae.h"
#include "qsdr/qsdr.h"

#define NSTATES 64
#define TAIL 6

static const unsigned GEN[3] = {0133, 0171, 0165};

/* out[reg]: the n code bits (bit j: generator j) for register reg = (input << 6) | state */
static void conv_table(unsigned n, uint8_t out[128])
{
    for (unsigned r = 0; r < 128; r++) {
        out[r] = 0;
        for (unsigned j = 0; j < n; j++) out[r] |= (uint8_t)(__builtin_parity(r & GEN[j]) << j);
    }
}

/* u: K bits -> c: n (K + 6) bits */
static void conv_encode(unsigned n, const uint8_t out[128], const uint8_t *u, size_t K, uint8_t *c)
{
    unsigned s = 0;
    for (size_t t = 0; t < K + TAIL; t++) {
        unsigned reg = (t < K ? u[t] : 0u) << 6 | s;
        for (unsigned j = 0; j < n; j++) c[n * t + j] = out[reg] >> j & 1;
        s = reg >> 1;
    }
}

/* branch metric: correlation of the n code bits o with the LLRs (a 0 bit gains +L/2) */
static float branch(unsigned n, unsigned o, const float *l)
{
    float m = 0;
    for (unsigned j = 0; j < n; j++) m += o >> j & 1 ? -l[j] : l[j];
    return 0.5f * m;
}

/* soft-input Viterbi on LLRs (log P(0)/P(1)), trellis terminated in state 0; dec: (K+6) x 64-bit
 * survivor words; v: K decoded bits */
static void viterbi(unsigned n, const uint8_t out[128], const float *llr, size_t K, uint64_t *dec, uint8_t *v)
{
    float pm[NSTATES], np[NSTATES];
    for (int s = 0; s < NSTATES; s++) pm[s] = s ? -1e30f : 0;
    for (size_t t = 0; t < K + TAIL; t++) {
        const float *l = llr + n * t;
        float bm[8]; /* by the n code bits */
        for (unsigned o = 0; o < (1u << n); o++) bm[o] = branch(n, o, l);
        uint64_t d = 0;
        for (unsigned ns = 0; ns < NSTATES; ns++) {
            unsigned u = ns >> 5, s0 = (ns << 1) & 63, s1 = s0 | 1;
            float m0 = pm[s0] + bm[out[u << 6 | s0]], m1 = pm[s1] + bm[out[u << 6 | s1]];
            if (m1 > m0) np[ns] = m1, d |= 1ull << ns;
            else np[ns] = m0;
        }
        dec[t] = d;
        float mx = np[0];
        for (int s = 1; s < NSTATES; s++) mx = np[s] > mx ? np[s] : mx;
        for (int s = 0; s < NSTATES; s++) pm[s] = np[s] - mx;
    }
    unsigned ns = 0;
    for (size_t t = K + TAIL; t-- > 0;) {
        if (t < K) v[t] = (uint8_t)(ns >> 5);
        ns = ((ns << 1) & 63) | (unsigned)(dec[t] >> ns & 1);
    }
}

static int usage(void)
{
    fprintf(stderr, "usage: exp_conv_outer [--inner soft|b1|ae] [--tx FILE --rx FILE (ae)] [--rate 1/2|1/3] [--k K] [--ebn0 A:STEP:B]\n"
                    "                      [--frames F] [--min-frame-errors E] [--seed S] [--csv FILE]\n");
    return 2;
}

int main(int argc, char **argv)
{
    const char *inner = "b1", *txp = NULL, *rxp = NULL, *csv = NULL;
    size_t K = 1024;
    unsigned n = 2; /* code bits per info bit */
    double e0 = 3, de = 0.5, e1 = 7;
    long frames = 2000, min_fe = 50;
    uint64_t seed = 1;
    for (int i = 1; i < argc; i += 2) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (!v) return usage();
        if (!strcmp(a, "--inner")) inner = v;
        else if (!strcmp(a, "--tx")) txp = v;
        else if (!strcmp(a, "--rx")) rxp = v;
        else if (!strcmp(a, "--k")) K = strtoul(v, NULL, 10);
        else if (!strcmp(a, "--rate")) {
            if (!strcmp(v, "1/2")) n = 2;
            else if (!strcmp(v, "1/3")) n = 3;
            else return usage();
        }
        else if (!strcmp(a, "--ebn0")) {
            if (sscanf(v, "%lf:%lf:%lf", &e0, &de, &e1) != 3 || !(de > 0)) return usage();
        } else if (!strcmp(a, "--frames")) frames = atol(v);
        else if (!strcmp(a, "--min-frame-errors")) min_fe = atol(v);
        else if (!strcmp(a, "--seed")) seed = strtoull(v, NULL, 10);
        else if (!strcmp(a, "--csv")) csv = v;
        else return usage();
    }
    int mode = !strcmp(inner, "soft") ? 0 : !strcmp(inner, "b1") ? 1 : !strcmp(inner, "ae") ? 2 : -1;
    if (mode < 0 || K < 8 || K > 1000000 || frames < 1 || min_fe < 1 || (mode == 2 && (!txp || !rxp))) return usage();
    qsdr_ae *tx = NULL, *rx = NULL;
    qsdr_ae_geom g = {2, 1, 1}; /* QPSK: 2 coded bits per symbol, one sample */
    if (mode == 2) {
        tx = qsdr_ae_load(txp, true), rx = qsdr_ae_load(rxp, false);
        if (!tx || !rx) return fprintf(stderr, "exp_conv_outer: %s\n", qsdr_last_error()), 2;
        g = *qsdr_ae_geometry(tx);
    }
    const size_t N = n * (K + TAIL), S = g.ns * g.L, G = N / g.m;
    if (N % g.m) return fprintf(stderr, "exp_conv_outer: N = %zu is not a multiple of m = %u\n", N, g.m), 2;
    const double R = (double)K / (double)N;
    uint8_t out[128], *u = malloc(K), *c = malloc(N), *ci = malloc(N), *v = malloc(K);
    uint64_t *dec = malloc((K + TAIL) * sizeof *dec);
    size_t *pi = malloc(N * sizeof *pi);
    float *w = malloc(2 * G * S * sizeof *w), *li = malloc(N * sizeof *li), *llr = malloc(N * sizeof *llr);
    qsdr_cf32 *x = malloc(G * S * sizeof *x);
    if (!u || !c || !ci || !v || !dec || !pi || !w || !li || !llr || !x) return 1;
    conv_table(n, out);
    qsdr_rand_perm(seed ^ 0x7065726dull, 0, N, pi);
    FILE *fc = csv ? fopen(csv, "w") : NULL;
    if (csv && !fc) return fprintf(stderr, "exp_conv_outer: cannot write %s\n", csv), 1;
    if (fc) fprintf(fc, "inner,k,rate,ebn0_db,frames,bits,bit_errors,frame_errors,ber,fer,bhattacharyya\n");
    printf("# inner %s (m %u, ns %u, L %u), conv K=7 (%s) R = %zu/%zu, soft Viterbi, K %zu\n", inner, g.m, g.ns, g.L,
           n == 2 ? "133,171" : "133,171,165", K, N, K);
    double prev_e = NAN, prev_b = NAN, at1e4 = NAN;
    for (int pt = 0; e0 + pt * de <= e1 + 1e-9; pt++) {
        double ebn0 = e0 + pt * de, s2 = qsdr_ae_sigma2(&g, ebn0, R), sig = sqrt(s2), a = sqrt(0.5);
        double p = 0.5 * erfc(a / sig / sqrt(2.0)), lc = log((1 - p) / p);
        long be = 0, fe = 0, f;
        double zsum = 0;
        for (f = 0; f < frames && fe < min_fe; f++) {
            uint64_t fr = (uint64_t)pt << 32 | (uint64_t)f;
            qsdr_rand_bits(seed ^ 0x696e666full, fr * K, K, u);
            conv_encode(n, out, u, K, c);
            for (size_t i = 0; i < N; i++) ci[i] = c[pi[i]];
            qsdr_randn_f32(seed ^ 0x6e6f6973ull, fr * 2 * G * S, 2 * G * S, w);
            if (mode == 2) {
                qsdr_ae_modulate(tx, ci, G, x);
                for (size_t k = 0; k < G * S; k++) { /* AWGN, then one bit on I and on Q */
                    x[k].re = x[k].re + (float)sig * w[2 * k] < 0 ? -1.f : 1.f;
                    x[k].im = x[k].im + (float)sig * w[2 * k + 1] < 0 ? -1.f : 1.f;
                }
                qsdr_ae_demodulate(rx, x, G, li);
            } else {
                for (size_t i = 0; i < N; i++) { /* one coded bit per real dimension, amplitude 1/sqrt(2) */
                    double y = (ci[i] ? -a : a) + sig * w[i];
                    li[i] = mode == 0 ? (float)(2 * a * y / s2) : (float)(y < 0 ? -lc : lc);
                }
            }
            for (size_t i = 0; i < N; i++) {
                llr[pi[i]] = li[i];
                zsum += exp(-0.5 * (ci[i] ? -li[i] : li[i]));
            }
            viterbi(n, out, llr, K, dec, v);
            long e = 0;
            for (size_t i = 0; i < K; i++) e += v[i] != u[i];
            be += e, fe += e > 0;
        }
        double ber = (double)be / ((double)f * K), fer = (double)fe / f, z = zsum / ((double)f * N);
        printf("  %6.2f dB  frames %6ld  BER %.3e  FER %.3e  Z %.4f\n", ebn0, f, ber, fer, z);
        fflush(stdout);
        if (fc) fprintf(fc, "%s,%zu,%.6f,%.3f,%ld,%.0f,%ld,%ld,%.6e,%.6e,%.6f\n", inner, K, R, ebn0, f, (double)f * K, be, fe, ber, fer, z);
        if (isnan(at1e4) && !isnan(prev_b) && prev_b >= 1e-4 && ber < 1e-4) {
            if (ber > 0) at1e4 = prev_e + (ebn0 - prev_e) * (log10(prev_b) - (-4)) / (log10(prev_b) - log10(ber));
            else at1e4 = ebn0; /* no errors at this point: an upper bound */
        }
        prev_e = ebn0, prev_b = ber;
    }
    if (isnan(at1e4)) printf("# BER 1e-4 not crossed in the range\n");
    else printf("# Eb/N0 at BER 1e-4: %.2f dB\n", at1e4);
    if (fc) fclose(fc);
    qsdr_ae_free(tx), qsdr_ae_free(rx);
    free(u), free(c), free(ci), free(v), free(dec), free(pi), free(w), free(li), free(llr), free(x);
    return 0;
}
