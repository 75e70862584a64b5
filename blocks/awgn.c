/* SPDX-License-Identifier: MIT */
/* Block: AWGN channel set by Eb/N0 (or Es/N0) with exact accounting; tags its noise variance. */
#include <math.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "block_util.h"

typedef struct {
    qsdr_awgn_t *ch;
    double ebn0_db, esn0_db, bps, rate, sps, sample_power;
    bool use_esn0;
    bool rate_auto;   /* code_rate 0: follow the 'code_rate' tags of an encoder upstream */
    bool tag_pending;
    const char *id;
    double psum;      /* input power over the first samples, against sample_power (power_check) */
    uint64_t pn;
    bool power_checked;
} awgn_state;

/* Es counts sample_power per sample: a modulator that sends another power (a plugin, a file, a
   radio) shifts every Eb/N0 silently. Compared once, over the first 65536 samples (or at the
   end of a shorter stream); a difference above 0.25 dB is said with its size. */
enum { AWGN_POWER_N = 65536 };
static void power_check(awgn_state *s)
{
    if (s->power_checked || s->pn < 4096) return;
    s->power_checked = true;
    double meas = s->psum / (double)s->pn;
    if (!(meas > 0)) return; /* no signal (a null source: noise alone), no Eb/N0 to be off */
    double db = 10 * log10(meas / s->sample_power);
    if (fabs(db) <= 0.25) return;
    static atomic_bool said; /* once per process: a BER sweep builds a flowgraph per unit */
    if (atomic_exchange(&said, true)) return;
    qsdr_warn("the input's mean sample power is %.4g over its first %llu samples, but the Eb/N0 accounting assumes sample_power "
              "%.4g (Es = sample_power x sps): the actual %s is %.2f dB %s the set value; set sample_power: %.4g, or fix the "
              "signal's level", meas, (unsigned long long)s->pn, s->sample_power, s->use_esn0 ? "Es/N0" : "Eb/N0", fabs(db),
              db > 0 ? "above" : "below", meas);
}

static double awgn_var(const awgn_state *s)
{
    if (s->use_esn0) return qsdr_noise_var_from_esn0(s->esn0_db, s->sps, s->sample_power);
    return qsdr_noise_var_from_ebn0(s->ebn0_db, s->bps, s->rate, s->sps, s->sample_power);
}

static void awgn_destroy(void *st)
{
    awgn_state *s = st;
    if (!s) return;
    qsdr_awgn_destroy(&s->ch);
    qsdr_free(s);
}

static int awgn_create(qsdr_block_ctx *ctx, void **state)
{
    awgn_state *s = qsdr_calloc(1, sizeof *s);
    if (!s) return qsdr_error(QSDR_ENOMEM, "out of memory");
    s->ebn0_db = qsdr_ctx_float(ctx, "ebn0_db");
    s->use_esn0 = qsdr_ctx_is_set(ctx, "esn0_db");
    s->esn0_db = s->use_esn0 ? qsdr_ctx_float(ctx, "esn0_db") : 0;
    if (s->use_esn0 && qsdr_ctx_is_set(ctx, "ebn0_db")) {
        /* one given on the command line (or by a sweep) overrides the other from the flowgraph:
           `qsdr ber flowgraphs/x.yml --sweep awgn.esn0_db=...` works on a file that sets ebn0_db */
        const char *we = qsdr_ctx_where(ctx, "ebn0_db"), *ws = qsdr_ctx_where(ctx, "esn0_db");
        bool ce = we && !strncmp(we, "--", 2), cs = ws && !strncmp(ws, "--", 2); /* --set, --sweep */
        if (ce == cs) {
            awgn_destroy(s);
            return qsdr_error(QSDR_EINVAL, "set either 'ebn0_db' (%s) or 'esn0_db' (%s), not both", we ? we : "API", ws ? ws : "API");
        }
        s->use_esn0 = cs;
        static atomic_bool said; /* once per process: a BER sweep builds a flowgraph per unit */
        if (!atomic_exchange(&said, true))
            qsdr_info("%s overrides %s from %s", cs ? ws : we, cs ? "ebn0_db" : "esn0_db", cs ? we : ws);
    }
    s->bps = (double)qsdr_ctx_uint(ctx, "bits_per_symbol");
    s->rate = qsdr_ctx_float(ctx, "code_rate");
    s->rate_auto = s->rate == 0;
    if (s->rate_auto) s->rate = 1; /* until a code_rate tag arrives */
    s->sps = (double)qsdr_ctx_uint(ctx, "sps");
    s->sample_power = qsdr_ctx_float(ctx, "sample_power");
    if (s->sample_power == 0) s->sample_power = 1.0 / s->sps;
    s->id = qsdr_ctx_id(ctx);
    s->ch = qsdr_awgn_create((float)awgn_var(s), qsdr_ctx_uint(ctx, "seed"));
    if (!s->ch) {
        awgn_destroy(s);
        return QSDR_EINVAL;
    }
    s->tag_pending = true;
    *state = s;
    return QSDR_OK;
}

static int awgn_work(void *st, qsdr_work_io *io)
{
    awgn_state *s = st;
    const qsdr_cf32 *x = io->in[0];
    qsdr_cf32 *y = io->out[0];
    size_t done = 0;
    /* the modulators upstream say what they send (mapper, ae_modulator: bits_per_symbol;
       rrc_interp, ae_modulator: samples_per_symbol; ae_modulator: sample_power): a parameter
       that disagrees would make the Eb/N0 accounting silently wrong */
    static const struct {
        const char *tag, *param;
        size_t off;
    } geom[] = {{"bits_per_symbol", "bits_per_symbol", offsetof(awgn_state, bps)},
                {"samples_per_symbol", "sps", offsetof(awgn_state, sps)},
                {"sample_power", "sample_power", offsetof(awgn_state, sample_power)}};
    for (size_t t = 0; t < io->n_tags; t++)
        for (size_t k = 0; k < QSDR_N(geom); k++) {
            double v, mine = *(const double *)((const char *)s + geom[k].off);
            if (!qsdr_blk_tag_number(&io->tags[t], geom[k].tag, &v) || fabs(v - mine) <= 1e-6 * fabs(mine)) continue;
            return qsdr_error(QSDR_EINVAL, "parameter '%s' is %g, but the stream carries %g (tag '%s' from the block upstream, "
                              "item %llu): Eb/N0 or Es/N0 would be off by %.2f dB. Set %s: %g%s",
                              geom[k].param, mine, v, geom[k].tag, (unsigned long long)io->tags[t].offset, fabs(10 * log10(v / mine)),
                              geom[k].param, v, k == 0 ? " (ae_onebit.yml: --set m=...; b3_turbo_rrc_onebit.yml: --set bps=...)" : "");
        }
    /* an explicit code_rate against the encoder's exact one: a clear mismatch is an error, a
       nominal rate (1/3 for the LTE turbo code's K/(3K+12)) a warning, once */
    for (size_t t = 0; t < io->n_tags && !s->rate_auto; t++) {
        double v;
        if (!qsdr_blk_tag_number(&io->tags[t], "code_rate", &v) || !(v > 0) || fabs(v - s->rate) <= 1e-9 * v) continue;
        double db = fabs(10 * log10(v / s->rate));
        if (fabs(v - s->rate) > 0.01 * v)
            return qsdr_error(QSDR_EINVAL, "parameter 'code_rate' is %g, but the encoder upstream tags its rate %.6g (item %llu): Eb/N0 "
                              "would be off by %.2f dB. Set code_rate: 0 to follow the encoder's exact rate", s->rate, v,
                              (unsigned long long)io->tags[t].offset, db);
        static atomic_bool said;
        if (!atomic_exchange(&said, true))
            qsdr_warn("code_rate %g is nominal: the encoder's exact rate is %.6g (Eb/N0 differs by %.3f dB); code_rate: 0 follows it",
                      s->rate, v, db);
    }
    if (!s->power_checked) {
        size_t n = io->n_in < AWGN_POWER_N - s->pn ? io->n_in : (size_t)(AWGN_POWER_N - s->pn);
        for (size_t i = 0; i < n; i++) s->psum += (double)x[i].re * x[i].re + (double)x[i].im * x[i].im;
        s->pn += n;
        if (s->pn >= AWGN_POWER_N) power_check(s);
    }
    /* with code_rate 0 the variance changes exactly at each 'code_rate' tag */
    for (size_t t = 0; t <= io->n_tags; t++) {
        size_t upto = io->n_in;
        if (t < io->n_tags) {
            if (!s->rate_auto || strcmp(io->tags[t].key, "code_rate")) continue;
            upto = (size_t)(io->tags[t].offset - io->in_offset);
        }
        if (upto > done) {
            if (s->tag_pending) {
                qsdr_work_add_tag(io, 0, io->out_offset + done, "noise_var", qsdr_tagv_float(qsdr_awgn_get_noise_var(s->ch)));
                s->tag_pending = false;
            }
            int rc = qsdr_awgn_execute(s->ch, x + done, upto - done, io->in_offset + done, y + done);
            if (rc) return rc;
            done = upto;
        }
        if (t < io->n_tags) {
            double r = io->tags[t].value.f;
            if (!(r > 0 && r <= 1)) return qsdr_error(QSDR_ERANGE, "'code_rate' tag at item %llu holds %g, expected (0, 1]",
                                                      (unsigned long long)io->tags[t].offset, r);
            s->rate = r;
            int rc = qsdr_awgn_set_noise_var(s->ch, (float)awgn_var(s));
            if (rc) return rc;
            s->tag_pending = true;
        }
    }
    return QSDR_OK;
}

static int awgn_set(void *st, const char *name, const char *value)
{
    awgn_state *s = st;
    double v = strtod(value, NULL);
    if (!strcmp(name, "ebn0_db")) {
        s->ebn0_db = v;
        s->use_esn0 = false;
    } else if (!strcmp(name, "esn0_db")) {
        s->esn0_db = v;
        s->use_esn0 = true;
    } else {
        return qsdr_error(QSDR_EINVAL, "parameter '%s' cannot change at run time", name);
    }
    int rc = qsdr_awgn_set_noise_var(s->ch, (float)awgn_var(s));
    s->tag_pending = true;
    return rc;
}

static void awgn_finish(void *st) { power_check(st); }

static void awgn_stats(void *st, qsdr_stats *o)
{
    awgn_state *s = st;
    qsdr_stats_add(o, "noise_var", qsdr_awgn_get_noise_var(s->ch));
    qsdr_stats_add(o, "code_rate", s->rate);
    /* the operating point as used: Es/N0 = Eb/N0 + 10 log10(bits_per_symbol * code_rate) */
    double k = 10 * log10(s->bps * s->rate);
    qsdr_stats_add(o, "ebn0_db", s->use_esn0 ? s->esn0_db - k : s->ebn0_db);
    qsdr_stats_add(o, "esn0_db", s->use_esn0 ? s->esn0_db : s->ebn0_db + k);
}

static const qsdr_param_desc awgn_params[] = {
    {"ebn0_db", QSDR_PARAM_FLOAT, "10", -50, 100, "dB", "Eb/N0 per information bit", QSDR_PARAM_RUNTIME, NULL},
    {"esn0_db", QSDR_PARAM_FLOAT, NULL, -50, 100, "dB", "Es/N0 per symbol, instead of ebn0_db (a --set of either overrides the other one set in the flowgraph file)", QSDR_PARAM_RUNTIME | QSDR_PARAM_OPTIONAL, NULL},
    {"bits_per_symbol", QSDR_PARAM_UINT, "2", 1, 16, "bits", "coded bits per symbol (1 BPSK, 2 QPSK, 4 16-QAM, ...)", 0, NULL},
    {"code_rate", QSDR_PARAM_FLOAT, "1", 0, 1, "", "information bits per coded bit; 0 = take it from the 'code_rate' tag an encoder puts on the stream (an explicit value is checked against that tag)", 0, NULL},
    {"sps", QSDR_PARAM_UINT, "1", 1, 64, "samples", "samples per symbol of the input stream", 0, NULL},
    {"sample_power", QSDR_PARAM_FLOAT, "0", 0, 1e6, "",
     "mean |x|^2 of one input sample; 0 = 1/sps (unit-energy symbols, unit-energy pulse). Es = sample_power*sps", 0, NULL},
    {"seed", QSDR_PARAM_SEED, "0", 1, 0, "", "noise seed (default: derived from the flowgraph seed and the block id)", 0, NULL},
};
static const qsdr_port_desc awgn_in[] = {{"in", QSDR_ITEM_CF32}};
static const qsdr_port_desc awgn_out[] = {{"out", QSDR_ITEM_CF32}};

const qsdr_block_desc qsdr_block_awgn = {
    .abi = QSDR_BLOCK_ABI,
    .name = "awgn",
    .summary = "AWGN channel: N0 = Es/(bits_per_symbol*code_rate)/(Eb/N0), Es = sample_power*sps; tags 'noise_var'; checks bits_per_symbol, sps, sample_power against the modulators' tags",
    .inputs = awgn_in, .n_inputs = 1, .outputs = awgn_out, .n_outputs = 1,
    .params = awgn_params, .n_params = QSDR_N(awgn_params),
    .rate_kind = QSDR_RATE_SYNC, .rate_in = 1, .rate_out = 1,
    .create = awgn_create, .destroy = awgn_destroy, .work = awgn_work, .set_param = awgn_set, .stats = awgn_stats, .finish = awgn_finish,
};
