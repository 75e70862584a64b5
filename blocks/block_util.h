/* SPDX-License-Identifier: MIT */
/* Helpers shared by block adaptors (not installed). */
#ifndef QSDR_BLOCK_UTIL_H
#define QSDR_BLOCK_UTIL_H

#include <string.h>

#include "qsdr/block.h"
#include "qsdr/phy.h"

#define QSDR_TYPE_CHOICES "bit|u8|i8|i16|f32|cf32"
#define QSDR_PARAM_ITEM_TYPE(def) \
    { "type", QSDR_PARAM_ENUM, def, 1, 0, "", "item type of the stream", 0, QSDR_TYPE_CHOICES }
#define QSDR_N(a) (sizeof(a) / sizeof((a)[0]))

/* Resolve every QSDR_ITEM_ANY port of the block to the type named by its "type" parameter. */
static inline int qsdr_blk_resolve_any(qsdr_block_ctx *ctx, const qsdr_block_desc *d, qsdr_item_type *t_out)
{
    if (t_out) *t_out = QSDR_ITEM_U8;
    int t = qsdr_item_parse(qsdr_ctx_string(ctx, "type"));
    if (t < 0) return qsdr_error(QSDR_EINVAL, "parameter 'type': unknown item type '%s'", qsdr_ctx_string(ctx, "type"));
    for (unsigned i = 0; i < d->n_inputs; i++)
        if (d->inputs[i].type == QSDR_ITEM_ANY) qsdr_ctx_set_port_type(ctx, false, i, (qsdr_item_type)t);
    for (unsigned i = 0; i < d->n_outputs; i++)
        if (d->outputs[i].type == QSDR_ITEM_ANY) qsdr_ctx_set_port_type(ctx, true, i, (qsdr_item_type)t);
    if (t_out) *t_out = (qsdr_item_type)t;
    return QSDR_OK;
}

/* Walk the input in spans split at the tags named `key` (only when follow is set): span() for
 * each span [from, to) of items, then on_tag() with the tag's value at its item, so a value a tag
 * carries (the awgn block's noise_var) applies exactly from there. Returns the first error of
 * span(). */
typedef int (*qsdr_blk_span_fn)(void *st, const qsdr_work_io *io, size_t from, size_t to);
static inline int qsdr_blk_split_at_tags(void *st, const qsdr_work_io *io, const char *key, bool follow, qsdr_blk_span_fn span,
                                         void (*on_tag)(void *st, const qsdr_tag_value *v))
{
    size_t done = 0;
    for (size_t t = 0; t <= io->n_tags; t++) {
        size_t upto = io->n_in;
        if (t < io->n_tags) {
            if (!follow || strcmp(io->tags[t].key, key)) continue;
            upto = (size_t)(io->tags[t].offset - io->in_offset);
        }
        if (upto > done) {
            int rc = span(st, io, done, upto);
            if (rc) return rc;
            done = upto;
        }
        if (t < io->n_tags) on_tag(st, &io->tags[t].value);
    }
    return QSDR_OK;
}

static const char *const qsdr_modulation_choices = "bpsk|qpsk|qam16|qam64";

#endif
