/* SPDX-License-Identifier: MIT */
/* Fast turbo decoder QA: every SIMD variant the CPU supports gives the same hard decisions as
 * the generic C version, bit for bit, on random (noisy) inputs of several K, rates and batch
 * fills; the compile-time trellis tables equal the encoder's trellis. */
#include <math.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "fec/fec_internal.h"
#include "qsdr/qsdr.h"
#include "qsdr_test.h"

static void noisy_frames(size_t k, qsdr_turbo_rate r, size_t nf, double ebn0, uint64_t seed, float *l, uint8_t *u)
{
    size_t n = qsdr_turbo_n(k, r);
    qsdr_turbo_enc_t *e = qsdr_turbo_enc_create(k, r);
    uint8_t *x = malloc(n);
    float *w = malloc(n * sizeof *w);
    double var = 1.0 / (2.0 * (double)k / (double)n * pow(10, ebn0 / 10));
    for (size_t f = 0; f < nf; f++) {
        qsdr_rand_bits(seed, f * k, k, u + f * k);
        qsdr_turbo_enc_execute(e, u + f * k, x);
        qsdr_randn_f32(seed + 1, f * n, n, w);
        for (size_t i = 0; i < n; i++) l[f * n + i] = (float)(2 * ((x[i] ? -1.0 : 1.0) + sqrt(var) * w[i]) / var);
    }
    qsdr_turbo_enc_destroy(&e);
    free(x);
    free(w);
}

QSDR_TEST(qa_turbo_fast_variants, "qa", "fast turbo decoder (int16 and int8): each SIMD variant's decisions equal its generic C version's")
{
    struct {
        size_t k;
        qsdr_turbo_rate r;
        size_t nf;
        double eb;
    } cases[] = {{40, QSDR_TURBO_R13, 37, 0.0}, {1024, QSDR_TURBO_R12, 33, 0.8}, {6144, QSDR_TURBO_R13, 35, 0.5}, {528, QSDR_TURBO_R23, 5, 1.5}};
    int variants = 0;
    for (size_t c = 0; c < sizeof cases / sizeof *cases; c++) {
        size_t k = cases[c].k, n = qsdr_turbo_n(k, cases[c].r), nf = cases[c].nf;
        float *l = malloc(nf * n * sizeof *l);
        uint8_t *u = malloc(nf * k), *ref = malloc(nf * k), *got = malloc(nf * k);
        noisy_frames(k, cases[c].r, nf, cases[c].eb, 40 + c, l, u);
      for (int bits = 16; bits >= 8; bits -= 8) {
        const char *gen = bits == 16 ? "generic" : "generic_i8";
        qsdr_turbo_fast_t *g = qsdr_turbo_fast_create(k, 4, cases[c].r, gen);
        QSDR_REQUIRE(g);
        QSDR_CHECK_EQ_INT(qsdr_turbo_fast_execute(g, l, nf, ref), QSDR_OK);
        size_t errs = 0;
        for (size_t i = 0; i < nf * k; i++) errs += ref[i] != u[i];
        /* at these SNRs some frames fail: the comparison covers wrong decisions too */
        printf("  K=%zu rate %d: %s makes %zu bit errors in %zu frames\n", k, (int)cases[c].r, gen, errs, nf);
        for (size_t vi = 0; qsdr_turbo_fast_variant_name(vi); vi++) {
            const char *vn = qsdr_turbo_fast_variant_name(vi);
            bool is8 = strstr(vn, "_i8") != NULL;
            if (!strcmp(vn, gen) || is8 != (bits == 8)) continue;
            qsdr_log_set_level(QSDR_LOG_OFF);
            qsdr_turbo_fast_t *v = qsdr_turbo_fast_create(k, 4, cases[c].r, vn);
            qsdr_log_set_level(QSDR_LOG_INFO);
            if (!v) {
                printf("  variant %s: not supported by this CPU, skipped\n", vn);
                continue;
            }
            variants++;
            memset(got, 7, nf * k);
            QSDR_CHECK_EQ_INT(qsdr_turbo_fast_execute(v, l, nf, got), QSDR_OK);
            size_t bad = 0, first = 0;
            for (size_t i = 0; i < nf * k; i++)
                if (got[i] != ref[i] && bad++ == 0) first = i;
            QSDR_CHECK_MSG(bad == 0, "%s K=%zu: %zu decisions differ from generic, first at frame %zu bit %zu (expected %u, got %u)", vn, k,
                           bad, first / k, first % k, ref[first], got[first]);
            qsdr_turbo_fast_destroy(&v);
        }
        qsdr_turbo_fast_destroy(&g);
      }
        /* NaN input is refused */
        qsdr_turbo_fast_t *g = qsdr_turbo_fast_create(k, 4, cases[c].r, "int8");
        qsdr_log_set_level(QSDR_LOG_OFF);
        l[n + 3] = NAN;
        QSDR_CHECK(qsdr_turbo_fast_execute(g, l, nf, got) == QSDR_ERANGE);
        qsdr_log_set_level(QSDR_LOG_INFO);
        qsdr_turbo_fast_destroy(&g);
        free(l);
        free(u);
        free(ref);
        free(got);
    }
    printf("  %d SIMD variant runs compared\n", variants);
}

QSDR_TEST(qa_turbo_fast_quantize, "qa", "fast turbo decoder input quantizer, every variant: round(4 x) half away from 0, clipped to +-127 (int16) / +-63 (int8), NaN -> 0 and flagged")
{
    enum { N = 4099 }; /* not a multiple of any vector width: the scalar remainder runs too */
    float *x = malloc(N * sizeof *x);
    int16_t *got = malloc(N * sizeof *got);
    QSDR_REQUIRE(x && got);
    uint64_t s = 12345;
    for (size_t i = 0; i < N; i++) {
        s ^= s << 13, s ^= s >> 7, s ^= s << 17;
        double r = (double)(s >> 11) / 9007199254740992.0; /* [0, 1) */
        /* a quarter exact ties (x.5 after scaling by 4), the rest anywhere in +-40 */
        x[i] = i % 4 == 0 ? (float)(((long)(r * 400) - 200) + 0.5) / 4.0f : (float)(80 * r - 40);
    }
    x[1] = -0.0f, x[5] = INFINITY, x[9] = -INFINITY, x[13] = 31.875f, x[17] = -15.875f, x[21] = 0.125f, x[25] = -0.125f;
    int runs = 0;
    for (size_t vi = 0; qsdr_turbo_fast_variant_name(vi); vi++) {
        qsdr_log_set_level(QSDR_LOG_OFF);
        qsdr_turbo_fast_t *q = qsdr_turbo_fast_create(40, 4, QSDR_TURBO_R13, qsdr_turbo_fast_variant_name(vi));
        qsdr_log_set_level(QSDR_LOG_INFO);
        if (!q) continue;
        const float lim = q->bits == 16 ? 127.0f : 63.0f;
        for (int with_nan = 0; with_nan < 2; with_nan++) {
            if (with_nan) x[N - 2] = NAN;
            memset(got, 0x55, N * sizeof *got);
            size_t flag = q->quantize(x, N, got, 4.0f, lim);
            QSDR_CHECK_MSG((flag != 0) == (with_nan != 0), "%s: NaN flag %zu with%s a NaN", q->name, flag, with_nan ? "" : "out");
            size_t bad = 0, first = 0;
            for (size_t i = 0; i < N; i++) {
                float v = x[i] * 4.0f;
                long want = v != v ? 0 : lroundf(v > lim ? lim : (v < -lim ? -lim : v));
                if (got[i] != want && bad++ == 0) first = i;
            }
            QSDR_CHECK_MSG(bad == 0, "%s: %zu codes wrong, first x[%zu] = %.9g -> %d", q->name, bad, first, (double)x[first], got[first]);
            runs++;
        }
        x[N - 2] = 1.0f;
        qsdr_turbo_fast_destroy(&q);
    }
    printf("  %d quantizer runs compared with lroundf\n", runs);
    QSDR_CHECK(runs >= 4);
    free(x), free(got);
}

QSDR_TEST(qa_turbo_fast_trellis, "qa", "the fast decoder's constant trellis tables equal the RSC trellis")
{
    qsdr_trellis tr;
    qsdr_turbo_trellis_init(&tr);
    for (int s = 0; s < 8; s++)
        for (int c = 0; c < 2; c++) {
            QSDR_CHECK_EQ_INT(qsdr_tf_next[s][c], tr.next[s][c]);
            QSDR_CHECK_EQ_INT(qsdr_tf_cz[s][c], tr.cz[s][c]);
            QSDR_CHECK_EQ_INT(qsdr_tf_pred_s[s][c], tr.pred[s].s[c]);
            QSDR_CHECK_EQ_INT(qsdr_tf_pred_cz[s][c], tr.pred[s].cz[c]);
        }
    qsdr_log_set_level(QSDR_LOG_OFF);
    QSDR_CHECK(qsdr_turbo_fast_create(100, 6, QSDR_TURBO_R13, NULL) == NULL);
    QSDR_CHECK(qsdr_turbo_fast_create(6144, 0, QSDR_TURBO_R13, NULL) == NULL);
    QSDR_CHECK(qsdr_turbo_fast_create(6144, 6, QSDR_TURBO_R13, "no_such_isa") == NULL);
    qsdr_log_set_level(QSDR_LOG_INFO);
}

QSDR_TEST(qa_turbo_fast_transpose_variants, "qa",
          "fast turbo decoder: each SIMD transposition of a batch into the core's layout equals the generic C one exactly")
{
    const qsdr_k_variant *tab = qsdr_tf_transpose_variants(), *gen = qsdr_k_find(tab, "generic");
    QSDR_REQUIRE(gen);
    const size_t ks[] = {40, 48, 528, 1024, 6144};
    int runs = 0;
    for (size_t vi = 0; qsdr_turbo_fast_variant_name(vi); vi++) {
        const char *vn = qsdr_turbo_fast_variant_name(vi);
        for (size_t c = 0; c < sizeof ks / sizeof *ks; c++) {
            size_t k = ks[c];
            qsdr_log_set_level(QSDR_LOG_OFF);
            qsdr_turbo_fast_t *q = qsdr_turbo_fast_create(k, 4, QSDR_TURBO_R13, vn);
            qsdr_log_set_level(QSDR_LOG_INFO);
            if (!q) continue; /* not supported by this CPU */
            size_t L = q->lanes, m = 3 * (k + 4), bytes = 4 * (k + 3) * L * (size_t)(q->bits / 8);
            /* every int8 value (the quantizer clamps to +-63 for int8) or a wide int16 range */
            uint64_t x = 0x9e3779b97f4a7c15ULL ^ (k * 131 + vi);
            for (size_t i = 0; i < L * m; i++) {
                x ^= x << 13, x ^= x >> 7, x ^= x << 17;
                q->qd[i] = q->bits == 16 ? (int16_t)(x >> 48) : (int16_t)((int)(x >> 56) - 128);
            }
            unsigned char *want = malloc(bytes);
            QSDR_REQUIRE(want);
            memset(q->buf, 0xa5, bytes);
            ((void (*)(qsdr_turbo_fast_t *))gen->fn)(q);
            memcpy(want, q->buf, bytes);
            for (const qsdr_k_variant *v = tab; v->name; v++) {
                if (v == gen) continue;
                if (!qsdr_k_supported(v)) {
                    printf("  transposition %s: not supported by this CPU, skipped\n", v->name);
                    continue;
                }
                memset(q->buf, 0xa5, bytes);
                ((void (*)(qsdr_turbo_fast_t *))v->fn)(q);
                size_t bad = 0, first = 0;
                for (size_t i = 0; i < bytes; i++)
                    if (((unsigned char *)q->buf)[i] != want[i] && bad++ == 0) first = i;
                QSDR_CHECK_MSG(bad == 0, "transposition %s, decoder %s, K=%zu: %zu bytes differ from generic, first at byte %zu", v->name, vn, k, bad,
                               first);
                runs++;
            }
            free(want);
            qsdr_turbo_fast_destroy(&q);
        }
    }
    printf("  %d transposition runs compared\n", runs);
#if defined(__x86_64__)
    QSDR_CHECK(runs > 0);
#endif
}

/* Early termination: a frame decoded alone stops at the first iteration whose decisions satisfy
 * the rule (agree: equal to the previous iteration's, from the second; crc: the CRC24B in the
 * last 24 bits checks), and keeps exactly the decisions of decoding it with that many
 * iterations; in a batch every lane does the same independently (same decisions, iterations
 * summed); every variant gives the same decisions and counts (checked against the CPU's best). */
QSDR_TEST(qa_turbo_fast_early_stop, "qa", "fast turbo decoder early termination (agree, crc): per-frame semantics, batches, every variant bit-exact")
{
    const size_t k = 1024, nf = 40, maxit = 8;
    const qsdr_turbo_rate r = QSDR_TURBO_R13;
    size_t n = qsdr_turbo_n(k, r);
    float *l = malloc(nf * n * sizeof *l);
    uint8_t *u = malloc(nf * k), *batch = malloc(nf * k), *one = malloc(k), *fix = malloc(k), *fix1 = malloc(k), *got = malloc(nf * k);
    /* frames with a CRC24B, at Eb/N0 from the waterfall (some never converge) to 2 dB */
    qsdr_turbo_enc_t *e = qsdr_turbo_enc_create(k, r);
    uint8_t *x = malloc(n);
    float *w = malloc(n * sizeof *w);
    for (size_t f = 0; f < nf; f++) {
        double eb = 0.2 + 1.8 * (double)f / (double)(nf - 1), var = 1.0 / (2.0 * (double)k / (double)n * pow(10, eb / 10));
        qsdr_rand_bits(71, f * k, k - 24, u + f * k);
        qsdr_crc24_attach(QSDR_CRC24B, u + f * k, k - 24);
        qsdr_turbo_enc_execute(e, u + f * k, x);
        qsdr_randn_f32(72, f * n, n, w);
        for (size_t i = 0; i < n; i++) l[f * n + i] = (float)(2 * ((x[i] ? -1.0 : 1.0) + sqrt(var) * w[i]) / var);
    }
    const qsdr_turbo_stop rules[] = {QSDR_TURBO_STOP_AGREE, QSDR_TURBO_STOP_CRC};
    for (int bits = 16; bits >= 8; bits -= 8) {
        /* the semantics on the best variant (fast), then every variant against it */
        const char *gen = bits == 16 ? "int16" : "int8";
        for (int ri = 0; ri < 2; ri++) {
            qsdr_turbo_stop rule = rules[ri];
            qsdr_turbo_fast_t *b = qsdr_turbo_fast_create(k, maxit, r, gen);
            QSDR_REQUIRE(b && qsdr_turbo_fast_set_stop(b, rule, QSDR_CRC24B) == QSDR_OK);
            QSDR_CHECK_EQ_INT(qsdr_turbo_fast_execute(b, l, nf, batch), QSDR_OK);
            uint64_t sum = 0, early = 0;
            for (size_t f = 0; f < nf; f++) {
                qsdr_turbo_fast_t *s = qsdr_turbo_fast_create(k, maxit, r, gen);
                qsdr_turbo_fast_set_stop(s, rule, QSDR_CRC24B);
                qsdr_turbo_fast_execute(s, l + f * n, 1, one);
                unsigned it = (unsigned)qsdr_turbo_fast_iterations(s);
                qsdr_turbo_fast_destroy(&s);
                sum += it;
                early += it < maxit;
                QSDR_CHECK_MSG(!memcmp(one, batch + f * k, k), "%s rule %d frame %zu: batch and single decisions differ", gen, (int)rule, f);
                QSDR_REQUIRE(it >= 1 && it <= maxit);
                /* the same decisions as a fixed count of it iterations, where the rule holds ... */
                qsdr_turbo_fast_t *d = qsdr_turbo_fast_create(k, it, r, gen);
                qsdr_turbo_fast_execute(d, l + f * n, 1, fix);
                qsdr_turbo_fast_destroy(&d);
                QSDR_CHECK_MSG(!memcmp(one, fix, k), "%s rule %d frame %zu: decisions differ from %u fixed iterations", gen, (int)rule, f, it);
                bool holds_at_it = false;
                for (unsigned j = 1; j <= it; j++) { /* ... and at no earlier iteration */
                    qsdr_turbo_fast_t *dj = qsdr_turbo_fast_create(k, j, r, gen);
                    qsdr_turbo_fast_execute(dj, l + f * n, 1, fix);
                    qsdr_turbo_fast_destroy(&dj);
                    bool holds = rule == QSDR_TURBO_STOP_CRC ? qsdr_crc24_check(QSDR_CRC24B, fix, k - 24) : j > 1 && !memcmp(fix, fix1, k);
                    memcpy(fix1, fix, k);
                    if (j < it) QSDR_CHECK_MSG(!holds, "%s rule %d frame %zu: the rule held at iteration %u, stopped at %u", gen, (int)rule, f, j, it);
                    else holds_at_it = holds;
                }
                QSDR_CHECK_MSG(holds_at_it || it == maxit, "%s rule %d frame %zu: stopped at %u without the rule holding", gen, (int)rule, f, it);
            }
            QSDR_CHECK_EQ_INT((int)qsdr_turbo_fast_iterations(b), (int)sum);
            /* no state carries over between calls: the same batch again, the same decisions and
               iterations (the previous call's last decisions are not this call's first) */
            QSDR_CHECK_EQ_INT(qsdr_turbo_fast_execute(b, l, nf, got), QSDR_OK);
            QSDR_CHECK_MSG(!memcmp(got, batch, nf * k), "%s rule %d: a second call decides differently", gen, (int)rule);
            QSDR_CHECK_MSG(qsdr_turbo_fast_iterations(b) == 2 * sum, "%s rule %d: a second call ran %llu iterations, the first %llu", gen, (int)rule,
                           (unsigned long long)(qsdr_turbo_fast_iterations(b) - sum), (unsigned long long)sum);
            QSDR_CHECK_MSG(early >= nf / 2, "%s rule %d: only %zu of %zu frames stopped early", gen, (int)rule, (size_t)early, nf);
            printf("  %s, %s: %.2f iterations per frame (at most %zu)\n", gen, ri ? "crc" : "agree", (double)sum / (double)nf, maxit);
            /* every SIMD variant: the same decisions and iteration count */
            for (size_t vi = 0; qsdr_turbo_fast_variant_name(vi); vi++) {
                const char *vn = qsdr_turbo_fast_variant_name(vi);
                if ((strstr(vn, "_i8") != NULL) != (bits == 8)) continue;
                qsdr_log_set_level(QSDR_LOG_OFF);
                qsdr_turbo_fast_t *v = qsdr_turbo_fast_create(k, maxit, r, vn);
                qsdr_log_set_level(QSDR_LOG_INFO);
                if (!v) continue;
                qsdr_turbo_fast_set_stop(v, rule, QSDR_CRC24B);
                memset(got, 7, nf * k);
                qsdr_turbo_fast_execute(v, l, nf, got);
                QSDR_CHECK_MSG(!memcmp(got, batch, nf * k), "%s rule %d: decisions differ from %s", vn, (int)rule, gen);
                QSDR_CHECK_MSG(qsdr_turbo_fast_iterations(v) == sum, "%s rule %d: %llu iterations, %s %llu", vn, (int)rule,
                               (unsigned long long)qsdr_turbo_fast_iterations(v), gen, (unsigned long long)sum);
                qsdr_turbo_fast_destroy(&v);
            }
            qsdr_turbo_fast_destroy(&b);
        }
    }
    /* agree never stops at the first iteration, even where the decisions equal the all-zero
       start (an all-zero frame, noiseless): 2 iterations, as the float decoder */
    for (int i8 = 0; i8 < 2; i8++) {
        qsdr_turbo_fast_t *z = qsdr_turbo_fast_create(k, maxit, r, i8 ? "int8" : "int16");
        QSDR_REQUIRE(z && qsdr_turbo_fast_set_stop(z, QSDR_TURBO_STOP_AGREE, QSDR_CRC_NONE) == QSDR_OK);
        for (size_t i = 0; i < n; i++) l[i] = 8.0f;
        QSDR_CHECK_EQ_INT(qsdr_turbo_fast_execute(z, l, 1, one), QSDR_OK);
        QSDR_CHECK_EQ_INT((int)qsdr_turbo_fast_iterations(z), 2);
        size_t ones = 0;
        for (size_t i = 0; i < k; i++) ones += one[i];
        QSDR_CHECK_EQ_INT((int)ones, 0);
        qsdr_turbo_fast_destroy(&z);
    }
    qsdr_turbo_dec_config fc = qsdr_turbo_dec_default();
    fc.iterations = maxit, fc.stop = QSDR_TURBO_STOP_AGREE;
    qsdr_turbo_dec_t *fd = qsdr_turbo_dec_create(k, &fc);
    QSDR_CHECK_EQ_INT(qsdr_turbo_dec_execute(fd, l, one, NULL), 2);
    qsdr_turbo_dec_destroy(&fd);
    /* a CRC rule needs a CRC */
    qsdr_turbo_fast_t *b = qsdr_turbo_fast_create(k, 4, r, NULL);
    qsdr_log_set_level(QSDR_LOG_OFF);
    QSDR_CHECK(qsdr_turbo_fast_set_stop(b, QSDR_TURBO_STOP_CRC, QSDR_CRC_NONE) == QSDR_EINVAL);
    qsdr_log_set_level(QSDR_LOG_INFO);
    qsdr_turbo_fast_destroy(&b);
    qsdr_turbo_enc_destroy(&e);
    free(x), free(w), free(l), free(u), free(batch), free(one), free(fix), free(fix1), free(got);
}
