/* SPDX-License-Identifier: MIT */
/* GNU Radio gr-zeromq tag headers and the PMT serialization subset tags use (type codes as
 * GNU Radio 3.10's pmt::serialize writes them; multi-byte PMT fields are big-endian). */
#include <stdio.h>
#include <string.h>

#include "qsdr/io.h"

enum {
    PST_TRUE = 0x00, PST_FALSE = 0x01, PST_SYMBOL = 0x02, PST_INT32 = 0x03, PST_DOUBLE = 0x04, PST_COMPLEX = 0x05,
    PST_NULL = 0x06, PST_PAIR = 0x07, PST_VECTOR = 0x08, PST_DICT = 0x09, PST_UNIFORM_VECTOR = 0x0a, PST_UINT64 = 0x0b,
    PST_TUPLE = 0x0c, PST_INT64 = 0x0d,
};

static uint64_t be(const uint8_t *p, int n)
{
    uint64_t v = 0;
    for (int i = 0; i < n; i++) v = (v << 8) | p[i];
    return v;
}

static void put_be(uint8_t *p, uint64_t v, int n)
{
    for (int i = n - 1; i >= 0; i--) {
        p[i] = (uint8_t)v;
        v >>= 8;
    }
}

static double be_f64(const uint8_t *p)
{
    uint64_t u = be(p, 8);
    double d;
    memcpy(&d, &u, 8);
    return d;
}

#define NEED(k)                                                                                      \
    do {                                                                                             \
        if (n - pos < (size_t)(k)) {                                                                 \
            snprintf(err, errlen, "PMT truncated at byte %zu (type 0x%02x needs %d more bytes)", pos, t, (int)(k)); \
            return QSDR_EFORMAT;                                                                     \
        }                                                                                            \
    } while (0)

static int parse_rec(const uint8_t *p, size_t n, size_t *used, qsdr_tag_value *out, char *err, size_t errlen, int depth)
{
    size_t pos = 0;
    uint8_t t = 0;
    if (depth > 32) {
        snprintf(err, errlen, "PMT nested too deeply");
        return QSDR_EFORMAT;
    }
    NEED(1);
    t = p[pos++];
    qsdr_tag_value v = {.type = QSDR_TAGV_STRING};
    switch (t) {
    case PST_TRUE:
    case PST_FALSE: v = qsdr_tagv_int(t == PST_TRUE); break;
    case PST_NULL: v = qsdr_tagv_string(""); break;
    case PST_SYMBOL: {
        NEED(2);
        size_t len = (size_t)be(p + pos, 2);
        pos += 2;
        NEED(len);
        char s[QSDR_TAG_STR_MAX];
        size_t m = len < sizeof s - 1 ? len : sizeof s - 1;
        memcpy(s, p + pos, m);
        s[m] = 0;
        pos += len;
        v = qsdr_tagv_string(s);
        break;
    }
    case PST_INT32: NEED(4); v = qsdr_tagv_int((int32_t)(uint32_t)be(p + pos, 4)); pos += 4; break;
    case PST_INT64: NEED(8); v = qsdr_tagv_int((int64_t)be(p + pos, 8)); pos += 8; break;
    case PST_UINT64: NEED(8); v = qsdr_tagv_int((int64_t)be(p + pos, 8)); pos += 8; break;
    case PST_DOUBLE: NEED(8); v = qsdr_tagv_float(be_f64(p + pos)); pos += 8; break;
    case PST_COMPLEX: {
        NEED(16);
        char s[QSDR_TAG_STR_MAX];
        snprintf(s, sizeof s, "(%.17g,%.17g)", be_f64(p + pos), be_f64(p + pos + 8));
        pos += 16;
        v = qsdr_tagv_string(s);
        break;
    }
    case PST_TUPLE:
    case PST_VECTOR: {
        NEED(4);
        uint32_t cnt = (uint32_t)be(p + pos, 4);
        pos += 4;
        qsdr_tag_value first = {0}, second = {0};
        for (uint32_t i = 0; i < cnt; i++) {
            size_t u;
            qsdr_tag_value e;
            int rc = parse_rec(p + pos, n - pos, &u, &e, err, errlen, depth + 1);
            if (rc) return rc;
            if (i == 0) first = e;
            if (i == 1) second = e;
            pos += u;
        }
        /* (uint64 seconds, double fraction): GNU Radio's time stamps (rx_time, tx_time) */
        if (t == PST_TUPLE && cnt == 2 && first.type == QSDR_TAGV_INT && second.type == QSDR_TAGV_FLOAT) {
            v.type = QSDR_TAGV_TIME;
            v.i = first.i;
            v.f = second.f;
        } else {
            char s[QSDR_TAG_STR_MAX];
            snprintf(s, sizeof s, "<pmt %s of %u>", t == PST_TUPLE ? "tuple" : "vector", cnt);
            v = qsdr_tagv_string(s);
        }
        break;
    }
    case PST_PAIR:
    case PST_DICT: {
        /* a chain of pairs: car, then the cdr (which may be another pair, or the end) */
        size_t u;
        qsdr_tag_value e;
        int rc = parse_rec(p + pos, n - pos, &u, &e, err, errlen, depth + 1);
        if (rc) return rc;
        pos += u;
        rc = parse_rec(p + pos, n - pos, &u, &e, err, errlen, depth + 1);
        if (rc) return rc;
        pos += u;
        v = qsdr_tagv_string(t == PST_DICT ? "<pmt dict>" : "<pmt pair>");
        break;
    }
    case PST_UNIFORM_VECTOR: {
        NEED(6);
        uint8_t kind = p[pos];
        static const uint8_t esize[] = {1, 1, 2, 2, 4, 4, 8, 8, 4, 8, 8, 16}; /* u8 s8 u16 s16 u32 s32 u64 s64 f32 f64 c32 c64 */
        if (kind >= sizeof esize) {
            snprintf(err, errlen, "PMT uniform vector of unknown element kind %u at byte %zu", kind, pos);
            return QSDR_EFORMAT;
        }
        uint32_t cnt = (uint32_t)be(p + pos + 1, 4);
        uint8_t npad = p[pos + 5];
        pos += 6;
        NEED((size_t)npad + (size_t)cnt * esize[kind]);
        pos += npad + (size_t)cnt * esize[kind];
        char s[QSDR_TAG_STR_MAX];
        snprintf(s, sizeof s, "<pmt uniform vector of %u>", cnt);
        v = qsdr_tagv_string(s);
        break;
    }
    default:
        snprintf(err, errlen, "unknown PMT type 0x%02x", t);
        return QSDR_EFORMAT;
    }
    *used = pos;
    *out = v;
    return QSDR_OK;
}

int qsdr_pmt_parse(const uint8_t *p, size_t n, size_t *used, qsdr_tag_value *out, char *err, size_t errlen)
{
    return parse_rec(p, n, used, out, err, errlen, 0);
}

size_t qsdr_pmt_write_symbol(uint8_t *p, size_t cap, const char *s)
{
    size_t len = strlen(s);
    if (len > 0xffff || cap < 3 + len) return 0;
    p[0] = PST_SYMBOL;
    put_be(p + 1, len, 2);
    memcpy(p + 3, s, len);
    return 3 + len;
}

size_t qsdr_pmt_write_value(uint8_t *p, size_t cap, const qsdr_tag_value *v)
{
    uint64_t u;
    switch (v->type) {
    case QSDR_TAGV_INT:
        if (v->i >= INT32_MIN && v->i <= INT32_MAX) {
            if (cap < 5) return 0;
            p[0] = PST_INT32;
            put_be(p + 1, (uint32_t)(int32_t)v->i, 4);
            return 5;
        }
        if (cap < 9) return 0;
        p[0] = PST_INT64;
        put_be(p + 1, (uint64_t)v->i, 8);
        return 9;
    case QSDR_TAGV_FLOAT:
        if (cap < 9) return 0;
        p[0] = PST_DOUBLE;
        memcpy(&u, &v->f, 8);
        put_be(p + 1, u, 8);
        return 9;
    case QSDR_TAGV_TIME:
        if (cap < 23) return 0;
        p[0] = PST_TUPLE;
        put_be(p + 1, 2, 4);
        p[5] = PST_UINT64;
        put_be(p + 6, (uint64_t)v->i, 8);
        p[14] = PST_DOUBLE;
        memcpy(&u, &v->f, 8);
        put_be(p + 15, u, 8);
        return 23;
    case QSDR_TAGV_STRING:
    default: return qsdr_pmt_write_symbol(p, cap, v->s);
    }
}

static uint64_t le64(const uint8_t *p)
{
    uint64_t v = 0;
    for (int i = 7; i >= 0; i--) v = (v << 8) | p[i];
    return v;
}

static void put_le64(uint8_t *p, uint64_t v)
{
    for (int i = 0; i < 8; i++) {
        p[i] = (uint8_t)v;
        v >>= 8;
    }
}

int qsdr_gr_header_parse(const uint8_t *m, size_t n, size_t *hdr_len, uint64_t *offset, qsdr_tag **tags, size_t *n_tags,
                         size_t *cap_tags, char *err, size_t errlen)
{
    unsigned magic = n >= 2 ? (unsigned)m[0] | ((unsigned)m[1] << 8) : 0;
    if (magic != QSDR_GR_HEADER_MAGIC) {
        snprintf(err, errlen, "bad tag header magic 0x%04x (expected 0x%04x: is pass_tags set on the peer?)", magic, QSDR_GR_HEADER_MAGIC);
        return QSDR_EFORMAT;
    }
    if (n < 19) {
        snprintf(err, errlen, "message of %zu bytes is too short for a tag header (19 bytes)", n);
        return QSDR_EFORMAT;
    }
    if (m[2] != QSDR_GR_HEADER_VERSION) {
        snprintf(err, errlen, "tag header version %u not supported (this qsdr reads version %u, GNU Radio 3.10)", (unsigned)m[2], (unsigned)QSDR_GR_HEADER_VERSION);
        return QSDR_EFORMAT;
    }
    *offset = le64(m + 3);
    uint64_t cnt = le64(m + 11);
    size_t pos = 19;
    if (cnt > n) {
        snprintf(err, errlen, "tag header claims %llu tags in a %zu-byte message", (unsigned long long)cnt, n);
        return QSDR_EFORMAT;
    }
    for (uint64_t k = 0; k < cnt; k++) {
        if (n - pos < 8) {
            snprintf(err, errlen, "tag %llu truncated", (unsigned long long)k);
            return QSDR_EFORMAT;
        }
        qsdr_tag t = {.offset = le64(m + pos) - *offset};
        pos += 8;
        qsdr_tag_value key, val, src;
        size_t u;
        char e2[200];
        int rc = qsdr_pmt_parse(m + pos, n - pos, &u, &key, e2, sizeof e2);
        if (!rc) {
            pos += u;
            rc = qsdr_pmt_parse(m + pos, n - pos, &u, &val, e2, sizeof e2);
        }
        if (!rc) {
            pos += u;
            rc = qsdr_pmt_parse(m + pos, n - pos, &u, &src, e2, sizeof e2);
        }
        if (rc) {
            snprintf(err, errlen, "tag %llu: %s", (unsigned long long)k, e2);
            return QSDR_EFORMAT;
        }
        pos += u;
        if (key.type != QSDR_TAGV_STRING) {
            snprintf(err, errlen, "tag %llu: the key is not a symbol", (unsigned long long)k);
            return QSDR_EFORMAT;
        }
        snprintf(t.key, sizeof t.key, "%.31s", key.s); /* keys longer than 31 bytes are cut */
        t.value = val;
        if (*n_tags == *cap_tags) {
            size_t nc = *cap_tags ? 2 * *cap_tags : 16;
            qsdr_tag *nt = qsdr_realloc(*tags, nc * sizeof *nt);
            if (!nt) return qsdr_error(QSDR_ENOMEM, "out of memory for tags");
            *tags = nt;
            *cap_tags = nc;
        }
        (*tags)[(*n_tags)++] = t;
    }
    *hdr_len = pos;
    return QSDR_OK;
}

size_t qsdr_gr_header_write(uint8_t *b, size_t cap, uint64_t offset, const qsdr_tag *tags, size_t n_tags)
{
    if (cap < 19) return 0;
    b[0] = QSDR_GR_HEADER_MAGIC & 0xff;
    b[1] = QSDR_GR_HEADER_MAGIC >> 8;
    b[2] = QSDR_GR_HEADER_VERSION;
    put_le64(b + 3, offset);
    put_le64(b + 11, n_tags);
    size_t pos = 19;
    for (size_t k = 0; k < n_tags; k++) {
        if (cap - pos < 8) return 0;
        put_le64(b + pos, tags[k].offset);
        pos += 8;
        size_t w = qsdr_pmt_write_symbol(b + pos, cap - pos, tags[k].key);
        if (!w) return 0;
        pos += w;
        w = qsdr_pmt_write_value(b + pos, cap - pos, &tags[k].value);
        if (!w) return 0;
        pos += w;
        if (cap - pos < 1) return 0;
        b[pos++] = PST_FALSE; /* srcid: GNU Radio's default (PMT_F) */
    }
    return pos;
}
