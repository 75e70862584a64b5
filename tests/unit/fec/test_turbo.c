/* SPDX-License-Identifier: MIT */
/* LTE turbo code: interleaver, CRC, encoder against an independent bit-serial model,
 * decoder corrections, LLR convention, bad parameters. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "fec/fec_internal.h"
#include "qsdr/qsdr.h"
#include "qsdr_test.h"

QSDR_TEST(turbo_qpp_permutations, "unit", "the QPP interleaver is a permutation for all 188 LTE block sizes; other K refused")
{
    int count = 0;
    uint32_t *pi = malloc(6144 * sizeof *pi);
    uint8_t *seen = malloc(6144);
    for (size_t k = 1; k <= 6200; k++) {
        if (!qsdr_turbo_k_valid(k)) continue;
        count++;
        QSDR_REQUIRE(qsdr_turbo_qpp(k, pi) == QSDR_OK);
        memset(seen, 0, k);
        size_t dup = 0;
        for (size_t i = 0; i < k; i++) {
            if (pi[i] >= k || seen[pi[i]]) dup++;
            else seen[pi[i]] = 1;
        }
        QSDR_CHECK_MSG(dup == 0, "K = %zu: not a permutation (%zu bad entries)", k, dup);
    }
    QSDR_CHECK_EQ_INT(count, 188);
    /* spot values of TS 36.212 Table 5.1.3-3: K=40 (f1 3, f2 10), K=6144 (263, 480) */
    qsdr_turbo_qpp(40, pi);
    QSDR_CHECK_EQ_INT(pi[1], 13);
    QSDR_CHECK_EQ_INT(pi[2], (3 * 2 + 10 * 4) % 40);
    qsdr_turbo_qpp(6144, pi);
    QSDR_CHECK_EQ_INT(pi[5], (263 * 5 + 480 * 25) % 6144);
    QSDR_CHECK(!qsdr_turbo_k_valid(39) && !qsdr_turbo_k_valid(41) && !qsdr_turbo_k_valid(520) && !qsdr_turbo_k_valid(6208));
    QSDR_CHECK(qsdr_turbo_k_valid(512) && qsdr_turbo_k_valid(528) && qsdr_turbo_k_valid(2048) && qsdr_turbo_k_valid(2112));
    QSDR_CHECK_EQ_INT(qsdr_turbo_k_ceil(1000), 1008);
    free(pi);
    free(seen);
}

/* CRC by polynomial long division of the message times x^24 (independent of the library). */
static uint32_t crc_ref(const uint8_t *bits, size_t n, const int *taps, int ntaps)
{
    uint8_t *m = calloc(n + 24, 1);
    memcpy(m, bits, n);
    uint8_t g[25] = {0};
    for (int i = 0; i < ntaps; i++) g[24 - taps[i]] = 1; /* g[0] is the D^24 coefficient */
    for (size_t i = 0; i < n; i++)
        if (m[i])
            for (int j = 0; j <= 24; j++) m[i + (size_t)j] ^= g[j];
    uint32_t r = 0;
    for (int j = 0; j < 24; j++) r = (r << 1) | m[n + (size_t)j];
    free(m);
    return r;
}

QSDR_TEST(crc24_known, "unit", "CRC24A/B match polynomial long division; attach then check round trip; a flip is detected")
{
    static const int ta[] = {24, 23, 18, 17, 14, 11, 10, 7, 6, 5, 4, 3, 1, 0}, tb[] = {24, 23, 6, 5, 1, 0};
    uint8_t bits[1000 + 24];
    qsdr_rand_bits(3, 0, 1000, bits);
    for (size_t n = 1; n <= 1000; n += 111) {
        QSDR_CHECK_EQ_INT(qsdr_crc24(QSDR_CRC24A, bits, n), crc_ref(bits, n, ta, 14));
        QSDR_CHECK_EQ_INT(qsdr_crc24(QSDR_CRC24B, bits, n), crc_ref(bits, n, tb, 6));
    }
    uint8_t m[200 + 24];
    qsdr_rand_bits(4, 0, 200, m);
    qsdr_crc24_attach(QSDR_CRC24A, m, 200);
    QSDR_CHECK(qsdr_crc24_check(QSDR_CRC24A, m, 200));
    m[17] ^= 1;
    QSDR_CHECK(!qsdr_crc24_check(QSDR_CRC24A, m, 200));
}

/* Independent bit-serial RSC model: registers as an array, generators as octal tap masks. */
static void rsc_ref(const uint8_t *c, size_t k, uint8_t *z, uint8_t tail_x[3], uint8_t tail_z[3])
{
    const int g0 = 013, g1 = 015; /* feedback 1+D^2+D^3, feed-forward 1+D+D^3 */
    int reg[4] = {0, 0, 0, 0};    /* reg[d] = a_{t-d}, d = 1..3 */
    for (size_t t = 0; t < k + 3; t++) {
        int fb = 0;
        for (int d = 1; d <= 3; d++)
            if (g0 & (1 << (3 - d))) fb ^= reg[d];
        int in = t < k ? c[t] : fb; /* termination: input cancels the feedback */
        int a = in ^ fb, out = (g1 & 8) ? a : 0;
        for (int d = 1; d <= 3; d++)
            if (g1 & (1 << (3 - d))) out ^= reg[d];
        if (t < k) z[t] = (uint8_t)out;
        else {
            tail_x[t - k] = (uint8_t)in;
            tail_z[t - k] = (uint8_t)out;
        }
        reg[3] = reg[2];
        reg[2] = reg[1];
        reg[1] = a;
    }
}

QSDR_TEST(turbo_encoder_reference, "unit", "encoder output equals an independent bit-serial model for several K and all rates")
{
    size_t ks[] = {40, 48, 1024, 6144};
    for (int ki = 0; ki < 4; ki++) {
        size_t k = ks[ki];
        uint8_t *u = malloc(k), *c2 = malloc(k), *z1 = malloc(k), *z2 = malloc(k), *x = malloc(3 * k + 12), *d = malloc(3 * k + 12);
        uint32_t *pi = malloc(k * sizeof *pi);
        qsdr_turbo_qpp(k, pi);
        for (int rep = 0; rep < 3; rep++) {
            qsdr_rand_bits(100 + rep, 0, k, u);
            if (rep == 2) memset(u, 0, k), u[k / 2] = 1; /* impulse */
            for (size_t i = 0; i < k; i++) c2[i] = u[pi[i]];
            uint8_t tx1[3], tz1[3], tx2[3], tz2[3];
            rsc_ref(u, k, z1, tx1, tz1);
            rsc_ref(c2, k, z2, tx2, tz2);
            /* mother code per TS 36.212 5.1.3.2.2 */
            uint8_t *d0 = d, *d1 = d + k + 4, *d2 = d + 2 * (k + 4);
            memcpy(d0, u, k);
            memcpy(d1, z1, k);
            memcpy(d2, z2, k);
            uint8_t tails[3][4] = {{tx1[0], tz1[1], tx2[0], tz2[1]}, {tz1[0], tx1[2], tz2[0], tx2[2]}, {tx1[1], tz1[2], tx2[1], tz2[2]}};
            memcpy(d0 + k, tails[0], 4);
            memcpy(d1 + k, tails[1], 4);
            memcpy(d2 + k, tails[2], 4);
            for (int r = 0; r < 3; r++) {
                qsdr_turbo_enc_t *e = qsdr_turbo_enc_create(k, (qsdr_turbo_rate)r);
                QSDR_REQUIRE(e);
                size_t n = qsdr_turbo_n(k, (qsdr_turbo_rate)r);
                QSDR_CHECK_EQ_INT(qsdr_turbo_enc_execute(e, u, x), QSDR_OK);
                uint8_t *want = malloc(n);
                memcpy(want, d0, k + 4);
                size_t m = k + 4;
                if (r == 0) {
                    memcpy(want + m, d1, k + 4);
                    memcpy(want + m + k + 4, d2, k + 4);
                } else {
                    if (r == 1)
                        for (size_t i = 0; i < k; i++) want[m++] = i % 2 ? d2[i] : d1[i];
                    else
                        for (size_t j = 0; j < k / 2; j++) want[m++] = j % 2 ? d2[2 * j] : d1[2 * j];
                    memcpy(want + m, d1 + k, 4);
                    memcpy(want + m + 4, d2 + k, 4);
                }
                QSDR_CHECK_MSG(memcmp(x, want, n) == 0, "K=%zu rate %d rep %d: encoder differs from the reference model", k, r, rep);
                free(want);
                qsdr_turbo_enc_destroy(&e);
            }
        }
        free(u);
        free(c2);
        free(z1);
        free(z2);
        free(x);
        free(d);
        free(pi);
    }
}

/* BPSK (0 -> +1) over AWGN with seeded noise; LLR = 2y/sigma^2. */
static long decode_errors(size_t k, qsdr_turbo_rate r, qsdr_turbo_algo algo, double ebn0_db, int frames, uint64_t seed, int *iters)
{
    qsdr_turbo_enc_t *e = qsdr_turbo_enc_create(k, r);
    qsdr_turbo_dec_config c = qsdr_turbo_dec_default();
    c.rate = r;
    c.algo = algo;
    if (algo == QSDR_TURBO_LOGMAP) c.scaling = 1.0f;
    qsdr_turbo_dec_t *d = qsdr_turbo_dec_create(k, &c);
    size_t n = qsdr_turbo_n(k, r);
    uint8_t *u = malloc(k), *x = malloc(n), *v = malloc(k);
    float *l = malloc(n * sizeof *l), *w = malloc(n * sizeof *w);
    double rate = (double)k / (double)n, var = 1.0 / (2 * rate * pow(10, ebn0_db / 10));
    long errs = 0;
    for (int f = 0; f < frames; f++) {
        qsdr_rand_bits(seed, (uint64_t)f * k, k, u);
        qsdr_turbo_enc_execute(e, u, x);
        qsdr_randn_f32(seed + 1, (uint64_t)f * n, n, w);
        for (size_t i = 0; i < n; i++) l[i] = (float)(2 * ((x[i] ? -1.0 : 1.0) + sqrt(var) * w[i]) / var);
        int it = qsdr_turbo_dec_execute(d, l, v, NULL);
        if (iters) *iters = it;
        for (size_t i = 0; i < k; i++) errs += v[i] != u[i];
    }
    qsdr_turbo_enc_destroy(&e);
    qsdr_turbo_dec_destroy(&d);
    free(u);
    free(x);
    free(v);
    free(l);
    free(w);
    return errs;
}

QSDR_TEST(turbo_decoder_corrects, "unit", "max-log and log-MAP decoders correct random frames at moderate SNR, K = 40..6144, all rates")
{
    size_t ks[] = {40, 520 - 8, 1024, 6144};
    double snr[] = {2.5, 3.0, 4.0}; /* per rate 1/3, 1/2, 2/3: well above their waterfalls */
    for (int ki = 0; ki < 4; ki++)
        for (int r = 0; r < 3; r++)
            for (int a = 0; a < 2; a++) {
                if (a == 1 && ks[ki] == 6144) continue; /* log-MAP is slow; covered at K <= 1024 */
                long e = decode_errors(ks[ki], (qsdr_turbo_rate)r, (qsdr_turbo_algo)a, snr[r], ks[ki] < 1000 ? 20 : 3, 5 + ki, NULL);
                QSDR_CHECK_MSG(e == 0, "K=%zu rate %d algo %d at %.1f dB: %ld bit errors", ks[ki], r, a, snr[r], e);
            }
}

QSDR_TEST(turbo_llr_convention, "unit", "LLR = log P(0)/P(1): a noiseless codeword with +-LLRs decodes to its bits; flipped signs do not")
{
    size_t k = 1024, n = qsdr_turbo_n(k, QSDR_TURBO_R13);
    qsdr_turbo_enc_t *e = qsdr_turbo_enc_create(k, QSDR_TURBO_R13);
    qsdr_turbo_dec_t *d = qsdr_turbo_dec_create(k, NULL);
    uint8_t *u = malloc(k), *x = malloc(n), *v = malloc(k);
    float *l = malloc(n * sizeof *l), *app = malloc(k * sizeof *app);
    qsdr_rand_bits(1, 0, k, u);
    qsdr_turbo_enc_execute(e, u, x);
    for (size_t i = 0; i < n; i++) l[i] = x[i] ? -3.0f : 3.0f;
    QSDR_CHECK(qsdr_turbo_dec_execute(d, l, v, app) >= 1);
    QSDR_CHECK(memcmp(u, v, k) == 0);
    size_t agree = 0;
    for (size_t i = 0; i < k; i++) agree += (app[i] < 0) == (u[i] == 1);
    QSDR_CHECK_EQ_INT(agree, k);
    for (size_t i = 0; i < n; i++) l[i] = -l[i];
    qsdr_turbo_dec_execute(d, l, v, NULL);
    QSDR_CHECK(memcmp(u, v, k) != 0);
    qsdr_log_set_level(QSDR_LOG_OFF);
    l[5] = NAN;
    QSDR_CHECK(qsdr_turbo_dec_execute(d, l, v, NULL) == QSDR_ERANGE);
    qsdr_log_set_level(QSDR_LOG_INFO);
    qsdr_turbo_enc_destroy(&e);
    qsdr_turbo_dec_destroy(&d);
    free(u);
    free(x);
    free(v);
    free(l);
    free(app);
}

QSDR_TEST(turbo_extrinsic_coded_bits, "unit", "extrinsic LLRs on the coded bits (BICM-ID output): erased systematic, parity and tail bits are recovered with the right sign, all rates; the same hard decisions as without")
{
    static const size_t ks[] = {40, 1024};
    for (int ki = 0; ki < 2; ki++)
        for (int r = 0; r < 3; r++) {
            size_t k = ks[ki], n = qsdr_turbo_n(k, (qsdr_turbo_rate)r);
            qsdr_turbo_dec_config cfg = qsdr_turbo_dec_default();
            cfg.rate = (qsdr_turbo_rate)r;
            qsdr_turbo_enc_t *e = qsdr_turbo_enc_create(k, cfg.rate);
            qsdr_turbo_dec_t *d = qsdr_turbo_dec_create(k, &cfg);
            uint8_t *u = malloc(k), *x = malloc(n), *v = malloc(k), *v2 = malloc(k), *er = malloc(n);
            float *l = malloc(n * sizeof *l), *ext = malloc(n * sizeof *ext);
            QSDR_REQUIRE(e && d && u && x && v && v2 && er && l && ext);
            qsdr_rand_bits(7 + ki, 0, k, u);
            qsdr_rand_bits(9 + ki, 0, n, er);
            qsdr_turbo_enc_execute(e, u, x);
            /* every coded bit at +-2, except a random set (about 1 in 8) erased */
            size_t erased = 0;
            for (size_t i = 0; i < n; i++) {
                bool z = (er[i] & 1) && (i * 2654435761u >> 7 & 3) == 0;
                er[i] = z;
                erased += z;
                l[i] = z ? 0.0f : x[i] ? -2.0f : 2.0f;
            }
            QSDR_CHECK(qsdr_turbo_dec_execute_ext(d, l, v, ext) >= 1);
            QSDR_CHECK(qsdr_turbo_dec_execute(d, l, v2, NULL) >= 1);
            QSDR_CHECK(memcmp(u, v, k) == 0 && memcmp(v, v2, k) == 0);
            size_t right = 0, right_erased = 0, strong = 0;
            for (size_t i = 0; i < n; i++) {
                bool ok = (ext[i] < 0) == (x[i] == 1) && ext[i] != 0;
                right += ok;
                right_erased += ok && er[i];
                strong += fabsf(ext[i]) > 2.0f;
            }
            QSDR_CHECK_MSG(right == n && right_erased == erased, "K %zu rate %d: %zu of %zu extrinsic signs right (%zu of %zu erased)",
                           k, r, right, n, right_erased, erased);
            QSDR_CHECK(erased > n / 20);
            QSDR_CHECK(strong > n / 2); /* the code's structure, not a copy of the channel (+-2) */
            qsdr_turbo_enc_destroy(&e);
            qsdr_turbo_dec_destroy(&d);
            free(u), free(x), free(v), free(v2), free(er), free(l), free(ext);
        }
}

QSDR_TEST(turbo_early_stop, "unit", "early termination by CRC24B and by hard-decision agreement stops before the iteration limit")
{
    size_t k = 1024, n = qsdr_turbo_n(k, QSDR_TURBO_R13);
    qsdr_turbo_enc_t *e = qsdr_turbo_enc_create(k, QSDR_TURBO_R13);
    uint8_t *u = malloc(k), *x = malloc(n), *v = malloc(k);
    float *l = malloc(n * sizeof *l), *w = malloc(n * sizeof *w);
    qsdr_rand_bits(2, 0, k - 24, u);
    qsdr_crc24_attach(QSDR_CRC24B, u, k - 24);
    qsdr_turbo_enc_execute(e, u, x);
    qsdr_randn_f32(3, 0, n, w);
    double var = 1.0 / (2 * (1.0 / 3) * pow(10, 0.25)); /* Eb/N0 2.5 dB */
    for (size_t i = 0; i < n; i++) l[i] = (float)(2 * ((x[i] ? -1.0 : 1.0) + sqrt(var) * w[i]) / var);
    for (int s = 0; s < 3; s++) {
        qsdr_turbo_dec_config c = qsdr_turbo_dec_default();
        c.iterations = 16;
        c.stop = (qsdr_turbo_stop)s;
        c.crc = QSDR_CRC24B;
        qsdr_turbo_dec_t *d = qsdr_turbo_dec_create(k, &c);
        int it = qsdr_turbo_dec_execute(d, l, v, NULL);
        QSDR_CHECK(memcmp(u, v, k) == 0);
        if (s == 0) QSDR_CHECK_EQ_INT(it, 16);
        else QSDR_CHECK_MSG(it < 8, "stop rule %d ran %d iterations", s, it);
        qsdr_turbo_dec_destroy(&d);
    }
    qsdr_turbo_enc_destroy(&e);
    free(u);
    free(x);
    free(v);
    free(l);
    free(w);
}

QSDR_TEST(turbo_bad_params, "unit", "K not in the table, 0 iterations, bad scaling, CRC stop without CRC: clear errors")
{
    qsdr_log_set_level(QSDR_LOG_OFF);
    QSDR_CHECK(qsdr_turbo_enc_create(41, QSDR_TURBO_R13) == NULL);
    QSDR_CHECK(strstr(qsdr_last_error(), "K = 41") != NULL);
    QSDR_CHECK(qsdr_turbo_dec_create(6145, NULL) == NULL);
    qsdr_turbo_dec_config c = qsdr_turbo_dec_default();
    c.iterations = 0;
    QSDR_CHECK(qsdr_turbo_dec_create(40, &c) == NULL);
    QSDR_CHECK(strstr(qsdr_last_error(), "iterations must be in [1, 32]") != NULL);
    c = qsdr_turbo_dec_default();
    c.scaling = 1.5f;
    QSDR_CHECK(qsdr_turbo_dec_create(40, &c) == NULL);
    c = qsdr_turbo_dec_default();
    c.stop = QSDR_TURBO_STOP_CRC;
    QSDR_CHECK(qsdr_turbo_dec_create(40, &c) == NULL);
    uint8_t u[40] = {0};
    u[3] = 7;
    qsdr_turbo_enc_t *e = qsdr_turbo_enc_create(40, QSDR_TURBO_R13);
    uint8_t x[132];
    QSDR_CHECK(qsdr_turbo_enc_execute(e, u, x) == QSDR_EINVAL);
    qsdr_turbo_enc_destroy(&e);
    qsdr_log_set_level(QSDR_LOG_INFO);
}

QSDR_TEST(turbo_code_rate_tag, "unit", "awgn with code_rate 0 takes the encoder's code_rate tag: same noise as the explicit K/N")
{
    const qsdr_cf32 *out[2];
    size_t n[2];
    qsdr_flowgraph_t *fg[2] = {0};
    const char *rates[2] = {"0", "${K / (2*K + 12)}"};
    for (int i = 0; i < 2; i++) {
        char y[1024];
        snprintf(y, sizeof y,
                 "variables: {K: 1024}\n"
                 "blocks:\n"
                 "  - {id: src, type: random_source}\n"
                 "  - {id: enc, type: turbo_encoder, params: {k: '${K}', rate: 1/2}}\n"
                 "  - {id: map, type: mapper, params: {modulation: qpsk}}\n"
                 "  - {id: awgn, type: awgn, params: {ebn0_db: 1, code_rate: '%s'}}\n"
                 "  - {id: snk, type: vector_sink}\n"
                 "connections: [src -> enc, enc -> map, map -> awgn, awgn -> snk]\n",
                 rates[i]);
        QSDR_REQUIRE(qsdr_flowgraph_load_string(y, "rate.yml", NULL, &fg[i]) == QSDR_OK);
        qsdr_flowgraph_set_item_limit(fg[i], 4 * 1024);
        QSDR_CHECK_EQ_INT(qsdr_flowgraph_run(fg[i], QSDR_SCHED_SERIAL), QSDR_OK);
        qsdr_vector_sink_data(fg[i], "snk", (const void **)&out[i], &n[i], NULL, NULL);
    }
    QSDR_CHECK_EQ_INT(n[0], 4 * (2 * 1024 + 12) / 2);
    QSDR_CHECK(n[0] == n[1] && memcmp(out[0], out[1], n[0] * sizeof(qsdr_cf32)) == 0);
    qsdr_stats st;
    qsdr_flowgraph_stats(fg[0], "awgn", &st);
    QSDR_CHECK_NEAR(st.v[4].value, 1024.0 / 2060.0, 1e-9); /* code_rate stat */
    qsdr_flowgraph_destroy(&fg[0]);
    qsdr_flowgraph_destroy(&fg[1]);
    /* with a CRC attached by the encoder, the 24 CRC bits carry no information: the rate is
       (K - 24) / N (at K 1024 counting K / N would shift Eb/N0 by 0.10 dB) */
    qsdr_flowgraph_t *c = NULL;
    QSDR_REQUIRE(qsdr_flowgraph_load_string("blocks:\n"
                                            "  - {id: src, type: random_source}\n"
                                            "  - {id: enc, type: turbo_encoder, params: {k: 1024, rate: 1/2, crc: crc24a}}\n"
                                            "  - {id: map, type: mapper, params: {modulation: qpsk}}\n"
                                            "  - {id: awgn, type: awgn, params: {ebn0_db: 1, code_rate: 0}}\n"
                                            "  - {id: snk, type: null_sink, params: {type: cf32}}\n"
                                            "connections: [src -> enc, enc -> map, map -> awgn, awgn -> snk]\n",
                                            "crc.yml", NULL, &c) == QSDR_OK);
    qsdr_flowgraph_set_item_limit(c, 2 * 1000);
    QSDR_CHECK_EQ_INT(qsdr_flowgraph_run(c, QSDR_SCHED_SERIAL), QSDR_OK);
    QSDR_CHECK_NEAR(qsdr_test_stat(c, "awgn", "code_rate"), 1000.0 / 2060.0, 1e-9);
    qsdr_flowgraph_destroy(&c);
}

/* Does coded position j (of qsdr_turbo_n(k, r)) belong to constituent code 2 (its parity or its
 * tail)? From the layout in docs/turbo.md: the 12 tail bits x_K z_K x_K+1 z_K+1 x_K+2 z_K+2 x'_K
 * ... are dealt round-robin to streams d0, d1, d2 at indices K..K+3 (tail bit t: stream t % 3,
 * index K + t / 3), the last six are code 2's; rate 1/2 and 2/3 keep parity 2 at odd p[j]. */
static bool turbo_code2_pos(size_t k, qsdr_turbo_rate r, size_t j)
{
    size_t s, idx;
    if (r == QSDR_TURBO_R13) {
        s = j / (k + 4), idx = j % (k + 4);
    } else {
        size_t np = r == QSDR_TURBO_R12 ? k : k / 2;
        if (j < k + 4) s = 0, idx = j;
        else if (j < k + 4 + np) return ((j - (k + 4)) & 1) != 0;
        else s = 1 + (j - (k + 4 + np)) / 4, idx = k + (j - (k + 4 + np)) % 4;
    }
    if (idx < k) return s == 2;
    return (idx - k) * 3 + s >= 6;
}

static double lse2(double a, double b) { return a > b ? a + log1p(exp(b - a)) : b + log1p(exp(a - b)); }

QSDR_TEST(turbo_app_brute_force, "unit", "one constituent decoder's a-posteriori LLRs (log-MAP: exact; max-log: best-path difference) equal a brute-force sum over 4096 codewords of the public encoder, info and coded bits, all rates")
{
    /* K = 40; the info bits outside a set F of 12 get LLR +-400, every other transmitted bit of
     * code 1 an LLR in [-3, 3], code 2's bits LLR 0. Then code 2's decoder adds nothing (every
     * info word is one of its paths), so with one iteration and extrinsic scaling 1 the decoder's
     * output is code 1's a-posteriori LLR; and any word that differs from u0 outside F loses at
     * least 400 - 3 * 58 (the other bits' largest |LLR| sum) against some word that does not, so summing over the 2^12 words that vary
     * only F is exact up to e^-226. The sums run over the public encoder's codewords (the encoder
     * is checked against a bit-serial model above), not over a trellis. */
    const size_t k = 40;
    const size_t F[12] = {0, 3, 7, 12, 18, 19, 25, 26, 31, 36, 38, 39};
    double worst[2] = {0, 0};
    for (int r = 0; r < 3; r++)
        for (int a = 0; a < 2; a++) {
            qsdr_turbo_rate rate = (qsdr_turbo_rate)r;
            size_t n = qsdr_turbo_n(k, rate);
            qsdr_turbo_enc_t *e = qsdr_turbo_enc_create(k, rate);
            qsdr_turbo_dec_config c = qsdr_turbo_dec_default();
            c.rate = rate, c.algo = (qsdr_turbo_algo)a, c.iterations = 1, c.scaling = 1.0f;
            qsdr_turbo_dec_t *d = qsdr_turbo_dec_create(k, &c);
            QSDR_REQUIRE(e && d);
            uint8_t u0[40], u[40], v[40], *x = malloc(n);
            float *l = malloc(n * sizeof *l), *ext = malloc(n * sizeof *ext), app[40];
            double *m0 = malloc(n * sizeof *m0), *m1 = malloc(n * sizeof *m1);
            QSDR_REQUIRE(x && l && ext && m0 && m1);
            qsdr_rand_bits(11, (uint64_t)(10 * r + a), k, u0);
            qsdr_randn_f32(12, (uint64_t)(1000 * r + 100 * a), n, l);
            for (size_t j = 0; j < n; j++) l[j] = turbo_code2_pos(k, rate, j) ? 0.0f : fminf(fmaxf(1.5f * l[j], -3.0f), 3.0f);
            for (size_t i = 0; i < k; i++) l[i] = u0[i] ? -400.0f : 400.0f; /* d0 starts with the K info bits */
            float lf[12];
            qsdr_randn_f32(13, (uint64_t)(1000 * r + 100 * a), 12, lf);
            for (int f = 0; f < 12; f++) l[F[f]] = fminf(fmaxf(1.5f * lf[f], -3.0f), 3.0f);
            for (size_t j = 0; j < n; j++) m0[j] = m1[j] = -INFINITY;
            for (unsigned w = 0; w < 4096; w++) {
                memcpy(u, u0, k);
                for (int f = 0; f < 12; f++) u[F[f]] = (w >> f) & 1;
                qsdr_turbo_enc_execute(e, u, x);
                double met = 0;
                for (size_t j = 0; j < n; j++) met += x[j] ? -0.5 * l[j] : 0.5 * l[j];
                for (size_t j = 0; j < n; j++) {
                    double *m = x[j] ? &m1[j] : &m0[j];
                    *m = a ? lse2(*m, met) : fmax(*m, met);
                }
            }
            QSDR_REQUIRE(qsdr_turbo_dec_execute(d, l, v, app) == 1);
            QSDR_REQUIRE(qsdr_turbo_dec_execute_ext(d, l, v, ext) == 1);
            size_t checked = 0;
            for (int f = 0; f < 12; f++) {
                size_t i = F[f];
                double ref = m0[i] - m1[i];
                QSDR_CHECK_MSG(fabs(app[i] - ref) <= 2e-3, "rate %d algo %d: app[%zu] = %.6f, brute force %.6f", r, a, i, app[i], ref);
                worst[a] = qsdr_test_max(worst[a], fabs(app[i] - ref));
                QSDR_CHECK_MSG(v[i] == (ref < 0), "rate %d algo %d: bit %zu decided %d", r, a, i, v[i]);
            }
            /* extrinsic on code 1's coded bits: a-posteriori - own channel LLR (positions whose
               value no word varying F changes have an infinite brute-force LLR: skipped) */
            for (size_t j = 0; j < n; j++) {
                if (turbo_code2_pos(k, rate, j) || !isfinite(m0[j] - m1[j])) continue;
                double ref = m0[j] - m1[j] - l[j];
                QSDR_CHECK_MSG(fabs(ext[j] - ref) <= 2e-3, "rate %d algo %d: ext[%zu] = %.6f, brute force %.6f", r, a, j, ext[j], ref);
                worst[a] = qsdr_test_max(worst[a], fabs(ext[j] - ref));
                checked++;
            }
            QSDR_CHECK_MSG(checked >= 12 + 16, "rate %d: only %zu coded bits compared", r, checked);
            qsdr_turbo_enc_destroy(&e);
            qsdr_turbo_dec_destroy(&d);
            free(x), free(l), free(ext), free(m0), free(m1);
        }
    printf("largest difference from brute force: max-log %.2g, log-MAP %.2g\n", worst[0], worst[1]);
}

/* Trellis termination: each constituent code's 3 tail steps pin its final state, so with the
 * last 3 steps of one constituent code erased (systematic and parity LLRs 0) and the other
 * code's parity and tail erased everywhere, only that code's tail tells the decoder those 3
 * bits (the tail bits are listed in TS 36.212 5.1.3.2.2 order: qsdr_turbo_tail_pos). */
QSDR_TEST(turbo_tail_terminates, "unit", "the tail of each constituent code alone recovers its last 3 erased info bits: float max-log and log-MAP, every fast variant (int16, int8)")
{
    const size_t ks[] = {40, 1024};
    int runs = 0;
    for (size_t c = 0; c < sizeof ks / sizeof *ks; c++) {
        size_t k = ks[c], n = qsdr_turbo_n(k, QSDR_TURBO_R13), nf = 24;
        uint32_t *pi = malloc(k * sizeof *pi);
        uint8_t *u = malloc(nf * k), *x = malloc(n), *v = malloc(nf * k);
        float *l = malloc(nf * n * sizeof *l);
        QSDR_REQUIRE(pi && u && x && v && l && qsdr_turbo_qpp(k, pi) == QSDR_OK);
        qsdr_turbo_enc_t *e = qsdr_turbo_enc_create(k, QSDR_TURBO_R13);
        for (int code = 1; code <= 2; code++) {
            /* rate 1/3 order: systematic | parity 1 | parity 2, each K + 4 (tails after K) */
            for (size_t f = 0; f < nf; f++) {
                qsdr_rand_bits(300 + (uint64_t)code, f * k, k, u + f * k);
                qsdr_turbo_enc_execute(e, u + f * k, x);
                float *lf = l + f * n;
                for (size_t i = 0; i < n; i++) lf[i] = x[i] ? -8.0f : 8.0f;
                size_t other = code == 1 ? 2 : 1;
                for (size_t i = 0; i < k; i++) lf[other * (k + 4) + i] = 0; /* the other code's parity ... */
                for (size_t t = 0; t < 6; t++) lf[qsdr_turbo_tail_pos(k, (other - 1) * 6 + t)] = 0; /* ... and tail */
                for (size_t s = k - 3; s < k; s++) {
                    size_t bit = code == 1 ? s : pi[s]; /* code 2's step s carries info bit pi[s] */
                    lf[bit] = 0;
                    lf[(size_t)code * (k + 4) + s] = 0;
                }
            }
            for (int algo = 0; algo < 2; algo++) {
                qsdr_turbo_dec_config cfg = qsdr_turbo_dec_default();
                cfg.algo = algo ? QSDR_TURBO_LOGMAP : QSDR_TURBO_MAXLOG;
                qsdr_turbo_dec_t *d = qsdr_turbo_dec_create(k, &cfg);
                QSDR_REQUIRE(d);
                for (size_t f = 0; f < nf; f++) QSDR_CHECK(qsdr_turbo_dec_execute(d, l + f * n, v + f * k, NULL) >= 1);
                QSDR_CHECK_MSG(!memcmp(u, v, nf * k), "K=%zu code %d float %s: erased end bits not recovered from the tail", k, code, algo ? "logmap" : "maxlog");
                qsdr_turbo_dec_destroy(&d);
                runs++;
            }
            for (size_t vi = 0; qsdr_turbo_fast_variant_name(vi); vi++) {
                const char *vn = qsdr_turbo_fast_variant_name(vi);
                qsdr_log_set_level(QSDR_LOG_OFF);
                qsdr_turbo_fast_t *q = qsdr_turbo_fast_create(k, 6, QSDR_TURBO_R13, vn);
                qsdr_log_set_level(QSDR_LOG_INFO);
                if (!q) continue; /* not supported by this CPU */
                memset(v, 7, nf * k);
                QSDR_CHECK_EQ_INT(qsdr_turbo_fast_execute(q, l, nf, v), QSDR_OK);
                size_t bad = 0;
                for (size_t i = 0; i < nf * k; i++) bad += u[i] != v[i];
                QSDR_CHECK_MSG(bad == 0, "K=%zu code %d fast %s: %zu erased end bits not recovered from the tail", k, code, vn, bad);
                qsdr_turbo_fast_destroy(&q);
                runs++;
            }
            /* the control: with that code's 6 tail LLRs erased too, the end bits are guesses */
            qsdr_turbo_dec_t *d = qsdr_turbo_dec_create(k, NULL);
            QSDR_REQUIRE(d);
            size_t bad = 0;
            for (size_t f = 0; f < nf; f++) {
                for (size_t t = 0; t < 6; t++) l[f * n + qsdr_turbo_tail_pos(k, (size_t)(code - 1) * 6 + t)] = 0;
                qsdr_turbo_dec_execute(d, l + f * n, v + f * k, NULL);
                for (size_t i = 0; i < k; i++) bad += u[f * k + i] != v[f * k + i];
            }
            printf("  K=%zu code %d: with its tail erased too, %zu of the %zu end bits are wrong\n", k, code, bad, 3 * nf);
            QSDR_CHECK_MSG(bad > 0 && bad <= 3 * nf, "K=%zu code %d without its tail: %zu errors (expected some, all among the 3 erased bits per frame)", k, code, bad);
            qsdr_turbo_dec_destroy(&d);
        }
        qsdr_turbo_enc_destroy(&e);
        free(pi), free(u), free(x), free(v), free(l);
    }
    printf("  %d decoder runs recovered every erased end bit\n", runs);
}
