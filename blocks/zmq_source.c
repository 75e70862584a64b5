/* SPDX-License-Identifier: MIT */
/* Block: ZeroMQ stream source, wire-compatible with GNU Radio 3.10 gr-zeromq sinks
 * (PUSH->PULL, PUB->SUB, REP<-REQ), optional GNU Radio tag headers. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <zmq.h>

#include "block_util.h"
#include "qsdr/io.h"

extern const qsdr_block_desc qsdr_block_zmq_source;

enum { PAT_PULL = 0, PAT_SUB, PAT_REQ };
enum { W_CF32 = 0, W_F32, W_SC16, W_U8 };

typedef struct {
    void *ctx, *sock;
    void *mon;            /* PAIR socket receiving the data socket's disconnect events */
    double dropped_at;    /* connect mode: a disconnect that libzmq has not (yet) retried */
    int pattern, wire;
    size_t wsize;         /* bytes per item on the wire */
    size_t osize;         /* bytes per output item */
    bool pass_tags, bind;
    char *address, *key;
    int hwm, linger_ms, req_timeout_ms, poll_ms;
    int64_t max_msg;      /* ZMQ_MAXMSGSIZE: a peer sending more is disconnected by libzmq */
    double timeout_s, scale;
    uint64_t expected, received;
    size_t req_items;
    /* the message being emptied */
    zmq_msg_t msg;
    bool have_msg, req_pending;
    size_t pos, end;      /* byte range of the payload left in msg */
    qsdr_tag *tags;
    size_t n_tags, cap_tags;
    uint64_t msg_item0;   /* output index of the message's first item */
    double last_data;
    uint64_t bad_msgs, msgs, tag_count, reconnects, disconnects, monitors;
    uint64_t msgs_at_disconnect; /* msgs at the last disconnect event */
} zs_state;

static int open_socket(zs_state *s)
{
    static const int types[] = {ZMQ_PULL, ZMQ_SUB, ZMQ_REQ};
    s->sock = zmq_socket(s->ctx, types[s->pattern]);
    if (!s->sock) return qsdr_error(QSDR_EEXT, "zmq_socket: %s", zmq_strerror(zmq_errno()));
    zmq_setsockopt(s->sock, ZMQ_LINGER, &s->linger_ms, sizeof s->linger_ms);
    if (s->hwm >= 0) zmq_setsockopt(s->sock, ZMQ_RCVHWM, &s->hwm, sizeof s->hwm);
    zmq_setsockopt(s->sock, ZMQ_MAXMSGSIZE, &s->max_msg, sizeof s->max_msg);
    if (s->pattern == PAT_SUB) zmq_setsockopt(s->sock, ZMQ_SUBSCRIBE, s->key, strlen(s->key));
    int rc = s->bind ? zmq_bind(s->sock, s->address) : zmq_connect(s->sock, s->address);
    if (rc) return qsdr_error(QSDR_EEXT, "parameter 'address': cannot %s '%s': %s", s->bind ? "bind" : "connect", s->address, zmq_strerror(zmq_errno()));
    /* libzmq drops a peer silently when its message exceeds max_message: watch disconnects so
       the user hears of it (a new endpoint per socket: the REQ pattern recreates its socket) */
    char ep[96];
    snprintf(ep, sizeof ep, "inproc://qsdr-zmq-source-%p-%llu", (void *)s, (unsigned long long)s->monitors++);
    s->dropped_at = 0;
    if (zmq_socket_monitor(s->sock, ep, ZMQ_EVENT_DISCONNECTED | ZMQ_EVENT_CONNECT_RETRIED) == 0 && (s->mon = zmq_socket(s->ctx, ZMQ_PAIR))) {
        int zero = 0;
        zmq_setsockopt(s->mon, ZMQ_LINGER, &zero, sizeof zero);
        if (zmq_connect(s->mon, ep)) zmq_close(s->mon), s->mon = NULL;
    }
    return QSDR_OK;
}

static void close_socket(zs_state *s)
{
    if (s->mon) zmq_close(s->mon);
    if (s->sock) zmq_close(s->sock);
    s->mon = s->sock = NULL;
}

/* Disconnect events since the last call: counted and said. A connecting socket whose peer
   closed retries by itself (CONNECT_RETRIED follows at once); one dropped for a protocol error
   (a message above max_message) is not retried by libzmq, so it is reconnected here. */
static int check_monitor(zs_state *s)
{
    if (s->dropped_at > 0 && qsdr_now() - s->dropped_at > 0.5) {
        s->dropped_at = 0;
        s->reconnects++;
        qsdr_warn("ZeroMQ dropped the connection to %s without retrying: a message above max_message = %lld bytes "
                  "(or another protocol error); that message is lost; reconnecting",
                  s->address, (long long)s->max_msg);
        zmq_disconnect(s->sock, s->address);
        if (zmq_connect(s->sock, s->address))
            return qsdr_error(QSDR_EEXT, "parameter 'address': cannot connect '%s' again: %s", s->address, zmq_strerror(zmq_errno()));
    }
    for (;;) {
        zmq_msg_t ev, addr;
        zmq_msg_init(&ev);
        if (!s->mon || zmq_msg_recv(&ev, s->mon, ZMQ_DONTWAIT) < 0) {
            zmq_msg_close(&ev);
            return QSDR_OK;
        }
        uint16_t id = 0;
        if (zmq_msg_size(&ev) >= 2) memcpy(&id, zmq_msg_data(&ev), 2);
        bool more = zmq_msg_more(&ev);
        zmq_msg_close(&ev);
        char peer[128] = "";
        if (more) {
            zmq_msg_init(&addr);
            if (zmq_msg_recv(&addr, s->mon, 0) >= 0) {
                size_t n = zmq_msg_size(&addr) < sizeof peer - 1 ? zmq_msg_size(&addr) : sizeof peer - 1;
                memcpy(peer, zmq_msg_data(&addr), n);
                peer[n] = 0;
            }
            zmq_msg_close(&addr);
        }
        if (id == ZMQ_EVENT_CONNECT_RETRIED) {
            s->dropped_at = 0;
            continue;
        }
        if (id != ZMQ_EVENT_DISCONNECTED) continue;
        s->disconnects++;
        if (!s->bind) s->dropped_at = qsdr_now();
        /* no message since the last disconnect: the likely cause is one too large to accept */
        char hint[160] = "";
        if (s->msgs == s->msgs_at_disconnect)
            snprintf(hint, sizeof hint, "; ZeroMQ also disconnects a peer whose message exceeds max_message = %lld bytes, and that message is lost",
                     (long long)s->max_msg);
        s->msgs_at_disconnect = s->msgs;
        qsdr_info("a peer on %s disconnected (%llu so far, %llu messages received)%s", peer,
                  (unsigned long long)s->disconnects, (unsigned long long)s->msgs, hint);
    }
}

static void zs_destroy(void *st)
{
    zs_state *s = st;
    if (!s) return;
    if (s->have_msg) zmq_msg_close(&s->msg);
    close_socket(s);
    if (s->ctx) zmq_ctx_term(s->ctx);
    qsdr_free(s->address);
    qsdr_free(s->key);
    qsdr_free(s->tags);
    qsdr_free(s);
}

static int zs_init(qsdr_block_ctx *ctx, zs_state *s)
{
    s->pattern = qsdr_ctx_enum(ctx, "pattern");
    s->wire = qsdr_ctx_enum(ctx, "type");
    static const size_t wsz[] = {8, 4, 4, 1};
    static const qsdr_item_type otype[] = {QSDR_ITEM_CF32, QSDR_ITEM_F32, QSDR_ITEM_CF32, QSDR_ITEM_U8};
    s->wsize = wsz[s->wire];
    s->osize = qsdr_item_size(otype[s->wire]);
    qsdr_ctx_set_port_type(ctx, true, 0, otype[s->wire]);
    s->pass_tags = qsdr_ctx_bool(ctx, "pass_tags");
    s->bind = qsdr_ctx_bool(ctx, "bind");
    s->address = qsdr_strdup(qsdr_ctx_string(ctx, "address"));
    s->key = qsdr_strdup(qsdr_ctx_string(ctx, "key"));
    s->hwm = (int)qsdr_ctx_int(ctx, "hwm");
    s->linger_ms = (int)qsdr_ctx_uint(ctx, "linger_ms");
    s->timeout_s = qsdr_ctx_float(ctx, "timeout");
    s->expected = qsdr_ctx_uint(ctx, "expected_items");
    qsdr_ctx_set_item_budget(ctx, s->expected); /* progress and ETA of qsdr run */
    s->req_items = (size_t)qsdr_ctx_uint(ctx, "req_items");
    s->req_timeout_ms = (int)qsdr_ctx_uint(ctx, "req_timeout_ms");
    s->scale = qsdr_ctx_float(ctx, "sc16_scale");
    s->max_msg = (int64_t)qsdr_ctx_uint(ctx, "max_message");
    s->poll_ms = 10;
    qsdr_blk_only_with(ctx, "key", s->pattern == PAT_SUB, "pattern: sub");
    qsdr_blk_only_with(ctx, "req_items", s->pattern == PAT_REQ, "pattern: req");
    qsdr_blk_only_with(ctx, "req_timeout_ms", s->pattern == PAT_REQ, "pattern: req");
    qsdr_blk_only_with(ctx, "sc16_scale", s->wire == W_SC16, "type: sc16");
    if (s->pattern == PAT_REQ && (double)s->req_items * (double)s->wsize + 65536.0 > (double)s->max_msg)
        return qsdr_error(QSDR_EINVAL, "parameter 'req_items': %zu items of %zu bytes (plus a tag header) exceed max_message = %lld bytes",
                          s->req_items, s->wsize, (long long)s->max_msg);
    if (!s->address || !*s->address) return qsdr_error(QSDR_EINVAL, "parameter 'address': an endpoint such as tcp://127.0.0.1:5555 is required");
    s->ctx = zmq_ctx_new();
    if (!s->ctx) return qsdr_error(QSDR_EEXT, "zmq_ctx_new failed");
    return open_socket(s);
}

static int zs_create(qsdr_block_ctx *ctx, void **state)
{
    zs_state *s = qsdr_calloc(1, sizeof *s);
    if (!s) return qsdr_error(QSDR_ENOMEM, "out of memory");
    int rc = zs_init(ctx, s);
    if (rc) {
        zs_destroy(s);
        return rc;
    }
    *state = s;
    return QSDR_OK;
}

/* Receive one message (poll up to wait_ms). 1 = got one, 0 = none, <0 error. */
static int fetch(zs_state *s, int wait_ms)
{
    if (s->pattern == PAT_REQ && !s->req_pending) {
        uint8_t req[4];
        uint32_t n = (uint32_t)s->req_items;
        for (int i = 0; i < 4; i++) req[i] = (uint8_t)(n >> (8 * i)); /* little-endian item count */
        if (zmq_send(s->sock, req, 4, ZMQ_DONTWAIT) < 0) return 0;
        s->req_pending = true;
        s->last_data = s->last_data ? s->last_data : qsdr_now();
    }
    int mrc = check_monitor(s);
    if (mrc) return mrc;
    zmq_pollitem_t it = {s->sock, 0, ZMQ_POLLIN, 0};
    int prc = zmq_poll(&it, 1, s->pattern == PAT_REQ ? (wait_ms < s->req_timeout_ms ? wait_ms : s->req_timeout_ms) : wait_ms);
    if (prc <= 0) {
        if (s->pattern == PAT_REQ && s->req_pending && qsdr_now() - s->last_data > s->req_timeout_ms / 1000.0) {
            /* no reply: a REQ socket is stuck until it gets one, so start over (as GNU Radio does) */
            check_monitor(s);
            close_socket(s);
            s->req_pending = false;
            s->reconnects++;
            int rc = open_socket(s);
            if (rc) return rc;
            s->last_data = qsdr_now();
        }
        return 0;
    }
    zmq_msg_init(&s->msg);
    if (zmq_msg_recv(&s->msg, s->sock, ZMQ_DONTWAIT) < 0) {
        zmq_msg_close(&s->msg);
        return 0;
    }
    /* SUB with a key: the key frame comes first, the data frame follows */
    if (s->pattern == PAT_SUB && *s->key && zmq_msg_more(&s->msg)) {
        zmq_msg_close(&s->msg);
        zmq_msg_init(&s->msg);
        if (zmq_msg_recv(&s->msg, s->sock, 0) < 0) {
            zmq_msg_close(&s->msg);
            return 0;
        }
    }
    while (zmq_msg_more(&s->msg)) { /* unexpected extra parts: drop them */
        zmq_msg_t x;
        zmq_msg_init(&x);
        zmq_msg_recv(&x, s->sock, 0);
        int more = zmq_msg_more(&x);
        zmq_msg_close(&x);
        if (!more) break;
    }
    if (s->pattern == PAT_REQ) s->req_pending = false;
    s->msgs++;
    s->have_msg = true;
    s->pos = 0;
    s->end = zmq_msg_size(&s->msg);
    s->n_tags = 0;
    const uint8_t *m = zmq_msg_data(&s->msg);
    char err[300];
    if (s->pass_tags) {
        size_t hl;
        uint64_t off;
        if (qsdr_gr_header_parse(m, s->end, &hl, &off, &s->tags, &s->n_tags, &s->cap_tags, err, sizeof err)) {
            s->bad_msgs++;
            qsdr_warn("message %llu dropped: %s", (unsigned long long)s->msgs, err);
            zmq_msg_close(&s->msg);
            s->have_msg = false;
            return 0;
        }
        s->pos = hl;
    }
    if ((s->end - s->pos) % s->wsize) {
        s->bad_msgs++;
        qsdr_warn("message %llu dropped: %zu payload bytes are not a whole number of %zu-byte items (check the item type on both sides)",
                  (unsigned long long)s->msgs, s->end - s->pos, s->wsize);
        zmq_msg_close(&s->msg);
        s->have_msg = false;
        return 0;
    }
    s->msg_item0 = s->received;
    s->tag_count += s->n_tags;
    s->last_data = qsdr_now();
    return 1;
}

static int zs_work(void *st, qsdr_work_io *io)
{
    zs_state *s = st;
    size_t k = 0, room = io->n_out;
    if (s->expected && s->received + room > s->expected) room = (size_t)(s->expected - s->received);
    if (!s->last_data) s->last_data = qsdr_now();
    while (k < room) {
        if (!s->have_msg) {
            int rc = fetch(s, k ? 0 : s->poll_ms);
            if (rc < 0) return rc;
            if (rc == 0) break;
        }
        const uint8_t *m = (const uint8_t *)zmq_msg_data(&s->msg) + s->pos;
        size_t avail = (s->end - s->pos) / s->wsize, take = avail < room - k ? avail : room - k;
        uint8_t *out = (uint8_t *)io->out[0] + k * s->osize;
        if (s->wire == W_SC16) {
            qsdr_iq_to_cf32(QSDR_IQ_CS16, m, take, s->scale, false, (qsdr_cf32 *)out); /* wire: little-endian int16 I, Q */
        } else {
            memcpy(out, m, take * s->wsize);
        }
        /* tags of this slice: message-relative offsets -> our output offsets */
        uint64_t first = (s->received - s->msg_item0);
        for (size_t t = 0; t < s->n_tags; t++)
            if (s->tags[t].offset >= first && s->tags[t].offset < first + take)
                qsdr_work_add_tag(io, 0, io->out_offset + k + (s->tags[t].offset - first), s->tags[t].key, s->tags[t].value);
        s->pos += take * s->wsize;
        s->received += take;
        k += take;
        if (s->pos == s->end) {
            zmq_msg_close(&s->msg);
            s->have_msg = false;
        }
    }
    io->produced = k;
    if (s->expected && s->received >= s->expected) return QSDR_DONE;
    if (!k && s->timeout_s > 0 && qsdr_now() - s->last_data > s->timeout_s) {
        qsdr_info("no data for %.3g s: end of stream after %llu items", s->timeout_s, (unsigned long long)s->received);
        return QSDR_DONE;
    }
    return QSDR_OK;
}

static void zs_stats(void *st, qsdr_stats *o)
{
    zs_state *s = st;
    qsdr_stats_add(o, "messages", (double)s->msgs);
    qsdr_stats_add(o, "bad_messages", (double)s->bad_msgs);
    qsdr_stats_add(o, "tags", (double)s->tag_count);
    qsdr_stats_add(o, "disconnects", (double)s->disconnects);
    qsdr_stats_add(o, "reconnects", (double)s->reconnects);
}

static const qsdr_param_desc zs_params[] = {
    {"address", QSDR_PARAM_STRING, "", 1, 0, "", "ZeroMQ endpoint, e.g. tcp://127.0.0.1:5555 or ipc:///tmp/rx", 0, NULL},
    {"pattern", QSDR_PARAM_ENUM, "pull", 1, 0, "", "pull (from a PUSH sink, lossless), sub (from PUB), req (asks a REP sink)", 0, "pull|sub|req"},
    {"bind", QSDR_PARAM_BOOL, "false", 1, 0, "", "bind instead of connect (GNU Radio sources connect)", 0, NULL},
    {"type", QSDR_PARAM_ENUM, "cf32", 1, 0, "", "wire items: cf32, f32, sc16 (int16 I/Q pairs, output as cf32 x sc16_scale), u8", 0, "cf32|f32|sc16|u8"},
    {"pass_tags", QSDR_PARAM_BOOL, "false", 1, 0, "", "messages carry GNU Radio tag headers (pass_tags on the peer)", 0, NULL},
    {"key", QSDR_PARAM_STRING, "", 1, 0, "", "sub: subscription filter / key frame of the publisher", 0, NULL},
    {"timeout", QSDR_PARAM_FLOAT, "0", 0, 1e6, "s", "end the stream after this long without data (0 = wait forever)", 0, NULL},
    {"expected_items", QSDR_PARAM_UINT, "0", 0, 1e18, "items", "end the stream after this many items (0 = no limit)", 0, NULL},
    {"hwm", QSDR_PARAM_INT, "-1", -1, 1e9, "messages", "receive high-water mark (-1 = libzmq default)", 0, NULL},
    {"linger_ms", QSDR_PARAM_UINT, "1000", 0, 600000, "ms", "how long closing waits for pending messages", 0, NULL},
    {"req_items", QSDR_PARAM_UINT, "8192", 1, 1e8, "items", "req: items asked for per request (4-byte little-endian count)", 0, NULL},
    {"req_timeout_ms", QSDR_PARAM_UINT, "100", 1, 600000, "ms", "req: recreate the socket when a reply takes longer", 0, NULL},
    {"max_message", QSDR_PARAM_UINT, "268435456", 4096, 2147483647.0, "bytes",
     "largest message accepted (libzmq ZMQ_MAXMSGSIZE): a peer sending a larger one is disconnected", 0, NULL},
    {"sc16_scale", QSDR_PARAM_FLOAT, "3.0517578125e-05", -1e9, 1e9, "", "sc16: output = int16 value x scale (default 1/32768)", 0, NULL},
};
static const qsdr_port_desc zs_out[] = {{"out", QSDR_ITEM_ANY}};

const qsdr_block_desc qsdr_block_zmq_source = {
    .abi = QSDR_BLOCK_ABI,
    .name = "zmq_source",
    .summary = "ZeroMQ stream source, compatible with GNU Radio gr-zeromq sinks (PULL/SUB/REQ, tag headers)",
    .outputs = zs_out, .n_outputs = 1,
    .params = zs_params, .n_params = QSDR_N(zs_params),
    .rate_kind = QSDR_RATE_SYNC, .rate_in = 1, .rate_out = 1,
    .create = zs_create, .destroy = zs_destroy, .work = zs_work, .stats = zs_stats,
};
