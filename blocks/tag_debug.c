/* SPDX-License-Identifier: MIT */
/* Block: print the tags of a stream (like GNU Radio's tag_debug) and count them. */
#include <inttypes.h>
#include <stdio.h>

#include "block_util.h"

extern const qsdr_block_desc qsdr_block_tag_debug;

typedef struct {
    const char *id;
    char filter[QSDR_TAG_KEY_MAX];
    bool print;
    uint64_t count;
} td_state;

static int tdbg_create(qsdr_block_ctx *ctx, void **state)
{
    int rc = qsdr_blk_resolve_any(ctx, &qsdr_block_tag_debug, NULL);
    if (rc) return rc;
    td_state *s = qsdr_calloc(1, sizeof *s);
    if (!s) return qsdr_error(QSDR_ENOMEM, "out of memory");
    s->id = qsdr_ctx_id(ctx);
    snprintf(s->filter, sizeof s->filter, "%s", qsdr_ctx_string(ctx, "key"));
    s->print = qsdr_ctx_bool(ctx, "print");
    *state = s;
    return QSDR_OK;
}

static void tdbg_destroy(void *st) { qsdr_free(st); }

static int tdbg_work(void *st, qsdr_work_io *io)
{
    td_state *s = st;
    for (size_t k = 0; k < io->n_tags; k++) {
        const qsdr_tag *t = &io->tags[k];
        if (*s->filter && strcmp(s->filter, t->key)) continue;
        s->count++;
        if (!s->print) continue;
        char v[128];
        switch (t->value.type) {
        case QSDR_TAGV_INT: snprintf(v, sizeof v, "%" PRId64 " (int)", t->value.i); break;
        case QSDR_TAGV_FLOAT: snprintf(v, sizeof v, "%.17g (float)", t->value.f); break;
        case QSDR_TAGV_TIME: snprintf(v, sizeof v, "%" PRId64 " + %.17g s (time)", t->value.i, t->value.f); break;
        default: v[0] = 0; break;
        }
        qsdr_print("%s: item %" PRIu64 " %s = %s%s\n", s->id, t->offset, t->key, v[0] ? v : t->value.s,
                   v[0] ? "" : " (string)");
    }
    fflush(stdout);
    return QSDR_OK;
}

static void tdbg_stats(void *st, qsdr_stats *o) { qsdr_stats_add(o, "tags", (double)((td_state *)st)->count); }

static const qsdr_param_desc tdbg_params[] = {
    QSDR_PARAM_ITEM_TYPE("cf32"),
    {"key", QSDR_PARAM_STRING, "", 1, 0, "", "only tags with this key (empty = all)", 0, NULL},
    {"print", QSDR_PARAM_BOOL, "true", 1, 0, "", "print each tag on stdout", 0, NULL},
};
static const qsdr_port_desc tdbg_in[] = {{"in", QSDR_ITEM_ANY}};

const qsdr_block_desc qsdr_block_tag_debug = {
    .abi = QSDR_BLOCK_ABI,
    .name = "tag_debug",
    .summary = "Print the tags of a stream (item, key, value) and count them",
    .inputs = tdbg_in, .n_inputs = 1,
    .params = tdbg_params, .n_params = QSDR_N(tdbg_params),
    .rate_kind = QSDR_RATE_SYNC, .rate_in = 1, .rate_out = 1,
    .tag_policy = QSDR_TAGS_NONE,
    .create = tdbg_create, .destroy = tdbg_destroy, .work = tdbg_work, .stats = tdbg_stats,
};
