/* SPDX-License-Identifier: MIT */
/* Radio sample formats (cs16, cs8, cu8 <-> cf32): exact round trips of every integer value,
 * rounding (ties to even), saturation counts, I/Q swap, unaligned input, NaN refused. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "qsdr/qsdr.h"
#include "qsdr_test.h"

QSDR_TEST(iq_round_trip, "unit", "every cs16 / cs8 / cu8 value -> cf32 -> the same value, at the default full scales")
{
    static const qsdr_iq_format fmts[] = {QSDR_IQ_CS16, QSDR_IQ_CS8, QSDR_IQ_CU8};
    for (int k = 0; k < 3; k++) {
        qsdr_iq_format f = fmts[k];
        size_t nv = f == QSDR_IQ_CS16 ? 65536 : 256, cb = qsdr_iq_component_bytes(f);
        /* components: every value once as I and once as Q (n = nv samples); +1 byte: unaligned */
        unsigned char *raw = malloc(2 * nv * cb + 1), *back = malloc(2 * nv * cb);
        qsdr_cf32 *x = malloc(nv * sizeof *x);
        QSDR_REQUIRE(raw && back && x);
        unsigned char *in = raw + 1;
        for (size_t i = 0; i < nv; i++) {
            if (f == QSDR_IQ_CS16) {
                int16_t v[2] = {(int16_t)(i - 32768), (int16_t)(32767 - i)};
                memcpy(in + 4 * i, v, 4);
            } else {
                in[2 * i] = (unsigned char)i;
                in[2 * i + 1] = (unsigned char)(255 - i);
            }
        }
        double fs = qsdr_iq_full_scale(f);
        qsdr_iq_to_cf32(f, in, nv, 1 / fs, false, x);
        /* the extremes: -1 exactly at the bottom of cs16 / cs8, +-1 at cu8's 0 and 255 */
        if (f == QSDR_IQ_CS16) QSDR_CHECK(x[0].re == -1.0f && x[0].im == 32767.0f / 32768.0f);
        if (f == QSDR_IQ_CS8) QSDR_CHECK(x[128].re == -1.0f && x[128].im == 127.0f / 128.0f);
        if (f == QSDR_IQ_CU8) QSDR_CHECK(x[0].re == -1.0f && x[0].im == 1.0f);
        uint64_t clipped = 0;
        QSDR_CHECK_EQ_INT(qsdr_cf32_to_iq(f, x, nv, fs, false, back, &clipped), QSDR_OK);
        QSDR_CHECK_MSG(!memcmp(back, in, 2 * nv * cb), "format %d: the round trip changed values", (int)f);
        QSDR_CHECK_EQ_INT(clipped, 0);
        free(raw);
        free(back);
        free(x);
    }
}

QSDR_TEST(iq_rounding_saturation_swap, "unit", "ties to even, saturation counted per component, swap, NaN and infinity refused")
{
    qsdr_log_set_level(QSDR_LOG_OFF);
    qsdr_cf32 x[] = {{0.5f, 1.5f}, {2.5f, -0.5f}, {-1.5f, 40000.0f}, {-1e9f, 3.0f}};
    int16_t w[8];
    uint64_t clipped = 0;
    QSDR_CHECK_EQ_INT(qsdr_cf32_to_iq(QSDR_IQ_CS16, x, 4, 1.0, false, w, &clipped), QSDR_OK);
    int16_t want[] = {0, 2, 2, 0, -2, 32767, -32768, 3};
    QSDR_CHECK_ARRAY(w, want, 8, 0);
    QSDR_CHECK_EQ_INT(clipped, 2);
    int8_t c[8];
    QSDR_CHECK_EQ_INT(qsdr_cf32_to_iq(QSDR_IQ_CS8, x, 4, 1.0, true, c, NULL), QSDR_OK); /* NULL count is fine */
    int8_t want8[] = {2, 0, 0, 2, 127, -2, 3, -128};
    QSDR_CHECK_ARRAY(c, want8, 8, 0);
    uint8_t u[2];
    qsdr_cf32 z = {0.0f, -2.0f};
    clipped = 0;
    QSDR_CHECK_EQ_INT(qsdr_cf32_to_iq(QSDR_IQ_CU8, &z, 1, 127.5, false, u, &clipped), QSDR_OK);
    QSDR_CHECK(u[0] == 128 && u[1] == 0 && clipped == 1); /* 127.5 ties to the even 128 */
    qsdr_cf32 back[1];
    qsdr_iq_to_cf32(QSDR_IQ_CU8, u, 1, 1 / 127.5, true, back);
    QSDR_CHECK(back[0].re == -1.0f && fabsf(back[0].im - 0.5f / 127.5f) < 1e-7f);
    qsdr_cf32 bad[] = {{1, 1}, {NAN, 0}}, inf[] = {{0, INFINITY}};
    QSDR_CHECK_EQ_INT(qsdr_cf32_to_iq(QSDR_IQ_CS16, bad, 2, 1000.0, false, w, NULL), QSDR_ERANGE);
    QSDR_CHECK(strstr(qsdr_last_error(), "sample 1 of this chunk is not finite") != NULL);
    QSDR_CHECK_EQ_INT(qsdr_cf32_to_iq(QSDR_IQ_CU8, inf, 1, 1000.0, false, u, NULL), QSDR_ERANGE);
    QSDR_CHECK_EQ_INT(qsdr_iq_format_parse("cs16"), QSDR_IQ_CS16);
    QSDR_CHECK_EQ_INT(qsdr_iq_format_parse("cu8"), QSDR_IQ_CU8);
    QSDR_CHECK_EQ_INT(qsdr_iq_format_parse("sc16"), -1);
    QSDR_CHECK_EQ_INT(qsdr_iq_format_parse(NULL), -1);
    qsdr_log_set_level(QSDR_LOG_INFO);
}
