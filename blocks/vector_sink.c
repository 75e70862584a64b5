/* SPDX-License-Identifier: MIT */
/* Block: keep items (and their tags) in memory, for tests and programs embedding qsdr. */
#include "block_util.h"
#include "qsdr/flowgraph.h"

extern const qsdr_block_desc qsdr_block_vector_sink;

typedef struct {
    uint8_t *data;
    size_t isz, n, cap, max;
    qsdr_tag *tags;
    size_t n_tags, cap_tags;
} vk_state;

static void vk_destroy(void *st)
{
    vk_state *s = st;
    if (!s) return;
    qsdr_free(s->data);
    qsdr_free(s->tags);
    qsdr_free(s);
}

static int vk_create(qsdr_block_ctx *ctx, void **state)
{
    qsdr_item_type t;
    int rc = qsdr_blk_resolve_any(ctx, &qsdr_block_vector_sink, &t);
    if (rc) return rc;
    vk_state *s = qsdr_calloc(1, sizeof *s);
    if (!s) return qsdr_error(QSDR_ENOMEM, "out of memory");
    s->isz = qsdr_item_size(t);
    s->max = (size_t)qsdr_ctx_uint(ctx, "max_items");
    *state = s;
    return QSDR_OK;
}

static int vk_work(void *st, qsdr_work_io *io)
{
    vk_state *s = st;
    size_t n = io->n_in;
    if (s->max && s->n + n > s->max) n = s->max - s->n;
    if (s->n + n > s->cap) {
        size_t nc = s->cap ? s->cap : 4096;
        while (nc < s->n + n) nc *= 2;
        if (s->max && nc > s->max) nc = s->max;
        uint8_t *nd = qsdr_realloc(s->data, nc * s->isz);
        if (!nd) return qsdr_error(QSDR_ENOMEM, "vector_sink: out of memory for %zu items", nc);
        s->data = nd;
        s->cap = nc;
    }
    memcpy(s->data + s->n * s->isz, io->in[0], n * s->isz);
    s->n += n;
    for (size_t k = 0; k < io->n_tags; k++) {
        if (io->tags[k].offset >= io->in_offset + n) continue;
        if (s->n_tags == s->cap_tags) {
            size_t nc = s->cap_tags ? 2 * s->cap_tags : 16;
            qsdr_tag *nt = qsdr_realloc(s->tags, nc * sizeof *nt);
            if (!nt) return qsdr_error(QSDR_ENOMEM, "vector_sink: out of memory for tags");
            s->tags = nt;
            s->cap_tags = nc;
        }
        s->tags[s->n_tags++] = io->tags[k];
    }
    io->consumed = n;
    return (s->max && s->n == s->max) ? QSDR_DONE : QSDR_OK;
}

int qsdr_vector_sink_data(qsdr_flowgraph_t *fg, const char *id, const void **data, size_t *n_items, const qsdr_tag **tags,
                          size_t *n_tags)
{
    size_t nb = qsdr_flowgraph_block_count(fg);
    for (size_t i = 0; i < nb; i++) {
        if (strcmp(qsdr_flowgraph_block_id(fg, i), id)) continue;
        if (strcmp(qsdr_flowgraph_block_type(fg, i), "vector_sink"))
            return qsdr_error(QSDR_EINVAL, "qsdr_vector_sink_data: block '%s' is a %s, not a vector_sink", id, qsdr_flowgraph_block_type(fg, i));
        vk_state *s = qsdr_flowgraph_block_state(fg, id);
        if (!s) return qsdr_error(QSDR_EINVAL, "qsdr_vector_sink_data: flowgraph not prepared");
        if (data) *data = s->data;
        if (n_items) *n_items = s->n;
        if (tags) *tags = s->tags;
        if (n_tags) *n_tags = s->n_tags;
        return QSDR_OK;
    }
    return qsdr_error(QSDR_EINVAL, "qsdr_vector_sink_data: no block '%s'", id);
}

static const qsdr_param_desc vk_params[] = {
    QSDR_PARAM_ITEM_TYPE("cf32"),
    {"max_items", QSDR_PARAM_UINT, "0", 0, 1e12, "items", "end the stream after keeping this many items (0 = keep all)", 0, NULL},
};
static const qsdr_port_desc vk_in[] = {{"in", QSDR_ITEM_ANY}};

const qsdr_block_desc qsdr_block_vector_sink = {
    .abi = QSDR_BLOCK_ABI,
    .name = "vector_sink",
    .summary = "Keep items and tags in memory (read them with qsdr_vector_sink_data)",
    .inputs = vk_in, .n_inputs = 1,
    .params = vk_params, .n_params = QSDR_N(vk_params),
    .rate_kind = QSDR_RATE_SYNC, .rate_in = 1, .rate_out = 1,
    .create = vk_create, .destroy = vk_destroy, .work = vk_work,
};
