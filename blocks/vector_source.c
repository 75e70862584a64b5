/* SPDX-License-Identifier: MIT */
/* Block: emit a fixed list of values once or repeatedly. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "block_util.h"

extern const qsdr_block_desc qsdr_block_vector_source;

typedef struct {
    qsdr_tag *tags; /* each emitted once, on the output item its offset names (with repeat, any pass) */
    size_t n_tags;
    uint8_t *data;  /* encoded items */
    size_t n_items, isz;
    bool repeat;
    size_t pos;
} vs_state;

static void vs_destroy(void *st)
{
    vs_state *s = st;
    if (!s) return;
    qsdr_free(s->tags);
    qsdr_free(s->data);
    qsdr_free(s);
}

static int vs_create(qsdr_block_ctx *ctx, void **state)
{
    qsdr_item_type t;
    int rc = qsdr_blk_resolve_any(ctx, &qsdr_block_vector_source, &t);
    if (rc) return rc;
    double *v = NULL;
    size_t n = 0;
    if ((rc = qsdr_ctx_list(ctx, "data", &v, &n))) return rc;
    vs_state *s = qsdr_calloc(1, sizeof *s);
    if (!s) {
        qsdr_free(v);
        return qsdr_error(QSDR_ENOMEM, "out of memory");
    }
    s->repeat = qsdr_ctx_bool(ctx, "repeat");
    s->isz = qsdr_item_size(t);
    if (t == QSDR_ITEM_CF32 && n % 2) {
        qsdr_free(v);
        vs_destroy(s);
        return qsdr_error(QSDR_EINVAL, "parameter 'data': cf32 needs pairs (re, im), got %zu values", n);
    }
    s->n_items = t == QSDR_ITEM_CF32 ? n / 2 : n;
    if (s->n_items == 0) {
        qsdr_free(v);
        vs_destroy(s);
        return qsdr_error(QSDR_EINVAL, "parameter 'data': at least one value is needed");
    }
    s->data = qsdr_malloc(s->n_items * s->isz);
    if (!s->data) {
        qsdr_free(v);
        vs_destroy(s);
        return qsdr_error(QSDR_ENOMEM, "out of memory");
    }
    for (size_t i = 0; i < n; i++) {
        double x = v[i];
        bool ok = true;
        switch (t) {
        /* range first: converting a double an integer type cannot hold is undefined */
        case QSDR_ITEM_BIT: if ((ok = x == 0 || x == 1)) s->data[i] = (uint8_t)x; break;
        case QSDR_ITEM_U8: if ((ok = x >= 0 && x <= 255 && x == floor(x))) s->data[i] = (uint8_t)x; break;
        case QSDR_ITEM_I8: if ((ok = x >= -128 && x <= 127 && x == floor(x))) ((int8_t *)s->data)[i] = (int8_t)x; break;
        case QSDR_ITEM_I16: if ((ok = x >= -32768 && x <= 32767 && x == floor(x))) ((int16_t *)s->data)[i] = (int16_t)x; break;
        default: ((float *)s->data)[i] = (float)x; break;
        }
        if (!ok) {
            double bad = x;
            qsdr_free(v);
            vs_destroy(s);
            return qsdr_error(QSDR_ERANGE, "parameter 'data': value %g (element %zu) does not fit item type %s", bad, i, qsdr_item_name(t));
        }
    }
    qsdr_free(v);
    /* tags: "OFFSET:KEY=VALUE;..." VALUE: integer, real number, @SECONDS (time) or text */
    const char *spec = qsdr_ctx_string(ctx, "tags");
    for (const char *p = spec; p && *p;) {
        const char *semi = strchr(p, ';');
        size_t len = semi ? (size_t)(semi - p) : strlen(p);
        char item[200];
        snprintf(item, sizeof item, "%.*s", (int)(len < sizeof item ? len : sizeof item - 1), p);
        char *colon = strchr(item, ':'), *eq = colon ? strchr(colon, '=') : NULL, *end;
        unsigned long long off = strtoull(item, &end, 10);
        if (!colon || !eq || end != colon || eq == colon + 1) {
            vs_destroy(s);
            return qsdr_error(QSDR_EINVAL, "parameter 'tags': '%s' is not OFFSET:KEY=VALUE", item);
        }
        *eq = 0;
        qsdr_tag *nt = qsdr_realloc(s->tags, (s->n_tags + 1) * sizeof *nt);
        if (!nt) {
            vs_destroy(s);
            return qsdr_error(QSDR_ENOMEM, "out of memory");
        }
        s->tags = nt;
        qsdr_tag *tg = &s->tags[s->n_tags++];
        memset(tg, 0, sizeof *tg);
        tg->offset = off;
        snprintf(tg->key, sizeof tg->key, "%s", colon + 1);
        const char *val = eq + 1;
        long long iv = strtoll(val, &end, 10);
        if (*val && !*end) tg->value = qsdr_tagv_int(iv);
        else if (val[0] == '@') {
            double secs = strtod(val + 1, &end);
            if (end == val + 1 || *end || !(secs >= 0 && secs < 0x1p62)) {
                vs_destroy(s);
                return qsdr_error(QSDR_ERANGE, "parameter 'tags': time '%s' must be @SECONDS with SECONDS in [0, 2^62)", val);
            }
            tg->value.type = QSDR_TAGV_TIME;
            tg->value.i = (int64_t)floor(secs);
            tg->value.f = secs - floor(secs);
        } else {
            double d = strtod(val, &end);
            tg->value = (*val && !*end) ? qsdr_tagv_float(d) : qsdr_tagv_string(val);
        }
        p = semi ? semi + 1 : NULL;
    }
    *state = s;
    return QSDR_OK;
}

static int vs_work(void *st, qsdr_work_io *io)
{
    vs_state *s = st;
    uint8_t *out = io->out[0];
    size_t k = 0;
    while (k < io->n_out) {
        if (s->pos == s->n_items) {
            if (!s->repeat) break;
            s->pos = 0;
        }
        size_t m = s->n_items - s->pos;
        if (m > io->n_out - k) m = io->n_out - k;
        memcpy(out + k * s->isz, s->data + s->pos * s->isz, m * s->isz);
        s->pos += m;
        k += m;
    }
    io->produced = k;
    for (size_t t = 0; t < s->n_tags; t++)
        if (s->tags[t].offset >= io->out_offset && s->tags[t].offset < io->out_offset + k)
            qsdr_work_add_tag(io, 0, s->tags[t].offset, s->tags[t].key, s->tags[t].value);
    return (!s->repeat && s->pos == s->n_items) ? QSDR_DONE : QSDR_OK;
}

static const qsdr_param_desc vs_params[] = {
    QSDR_PARAM_ITEM_TYPE("f32"),
    {"data", QSDR_PARAM_LIST, "0", 1, 0, "", "values (cf32: re,im pairs), e.g. [1, 0, 1]", 0, NULL},
    {"repeat", QSDR_PARAM_BOOL, "false", 1, 0, "", "repeat the list forever", 0, NULL},
    {"tags", QSDR_PARAM_STRING, "", 1, 0, "", "tags to emit, OFFSET:KEY=VALUE;... (VALUE: integer, number, @SECONDS for a time, or text)", 0, NULL},
};
static const qsdr_port_desc vs_out[] = {{"out", QSDR_ITEM_ANY}};

const qsdr_block_desc qsdr_block_vector_source = {
    .abi = QSDR_BLOCK_ABI,
    .name = "vector_source",
    .summary = "Emit a list of values once (then end the stream) or repeatedly",
    .outputs = vs_out, .n_outputs = 1,
    .params = vs_params, .n_params = QSDR_N(vs_params),
    .rate_kind = QSDR_RATE_SYNC, .rate_in = 1, .rate_out = 1,
    .create = vs_create, .destroy = vs_destroy, .work = vs_work,
};
