/* SPDX-License-Identifier: MIT */
/* RRC filter QA: qsdr_rrc (its own polyphase loops, vectorised with the compiler's vector
 * extension) against liquid-dsp's firinterp/firdecim, the implementation it replaced. */
#include <complex.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <liquid/liquid.h>

#include "qsdr/qsdr.h"
#include "qsdr_test.h"

/* qsdr_rrc against liquid-dsp's firinterp/firdecim on the same unit-energy taps (liquid
 * computed the filters until 2026-11-25): equal within float rounding, for odd and even sps and
 * several spans; and, since each output's sum runs in one fixed order whether it falls in a
 * vector block of eight or the scalar tail, any chunking of the stream gives identical bits. */

static void rrc_taps(unsigned sps, unsigned span, float beta, float *h)
{
    unsigned len = 2 * sps * span + 1;
    liquid_firdes_prototype(LIQUID_FIRFILT_RRC, sps, span, beta, 0.0f, h);
    double e = 0;
    for (unsigned i = 0; i < len; i++) e += (double)h[i] * h[i];
    for (unsigned i = 0; i < len; i++) h[i] *= (float)(1.0 / sqrt(e));
}

QSDR_TEST(qa_rrc_vs_liquid, "qa", "RRC pulse shaper and matched filter equal liquid-dsp's firinterp/firdecim (float rounding), and identical bits for any chunking")
{
    static const unsigned cfg[][2] = {{2, 12}, {2, 1}, {3, 5}, {4, 8}, {7, 2}, {16, 3}};
    const size_t ns = 3000; /* symbols: more than one 1024-output block */
    float u[2 * 3000 * 16];
    qsdr_randu_f32(11, 0, 2 * ns * 16, u);
    qsdr_cf32 *s = malloc(ns * 16 * sizeof *s), *x = malloc(ns * 16 * sizeof *x), *r = malloc(ns * 16 * sizeof *r),
              *a = malloc(ns * 16 * sizeof *a);
    float *h = malloc((2 * 16 * 12 + 1) * sizeof *h);
    QSDR_REQUIRE(s && x && r && a && h);
    for (size_t i = 0; i < ns * 16; i++) s[i] = (qsdr_cf32){2 * u[2 * i] - 1, 2 * u[2 * i + 1] - 1};
    for (size_t c = 0; c < sizeof cfg / sizeof cfg[0]; c++) {
        unsigned sps = cfg[c][0], span = cfg[c][1], len = 2 * sps * span + 1;
        float beta = c % 2 ? 0.35f : 0.99f;
        rrc_taps(sps, span, beta, h);
        for (int interp = 0; interp < 2; interp++) {
            size_t nin = interp ? ns : ns * sps, nout = interp ? ns * sps : ns;
            /* liquid: the reference */
            if (interp) {
                firinterp_crcf f = firinterp_crcf_create(sps, h, len);
                firinterp_crcf_execute_block(f, (float complex *)s, (unsigned)ns, (float complex *)r);
                firinterp_crcf_destroy(f);
            } else {
                firdecim_crcf f = firdecim_crcf_create(sps, h, len);
                firdecim_crcf_execute_block(f, (float complex *)s, (unsigned)ns, (float complex *)r);
                firdecim_crcf_destroy(f);
            }
            /* ours in one call, then in chunks of 1, 7, 8, 9, 1500 ... calls (n counts outputs
               of decim, inputs of interp: symbols either way) */
            static const size_t chunk[] = {0, 1, 7, 8, 9, 1500, 1025};
            for (size_t k = 0; k < sizeof chunk / sizeof chunk[0]; k++) {
                qsdr_rrc_t *q = interp ? qsdr_rrc_interp_create(sps, span, beta) : qsdr_rrc_decim_create(sps, span, beta);
                QSDR_REQUIRE(q);
                qsdr_cf32 *y = k ? a : x;
                for (size_t done = 0; done < ns;) {
                    size_t b = chunk[k] && chunk[k] < ns - done ? chunk[k] : ns - done;
                    QSDR_REQUIRE(qsdr_rrc_execute(q, s + done * (interp ? 1 : sps), b, y + done * (interp ? sps : 1)) == QSDR_OK);
                    done += b;
                }
                qsdr_rrc_destroy(&q);
                if (k) {
                    QSDR_CHECK_MSG(!memcmp(a, x, nout * sizeof *x), "sps %u span %u %s: chunks of %zu differ from one call", sps, span,
                                   interp ? "interp" : "decim", chunk[k]);
                    continue;
                }
                double worst = 0, peak = 0;
                for (size_t i = 0; i < nout; i++) {
                    worst = qsdr_test_max(worst, qsdr_test_max(fabs(x[i].re - r[i].re), fabs(x[i].im - r[i].im)));
                    peak = qsdr_test_max(peak, qsdr_test_max(fabs(r[i].re), fabs(r[i].im)));
                }
                QSDR_CHECK_MSG(worst <= 2e-6 * peak && peak > 0.1, "sps %u span %u %s: max |ours - liquid| %.3g (peak %.3g)", sps, span,
                               interp ? "interp" : "decim", worst, peak);
            }
            (void)nin;
        }
    }
    free(s), free(x), free(r), free(a), free(h);
}
