/* SPDX-License-Identifier: MIT */
/* The ZeroMQ blocks against a plain libzmq peer in this process: where tags from GNU Radio tag
 * headers land when messages and work calls do not line up, what the sink's headers say per
 * message, and the REQ/REP item counts on the wire. (tests/test_zmq_gr.sh checks the same
 * blocks against real GNU Radio, where messages happen to line up with the work calls.) */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cjson/cJSON.h>
#include <zmq.h>

#include "qsdr/qsdr.h"
#include "qsdr_test.h"

static qsdr_flowgraph_t *load(const char *yaml)
{
    qsdr_flowgraph_t *fg = NULL;
    int rc = qsdr_flowgraph_load_string(yaml, "zmq_test.yml", NULL, &fg);
    QSDR_CHECK_MSG(rc == QSDR_OK, "load failed: %s", qsdr_last_error());
    return fg;
}

static void endpoint(char *ep, size_t n, const char *what)
{
    snprintf(ep, n, "ipc://%s/qsdr_zmq_%s_%ld", qsdr_tmpdir(), what, (long)getpid());
}

/* cf32 item i of the test stream: (i, -i) */
static void fill_items(float *p, uint64_t first, size_t n)
{
    for (size_t i = 0; i < n; i++) p[2 * i] = (float)(first + i), p[2 * i + 1] = -(float)(first + i);
}

/* The test's end of a connection: bound or connected to ep, receives time out after 10 s, closing
   waits linger_ms for unsent messages. NULL on failure. */
static void *peer_socket(void *ctx, int type, const char *ep, bool bind, int linger_ms)
{
    void *s = zmq_socket(ctx, type);
    int tmo = 10000;
    if (!s) return NULL;
    zmq_setsockopt(s, ZMQ_RCVTIMEO, &tmo, sizeof tmo);
    zmq_setsockopt(s, ZMQ_LINGER, &linger_ms, sizeof linger_ms);
    if ((bind ? zmq_bind(s, ep) : zmq_connect(s, ep)) == 0) return s;
    zmq_close(s);
    return NULL;
}

/* A flowgraph: vector_source of n cf32 items (i, -i) with `tags` into a zmq_sink with the given
   params ("address: ..., ..."); qsdr_malloc'd text */
static char *ramp_into_sink(size_t n, const char *tags, const char *sink_params)
{
    size_t len = 1024 + strlen(sink_params) + n * 24;
    char *y = qsdr_malloc(len);
    if (!y) return NULL;
    int k = snprintf(y, len, "blocks:\n  - {id: v, type: vector_source, params: {type: cf32, tags: '%s', data: [", tags);
    for (size_t i = 0; i < n; i++) k += snprintf(y + k, len - (size_t)k, "%s%zu,-%zu", i ? ", " : "", i, i);
    snprintf(y + k, len - (size_t)k, "]}}\n  - {id: z, type: zmq_sink, params: {%s}}\nconnections: [v -> z]\n", sink_params);
    return y;
}

#define MSG_ITEMS 300
#define N_MSGS 4
static const unsigned tag_rel[] = {0, 211, 212, 299}; /* in every message */

QSDR_TEST(zmq_source_tags_across_messages, "unit",
          "zmq_source: tags of GNU Radio headers land on their items when a work call spans several messages and a "
          "message spans two calls (each tag once)")
{
    char ep[256];
    endpoint(ep, sizeof ep, "src");
    void *ctx = zmq_ctx_new(), *push = peer_socket(ctx, ZMQ_PUSH, ep, true, 2000);
    QSDR_REQUIRE(push);
    char yaml[600];
    snprintf(yaml, sizeof yaml,
             "blocks:\n"
             "  - {id: z, type: zmq_source, params: {address: '%s', pass_tags: true, expected_items: %d, timeout: 10}}\n"
             "  - {id: snk, type: vector_sink, params: {type: cf32}}\n"
             "connections: [z -> snk]\n",
             ep, MSG_ITEMS * N_MSGS);
    qsdr_flowgraph_t *fg = load(yaml);
    QSDR_REQUIRE(fg);
    /* 512-item buffers: the first call takes message 0 and 212 items of message 1, whose tag at
       item 212 is the first the next call must place */
    qsdr_flowgraph_set_buffer_items(fg, 512);
    QSDR_REQUIRE(qsdr_flowgraph_prepare(fg) == QSDR_OK); /* the source connects */
    static uint8_t msg[4096 + MSG_ITEMS * 8];
    for (unsigned m = 0; m < N_MSGS; m++) {
        qsdr_tag t[4];
        for (unsigned k = 0; k < 4; k++) {
            t[k] = (qsdr_tag){.offset = 1000 + m * MSG_ITEMS + tag_rel[k], .value = qsdr_tagv_int(m * 1000 + tag_rel[k])};
            snprintf(t[k].key, sizeof t[k].key, "m%u", m);
        }
        size_t hl = qsdr_gr_header_write(msg, 4096, 1000 + m * MSG_ITEMS, t, 4); /* the sender's offsets start at 1000 */
        QSDR_REQUIRE(hl > 0);
        static float items[2 * MSG_ITEMS];
        fill_items(items, (uint64_t)m * MSG_ITEMS, MSG_ITEMS);
        memcpy(msg + hl, items, sizeof items); /* after the header: not float-aligned */
        QSDR_REQUIRE(zmq_send(push, msg, hl + MSG_ITEMS * 8, 0) == (int)(hl + MSG_ITEMS * 8));
    }
    usleep(300000); /* all four queued at the source before it runs */
    QSDR_CHECK_EQ_INT(qsdr_flowgraph_run(fg, QSDR_SCHED_SERIAL), QSDR_OK);
    const float *y;
    const qsdr_tag *tags;
    size_t n = 0, nt = 0;
    qsdr_vector_sink_data(fg, "snk", (const void **)&y, &n, &tags, &nt);
    QSDR_CHECK_EQ_INT(n, MSG_ITEMS * N_MSGS);
    size_t bad = 0;
    for (size_t i = 0; i < n; i++) bad += y[2 * i] != (float)i || y[2 * i + 1] != -(float)i;
    QSDR_CHECK_MSG(bad == 0, "%zu of %zu samples differ", bad, n);
    QSDR_CHECK_EQ_INT(nt, 4 * N_MSGS);
    for (size_t k = 0; k < nt; k++) {
        /* the value says where the tag belongs */
        int64_t v = tags[k].value.i;
        uint64_t want = (uint64_t)(v / 1000) * MSG_ITEMS + (uint64_t)(v % 1000);
        QSDR_CHECK_MSG(tags[k].offset == want, "tag %s = %lld at item %llu, want item %llu", tags[k].key, (long long)v,
                       (unsigned long long)tags[k].offset, (unsigned long long)want);
    }
    qsdr_flowgraph_destroy(&fg);
    zmq_close(push);
    zmq_ctx_term(ctx);
}

QSDR_TEST(zmq_sink_headers_per_message, "unit",
          "zmq_sink with pass_tags and max_items_per_msg: every message's header has the offset of its first item and "
          "only the tags of its own items")
{
    char ep[256];
    endpoint(ep, sizeof ep, "snk");
    /* 1200 items (i, -i); tags on items 0, 299, 300 and 905 */
    char sp[400];
    snprintf(sp, sizeof sp, "address: '%s', pass_tags: true, max_items_per_msg: 300", ep);
    char *yaml = ramp_into_sink(1200, "0:a=0;299:b=299;300:c=300;905:d=905", sp);
    QSDR_REQUIRE(yaml);
    qsdr_flowgraph_t *fg = load(yaml);
    qsdr_free(yaml);
    QSDR_REQUIRE(fg);
    QSDR_REQUIRE(qsdr_flowgraph_start(fg, QSDR_SCHED_THREADED) == QSDR_OK); /* binds */
    void *ctx = zmq_ctx_new(), *pull = peer_socket(ctx, ZMQ_PULL, ep, false, 0);
    QSDR_REQUIRE(pull);
    uint64_t got = 0;
    unsigned msgs = 0, ntags = 0;
    qsdr_tag *t = NULL;
    size_t cap = 0;
    while (got < 1200 && msgs < 1200) {
        zmq_msg_t m;
        zmq_msg_init(&m);
        if (zmq_msg_recv(&m, pull, 0) < 0) {
            zmq_msg_close(&m);
            QSDR_CHECK_MSG(0, "no message after %llu items", (unsigned long long)got);
            break;
        }
        size_t hl = 0, nt = 0;
        uint64_t off = 0;
        char err[200];
        const uint8_t *p = zmq_msg_data(&m);
        int rc = qsdr_gr_header_parse(p, zmq_msg_size(&m), &hl, &off, &t, &nt, &cap, err, sizeof err);
        QSDR_CHECK_MSG(rc == QSDR_OK, "message %u: %s", msgs, err);
        size_t items = rc ? 0 : (zmq_msg_size(&m) - hl) / 8;
        QSDR_CHECK_MSG(items >= 1 && items <= 300, "message %u holds %zu items (max_items_per_msg 300)", msgs, items);
        QSDR_CHECK_MSG(off == got, "message %u: header offset %llu, but its first item is %llu", msgs, (unsigned long long)off,
                       (unsigned long long)got);
        for (size_t i = 0; i < items; i++) {
            float re;
            memcpy(&re, p + hl + 8 * i, sizeof re); /* after the header: not float-aligned */
            if (re != (float)(got + i)) {
                QSDR_CHECK_MSG(0, "message %u item %zu: %g, want %llu", msgs, i, re, (unsigned long long)(got + i));
                break;
            }
        }
        for (size_t j = 0; j < nt; j++) {
            /* relative offsets; the value is the absolute item */
            QSDR_CHECK_MSG(t[j].offset < items && got + t[j].offset == (uint64_t)t[j].value.i,
                           "message %u (items %llu..%llu): tag %s = %lld at relative offset %llu", msgs, (unsigned long long)got,
                           (unsigned long long)(got + items - 1), t[j].key, (long long)t[j].value.i, (unsigned long long)t[j].offset);
            ntags++;
        }
        got += items, msgs++;
        zmq_msg_close(&m);
        if (rc || !items) break;
    }
    QSDR_CHECK_EQ_INT(got, 1200);
    QSDR_CHECK_EQ_INT(ntags, 4);
    qsdr_free(t);
    QSDR_CHECK_EQ_INT(qsdr_flowgraph_wait(fg), QSDR_OK);
    qsdr_flowgraph_destroy(&fg);
    zmq_close(pull);
    zmq_ctx_term(ctx);
}

/* REP peer for the source test: answers `rounds` requests with the number of items asked for */
typedef struct {
    void *sock;
    int rounds;
    uint32_t asked[8];
    int asked_n;
} rep_peer;
static void *rep_thread(void *arg)
{
    rep_peer *r = arg;
    static float items[2 * 4096];
    uint64_t sent = 0;
    for (int k = 0; k < r->rounds; k++) {
        uint8_t req[16];
        int n = zmq_recv(r->sock, req, sizeof req, 0);
        if (n < 0) break;
        uint32_t want = n >= 4 ? (uint32_t)req[0] | (uint32_t)req[1] << 8 | (uint32_t)req[2] << 16 | (uint32_t)req[3] << 24 : 0;
        if (r->asked_n < 8) r->asked[r->asked_n++] = want;
        size_t give = want < 4096 ? want : 4096;
        fill_items(items, sent, give);
        sent += give;
        zmq_send(r->sock, items, give * 8, 0);
    }
    return NULL;
}

QSDR_TEST(zmq_req_rep_item_counts, "unit",
          "REQ/REP: zmq_source asks for req_items as a 4-byte little-endian count; zmq_sink (rep) answers a request with "
          "at most the items asked for")
{
    /* qsdr asks */
    char ep[256];
    endpoint(ep, sizeof ep, "req");
    void *ctx = zmq_ctx_new(), *rep = peer_socket(ctx, ZMQ_REP, ep, true, 0);
    QSDR_REQUIRE(rep);
    rep_peer peer = {.sock = rep, .rounds = 3};
    pthread_t th;
    QSDR_REQUIRE(pthread_create(&th, NULL, rep_thread, &peer) == 0);
    char yaml[600];
    snprintf(yaml, sizeof yaml,
             "blocks:\n"
             "  - {id: z, type: zmq_source, params: {address: '%s', pattern: req, req_items: 100, expected_items: 300, timeout: 10}}\n"
             "  - {id: snk, type: vector_sink, params: {type: cf32}}\n"
             "connections: [z -> snk]\n",
             ep);
    qsdr_flowgraph_t *fg = load(yaml);
    QSDR_REQUIRE(fg);
    QSDR_CHECK_EQ_INT(qsdr_flowgraph_run(fg, QSDR_SCHED_THREADED), QSDR_OK);
    pthread_join(th, NULL);
    size_t n = 0;
    qsdr_vector_sink_data(fg, "snk", NULL, &n, NULL, NULL);
    QSDR_CHECK_EQ_INT(n, 300);
    QSDR_CHECK_EQ_INT(peer.asked_n, 3);
    for (int k = 0; k < peer.asked_n; k++) QSDR_CHECK_MSG(peer.asked[k] == 100, "request %d asked for %u items, want 100", k, peer.asked[k]);
    qsdr_flowgraph_destroy(&fg);
    zmq_close(rep);

    /* qsdr answers: 1000 items, asked for 50, 70, then the rest in requests of 600 */
    endpoint(ep, sizeof ep, "rep");
    char sp[400];
    snprintf(sp, sizeof sp, "address: '%s', pattern: rep", ep);
    char *y = ramp_into_sink(1000, "", sp);
    QSDR_REQUIRE(y);
    fg = load(y);
    qsdr_free(y);
    QSDR_REQUIRE(fg);
    QSDR_REQUIRE(qsdr_flowgraph_start(fg, QSDR_SCHED_THREADED) == QSDR_OK);
    void *req = peer_socket(ctx, ZMQ_REQ, ep, false, 0);
    QSDR_REQUIRE(req);
    static float buf[2 * 1000];
    uint32_t asks[] = {50, 70, 600, 600, 600};
    size_t got = 0;
    for (size_t r = 0; r < sizeof asks / sizeof *asks && got < 1000; r++) {
        uint8_t q[4] = {(uint8_t)asks[r], (uint8_t)(asks[r] >> 8), (uint8_t)(asks[r] >> 16), (uint8_t)(asks[r] >> 24)};
        QSDR_REQUIRE(zmq_send(req, q, 4, 0) == 4);
        int b = zmq_recv(req, buf, sizeof buf, 0);
        QSDR_REQUIRE(b >= 0);
        size_t items = (size_t)b / 8;
        QSDR_CHECK_MSG(items >= 1 && items <= asks[r], "request %zu for %u items answered with %zu", r, asks[r], items);
        if (r < 2) QSDR_CHECK_EQ_INT(items, asks[r]); /* the source's 1000 are queued long before */
        for (size_t i = 0; i < items && i < 1000; i++)
            if (buf[2 * i] != (float)(got + i)) {
                QSDR_CHECK_MSG(0, "reply %zu item %zu: %g, want %zu", r, i, buf[2 * i], got + i);
                break;
            }
        got += items;
    }
    QSDR_CHECK_EQ_INT(got, 1000);
    QSDR_CHECK_EQ_INT(qsdr_flowgraph_wait(fg), QSDR_OK);
    qsdr_flowgraph_destroy(&fg);
    zmq_close(req);
    zmq_ctx_term(ctx);
}

QSDR_TEST(control_thread_failure, "unit", "a control port whose thread the system refuses: NULL and a clear error, no leak")
{
    qsdr_flowgraph_t *fg = NULL;
    QSDR_REQUIRE(qsdr_flowgraph_load_string("blocks:\n  - {id: src, type: null_source, params: {type: f32}}\n"
                                            "  - {id: snk, type: null_sink}\nconnections: [src -> snk]\n",
                                            "c.yml", NULL, &fg) == QSDR_OK);
    qsdr_log_set_level(QSDR_LOG_OFF);
    qsdr_test_fail_thread_after(1);
    qsdr_control_t *c = qsdr_control_start(fg, "ipc:///tmp/qsdr-test-control-thread", 0, NULL);
    qsdr_test_fail_thread_after(0);
    qsdr_log_set_level(QSDR_LOG_INFO);
    QSDR_CHECK(c == NULL);
    QSDR_CHECK_MSG(strstr(qsdr_last_error(), "control port: cannot start its thread") != NULL, "%s", qsdr_last_error());
    c = qsdr_control_start(fg, "ipc:///tmp/qsdr-test-control-thread", 0, NULL); /* the endpoint was released */
    QSDR_CHECK(c != NULL);
    qsdr_control_stop(&c);
    qsdr_flowgraph_destroy(&fg);
}

/* the control port's request handler, without a socket */
static int reply_has(qsdr_flowgraph_t *fg, const char *req, const char *want)
{
    char *r = qsdr_control_handle(fg, req, strlen(req));
    int ok = r && strstr(r, want) != NULL;
    QSDR_CHECK_MSG(ok, "request %s: reply %s lacks %s", req, r ? r : "(null)", want);
    cJSON_free(r);
    return ok;
}

QSDR_TEST(control_request_values, "unit",
          "control requests: a JSON true / false / number becomes the parameter's text exactly (all digits of a number), "
          "and list marks which parameters can change while running")
{
    qsdr_flowgraph_t *fg = load("blocks:\n"
                                "  - {id: src, type: null_source}\n"
                                "  - {id: awgn, type: awgn}\n"
                                "  - {id: adc, type: adc}\n"
                                "  - {id: snk, type: null_sink}\n"
                                "connections: [src -> awgn, awgn -> adc, adc -> snk]\n");
    QSDR_REQUIRE(fg);
    /* before start every parameter can be set (the flowgraph is not prepared yet) */
    reply_has(fg, "{\"set\": \"adc.agc\", \"value\": true}", "\"value\":\"true\"");
    reply_has(fg, "{\"get\": \"adc.agc\"}", "\"value\":\"true\"");
    reply_has(fg, "{\"set\": \"adc.agc\", \"value\": false}", "\"value\":\"false\"");
    reply_has(fg, "{\"get\": \"adc.agc\"}", "\"value\":\"false\"");
    reply_has(fg, "{\"set\": \"awgn.ebn0_db\", \"value\": 3.14159265358979}", "\"value\":\"3.14159265358979\"");
    reply_has(fg, "{\"get\": \"awgn.ebn0_db\"}", "\"value\":\"3.14159265358979\"");
    reply_has(fg, "{\"set\": \"awgn.ebn0_db\", \"value\": -0.1}", "\"value\":\"-0.1\"");
    /* list: bits can change while running, agc cannot */
    reply_has(fg, "{\"list\": true}", "{\"name\":\"bits\",\"value\":\"1\",\"settable\":true,\"min\":1,\"max\":8}");
    reply_has(fg, "{\"list\": true}", "{\"name\":\"agc\",\"value\":\"false\",\"settable\":false}");
    qsdr_flowgraph_destroy(&fg);
}

QSDR_TEST(zmq_source_timeout, "unit", "zmq_source's timeout ends a stream with no data after that many seconds, not much later")
{
    char ep[256];
    endpoint(ep, sizeof ep, "tmo");
    char yaml[600];
    snprintf(yaml, sizeof yaml,
             "blocks:\n"
             "  - {id: z, type: zmq_source, params: {address: '%s', bind: true, timeout: 1}}\n"
             "  - {id: snk, type: null_sink}\n"
             "connections: [z -> snk]\n",
             ep);
    qsdr_flowgraph_t *fg = load(yaml);
    QSDR_REQUIRE(fg);
    double t0 = qsdr_now();
    QSDR_CHECK_EQ_INT(qsdr_flowgraph_run(fg, QSDR_SCHED_THREADED), QSDR_OK);
    double dt = qsdr_now() - t0;
    /* polls of 10 ms: a generous upper bound for loaded or sanitized runs, still far below 2 s */
    QSDR_CHECK_MSG(dt >= 1.0 && dt < 1.7, "a 1 s timeout ended the run after %.3f s", dt);
    qsdr_flowgraph_destroy(&fg);
}
