/* SPDX-License-Identifier: MIT */
/* GNU Radio tag headers and PMTs: known bytes (from GNU Radio 3.10's pmt.serialize_str), round
 * trips of every value type, malformed and random input never crash. */
#include <string.h>

#include "qsdr/qsdr.h"
#include "qsdr_test.h"

static size_t unhex(const char *h, uint8_t *out)
{
    size_t n = 0;
    for (; h[0] && h[1]; h += 2) {
        unsigned v;
        sscanf(h, "%2x", &v);
        out[n++] = (uint8_t)v;
    }
    return n;
}

QSDR_TEST(pmt_known_bytes, "unit", "PMTs as GNU Radio 3.10 serializes them parse to the right values and write back identically")
{
    struct {
        const char *hex;
        qsdr_tagv_type type;
        int64_t i;
        double f;
        const char *s;
    } k[] = {
        {"0200026162", QSDR_TAGV_STRING, 0, 0, "ab"},                                            /* symbol */
        {"0300000005", QSDR_TAGV_INT, 5, 0, NULL},                                                /* int32 */
        {"0d0000010000000000", QSDR_TAGV_INT, 1LL << 40, 0, NULL},                                /* int64 */
        {"043ff8000000000000", QSDR_TAGV_FLOAT, 0, 1.5, NULL},                                    /* double */
        {"0c000000020b0000000000000003043fd0000000000000", QSDR_TAGV_TIME, 3, 0.25, NULL},        /* (u64, double) */
        {"0b0000000000000007", QSDR_TAGV_INT, 7, 0, NULL},                                        /* uint64 */
        {"00", QSDR_TAGV_INT, 1, 0, NULL},                                                        /* true */
        {"09070200016b030000000206", QSDR_TAGV_STRING, 0, 0, "<pmt dict>"},                       /* dict */
        {"0a080000000201003f80000040000000", QSDR_TAGV_STRING, 0, 0, "<pmt uniform vector of 2>"}, /* f32 vector */
        {"0a0b00000001003ff0000000000000c000000000000000", QSDR_TAGV_STRING, 0, 0, "<pmt uniform vector of 1>"}, /* c64: 16 bytes each */
        {"03fffffffe", QSDR_TAGV_INT, -2, 0, NULL},                                               /* negative int32 */
    };
    for (size_t c = 0; c < sizeof k / sizeof *k; c++) {
        uint8_t b[64], w[64];
        size_t n = unhex(k[c].hex, b), used = 0;
        qsdr_tag_value v;
        char err[200];
        QSDR_CHECK_EQ_INT(qsdr_pmt_parse(b, n, &used, &v, err, sizeof err), QSDR_OK);
        QSDR_CHECK_EQ_INT(used, n);
        QSDR_CHECK_EQ_INT(v.type, k[c].type);
        if (v.type == QSDR_TAGV_INT || v.type == QSDR_TAGV_TIME) QSDR_CHECK_EQ_INT(v.i, k[c].i);
        if (v.type == QSDR_TAGV_FLOAT || v.type == QSDR_TAGV_TIME) QSDR_CHECK_NEAR(v.f, k[c].f, 0);
        if (k[c].s) QSDR_CHECK_MSG(!strcmp(v.s, k[c].s), "case %zu: '%s'", c, v.s);
        /* our own writer produces GNU Radio's bytes for the types it writes */
        if (c < 5) {
            size_t wn = qsdr_pmt_write_value(w, sizeof w, &v);
            QSDR_CHECK_MSG(wn == n && !memcmp(w, b, n), "case %zu: written bytes differ from GNU Radio's", c);
        }
    }
}

QSDR_TEST(pmt_extreme_doubles, "unit", "doubles no integer holds (1e300, -inf, NaN) parse; their integer view saturates (found by fuzzing)")
{
    static const struct {
        const char *hex;
        int64_t i;
    } k[] = {
        {"047e37e43c8800759c", INT64_MAX}, /* 1e300 */
        {"04fff0000000000000", INT64_MIN}, /* -inf */
        {"047ff8000000000000", 0},         /* NaN */
        {"04c00c000000000000", -3},        /* -3.5: truncated toward zero */
    };
    for (size_t c = 0; c < sizeof k / sizeof *k; c++) {
        uint8_t b[16];
        size_t n = unhex(k[c].hex, b), used = 0;
        qsdr_tag_value v;
        char err[200];
        QSDR_CHECK_EQ_INT(qsdr_pmt_parse(b, n, &used, &v, err, sizeof err), QSDR_OK);
        QSDR_CHECK_EQ_INT(v.type, QSDR_TAGV_FLOAT);
        QSDR_CHECK_MSG(v.i == k[c].i, "case %zu: i = %lld", c, (long long)v.i);
    }
}

QSDR_TEST(gr_header_round_trip, "unit", "a tag header with every value type parses back; offsets become message-relative")
{
    qsdr_tag t[4] = {{.offset = 1000, .value = {.type = QSDR_TAGV_TIME, .i = 1700000000, .f = 0.125}},
                     {.offset = 1003, .value = qsdr_tagv_float(2.4e9)},
                     {.offset = 1004, .value = qsdr_tagv_int(-5)},
                     {.offset = 1009, .value = qsdr_tagv_string("start")}};
    strcpy(t[0].key, "rx_time");
    strcpy(t[1].key, "rx_freq");
    strcpy(t[2].key, "n");
    strcpy(t[3].key, "burst");
    uint8_t buf[1024];
    size_t hl = qsdr_gr_header_write(buf, sizeof buf, 1000, t, 4);
    QSDR_REQUIRE(hl > 19);
    QSDR_CHECK(buf[0] == 0xf0 && buf[1] == 0x5f && buf[2] == 1);
    qsdr_tag *out = NULL;
    size_t n = 0, cap = 0, used;
    uint64_t off;
    char err[200];
    QSDR_CHECK_EQ_INT(qsdr_gr_header_parse(buf, hl + 8, &used, &off, &out, &n, &cap, err, sizeof err), QSDR_OK);
    QSDR_CHECK_EQ_INT(used, hl);
    QSDR_CHECK_EQ_INT(off, 1000);
    QSDR_REQUIRE(n == 4);
    QSDR_CHECK(out[0].offset == 0 && out[0].value.type == QSDR_TAGV_TIME && out[0].value.i == 1700000000 && out[0].value.f == 0.125);
    QSDR_CHECK(out[1].offset == 3 && out[1].value.f == 2.4e9);
    QSDR_CHECK(out[2].value.i == -5 && !strcmp(out[3].value.s, "start") && !strcmp(out[3].key, "burst"));
    /* every truncation is refused cleanly */
    for (size_t cut = 0; cut < hl; cut++) {
        size_t m = 0;
        QSDR_CHECK_MSG(qsdr_gr_header_parse(buf, cut, &used, &off, &out, &m, &cap, err, sizeof err) == QSDR_EFORMAT, "cut at %zu accepted", cut);
    }
    /* random bytes after a valid start: no crash, either parsed or refused */
    uint8_t r[256];
    for (int k = 0; k < 2000; k++) {
        qsdr_rand_bits(k, 0, 8, r); /* a few bits to vary the length */
        size_t len = 19 + (size_t)(r[0] + 2 * r[1] + 4 * r[2] + 8 * r[3] + 16 * r[4] + 32 * r[5] + 64 * r[6]);
        float u[256];
        qsdr_randu_f32(k, 0, 256, u);
        for (int i = 0; i < 256; i++) r[i] = (uint8_t)(u[i] * 256);
        r[0] = 0xf0;
        r[1] = 0x5f;
        r[2] = 1;
        size_t m = 0;
        int rc = qsdr_gr_header_parse(r, len < 256 ? len : 256, &used, &off, &out, &m, &cap, err, sizeof err);
        QSDR_CHECK(rc == QSDR_OK || rc == QSDR_EFORMAT);
    }
    qsdr_free(out);
}
