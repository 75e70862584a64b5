/* SPDX-License-Identifier: MIT */
/* Block: LTE turbo decoder (float reference BCJR), framed: N LLRs -> K bits or APP LLRs. */
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "block_util.h"
#include "qsdr/fec.h"

extern const qsdr_block_desc qsdr_block_turbo_decoder;

typedef struct {
    qsdr_turbo_dec_t *d;
    qsdr_turbo_fast_t *fast; /* used instead of d when the configuration allows */
    size_t k, n, kout;
    bool soft;
    qsdr_crc_type crc;
    uint8_t *v;
    float *app;
    uint64_t frames, iterations, crc_fail, batches; /* batches: fast decoder calls */
    size_t lanes;
} td_state;

static void td_destroy(void *st)
{
    td_state *s = st;
    if (!s) return;
    qsdr_turbo_dec_destroy(&s->d);
    qsdr_turbo_fast_destroy(&s->fast);
    qsdr_free(s->v);
    qsdr_free(s->app);
    qsdr_free(s);
}

static int td_create(qsdr_block_ctx *ctx, void **state)
{
    td_state *s = qsdr_calloc(1, sizeof *s);
    if (!s) return qsdr_error(QSDR_ENOMEM, "out of memory");
    qsdr_turbo_dec_config c = qsdr_turbo_dec_default();
    s->k = (size_t)qsdr_ctx_uint(ctx, "k");
    c.rate = (qsdr_turbo_rate)qsdr_ctx_enum(ctx, "rate");
    c.algo = (qsdr_turbo_algo)qsdr_ctx_enum(ctx, "algorithm");
    c.iterations = (unsigned)qsdr_ctx_uint(ctx, "iterations");
    double sc = qsdr_ctx_float(ctx, "scaling");
    c.scaling = sc > 0 ? (float)sc : (c.algo == QSDR_TURBO_MAXLOG ? 0.75f : 1.0f);
    c.stop = (qsdr_turbo_stop)qsdr_ctx_enum(ctx, "early_stop");
    c.crc = s->crc = (qsdr_crc_type)qsdr_ctx_enum(ctx, "crc");
    s->soft = qsdr_ctx_bool(ctx, "soft");
    if (!qsdr_turbo_k_valid(s->k)) {
        size_t up = qsdr_turbo_k_ceil(s->k);
        td_destroy(s);
        return qsdr_error(QSDR_EINVAL, "parameter 'k': %zu is not an LTE block size (40..6144 in the steps of TS 36.212 Table 5.1.3-3; nearest above: %zu)",
                          (size_t)qsdr_ctx_uint(ctx, "k"), up);
    }
    int impl = qsdr_ctx_enum(ctx, "impl"); /* auto | float | fast */
    bool fast_ok = c.algo == QSDR_TURBO_MAXLOG && c.scaling == 0.75f && !s->soft;
    if (impl == 2 && !fast_ok) {
        td_destroy(s);
        return qsdr_error(QSDR_EINVAL, "parameter 'impl': the fast decoder is max-log with scaling 0.75 and hard output only, "
                                       "got %s (impl: float or auto runs the float reference)",
                          c.algo != QSDR_TURBO_MAXLOG ? "algorithm: logmap" : s->soft ? "soft: true" : "another scaling (scaling: 0 means 0.75)");
    }
    if (c.stop == QSDR_TURBO_STOP_CRC && c.crc == QSDR_CRC_NONE) {
        td_destroy(s);
        return qsdr_error(QSDR_EINVAL, "parameter 'early_stop': crc needs a CRC in the frames (crc: crc24a or crc24b)");
    }
    /* precision is the fast decoder's: not used by impl: float, nor by auto falling back to the
       reference (log-MAP, soft output, another scaling) */
    qsdr_blk_only_with(ctx, "precision", impl == 2 || (impl == 0 && fast_ok),
                       impl == 1 ? "impl: fast or auto (impl: float runs the float reference decoder)"
                                 : "the fast decoder (max-log, scaling 0.75, hard output), not the float reference this "
                                   "configuration runs");
    size_t lanes = 1;
    if (impl == 2 || (impl == 0 && fast_ok)) {
        s->fast = qsdr_turbo_fast_create(s->k, c.iterations, c.rate, qsdr_ctx_enum(ctx, "precision") == 1 ? "int8" : "int16");
        if (!s->fast || qsdr_turbo_fast_set_stop(s->fast, c.stop, c.crc)) {
            td_destroy(s);
            return QSDR_EINVAL;
        }
        lanes = qsdr_turbo_fast_lanes(s->fast);
    } else {
        static atomic_bool said; /* once per process: a BER sweep builds a flowgraph per unit */
        if (impl == 0 && !atomic_exchange(&said, true)) /* auto chose the reference: say why, it is 50-100x slower */
            qsdr_info("the float reference decoder runs (%s; the fast SIMD decoder is max-log with scaling 0.75 and hard "
                      "output only, and is 50-100x faster)",
                      s->soft ? "soft output" : c.algo != QSDR_TURBO_MAXLOG ? "log-MAP" : "a scaling other than 0.75");
        s->d = qsdr_turbo_dec_create(s->k, &c);
        if (!s->d) {
            td_destroy(s);
            return QSDR_EINVAL;
        }
    }
    s->v = qsdr_malloc(s->k * lanes);
    s->app = qsdr_malloc(s->k * sizeof(float));
    if (!s->v || !s->app) {
        td_destroy(s);
        return qsdr_error(QSDR_ENOMEM, "out of memory");
    }
    s->lanes = lanes;
    s->n = qsdr_turbo_n(s->k, c.rate);
    qsdr_ctx_set_chunk_hint(ctx, 2 * lanes * s->n); /* after n: the SIMD decoder wants whole batches */
    s->kout = s->crc ? s->k - 24 : s->k;
    qsdr_ctx_set_port_type(ctx, true, 0, s->soft ? QSDR_ITEM_F32 : QSDR_ITEM_BIT);
    qsdr_ctx_set_rate(ctx, s->n, s->kout);
    *state = s;
    return QSDR_OK;
}

static int td_work(void *st, qsdr_work_io *io)
{
    td_state *s = st;
    const float *l = io->in[0];
    size_t frames = io->n_in / s->n;
    if (io->out_offset == 0) /* a ber meter downstream checks its frame_size against it */
        qsdr_work_add_tag(io, 0, 0, "frame_bits", qsdr_tagv_float((double)s->kout));
    static const char *const crc_names[] = {"none", "crc24a", "crc24b"};
    for (size_t t = 0; t < io->n_tags && io->in_offset == 0; t++) { /* the encoder's CRC against ours */
        double c;
        if (io->tags[t].offset == 0 && qsdr_blk_tag_number(&io->tags[t], "crc_type", &c) && c >= 0 && c <= 2 && (int)c != (int)s->crc)
            return qsdr_error(QSDR_EINVAL, "the encoder attached crc %s, this decoder has crc %s: every frame would fail its check "
                              "(set both to the same)", crc_names[(int)c], crc_names[s->crc]);
    }
    if (s->fast) {
        /* whole batches (one frame per SIMD lane) while there are enough frames */
        for (size_t f = 0; f < frames;) {
            size_t nb = frames - f < s->lanes ? frames - f : s->lanes;
            int rc = qsdr_turbo_fast_execute(s->fast, l + f * s->n, nb, s->v);
            if (rc) return rc;
            for (size_t j = 0; j < nb; j++) {
                const uint8_t *v = s->v + j * s->k;
                if (s->crc && !qsdr_crc24_check(s->crc, v, s->k - 24)) s->crc_fail++;
                memcpy((uint8_t *)io->out[0] + (f + j) * s->kout, v, s->kout);
            }
            s->frames += nb;
            s->batches++;
            s->iterations = qsdr_turbo_fast_iterations(s->fast);
            f += nb;
        }
        return QSDR_OK;
    }
    for (size_t f = 0; f < frames; f++) {
        int it = qsdr_turbo_dec_execute(s->d, l + f * s->n, s->v, s->soft ? s->app : NULL);
        if (it < 0) return it;
        s->frames++;
        s->iterations += (uint64_t)it;
        if (s->crc && !qsdr_crc24_check(s->crc, s->v, s->k - 24)) s->crc_fail++;
        if (s->soft) memcpy((float *)io->out[0] + f * s->kout, s->app, s->kout * sizeof(float));
        else memcpy((uint8_t *)io->out[0] + f * s->kout, s->v, s->kout);
    }
    return QSDR_OK;
}

static void td_stats(void *st, qsdr_stats *o)
{
    td_state *s = st;
    qsdr_stats_add(o, "frames", (double)s->frames);
    qsdr_stats_add(o, "fast", s->fast != NULL);
    /* frames per fast-decoder call: its batch (lanes) when every call is full */
    if (s->fast) qsdr_stats_add(o, "avg_batch", s->batches ? (double)s->frames / (double)s->batches : 0);
    /* the fast decoder's fixed-point width (precision: int8 or int16); the decisions rarely differ,
       so this is where the setting shows */
    if (s->fast) qsdr_stats_add(o, "int_bits", strstr(qsdr_turbo_fast_impl(s->fast), "_i8") ? 8 : 16);
    qsdr_stats_add(o, "avg_iterations", s->frames ? (double)s->iterations / (double)s->frames : 0);
    if (s->crc) qsdr_stats_add(o, "crc_failures", (double)s->crc_fail);
}

static const qsdr_param_desc td_params[] = {
    {"k", QSDR_PARAM_UINT, "6144", 40, 6144, "bits", "block size K, one of the 188 LTE sizes", 0, NULL},
    {"rate", QSDR_PARAM_ENUM, "1/3", 1, 0, "", "code rate, as the encoder", 0, "1/3|1/2|2/3"},
    {"algorithm", QSDR_PARAM_ENUM, "maxlog", 1, 0, "", "max-log-MAP or log-MAP (exact Jacobian logarithm)", 0, "maxlog|logmap"},
    {"iterations", QSDR_PARAM_UINT, "6", 1, 32, "", "turbo iterations (each runs both constituent decoders)", 0, NULL},
    {"scaling", QSDR_PARAM_FLOAT, "0", 0, 1, "", "extrinsic scaling factor; 0 = 0.75 for maxlog, 1 for logmap", 0, NULL},
    {"early_stop", QSDR_PARAM_ENUM, "none", 1, 0, "", "stop iterating when the CRC checks or hard decisions repeat", 0, "none|crc|agree"},
    {"crc", QSDR_PARAM_ENUM, "none", 1, 0, "", "CRC in the last 24 of the K bits (removed from the output)", 0, "none|crc24a|crc24b"},
    {"soft", QSDR_PARAM_BOOL, "false", 1, 0, "", "output a-posteriori LLRs (f32, log P(0)/P(1)) instead of bits", 0, NULL},
    {"impl", QSDR_PARAM_ENUM, "auto", 1, 0, "",
     "auto: the int16 SIMD decoder when the settings allow it (maxlog, scaling 0.75, hard output), else the float reference", 0,
     "auto|float|fast"},
    {"precision", QSDR_PARAM_ENUM, "int16", 1, 0, "", "fixed-point width of the fast decoder (int8: twice the frames per SIMD register); a warning when the float reference runs", 0,
     "int16|int8"},
};
static const qsdr_port_desc td_in[] = {{"in", QSDR_ITEM_F32}};
static const qsdr_port_desc td_out[] = {{"out", QSDR_ITEM_ANY}};

const qsdr_block_desc qsdr_block_turbo_decoder = {
    .abi = QSDR_BLOCK_ABI,
    .name = "turbo_decoder",
    .summary = "LTE turbo decoder (iterative BCJR; int16 SIMD or float reference): N LLRs (log P(0)/P(1)) -> K bits (or APP LLRs with soft); tags frame_bits, checks the encoder's crc_type",
    .inputs = td_in, .n_inputs = 1, .outputs = td_out, .n_outputs = 1,
    .params = td_params, .n_params = QSDR_N(td_params),
    .rate_kind = QSDR_RATE_FRAMED, .rate_in = 18444, .rate_out = 6144,
    .create = td_create, .destroy = td_destroy, .work = td_work, .stats = td_stats,
};
