/* SPDX-License-Identifier: MIT */
/* Control port: a ZeroMQ REP socket on its own thread answering JSON requests about a running
 * flowgraph (get / set / list / stats). Changes go through qsdr_flowgraph_set, so they are
 * validated against the descriptors and applied at an item boundary. */
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>

#include <cjson/cJSON.h>
#include <zmq.h>

#include "qsdr/io.h"

struct qsdr_control {
    void *ctx, *sock;
    pthread_t th;
    _Atomic int stop;
    qsdr_flowgraph_t *fg;
};

static char *reply_error(const char *fmt, const char *detail)
{
    cJSON *r = cJSON_CreateObject();
    char msg[1200];
    snprintf(msg, sizeof msg, fmt, detail ? detail : "");
    cJSON_AddBoolToObject(r, "ok", 0);
    cJSON_AddStringToObject(r, "error", msg);
    char *s = cJSON_PrintUnformatted(r);
    cJSON_Delete(r);
    return s;
}

static char *finish(cJSON *r)
{
    char *s = cJSON_PrintUnformatted(r);
    cJSON_Delete(r);
    return s;
}

static cJSON *block_params(qsdr_flowgraph_t *fg, size_t i)
{
    const char *id = qsdr_flowgraph_block_id(fg, i);
    const qsdr_block_desc *d = qsdr_registry_find(qsdr_flowgraph_block_type(fg, i));
    cJSON *b = cJSON_CreateObject();
    cJSON_AddStringToObject(b, "id", id);
    cJSON_AddStringToObject(b, "type", qsdr_flowgraph_block_type(fg, i));
    cJSON *ps = cJSON_AddArrayToObject(b, "params");
    for (size_t k = 0; d && k < d->n_params; k++) {
        char path[300], val[256];
        snprintf(path, sizeof path, "%s.%s", id, d->params[k].name);
        if (qsdr_flowgraph_get(fg, path, val, sizeof val)) continue;
        cJSON *p = cJSON_CreateObject();
        cJSON_AddStringToObject(p, "name", d->params[k].name);
        cJSON_AddStringToObject(p, "value", val);
        cJSON_AddBoolToObject(p, "settable", (d->params[k].flags & QSDR_PARAM_RUNTIME) != 0);
        if (d->params[k].min <= d->params[k].max) {
            cJSON_AddNumberToObject(p, "min", d->params[k].min);
            cJSON_AddNumberToObject(p, "max", d->params[k].max);
        }
        cJSON_AddItemToArray(ps, p);
    }
    return b;
}

char *qsdr_control_handle(qsdr_flowgraph_t *fg, const char *req, size_t len)
{
    cJSON *j = cJSON_ParseWithLength(req, len);
    if (!j || !cJSON_IsObject(j)) {
        cJSON_Delete(j);
        return reply_error("request is not a JSON object%s; send e.g. {\"get\": \"adc.bits\"}", "");
    }
    cJSON *get = cJSON_GetObjectItemCaseSensitive(j, "get"), *set = cJSON_GetObjectItemCaseSensitive(j, "set");
    cJSON *r = cJSON_CreateObject();
    char *out = NULL;
    qsdr_clear_error();
    if (cJSON_IsString(get)) {
        char val[256];
        if (qsdr_flowgraph_get(fg, get->valuestring, val, sizeof val)) out = reply_error("%s", qsdr_last_error());
        else {
            cJSON_AddBoolToObject(r, "ok", 1);
            cJSON_AddStringToObject(r, "get", get->valuestring);
            cJSON_AddStringToObject(r, "value", val);
        }
    } else if (cJSON_IsString(set)) {
        cJSON *v = cJSON_GetObjectItemCaseSensitive(j, "value");
        char text[256];
        if (cJSON_IsString(v)) snprintf(text, sizeof text, "%s", v->valuestring);
        else if (cJSON_IsNumber(v)) qsdr_fmt_double(text, sizeof text, v->valuedouble);
        else if (cJSON_IsBool(v)) snprintf(text, sizeof text, "%s", cJSON_IsTrue(v) ? "true" : "false");
        else {
            cJSON_Delete(r);
            cJSON_Delete(j);
            return reply_error("'set' needs a \"value\" (number, string or boolean)%s", "");
        }
        uint64_t at = 0;
        if (qsdr_flowgraph_set(fg, set->valuestring, text, &at)) out = reply_error("%s", qsdr_last_error());
        else {
            cJSON_AddBoolToObject(r, "ok", 1);
            cJSON_AddStringToObject(r, "set", set->valuestring);
            cJSON_AddStringToObject(r, "value", text);
            cJSON_AddNumberToObject(r, "from_item", (double)at);
        }
    } else if (cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(j, "list"))) {
        cJSON_AddBoolToObject(r, "ok", 1);
        cJSON *bl = cJSON_AddArrayToObject(r, "blocks");
        for (size_t i = 0; i < qsdr_flowgraph_block_count(fg); i++) cJSON_AddItemToArray(bl, block_params(fg, i));
    } else if (cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(j, "stats"))) {
        cJSON_AddBoolToObject(r, "ok", 1);
        cJSON *st = cJSON_AddObjectToObject(r, "stats");
        for (size_t i = 0; i < qsdr_flowgraph_block_count(fg); i++) {
            qsdr_stats s;
            const char *id = qsdr_flowgraph_block_id(fg, i);
            if (qsdr_flowgraph_stats(fg, id, &s)) continue;
            cJSON *b = cJSON_AddObjectToObject(st, id);
            for (size_t k = 0; k < s.n; k++) cJSON_AddNumberToObject(b, s.v[k].name, s.v[k].value);
        }
    } else {
        out = reply_error("unknown request%s: use {\"get\": \"id.param\"}, {\"set\": \"id.param\", \"value\": V}, {\"list\": true} or {\"stats\": true}", "");
    }
    cJSON_Delete(j);
    if (out) {
        cJSON_Delete(r);
        return out;
    }
    return finish(r);
}

static void *serve(void *arg)
{
    qsdr_control_t *c = arg;
    qsdr_log_refusals("control request refused"); /* a bad request is the client's error, not the run's */
    while (!atomic_load(&c->stop)) {
        zmq_pollitem_t it = {c->sock, 0, ZMQ_POLLIN, 0};
        if (zmq_poll(&it, 1, 100) <= 0) continue;
        zmq_msg_t m;
        zmq_msg_init(&m);
        if (zmq_msg_recv(&m, c->sock, ZMQ_DONTWAIT) < 0) {
            zmq_msg_close(&m);
            continue;
        }
        /* a multi-part request: keep the first part, drain the rest (REP must answer once) */
        int more = zmq_msg_more(&m);
        char *rep = qsdr_control_handle(c->fg, zmq_msg_data(&m), zmq_msg_size(&m));
        zmq_msg_close(&m);
        while (more) {
            zmq_msg_t x;
            zmq_msg_init(&x);
            zmq_msg_recv(&x, c->sock, 0);
            more = zmq_msg_more(&x);
            zmq_msg_close(&x);
        }
        if (rep) {
            zmq_send(c->sock, rep, strlen(rep), 0);
            cJSON_free(rep);
        }
    }
    return NULL;
}

static int is_local(const char *ep)
{
    static const char *ok[] = {"ipc://", "inproc://", "tcp://127.", "tcp://localhost:", "tcp://[::1]:"};
    for (size_t i = 0; i < sizeof ok / sizeof *ok; i++)
        if (!strncmp(ep, ok[i], strlen(ok[i]))) return 1;
    return 0;
}

qsdr_control_t *qsdr_control_start(qsdr_flowgraph_t *fg, const char *endpoint, int allow_remote, const char *curve_secret)
{
    if (!allow_remote && !is_local(endpoint))
        return qsdr_error_null(QSDR_EINVAL, "control port: '%s' is not a loopback or ipc endpoint; anyone who reaches it can "
                                            "steer the radio. Use tcp://127.0.0.1:PORT, or --control-allow-remote "
                                            "(with --control-curve-secret)", endpoint);
    if (curve_secret && strlen(curve_secret) != 40)
        return qsdr_error_null(QSDR_EINVAL, "control port: the CURVE secret key must be 40 Z85 characters (qsdr ctl keygen)");
    if (curve_secret && !zmq_has("curve"))
        return qsdr_error_null(QSDR_ENOTSUP, "control port: this libzmq has no CURVE support");
    qsdr_control_t *c = qsdr_calloc(1, sizeof *c);
    if (!c) return qsdr_error_null(QSDR_ENOMEM, "out of memory");
    c->fg = fg;
    c->ctx = zmq_ctx_new();
    c->sock = c->ctx ? zmq_socket(c->ctx, ZMQ_REP) : NULL;
    int linger = 0, one = 1;
    /* requests are a few hundred bytes of JSON: a larger message (memory exhaustion from a
       client) makes libzmq drop that client's connection */
    int64_t max_req = 65536;
    if (c->sock) zmq_setsockopt(c->sock, ZMQ_LINGER, &linger, sizeof linger);
    if (c->sock) zmq_setsockopt(c->sock, ZMQ_MAXMSGSIZE, &max_req, sizeof max_req);
    int rc = c->sock ? 0 : -1;
    if (!rc && curve_secret) {
        rc = zmq_setsockopt(c->sock, ZMQ_CURVE_SERVER, &one, sizeof one);
        if (!rc) rc = zmq_setsockopt(c->sock, ZMQ_CURVE_SECRETKEY, curve_secret, 40);
    }
    if (!rc) rc = zmq_bind(c->sock, endpoint);
    if (rc) {
        qsdr_error(QSDR_EEXT, "control port: cannot bind '%s': %s", endpoint, zmq_strerror(zmq_errno()));
        if (c->sock) zmq_close(c->sock);
        if (c->ctx) zmq_ctx_term(c->ctx);
        qsdr_free(c);
        return NULL;
    }
    if (qsdr_thread_create(&c->th, serve, c)) {
        zmq_close(c->sock);
        zmq_ctx_term(c->ctx);
        qsdr_free(c);
        return qsdr_error_null(QSDR_EEXT, "control port: cannot start its thread");
    }
    return c;
}

void qsdr_control_stop(qsdr_control_t **cp)
{
    if (!cp || !*cp) return;
    qsdr_control_t *c = *cp;
    atomic_store(&c->stop, 1);
    pthread_join(c->th, NULL);
    zmq_close(c->sock);
    zmq_ctx_term(c->ctx);
    qsdr_free(c);
    *cp = NULL;
}
