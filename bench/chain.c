/* SPDX-License-Identifier: MIT */
/* bench/chain: information throughput [Mbit/s] of the flagship chain (turbo encoder ->
 * autoencoder modulator -> AWGN -> one-bit ADC -> neural decoder -> turbo decoder -> BER) in
 * the serial scheduler on one core, and of each block's algorithm alone on the same data, all
 * per information bit (K = 6144, rate 1/3, QPSK-rate model models/ae_qpsk_L2). The neural
 * decoder must not be the bottleneck: at least the turbo decoder's throughput. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "qsdr/qsdr.h"

#define K 6144

static double now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

static void row(const char *name, double info_bits, double sec, double ref)
{
    printf("  %-44s %10.1f Mbit/s %8.2fx turbo decoder\n", name, info_bits / sec / 1e6, (info_bits / sec) / ref);
}

int main(int argc, char **argv)
{
    const char *models = argc > 1 ? argv[1] : QSDR_SOURCE_DIR "/models"; /* runs from any directory */
    char tx_path[1024], rx_path[1024];
    snprintf(tx_path, sizeof tx_path, "%s/ae_qpsk_L2/tx.safetensors", models);
    snprintf(rx_path, sizeof rx_path, "%s/ae_qpsk_L2/rx.safetensors", models);
    size_t nf = 64, N = qsdr_turbo_n(K, QSDR_TURBO_R13), groups = N / 2;
    uint8_t *u = malloc(nf * K), *c = malloc(nf * N), *v = malloc(nf * K);
    qsdr_cf32 *x = malloc(nf * groups * 2 * sizeof(qsdr_cf32)), *y = malloc(nf * groups * 2 * sizeof(qsdr_cf32)),
              *z = malloc(nf * groups * 2 * sizeof(qsdr_cf32));
    float *l = malloc(nf * N * sizeof(float));
    qsdr_rand_bits(1, 0, nf * K, u);
    qsdr_turbo_enc_t *enc = qsdr_turbo_enc_create(K, QSDR_TURBO_R13);
    qsdr_ae *at = qsdr_ae_load(tx_path, true), *ar = qsdr_ae_load(rx_path, false);
    double n0 = qsdr_noise_var_from_ebn0(2.4, 2, (double)K / (double)N, 2, 0.5);
    qsdr_awgn_t *ch = qsdr_awgn_create((float)n0, 7);
    qsdr_adc_t *adc = qsdr_adc_create(1, 1, false, 0.001f);
    qsdr_turbo_fast_t *dec = qsdr_turbo_fast_create(K, 6, QSDR_TURBO_R13, NULL);
    if (!u || !c || !v || !x || !y || !z || !l || !enc || !at || !ar || !ch || !adc || !dec) {
        fprintf(stderr, "bench/chain: setup failed: %s\n", qsdr_last_error());
        return 1;
    }
    double info = (double)(nf * K), t0, t[6];
    /* each stage alone, best of 3 */
    for (int s = 0; s < 6; s++) t[s] = 1e30;
    for (int r = 0; r < 3; r++) {
        double a;
        a = now();
        for (size_t f = 0; f < nf; f++) qsdr_turbo_enc_execute(enc, u + f * K, c + f * N);
        t[0] = fmin(t[0], now() - a);
        a = now();
        qsdr_ae_modulate(at, c, nf * groups, x);
        t[1] = fmin(t[1], now() - a);
        a = now();
        qsdr_awgn_execute(ch, x, nf * groups * 2, 0, y);
        t[2] = fmin(t[2], now() - a);
        a = now();
        qsdr_adc_execute(adc, y, nf * groups * 2, z);
        t[3] = fmin(t[3], now() - a);
        a = now();
        qsdr_ae_demodulate(ar, z, nf * groups, l);
        t[4] = fmin(t[4], now() - a);
        a = now();
        qsdr_turbo_fast_execute(dec, l, nf, v);
        t[5] = fmin(t[5], now() - a);
    }
    size_t errs = 0;
    for (size_t i = 0; i < nf * K; i++) errs += v[i] != u[i];
    double ref = info / t[5];
    printf("bench/chain: K = %d, rate 1/3, QPSK-rate autoencoder (L = 2), Eb/N0 2.4 dB; one core\n", K);
    printf("each block's algorithm alone (per information bit; %zu frames, BER of these frames %.2e):\n", nf, (double)errs / (double)(nf * K));
    static const char *names[6] = {"turbo encoder", "ae_modulator (table of the network)", "awgn", "adc (1 bit)",
                                   "ae_decoder (table of the network)", "turbo decoder (fast, 6 iterations)"};
    for (int s = 0; s < 6; s++) row(names[s], info, t[s], ref);
    /* the neural decoder's network itself, without the table: every group nudged off one-bit
       (nudging only the first sent 4096 groups through the network and the rest through the
       table, so this row used to measure mostly the table) */
    for (size_t g = 0; g < nf * groups; g++) z[2 * g].re *= 0.999f;
    qsdr_ae_allow_non_onebit(ar, true);
    t0 = now();
    qsdr_ae_demodulate(ar, z, nf * groups, l);
    row("ae_decoder network forward (no table)", info, now() - t0, ref);
    /* the whole chain as a flowgraph, serial scheduler */
    char yaml[4096];
    snprintf(yaml, sizeof yaml,
             "blocks:\n  - {id: src, type: random_source}\n  - {id: enc, type: turbo_encoder, params: {k: %d}}\n"
             "  - {id: tx, type: ae_modulator, params: {model: %s}}\n"
             "  - {id: awgn, type: awgn, params: {ebn0_db: 2.4, bits_per_symbol: 2, sps: 2, sample_power: 0.5, code_rate: 0}}\n"
             "  - {id: adc, type: adc, params: {bits: 1}}\n  - {id: rx, type: ae_decoder, params: {model: %s}}\n"
             "  - {id: dec, type: turbo_decoder, params: {k: %d, iterations: 6}}\n"
             "  - {id: ber, type: ber, params: {frame_size: %d, max_bits: %d, print: false}}\n"
             "connections: [src -> enc, enc -> tx, tx -> awgn, awgn -> adc, adc -> rx, rx -> dec, dec -> ber.in, src -> ber.ref]\n",
             K, tx_path, rx_path, K, K, (int)(64 * nf * K));
    qsdr_flowgraph_t *fg = NULL;
    if (qsdr_flowgraph_load_string(yaml, "chain.yml", NULL, &fg)) {
        fprintf(stderr, "bench/chain: %s\n", qsdr_last_error());
        return 1;
    }
    /* buffers that hold 2 x 32 frames in flight, so the turbo decoder sees whole SIMD batches */
    qsdr_flowgraph_set_buffer_items(fg, (size_t)1 << 22);
    t0 = now();
    int rc = qsdr_flowgraph_run(fg, QSDR_SCHED_SERIAL);
    double tc = now() - t0;
    printf("the whole chain, serial scheduler (one thread):\n");
    row(rc ? "FAILED" : "source -> ... -> ber (4096 frames)", 64 * info, tc, ref);
    qsdr_flowgraph_destroy(&fg);
    qsdr_turbo_enc_destroy(&enc), qsdr_turbo_fast_destroy(&dec), qsdr_awgn_destroy(&ch), qsdr_adc_destroy(&adc);
    qsdr_ae_free(at), qsdr_ae_free(ar);
    free(u), free(c), free(v), free(x), free(y), free(z), free(l);
    return rc ? 1 : 0;
}
