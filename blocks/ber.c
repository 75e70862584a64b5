/* SPDX-License-Identifier: MIT */
/* Block: BER/FER meter comparing decoded bits with the reference stream. */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "block_util.h"
#include "qsdr/sim.h"

typedef struct {
    qsdr_ber_t *q;
    size_t frame_size;
    uint64_t max_bit_errors, max_frame_errors, max_bits;
    bool print, segments;
    const char *id;
    qsdr_ber_counts seg0;   /* counts when the current segment began */
    unsigned nseg;
    char seg_label[128];
} berb_state;

/* one line per segment: the counts since the last live parameter change */
static void print_segment(berb_state *s, const char *end_label)
{
    qsdr_ber_counts c = qsdr_ber_get(s->q);
    uint64_t bits = c.bits - s->seg0.bits, be = c.bit_errors - s->seg0.bit_errors, fr = c.frames - s->seg0.frames,
             fe = c.frame_errors - s->seg0.frame_errors;
    qsdr_print("%s: segment %u [bits %" PRIu64 ", %" PRIu64 ") %s: BER = %.6e (%" PRIu64 " / %" PRIu64 ")   FER = %.6e (%" PRIu64 " / %" PRIu64 ")%s%s\n",
           s->id, s->nseg + 1, s->seg0.bits, c.bits, s->seg_label, bits ? (double)be / (double)bits : 0.0, be, bits,
           fr ? (double)fe / (double)fr : 0.0, fe, fr, end_label ? ", ends at " : "", end_label ? end_label : "");
    fflush(stdout);
    s->seg0 = c;
    s->nseg++;
}

static void berb_destroy(void *st)
{
    berb_state *s = st;
    if (!s) return;
    qsdr_ber_destroy(&s->q);
    qsdr_free(s);
}

static int berb_create(qsdr_block_ctx *ctx, void **state)
{
    berb_state *s = qsdr_calloc(1, sizeof *s);
    if (!s) return qsdr_error(QSDR_ENOMEM, "out of memory");
    s->frame_size = (size_t)qsdr_ctx_uint(ctx, "frame_size");
    s->q = qsdr_ber_create(s->frame_size, qsdr_ctx_uint(ctx, "skip"));
    if (!s->q) {
        berb_destroy(s);
        return QSDR_EINVAL;
    }
    s->max_bit_errors = qsdr_ctx_uint(ctx, "max_bit_errors");
    s->max_frame_errors = qsdr_ctx_uint(ctx, "max_frame_errors");
    s->max_bits = qsdr_ctx_uint(ctx, "max_bits");
    if (s->max_bits) qsdr_ctx_set_item_budget(ctx, qsdr_ctx_uint(ctx, "skip") + s->max_bits);
    s->print = qsdr_ctx_bool(ctx, "print");
    s->segments = qsdr_ctx_bool(ctx, "segments");
    snprintf(s->seg_label, sizeof s->seg_label, "(start)");
    s->id = qsdr_ctx_id(ctx);
    *state = s;
    return QSDR_OK;
}

static int berb_work(void *st, qsdr_work_io *io)
{
    berb_state *s = st;
    size_t n = io->n_in;
    if (s->max_bits) {
        uint64_t have = qsdr_ber_get(s->q).bits;
        if (have + n > s->max_bits) n = (size_t)(s->max_bits - have);
        io->consumed = n;
    }
    /* the decoder says how long its frames are: a frame_size that disagrees counts frame errors
     * over the wrong spans (the BER is right, the FER silently wrong) */
    for (size_t t = 0; t < io->n_tags; t++) {
        double fb;
        if (io->tags[t].port != 0 || !qsdr_blk_tag_number(&io->tags[t], "frame_bits", &fb) || fb == (double)s->frame_size) continue;
        return qsdr_error(QSDR_EINVAL, "parameter 'frame_size' is %zu, but the decoder upstream sends frames of %.0f bits (tag "
                          "'frame_bits' at item %llu): the FER would count the wrong spans. Set frame_size: %.0f",
                          s->frame_size, fb, (unsigned long long)io->tags[t].offset, fb);
    }
    /* a live parameter change upstream (a 'set:<param>' tag on the decoded stream) closes a
     * segment exactly at its item */
    size_t done = 0;
    for (size_t t = 0; s->segments && t < io->n_tags; t++) {
        const qsdr_tag *tg = &io->tags[t];
        if (tg->port != 0 || strncmp(tg->key, "set:", 4) || tg->offset < io->in_offset) continue;
        size_t at = (size_t)(tg->offset - io->in_offset);
        if (at > n) break;
        if (at > done) qsdr_ber_update(s->q, (const uint8_t *)io->in[0] + done, (const uint8_t *)io->in[1] + done, at - done);
        done = at > done ? at : done;
        char label[96];
        const qsdr_tag_value *v = &tg->value; /* live sets tag text; another block (a plugin, vector_source) may tag numbers */
        if (v->type == QSDR_TAGV_STRING) snprintf(label, sizeof label, "%s=%s", tg->key + 4, v->s);
        else if (v->type == QSDR_TAGV_INT) snprintf(label, sizeof label, "%s=%" PRId64, tg->key + 4, v->i);
        else if (v->type == QSDR_TAGV_FLOAT) snprintf(label, sizeof label, "%s=%g", tg->key + 4, v->f);
        else snprintf(label, sizeof label, "%s=@%.9g", tg->key + 4, (double)v->i + v->f);
        if (qsdr_ber_get(s->q).bits > s->seg0.bits) print_segment(s, label);
        snprintf(s->seg_label, sizeof s->seg_label, "after %s", label);
    }
    if (n > done) qsdr_ber_update(s->q, (const uint8_t *)io->in[0] + done, (const uint8_t *)io->in[1] + done, n - done);
    qsdr_ber_counts c = qsdr_ber_get(s->q);
    if ((s->max_bit_errors && c.bit_errors >= s->max_bit_errors) || (s->max_frame_errors && c.frame_errors >= s->max_frame_errors) ||
        (s->max_bits && c.bits >= s->max_bits))
        return QSDR_DONE;
    return QSDR_OK;
}

static void berb_stats(void *st, qsdr_stats *o)
{
    berb_state *s = st;
    qsdr_ber_counts c = qsdr_ber_get(s->q);
    qsdr_stats_add(o, "bits", (double)c.bits);
    qsdr_stats_add(o, "bit_errors", (double)c.bit_errors);
    qsdr_stats_add(o, "ber", c.bits ? (double)c.bit_errors / (double)c.bits : 0);
    qsdr_stats_add(o, "frames", (double)c.frames);
    qsdr_stats_add(o, "frame_errors", (double)c.frame_errors);
    qsdr_stats_add(o, "fer", c.frames ? (double)c.frame_errors / (double)c.frames : 0);
}

static void berb_finish(void *st)
{
    berb_state *s = st;
    if (!s->print) return;
    if (s->nseg) print_segment(s, NULL); /* the last segment after a live change */
    qsdr_ber_counts c = qsdr_ber_get(s->q);
    if (!c.bits) { /* a run that failed or ended before its first bit: no rate to give */
        qsdr_print("%s: no bits compared (BER undefined)\n", s->id);
        return;
    }
    if (!c.frames) /* fewer bits than one frame: no frame error rate to give */
        qsdr_print("%s: BER = %.6e (%" PRIu64 " errors / %" PRIu64 " bits)   FER undefined (no complete frame of %zu bits)\n", s->id,
                   (double)c.bit_errors / (double)c.bits, c.bit_errors, c.bits, s->frame_size);
    else
        qsdr_print("%s: BER = %.6e (%" PRIu64 " errors / %" PRIu64 " bits)   FER = %.6e (%" PRIu64 " / %" PRIu64 " frames)\n", s->id,
                   (double)c.bit_errors / (double)c.bits, c.bit_errors, c.bits, (double)c.frame_errors / (double)c.frames, c.frame_errors,
                   c.frames);
    fflush(stdout);
    const char *hint = qsdr_ber_hint(c.bits, c.bit_errors); /* a set-up mistake, not a channel result */
    if (hint) qsdr_warn("BER %.4f: %s", (double)c.bit_errors / (double)c.bits, hint);
}

static const qsdr_param_desc berb_params[] = {
    {"frame_size", QSDR_PARAM_UINT, "1024", 1, 1e9, "bits", "bits per frame for the frame error rate", 0, NULL},
    {"skip", QSDR_PARAM_UINT, "0", 0, 1e15, "bits", "leading bits not counted (transients)", 0, NULL},
    {"max_bit_errors", QSDR_PARAM_UINT, "0", 0, 1e15, "bits", "end the stream after this many bit errors (0 = never)", 0, NULL},
    {"max_frame_errors", QSDR_PARAM_UINT, "0", 0, 1e15, "frames", "end the stream after this many frame errors (0 = never)", 0, NULL},
    {"max_bits", QSDR_PARAM_UINT, "0", 0, 1e18, "bits", "end the stream after counting this many bits (0 = never)", 0, NULL},
    {"print", QSDR_PARAM_BOOL, "true", 1, 0, "", "print BER and FER when the stream ends", 0, NULL},
    {"segments", QSDR_PARAM_BOOL, "true", 1, 0, "", "print BER per segment between live parameter changes upstream ('set:' tags)", 0, NULL},
};
static const qsdr_port_desc berb_in[] = {{"in", QSDR_ITEM_BIT}, {"ref", QSDR_ITEM_BIT}};

const qsdr_block_desc qsdr_block_ber = {
    .abi = QSDR_BLOCK_ABI,
    .name = "ber",
    .summary = "BER/FER meter: compares decoded bits (in) with reference bits (ref); can end the run at an error count; checks frame_size against a decoder's frame_bits tag",
    .inputs = berb_in, .n_inputs = 2,
    .params = berb_params, .n_params = QSDR_N(berb_params),
    .rate_kind = QSDR_RATE_SYNC, .rate_in = 1, .rate_out = 1,
    .create = berb_create, .destroy = berb_destroy, .work = berb_work, .stats = berb_stats, .finish = berb_finish,
};
