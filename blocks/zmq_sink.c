/* SPDX-License-Identifier: MIT */
/* Block: ZeroMQ stream sink, wire-compatible with GNU Radio 3.10 gr-zeromq sources
 * (PUSH->PULL lossless, PUB->SUB with key / no-drop / wait-for-subscriber, REP answering REQ),
 * optional GNU Radio tag headers. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <zmq.h>

#include "block_util.h"
#include "qsdr/io.h"

extern const qsdr_block_desc qsdr_block_zmq_sink;

enum { PAT_PUSH = 0, PAT_PUB, PAT_REP };
enum { W_CF32 = 0, W_F32, W_SC16, W_U8 };

typedef struct {
    void *ctx, *sock;
    int pattern, wire;
    size_t wsize, isize;
    bool pass_tags, wait_sub, subscribed, no_drop;
    char *address, *key;
    double scale;
    uint64_t clipped; /* sc16 components saturated */
    size_t max_items;
    uint8_t *buf;
    size_t cap;
    uint64_t sent_items, msgs, requests;
    const char *id;
} zk_state;

static void zk_destroy(void *st)
{
    zk_state *s = st;
    if (!s) return;
    if (s->sock) zmq_close(s->sock);
    if (s->ctx) zmq_ctx_term(s->ctx); /* waits up to linger_ms for the tail to go out */
    qsdr_free(s->address);
    qsdr_free(s->key);
    qsdr_free(s->buf);
    qsdr_free(s);
}

static int zk_init(qsdr_block_ctx *ctx, zk_state *s)
{
    s->id = qsdr_ctx_id(ctx);
    s->pattern = qsdr_ctx_enum(ctx, "pattern");
    s->wire = qsdr_ctx_enum(ctx, "type");
    static const size_t wsz[] = {8, 4, 4, 1};
    static const qsdr_item_type itype[] = {QSDR_ITEM_CF32, QSDR_ITEM_F32, QSDR_ITEM_CF32, QSDR_ITEM_U8};
    s->wsize = wsz[s->wire];
    s->isize = qsdr_item_size(itype[s->wire]);
    qsdr_ctx_set_port_type(ctx, false, 0, itype[s->wire]);
    s->pass_tags = qsdr_ctx_bool(ctx, "pass_tags");
    s->wait_sub = qsdr_ctx_bool(ctx, "wait_for_subscriber");
    s->no_drop = qsdr_ctx_bool(ctx, "no_drop");
    s->address = qsdr_strdup(qsdr_ctx_string(ctx, "address"));
    s->key = qsdr_strdup(qsdr_ctx_string(ctx, "key"));
    s->scale = qsdr_ctx_float(ctx, "sc16_scale");
    s->max_items = (size_t)qsdr_ctx_uint(ctx, "max_items_per_msg");
    int hwm = (int)qsdr_ctx_int(ctx, "hwm"), linger = (int)qsdr_ctx_uint(ctx, "linger_ms"), sndtimeo = 100;
    qsdr_blk_only_with(ctx, "key", s->pattern == PAT_PUB, "pattern: pub");
    qsdr_blk_only_with(ctx, "wait_for_subscriber", s->pattern == PAT_PUB, "pattern: pub");
    qsdr_blk_only_with(ctx, "no_drop", s->pattern == PAT_PUB, "pattern: pub");
    qsdr_blk_only_with(ctx, "sc16_scale", s->wire == W_SC16, "type: sc16");
    if (!s->address || !*s->address) return qsdr_error(QSDR_EINVAL, "parameter 'address': an endpoint such as tcp://127.0.0.1:5555 is required");
    s->ctx = zmq_ctx_new();
    /* PUB is an XPUB socket: it sees subscriptions (wait_for_subscriber) and can refuse to drop */
    static const int types[] = {ZMQ_PUSH, ZMQ_XPUB, ZMQ_REP};
    s->sock = s->ctx ? zmq_socket(s->ctx, types[s->pattern]) : NULL;
    if (!s->sock) return qsdr_error(QSDR_EEXT, "zmq_socket: %s", zmq_strerror(zmq_errno()));
    zmq_setsockopt(s->sock, ZMQ_LINGER, &linger, sizeof linger);
    /* a sink only receives REP requests (4-byte counts) and XPUB subscriptions: a peer sending
       more than 64 KiB is disconnected rather than buffered */
    int64_t max_in = 65536;
    zmq_setsockopt(s->sock, ZMQ_MAXMSGSIZE, &max_in, sizeof max_in);
    zmq_setsockopt(s->sock, ZMQ_SNDTIMEO, &sndtimeo, sizeof sndtimeo);
    if (hwm >= 0) zmq_setsockopt(s->sock, ZMQ_SNDHWM, &hwm, sizeof hwm);
    if (s->pattern == PAT_PUB && s->no_drop) {
        int one = 1;
        zmq_setsockopt(s->sock, ZMQ_XPUB_NODROP, &one, sizeof one);
    }
    int rc = qsdr_ctx_bool(ctx, "bind") ? zmq_bind(s->sock, s->address) : zmq_connect(s->sock, s->address);
    if (rc) return qsdr_error(QSDR_EEXT, "parameter 'address': cannot %s '%s': %s", qsdr_ctx_bool(ctx, "bind") ? "bind" : "connect", s->address,
                              zmq_strerror(zmq_errno()));
    return QSDR_OK;
}

static int zk_create(qsdr_block_ctx *ctx, void **state)
{
    zk_state *s = qsdr_calloc(1, sizeof *s);
    if (!s) return qsdr_error(QSDR_ENOMEM, "out of memory");
    int rc = zk_init(ctx, s);
    if (rc) {
        zk_destroy(s);
        return rc;
    }
    *state = s;
    return QSDR_OK;
}

static int grow(zk_state *s, size_t need)
{
    if (need <= s->cap) return QSDR_OK;
    uint8_t *nb = qsdr_realloc(s->buf, need);
    if (!nb) return qsdr_error(QSDR_ENOMEM, "zmq_sink: out of memory for a %zu-byte message", need);
    s->buf = nb;
    s->cap = need;
    return QSDR_OK;
}

/* Pending XPUB subscription messages: note that somebody listens. */
static void drain_subscriptions(zk_state *s)
{
    for (;;) {
        zmq_msg_t m;
        zmq_msg_init(&m);
        if (zmq_msg_recv(&m, s->sock, ZMQ_DONTWAIT) < 0) {
            zmq_msg_close(&m);
            return;
        }
        if (zmq_msg_size(&m) >= 1 && ((uint8_t *)zmq_msg_data(&m))[0] == 1) s->subscribed = true;
        zmq_msg_close(&m);
    }
}

static int zk_work(void *st, qsdr_work_io *io)
{
    zk_state *s = st;
    size_t n = io->n_in;
    if (s->max_items && n > s->max_items) n = s->max_items;
    if (s->pattern == PAT_PUB) {
        drain_subscriptions(s);
        if (s->wait_sub && !s->subscribed) {
            zmq_pollitem_t it = {s->sock, 0, ZMQ_POLLIN, 0};
            zmq_poll(&it, 1, 20);
            io->consumed = 0; /* hold the data until a subscriber is there */
            return QSDR_OK;
        }
    }
    if (s->pattern == PAT_REP) {
        /* answer one request: >= 4 bytes = maximum item count (little-endian); shorter = any */
        zmq_pollitem_t it = {s->sock, 0, ZMQ_POLLIN, 0};
        if (zmq_poll(&it, 1, 20) <= 0) {
            io->consumed = 0;
            return QSDR_OK;
        }
        zmq_msg_t m;
        zmq_msg_init(&m);
        if (zmq_msg_recv(&m, s->sock, 0) < 0) {
            zmq_msg_close(&m);
            io->consumed = 0;
            return QSDR_OK;
        }
        if (zmq_msg_size(&m) >= 4) {
            const uint8_t *r = zmq_msg_data(&m);
            uint32_t want = (uint32_t)r[0] | ((uint32_t)r[1] << 8) | ((uint32_t)r[2] << 16) | ((uint32_t)r[3] << 24);
            if (want < n) n = want;
        }
        zmq_msg_close(&m);
        s->requests++;
    }
    /* header + payload in one frame, as GNU Radio does */
    size_t hdr_cap = 0, hl = 0;
    if (s->pass_tags) {
        hdr_cap = 64 + io->n_tags * (8 + 2 * (3 + QSDR_TAG_KEY_MAX + QSDR_TAG_STR_MAX) + 32);
        int rc = grow(s, hdr_cap + n * s->wsize);
        if (rc) return rc;
        size_t nt = 0;
        while (nt < io->n_tags && io->tags[nt].offset < io->in_offset + n) nt++;
        hl = qsdr_gr_header_write(s->buf, hdr_cap, io->in_offset, io->tags, nt);
        if (!hl) return qsdr_error(QSDR_EINTERNAL, "zmq_sink '%s': tag header does not fit", s->id);
    } else {
        int rc = grow(s, n * s->wsize);
        if (rc) return rc;
    }
    uint8_t *pay = s->buf + hl;
    if (s->wire == W_SC16) {
        /* saturated to int16; a NaN or infinite sample is an error, never garbage on the wire */
        int rc = qsdr_blk_finite_cf32(io->in[0], n, io->in_offset);
        if (rc || (rc = qsdr_cf32_to_iq(QSDR_IQ_CS16, io->in[0], n, s->scale, false, pay, &s->clipped))) return rc;
    } else {
        memcpy(pay, io->in[0], n * s->wsize);
    }
    if (s->pattern == PAT_PUB && *s->key) {
        if (zmq_send(s->sock, s->key, strlen(s->key), ZMQ_SNDMORE) < 0) {
            io->consumed = 0;
            return QSDR_OK;
        }
    }
    if (zmq_send(s->sock, s->buf, hl + n * s->wsize, 0) < 0) {
        /* PUSH with nobody to take it (or XPUB no-drop at its high-water mark): back-pressure;
           REP must answer, so a failed reply is an error */
        if (s->pattern == PAT_REP) return qsdr_error(QSDR_EEXT, "zmq_sink '%s': reply failed: %s", s->id, zmq_strerror(zmq_errno()));
        io->consumed = 0;
        return QSDR_OK;
    }
    s->msgs++;
    s->sent_items += n;
    io->consumed = n;
    return QSDR_OK;
}

static void zk_stats(void *st, qsdr_stats *o)
{
    zk_state *s = st;
    qsdr_stats_add(o, "messages", (double)s->msgs);
    qsdr_stats_add(o, "items_sent", (double)s->sent_items);
    if (s->pattern == PAT_REP) qsdr_stats_add(o, "requests", (double)s->requests);
    if (s->wire == W_SC16) qsdr_stats_add(o, "sc16_clipped", (double)s->clipped);
}

static const qsdr_param_desc zk_params[] = {
    {"address", QSDR_PARAM_STRING, "", 1, 0, "", "ZeroMQ endpoint, e.g. tcp://127.0.0.1:5556 (GNU Radio sinks bind: so does this one)", 0, NULL},
    {"pattern", QSDR_PARAM_ENUM, "push", 1, 0, "", "push (to PULL, lossless, back-pressure), pub (to SUB), rep (answers REQ)", 0, "push|pub|rep"},
    {"bind", QSDR_PARAM_BOOL, "true", 1, 0, "", "bind (default, as GNU Radio sinks) or connect", 0, NULL},
    {"type", QSDR_PARAM_ENUM, "cf32", 1, 0, "", "wire items: cf32, f32, sc16 (cf32 input x sc16_scale, saturated to int16 pairs), u8", 0, "cf32|f32|sc16|u8"},
    {"pass_tags", QSDR_PARAM_BOOL, "false", 1, 0, "", "prefix each message with a GNU Radio tag header", 0, NULL},
    {"key", QSDR_PARAM_STRING, "", 1, 0, "", "pub: key frame sent before each message", 0, NULL},
    {"wait_for_subscriber", QSDR_PARAM_BOOL, "true", 1, 0, "", "pub: hold data until a subscriber has joined (so the first messages are not lost)", 0, NULL},
    {"no_drop", QSDR_PARAM_BOOL, "false", 1, 0, "", "pub: block at the high-water mark instead of dropping (ZMQ_XPUB_NODROP)", 0, NULL},
    {"hwm", QSDR_PARAM_INT, "-1", -1, 1e9, "messages", "send high-water mark (-1 = libzmq default)", 0, NULL},
    {"linger_ms", QSDR_PARAM_UINT, "1000", 0, 600000, "ms", "how long closing waits to deliver the tail", 0, NULL},
    {"max_items_per_msg", QSDR_PARAM_UINT, "0", 0, 1e9, "items", "largest message (0 = whatever is available)", 0, NULL},
    {"sc16_scale", QSDR_PARAM_FLOAT, "32768", -1e9, 1e9, "", "sc16: int16 value = input x scale", 0, NULL},
};
static const qsdr_port_desc zk_in[] = {{"in", QSDR_ITEM_ANY}};

const qsdr_block_desc qsdr_block_zmq_sink = {
    .abi = QSDR_BLOCK_ABI,
    .name = "zmq_sink",
    .summary = "ZeroMQ stream sink, compatible with GNU Radio gr-zeromq sources (PUSH/PUB/REP, tag headers)",
    .inputs = zk_in, .n_inputs = 1,
    .params = zk_params, .n_params = QSDR_N(zk_params),
    .rate_kind = QSDR_RATE_SYNC, .rate_in = 1, .rate_out = 1,
    .tag_policy = QSDR_TAGS_NONE,
    .create = zk_create, .destroy = zk_destroy, .work = zk_work, .stats = zk_stats,
};
