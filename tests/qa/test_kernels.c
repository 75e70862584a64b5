/* SPDX-License-Identifier: MIT */
/* Kernel QA: every SIMD variant the CPU supports against _generic on seeded input, lengths
 * 0..67 and one large length, at offset 0 and 1, with a canary after the output. */
#include <stdlib.h>
#include <string.h>

#include "phy/kernels/qsdr_k_philox_normal_32f.h"
#include "phy/phy_internal.h"
#include "qsdr_test.h"

QSDR_TEST(qa_philox_normal_variants, "qa", "Gaussian kernel: each SIMD variant is bit-exact with generic")
{
    const qsdr_k_variant *tab = qsdr_k_normal_variants();
    const qsdr_k_variant *g = qsdr_k_find(tab, "generic");
    QSDR_REQUIRE(g);
    qsdr_k_philox_normal_32f_fn gen = (qsdr_k_philox_normal_32f_fn)g->fn;
    size_t big = 10007;
    float *want = malloc((4 * big + 8) * sizeof(float)), *got = malloc((4 * big + 8) * sizeof(float));
    QSDR_REQUIRE(want && got);
    int tested = 0;
    for (const qsdr_k_variant *v = tab; v->name; v++) {
        if (!qsdr_k_supported(v)) {
            printf("  variant %s: not supported by this CPU, skipped\n", v->name);
            continue;
        }
        tested++;
        qsdr_k_philox_normal_32f_fn fn = (qsdr_k_philox_normal_32f_fn)v->fn;
        for (size_t len = 0; len <= 68; len++) {
            size_t nb = len == 68 ? big : len;
            for (int off = 0; off < 2; off++) {
                uint64_t key = 0x0123456789abcdefULL + len, b0 = (uint64_t)len * 1000003ULL + (uint64_t)off + (len > 60 ? 0xfffffff0ULL : 0);
                gen(want, key, b0, nb);
                for (size_t i = 0; i < 4 * nb + 8; i++) got[i] = -1234.5f;
                fn(got + off, key, b0, nb);
                size_t bad = 0;
                for (size_t i = 0; i < 4 * nb; i++)
                    if (memcmp(&got[off + i], &want[i], sizeof(float))) {
                        if (bad++ < 3) qsdr_test_fail(__FILE__, __LINE__, "%s len %zu off %d index %zu: expected %.9g, got %.9g", v->name, nb, off, i, want[i], got[off + i]);
                    }
                QSDR_CHECK_MSG(bad == 0, "%s: %zu mismatches (len %zu)", v->name, bad, nb);
                QSDR_CHECK_MSG(got[off + 4 * nb] == -1234.5f, "%s wrote past the end (len %zu)", v->name, nb);
                if (off) QSDR_CHECK_MSG(got[0] == -1234.5f, "%s wrote before the start", v->name);
            }
        }
    }
    QSDR_CHECK(tested >= 1);
    free(want);
    free(got);
}

QSDR_TEST(qa_philox_normal_accuracy, "qa", "Gaussian kernel's ln/sin/cos polynomials against libm (|error| < 1e-6 max(1,|x|))")
{
    double worst = 0;
    for (uint32_t i = 0; i < 200000; i++) {
        uint32_t w1 = i * 2654435761u, w2 = i * 40503u + 12345u;
        float c, s;
        qsdr_k_box_muller(w1, w2, &c, &s);
        /* the kernel's u1 is a float (24-bit mantissa); compare the transform of that value */
        double u1 = (double)(((float)(int32_t)(w1 >> 1) + 0.5f) * 0x1p-31f), u2 = (double)(w2 >> 8) * 0x1p-24;
        double r = sqrt(-2 * log(u1));
        double ec = fabs(c - r * cos(2 * M_PI * u2)), es = fabs(s - r * sin(2 * M_PI * u2));
        double e = fmax(ec, es) / fmax(1.0, r);
        if (e > worst) worst = e;
    }
    QSDR_CHECK_MSG(worst < 1e-6, "worst relative error %.3g", worst);
}
