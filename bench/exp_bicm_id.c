/* SPDX-License-Identifier: MIT */
/* Experiment (not a speed benchmark; not run by `make bench`): can iterative demapping
 * (BICM-ID) with the LTE turbo code as the outer code use the symbol-wise gain of a one-bit
 * inner block code at L = 2? docs/flagship.md, "What the autoencoder can and cannot gain".
 *
 * Chain: K info bits -> LTE turbo (rate R) -> random bit interleaver (seeded) -> groups of m
 * coded bits -> inner code (linear, +-a per real sample, energy m/2 per group = Es 1 per
 * QPSK-rate symbol period) -> AWGN -> sign() -> exact APP demapper with a-priori input ->
 * deinterleaver -> turbo decoder with extrinsic output on the coded bits -> interleaver ->
 * a priori of the demapper, `outer` times. Eb = (m/2) / (R m) with R = K/N exactly.
 *
 *   build/bench/exp_bicm_id --code h84 --rate 1/2 --k 6144 --ebn0 1.8:0.2:3.0 --outer 8
 *
 * Codes: b1 (m = 2, one bit per real sample: one-bit QPSK at one sample per symbol), h84
 * (m = 4: [8,4] extended Hamming over 2 symbol periods x L = 2), p32 (m = 2: [3,2] single parity
 * on 3 of the 4 real samples, the 4th unused), p54 ([5,4] single parity) and c64 (a [6,4] code
 * with two parity samples) on 5 and 6 of the 8 real samples of m = 4. Prints BER and FER after each outer iteration
 * (outer iteration 1 = plain BICM: no a priori at the demapper), CSV with --csv. */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "qsdr/qsdr.h"

#define MAXM 4
#define MAXN 8

typedef struct {
    const char *name;
    int m, n;              /* message bits, real samples per group */
    uint8_t G[MAXM][MAXN]; /* generator rows */
} code_t;

static const code_t CODES[] = {
    {"b1", 2, 2, {{1, 0}, {0, 1}}},
    {"p32", 2, 3, {{1, 0, 1}, {0, 1, 1}}},
    {"h84", 4, 8, {{1, 0, 0, 0, 1, 1, 0, 1}, {0, 1, 0, 0, 1, 0, 1, 1}, {0, 0, 1, 0, 0, 1, 1, 1}, {0, 0, 0, 1, 1, 1, 1, 0}}},
    {"p54", 4, 5, {{1, 0, 0, 0, 1}, {0, 1, 0, 0, 1}, {0, 0, 1, 0, 1}, {0, 0, 0, 1, 1}}},
    {"c64", 4, 6, {{1, 0, 0, 0, 1, 1}, {0, 1, 0, 0, 1, 0}, {0, 0, 1, 0, 0, 1}, {0, 0, 0, 1, 1, 1}}},
};

static double lse(double a, double b) { return a > b ? a + log1p(exp(b - a)) : b + log1p(exp(a - b)); }

static int usage(void)
{
    fprintf(stderr, "usage: exp_bicm_id [--code b1|p32|h84|p54|c64] [--rate 1/3|1/2] [--k K] [--ebn0 A:STEP:B] [--outer N]\n"
                    "                   [--inner N] [--frames F] [--min-frame-errors E] [--ext-scale S] [--seed S] [--csv FILE]\n");
    return 2;
}

int main(int argc, char **argv)
{
    const code_t *code = &CODES[2];
    qsdr_turbo_rate rate = QSDR_TURBO_R12;
    size_t K = 6144;
    double e0 = 1.6, de = 0.2, e1 = 3.0, ext_scale = 1.0;
    int outer = 8, inner = 4, frames = 200, min_fe = 30;
    uint64_t seed = 1;
    const char *csv = NULL;
    for (int i = 1; i < argc; i += 2) { /* --option value */
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (!v) return usage();
        if (!strcmp(a, "--code")) {
            code = NULL;
            for (size_t c = 0; c < sizeof CODES / sizeof *CODES; c++)
                if (!strcmp(v, CODES[c].name)) code = &CODES[c];
            if (!code) return usage();
        } else if (!strcmp(a, "--rate")) {
            if (!strcmp(v, "1/3")) rate = QSDR_TURBO_R13;
            else if (!strcmp(v, "1/2")) rate = QSDR_TURBO_R12;
            else if (!strcmp(v, "2/3")) rate = QSDR_TURBO_R23;
            else return usage();
        } else if (!strcmp(a, "--k")) K = strtoul(v, NULL, 10);
        else if (!strcmp(a, "--ebn0")) {
            if (sscanf(v, "%lf:%lf:%lf", &e0, &de, &e1) != 3 || !(de > 0)) return usage();
        } else if (!strcmp(a, "--outer")) outer = atoi(v);
        else if (!strcmp(a, "--inner")) inner = atoi(v);
        else if (!strcmp(a, "--frames")) frames = atoi(v);
        else if (!strcmp(a, "--min-frame-errors")) min_fe = atoi(v);
        else if (!strcmp(a, "--ext-scale")) ext_scale = atof(v);
        else if (!strcmp(a, "--seed")) seed = strtoull(v, NULL, 10);
        else if (!strcmp(a, "--csv")) csv = v;
        else return usage();
    }
    if (!qsdr_turbo_k_valid(K) || outer < 1 || outer > 64 || inner < 1 || inner > 32 || frames < 1) return usage();
    const int m = code->m, nr = code->n, M = 1 << m;
    const size_t N = qsdr_turbo_n(K, rate);
    if (N % (size_t)m) {
        fprintf(stderr, "exp_bicm_id: N = %zu is not a multiple of m = %d\n", N, m);
        return 2;
    }
    const size_t G = N / (size_t)m;
    const double R = (double)K / (double)N, a = sqrt((m / 2.0) / nr);
    qsdr_turbo_dec_config cfg = qsdr_turbo_dec_default();
    cfg.rate = rate, cfg.iterations = (unsigned)inner;
    qsdr_turbo_enc_t *enc = qsdr_turbo_enc_create(K, rate);
    qsdr_turbo_dec_t *dec = qsdr_turbo_dec_create(K, &cfg);
    uint8_t *u = malloc(K), *x = malloc(N), *v = malloc(K), *cw = malloc((size_t)M * nr);
    size_t *pi = malloc(N * sizeof *pi);
    float *w = malloc(G * nr * sizeof *w), *la = malloc(N * sizeof *la);
    float *lch = malloc(N * sizeof *lch), *ext = malloc(N * sizeof *ext), *shuf = malloc(N * sizeof *shuf);
    uint8_t *z = malloc(G * nr);
    if (!enc || !dec || !u || !x || !v || !cw || !pi || !w || !la || !lch || !ext || !shuf || !z) return 1;
    for (int c = 0; c < M; c++) /* codeword c: message bit j = (c >> j) & 1; sample +a for a 0 */
        for (int k = 0; k < nr; k++) {
            int b = 0;
            for (int j = 0; j < m; j++) b ^= (c >> j & 1) & code->G[j][k];
            cw[c * nr + k] = (uint8_t)b;
        }
    qsdr_rand_perm(seed ^ 0x7065726dull, 0, N, pi); /* the bit interleaver between the codes */
    FILE *fc = csv ? fopen(csv, "w") : NULL;
    if (csv && !fc) return fprintf(stderr, "exp_bicm_id: cannot write %s\n", csv), 1;
    if (fc) fprintf(fc, "code,rate,k,ebn0_db,outer_iteration,frames,bit_errors,frame_errors,ber,fer\n");
    printf("# code %s (m %d -> %d one-bit real samples), K %zu, R = %zu/%zu, turbo max-log %d iterations per outer iteration, ext scale %.2f\n",
           code->name, m, nr, K, K, N, inner, ext_scale);
    printf("# %7s %5s %8s  BER (FER) after outer iteration 1 (plain BICM), 2, ...\n", "Eb/N0", "", "frames");
    long *be = calloc((size_t)outer, sizeof *be), *fe = calloc((size_t)outer, sizeof *fe);
    for (int pt = 0; e0 + pt * de <= e1 + 1e-9; pt++) {
        double ebn0 = e0 + pt * de, eb = (m / 2.0) / (R * m), n0 = eb / pow(10, ebn0 / 10), sigma = sqrt(n0 / 2);
        double p = 0.5 * erfc(a / sigma / sqrt(2.0)), lg = log(1 - p), lb = log(p);
        memset(be, 0, (size_t)outer * sizeof *be), memset(fe, 0, (size_t)outer * sizeof *fe);
        int f;
        for (f = 0; f < frames && fe[outer - 1] < min_fe; f++) {
            uint64_t fr = (uint64_t)pt << 32 | (uint64_t)f;
            qsdr_rand_bits(seed ^ 0x696e666full, fr * K, K, u);
            qsdr_turbo_enc_execute(enc, u, x);
            qsdr_randn_f32(seed ^ 0x6e6f6973ull, fr * G * nr, G * nr, w);
            for (size_t g = 0; g < G; g++) { /* interleaved bits -> codeword -> one-bit samples */
                int c = 0;
                for (int j = 0; j < m; j++) c |= x[pi[g * m + j]] << j;
                for (int k = 0; k < nr; k++) {
                    double s = cw[c * nr + k] ? -a : a;
                    z[g * nr + k] = s + sigma * w[g * nr + k] < 0;
                }
            }
            memset(la, 0, N * sizeof *la); /* a priori of the demapper, interleaved order */
            for (int it = 0; it < outer; it++) {
                for (size_t g = 0; g < G; g++) { /* exact APP demapper: extrinsic per bit */
                    double ll[1 << MAXM];
                    for (int c = 0; c < M; c++) {
                        double t = 0;
                        for (int k = 0; k < nr; k++) t += z[g * nr + k] == cw[c * nr + k] ? lg : lb;
                        for (int j = 0; j < m; j++) t += (c >> j & 1 ? -0.5 : 0.5) * la[g * m + j];
                        ll[c] = t;
                    }
                    for (int j = 0; j < m; j++) {
                        double n0s = -INFINITY, n1s = -INFINITY;
                        for (int c = 0; c < M; c++) {
                            double t = ll[c] - (c >> j & 1 ? -0.5 : 0.5) * la[g * m + j];
                            if (c >> j & 1) n1s = n1s == -INFINITY ? t : lse(n1s, t);
                            else n0s = n0s == -INFINITY ? t : lse(n0s, t);
                        }
                        double e = n0s - n1s;
                        shuf[g * m + j] = (float)(e > 30 ? 30 : e < -30 ? -30 : e);
                    }
                }
                for (size_t i = 0; i < N; i++) lch[pi[i]] = shuf[i]; /* deinterleave */
                qsdr_turbo_dec_execute_ext(dec, lch, v, ext);
                long errs = 0;
                for (size_t i = 0; i < K; i++) errs += v[i] != u[i];
                be[it] += errs, fe[it] += errs > 0;
                for (size_t i = 0; i < N; i++) {
                    float e = (float)ext_scale * ext[pi[i]];
                    la[i] = e > 30 ? 30 : e < -30 ? -30 : e;
                }
            }
        }
        printf("  %7.2f %5s %8d ", ebn0, "dB", f);
        for (int it = 0; it < outer; it++) {
            double ber = (double)be[it] / ((double)f * K), fer = (double)fe[it] / f;
            if (it == 0 || it == 1 || it == 3 || it == outer - 1) printf(" %d:%.2e(%.2f)", it + 1, ber, fer);
            if (fc) fprintf(fc, "%s,%.4f,%zu,%.3f,%d,%d,%ld,%ld,%.6e,%.6e\n", code->name, R, K, ebn0, it + 1, f, be[it], fe[it], ber, fer);
        }
        printf("\n");
        fflush(stdout);
    }
    if (fc) fclose(fc);
    qsdr_turbo_enc_destroy(&enc);
    qsdr_turbo_dec_destroy(&dec);
    free(u), free(x), free(v), free(cw), free(pi), free(w), free(la), free(lch), free(ext), free(shuf), free(z);
    free(be), free(fe);
    return 0;
}
