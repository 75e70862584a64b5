/* SPDX-License-Identifier: MIT */
/* BER simulation engine. Reproducibility on any number of workers: the frames of a point are
 * grouped in work units of a fixed number of frames (set by the frame size alone); unit u of
 * the point with sweep value x runs a fresh flowgraph whose seed is derived from (seed, x, u),
 * on every curve alike (common random numbers: the curves of a second sweep see the same bits
 * and noise, and a point of a curve has the counts of that point run alone). Units
 * are computed in rounds, one per worker, and the stop rules are evaluated on the units in
 * index order: a point ends at the first unit where a rule holds, and units computed beyond it
 * are discarded. The counts therefore never depend on the number of workers. */
#include <inttypes.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "qsdr/flowgraph.h"
#include "qsdr/sim.h"

#define UNIT_MIN_BITS 65536u
#define UNIT_MIN_FRAMES 64u /* a full batch for the SIMD decoders (up to 64 frames in lock-step) */

struct qsdr_ber_sim {
    qsdr_ber_config cfg;
    size_t ncurves;
    qsdr_ber_point *res;
    char meter[128];
    char awgn[128];          /* id of the first awgn block ("" if none) */
    size_t *pt_frame_bits;   /* per (curve, point): a sweep of K changes the frame size */
    uint64_t *pt_fpu;
    bool unit_varies;
    size_t n_sets;
    /* overrides that silence the sinks' end-of-stream output in every unit: a sweep runs the
       flowgraph many times, so "id.print=false", "id.csv=", "id.plot=" for each block that has
       those parameters (probe, spectrum_sink, constellation_sink, plugins alike) */
    char **quiet;
    size_t n_quiet;
    /* ring-buffer memory reused from unit to unit: a fresh mapping per unit had the kernel
       fault in and zero every page again (a third to a half of each unit's time, K = 6144) */
    qsdr_buffer_pool *pool;
};

typedef struct {
    qsdr_ber_sim_t *s;
    size_t curve, point;
    uint64_t unit;
    int rc;
    uint64_t frames, frame_errors, bits, bit_errors;
    double code_rate, bps, ebn0, esn0;
} unit_job;

static uint64_t mix64(uint64_t x)
{
    x += 0x9e3779b97f4a7c15ULL;
    x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
    x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
    return x ^ (x >> 31);
}

const char *qsdr_ber_hint(uint64_t bits, uint64_t bit_errors)
{
    double ber = bits ? (double)bit_errors / (double)bits : 0;
    if (bits < 10000) return NULL;
    if (fabs(ber - 0.5) < 0.01)
        return "as for unrelated streams: the compared bits are probably misaligned (a delay between the ber block's 'in' and "
               "'ref': its parameter skip, or a filter's delay) or the receiver does not match the transmitter";
    if (ber > 0.6) /* no channel does worse than guessing */
        return "more bits wrong than right: they are probably inverted somewhere (an LLR of the opposite sign: qsdr's LLR is "
               "log P(0)/P(1), positive for a 0)";
    return NULL;
}

void qsdr_wilson95(uint64_t k, uint64_t n, double *lo, double *hi)
{
    if (n == 0) {
        *lo = 0;
        *hi = 1;
        return;
    }
    const double z = 1.959963984540054, nn = (double)n, p = (double)k / nn;
    double den = 1 + z * z / nn, c = (p + z * z / (2 * nn)) / den;
    double h = z * sqrt(p * (1 - p) / nn + z * z / (4 * nn * nn)) / den;
    /* at k = 0 (k = n) the bound is exactly 0 (1); the formula leaves a rounding residue (8e-22) */
    *lo = k == 0 || c - h < 0 ? 0 : c - h;
    *hi = k >= n || c + h > 1 ? 1 : c + h;
}

static double cross_rate(const qsdr_ber_point *p, bool fer)
{
    return fer ? (double)p->frame_errors / (double)p->frames : (double)p->bit_errors / (double)p->bits;
}

qsdr_ber_crossing qsdr_ber_cross(const double *x, const qsdr_ber_point *p, size_t n, double target, bool fer)
{
    qsdr_ber_crossing r = {QSDR_BER_CROSS_NO_POINTS, NAN, 0, 0};
    size_t *ix = malloc((n ? n : 1) * sizeof *ix), m = 0;
    if (!ix) return r;
    for (size_t i = 0; i < n; i++) { /* the points with bits, by increasing x (insertion: sweeps are short and mostly sorted) */
        if (!p[i].bits || !p[i].frames || isnan(x[i])) continue;
        size_t j = m++;
        while (j > 0 && x[ix[j - 1]] > x[i]) ix[j] = ix[j - 1], j--;
        ix[j] = i;
    }
    double rate[2];
    for (size_t k = 0; k + 1 < m; k++) {
        size_t a = ix[k], b = ix[k + 1];
        rate[0] = cross_rate(&p[a], fer);
        rate[1] = cross_rate(&p[b], fer);
        if (!(rate[0] >= target && target > rate[1])) continue;
        r.lo = a, r.hi = b;
        if (rate[1] > 0) {
            r.kind = QSDR_BER_CROSS_AT;
            double l0 = log10(rate[0]), l1 = log10(rate[1]);
            r.x = x[a] + (l0 - log10(target)) / (l0 - l1) * (x[b] - x[a]);
        } else
            r.kind = QSDR_BER_CROSS_BETWEEN;
        free(ix);
        return r;
    }
    if (m) {
        double b0 = cross_rate(&p[ix[0]], fer);
        if (b0 < target) {
            r.kind = QSDR_BER_CROSS_BELOW_FIRST;
            r.lo = r.hi = ix[0];
        } else {
            r.kind = QSDR_BER_CROSS_NOT_REACHED;
            size_t best = ix[0];
            for (size_t k = 1; k < m; k++)
                if (cross_rate(&p[ix[k]], fer) < cross_rate(&p[best], fer)) best = ix[k];
            r.lo = r.hi = best;
        }
    }
    free(ix);
    return r;
}

/* Load the flowgraph for (curve, point) with extra overrides; NULL on error (logged). */
static qsdr_flowgraph_t *load_for(qsdr_ber_sim_t *s, size_t curve, size_t point, const char *extra1, const char *extra2)
{
    const qsdr_ber_config *c = &s->cfg;
    const char **ov = calloc(s->n_sets + s->n_quiet + 5, sizeof *ov);
    char xs[256], cs[256], xv[40];
    if (!ov) return NULL;
    size_t n = 0;
    for (size_t i = 0; i < s->n_sets; i++) ov[n++] = c->sets[i];
    snprintf(xs, sizeof xs, "--sweep %s=%s", c->sweep_param, qsdr_fmt_double(xv, sizeof xv, c->x[point]));
    ov[n++] = xs;
    if (c->curve_param) {
        snprintf(cs, sizeof cs, "--sweep %s=%s", c->curve_param, c->curve_values[curve]);
        ov[n++] = cs;
    }
    for (size_t i = 0; i < s->n_quiet; i++) ov[n++] = s->quiet[i];
    if (extra1) ov[n++] = extra1;
    if (extra2) ov[n++] = extra2;
    qsdr_flowgraph_t *fg = NULL;
    int rc = qsdr_flowgraph_load_string(c->text, c->name, ov, &fg);
    free(ov);
    return rc ? NULL : fg;
}

static void *run_unit(void *arg)
{
    unit_job *j = arg;
    qsdr_ber_sim_t *s = j->s;
    char mb[160], mp[160];
    size_t pi = j->curve * s->cfg.nx + j->point;
    uint64_t fpu = s->pt_fpu[pi];
    snprintf(mb, sizeof mb, "%s.max_bits=%" PRIu64, s->meter, fpu * s->pt_frame_bits[pi]);
    snprintf(mp, sizeof mp, "%s.print=false", s->meter);
    qsdr_flowgraph_t *fg = load_for(s, j->curve, j->point, mb, mp);
    if (!fg) {
        j->rc = QSDR_EINVAL;
        return NULL;
    }
    /* the seed depends on the value swept, not its position: any sweep containing this point
       reproduces its counts. Not on the curve: every curve's unit u at x draws the same bits and
       noise, so curves differ by their parameter alone and a point of a curve equals that point
       run with --set (until 2026-11-25 the curve value's text was hashed in; h is the FNV-1a
       basis that hash started from, kept so that sweeps without curves keep their counts) */
    const uint64_t h = 0xcbf29ce484222325ULL;
    uint64_t xb;
    double xv = s->cfg.x[j->point];
    memcpy(&xb, &xv, sizeof xb);
    qsdr_flowgraph_set_seed(fg, mix64(s->cfg.seed ^ mix64(mix64(h) ^ mix64(xb) ^ mix64(j->unit + 0x51ed2701ULL))));
    /* default serial chunk and buffer sizes: the blocks work in cache-sized passes, and a batched
       decoder still gets whole batches through its chunk hint (docs/runtime.md); a unit-sized
       chunk streamed every stage through main memory (1.4x slower, measured) */
    j->rc = qsdr_flowgraph_set_buffer_pool(fg, s->pool);
    if (!j->rc) j->rc = qsdr_flowgraph_end_with(fg, s->meter); /* not with a file_sink on an endless source */
    if (!j->rc) j->rc = qsdr_flowgraph_run(fg, QSDR_SCHED_SERIAL);
    qsdr_stats st;
    if (!j->rc && !qsdr_flowgraph_stats(fg, s->meter, &st)) {
        for (size_t i = 0; i < st.n; i++) {
            if (!strcmp(st.v[i].name, "bits")) j->bits = (uint64_t)st.v[i].value;
            else if (!strcmp(st.v[i].name, "bit_errors")) j->bit_errors = (uint64_t)st.v[i].value;
            else if (!strcmp(st.v[i].name, "frames")) j->frames = (uint64_t)st.v[i].value;
            else if (!strcmp(st.v[i].name, "frame_errors")) j->frame_errors = (uint64_t)st.v[i].value;
        }
        if (j->frames != fpu)
            j->rc = qsdr_error(QSDR_EINTERNAL, "qsdr ber: a unit counted %" PRIu64 " frames instead of %" PRIu64
                               " (did the flowgraph end before the BER meter?)", j->frames, fpu);
    }
    j->code_rate = 1;
    j->bps = 0;
    j->ebn0 = j->esn0 = NAN;
    if (!j->rc && s->awgn[0] && !qsdr_flowgraph_stats(fg, s->awgn, &st)) {
        for (size_t i = 0; i < st.n; i++) {
            if (!strcmp(st.v[i].name, "code_rate")) j->code_rate = st.v[i].value;
            else if (!strcmp(st.v[i].name, "ebn0_db")) j->ebn0 = st.v[i].value;
            else if (!strcmp(st.v[i].name, "esn0_db")) j->esn0 = st.v[i].value;
        }
        char path[200], buf[64];
        snprintf(path, sizeof path, "%s.bits_per_symbol", s->awgn);
        if (!qsdr_flowgraph_get(fg, path, buf, sizeof buf)) j->bps = atof(buf);
    }
    qsdr_flowgraph_destroy(&fg);
    return NULL;
}

qsdr_ber_sim_t *qsdr_ber_sim_create(const qsdr_ber_config *cfg)
{
    if (!cfg->text || !cfg->sweep_param || !cfg->x || cfg->nx == 0)
        return qsdr_error_null(QSDR_EINVAL, "qsdr ber: a flowgraph and a --sweep with at least one value are required");
    if (cfg->threads < 1 || cfg->threads > 1024)
        return qsdr_error_null(QSDR_EINVAL, "qsdr ber: --threads must be in [1, 1024] (got %u)", cfg->threads);
    if (!cfg->min_frame_errors && !cfg->max_frames && !(cfg->max_seconds > 0))
        return qsdr_error_null(QSDR_EINVAL, "qsdr ber: no stop rule: give --min-frame-errors, --max-frames or --max-seconds");
    qsdr_ber_sim_t *s = calloc(1, sizeof *s);
    if (!s) return qsdr_error_null(QSDR_ENOMEM, "qsdr ber: out of memory");
    s->cfg = *cfg;
    s->ncurves = cfg->curve_param ? cfg->ncurves : 1;
    while (cfg->sets && cfg->sets[s->n_sets]) s->n_sets++;
    s->res = calloc(s->ncurves * cfg->nx, sizeof *s->res);
    s->pool = qsdr_buffer_pool_create();
    if (!s->res || !s->pool) {
        qsdr_buffer_pool_destroy(&s->pool);
        free(s->res);
        free(s);
        return qsdr_error_null(QSDR_ENOMEM, "qsdr ber: out of memory");
    }
    /* the quiet overrides, from the flowgraph as loaded (before any block exists: a prepared
       sink would already have created its CSV file) */
    qsdr_flowgraph_t *fg0 = load_for(s, 0, 0, NULL, NULL);
    if (!fg0) {
        qsdr_ber_sim_destroy(&s);
        return NULL;
    }
    if (cfg->seed_from_flowgraph) s->cfg.seed = qsdr_flowgraph_get_seed(fg0);
    size_t nb = qsdr_flowgraph_block_count(fg0);
    size_t nparams = 0; /* at most one override per parameter */
    for (size_t i = 0; i < nb; i++) {
        const char *type = qsdr_flowgraph_block_type(fg0, i);
        const qsdr_block_desc *d = qsdr_registry_find(type);
        nparams += d ? d->n_params : 0;
        /* a ZeroMQ endpoint cannot be bound, nor a live stream replayed, by units running in
           parallel ("Address already in use", then a stalled unit) */
        if (!strncmp(type, "zmq_", 4)) {
            qsdr_error(QSDR_EINVAL, "%s: block '%s' (%s) streams over ZeroMQ, but a sweep runs the flowgraph once per "
                       "unit of frames, several at a time; run it with qsdr run (a ber block counts its errors), or sweep a "
                       "flowgraph without it", cfg->name, qsdr_flowgraph_block_id(fg0, i), type);
            qsdr_flowgraph_destroy(&fg0);
            qsdr_ber_sim_destroy(&s);
            return NULL;
        }
    }
    bool oom = !(s->quiet = calloc(nparams + 1, sizeof *s->quiet));
    for (size_t i = 0; i < nb && !oom; i++) {
        const qsdr_block_desc *d = qsdr_registry_find(qsdr_flowgraph_block_type(fg0, i));
        const char *id = qsdr_flowgraph_block_id(fg0, i);
        for (size_t k = 0; d && k < d->n_params && !oom; k++) {
            const char *pn = d->params[k].name;
            /* a summary, and every file a block writes: the units of frames run in parallel and
               would overwrite each other's (CSVs and plots off, a file_sink's path /dev/null) */
            bool writes = d->params[k].flags & QSDR_PARAM_WRITES_FILE;
            if (strcmp(pn, "print") && !writes) continue;
            const char *val = !writes ? "false" : (!strcmp(pn, "csv") || !strcmp(pn, "plot")) ? "" : "/dev/null";
            size_t len = strlen(id) + strlen(pn) + strlen(val) + 8;
            char *o = malloc(len);
            if (!(oom = !o)) snprintf(o, len, "%s.%s=%s", id, pn, val);
            s->quiet[s->n_quiet++] = o;
        }
    }
    if (oom) {
        qsdr_flowgraph_destroy(&fg0);
        qsdr_ber_sim_destroy(&s);
        return qsdr_error_null(QSDR_ENOMEM, "qsdr ber: out of memory");
    }
    qsdr_flowgraph_destroy(&fg0);
    /* validate every curve value and the first and last sweep values; find the meter */
    for (size_t c = 0; c < s->ncurves; c++)
        for (size_t p = 0; p < cfg->nx; p += (cfg->nx > 1 ? cfg->nx - 1 : 1)) {
            qsdr_flowgraph_t *fg = load_for(s, c, p, NULL, NULL);
            if (!fg || qsdr_flowgraph_prepare(fg)) {
                qsdr_flowgraph_destroy(&fg);
                qsdr_ber_sim_destroy(&s);
                return NULL;
            }
            size_t nmeter = 0;
            for (size_t i = 0; i < qsdr_flowgraph_block_count(fg); i++) {
                const char *t = qsdr_flowgraph_block_type(fg, i);
                if (!strcmp(t, "ber")) {
                    nmeter++;
                    snprintf(s->meter, sizeof s->meter, "%s", qsdr_flowgraph_block_id(fg, i));
                }
                if (!strcmp(t, "awgn") && !s->awgn[0]) snprintf(s->awgn, sizeof s->awgn, "%s", qsdr_flowgraph_block_id(fg, i));
            }
            if (nmeter != 1) {
                qsdr_flowgraph_destroy(&fg);
                qsdr_ber_sim_destroy(&s);
                return qsdr_error_null(QSDR_EINVAL, "%s: qsdr ber needs exactly one 'ber' block (the flowgraph has %zu)", cfg->name, nmeter);
            }
            /* an Eb/N0 (Es/N0) axis must be what the channel uses: an esn0_db (ebn0_db) given on
               the command line overrides it, and the curve would be flat under a moving label */
            const char *axis = strstr(cfg->sweep_param, "ebn0") ? "ebn0_db" : strstr(cfg->sweep_param, "esn0") ? "esn0_db" : NULL;
            qsdr_stats st;
            if (axis && s->awgn[0] && !qsdr_flowgraph_stats(fg, s->awgn, &st))
                for (size_t i = 0; i < st.n; i++)
                    if (!strcmp(st.v[i].name, axis) && fabs(st.v[i].value - cfg->x[p]) > 1e-9 * fmax(1, fabs(cfg->x[p]))) {
                        qsdr_error(QSDR_EINVAL, "%s: the sweep sets %s = %g, but the channel '%s' uses %s = %g (does another --set "
                                   "override it, such as awgn.esn0_db or awgn.ebn0_db?)",
                                   cfg->name, cfg->sweep_param, cfg->x[p], s->awgn, axis, st.v[i].value);
                        qsdr_flowgraph_destroy(&fg);
                        qsdr_ber_sim_destroy(&s);
                        return NULL;
                    }
            qsdr_flowgraph_destroy(&fg);
        }
    /* each point's unit: at least 64 frames and 2^16 bits of its own frame size (a flowgraph
       variable such as K may be swept); loading without preparing is cheap */
    size_t np = s->ncurves * cfg->nx;
    s->pt_frame_bits = calloc(np, sizeof *s->pt_frame_bits);
    s->pt_fpu = calloc(np, sizeof *s->pt_fpu);
    if (!s->pt_frame_bits || !s->pt_fpu) {
        qsdr_ber_sim_destroy(&s);
        return qsdr_error_null(QSDR_ENOMEM, "qsdr ber: out of memory");
    }
    for (size_t c = 0; c < s->ncurves; c++)
        for (size_t p = 0; p < cfg->nx; p++) {
            qsdr_flowgraph_t *fg = load_for(s, c, p, NULL, NULL);
            char path[200], buf[64] = "";
            snprintf(path, sizeof path, "%s.frame_size", s->meter);
            if (!fg || qsdr_flowgraph_get(fg, path, buf, sizeof buf) || strtoull(buf, NULL, 10) == 0) {
                qsdr_flowgraph_destroy(&fg);
                qsdr_ber_sim_destroy(&s);
                return qsdr_error_null(QSDR_EINVAL, "%s: qsdr ber: cannot read %s for point %zu of curve %zu", cfg->name, path, p, c);
            }
            qsdr_flowgraph_destroy(&fg);
            size_t fb = (size_t)strtoull(buf, NULL, 10), i = c * cfg->nx + p;
            uint64_t fpu = (UNIT_MIN_BITS + fb - 1) / fb;
            s->pt_frame_bits[i] = fb;
            s->pt_fpu[i] = fpu < UNIT_MIN_FRAMES ? UNIT_MIN_FRAMES : fpu;
            if (i && (fb != s->pt_frame_bits[0] || s->pt_fpu[i] != s->pt_fpu[0])) s->unit_varies = true;
        }
    return s;
}

void qsdr_ber_sim_destroy(qsdr_ber_sim_t **sp)
{
    if (!sp || !*sp) return;
    free((*sp)->res);
    free((*sp)->pt_frame_bits);
    free((*sp)->pt_fpu);
    qsdr_buffer_pool_destroy(&(*sp)->pool);
    for (size_t i = 0; i < (*sp)->n_quiet; i++) free((*sp)->quiet[i]);
    free((*sp)->quiet);
    free(*sp);
    *sp = NULL;
}

void qsdr_ber_sim_print_config(qsdr_ber_sim_t *s, FILE *f)
{
    qsdr_flowgraph_t *fg = load_for(s, 0, 0, NULL, NULL);
    if (!fg) return;
    qsdr_flowgraph_set_seed(fg, s->cfg.seed);
    qsdr_flowgraph_print_config(fg, f);
    qsdr_flowgraph_destroy(&fg);
}

uint64_t qsdr_ber_sim_frames_per_unit(const qsdr_ber_sim_t *s) { return s->pt_fpu[0]; }
bool qsdr_ber_sim_unit_varies(const qsdr_ber_sim_t *s) { return s->unit_varies; }
uint64_t qsdr_ber_sim_point_unit(const qsdr_ber_sim_t *s, size_t curve, size_t point, size_t *frame_bits)
{
    size_t i = curve * s->cfg.nx + point;
    if (curve >= s->ncurves || point >= s->cfg.nx) return 0;
    if (frame_bits) *frame_bits = s->pt_frame_bits[i];
    return s->pt_fpu[i];
}
uint64_t qsdr_ber_sim_seed(const qsdr_ber_sim_t *s) { return s->cfg.seed; }

const char *qsdr_ber_sim_meter(const qsdr_ber_sim_t *s, size_t *frame_bits)
{
    if (frame_bits) *frame_bits = s->pt_frame_bits[0];
    return s->meter;
}
qsdr_ber_point *qsdr_ber_sim_results(qsdr_ber_sim_t *s) { return s->res; }

int qsdr_ber_sim_preload(qsdr_ber_sim_t *s, size_t curve, size_t point, const qsdr_ber_point *saved)
{
    if (curve >= s->ncurves || point >= s->cfg.nx) return qsdr_error(QSDR_ERANGE, "qsdr ber: resume: point out of range");
    qsdr_ber_point *r = &s->res[curve * s->cfg.nx + point];
    *r = *saved;
    r->done = false; /* re-evaluated against the current stop rules */
    return QSDR_OK;
}

/* Does a stop rule hold for the counts so far? */
static const char *stop_rule(const qsdr_ber_config *c, const qsdr_ber_point *r)
{
    if (c->min_frame_errors && r->frame_errors >= c->min_frame_errors) return "frame errors";
    if (c->max_frames && r->frames >= c->max_frames) return "max frames";
    return NULL;
}

/* Per unit, the numbers exchanged between ranks. */
enum { U_FRAMES, U_FE, U_BITS, U_BE, U_RC, U_RATE, U_BPS, U_EBN0, U_ESN0, U_N };
/* Per rank: elapsed seconds and the interrupt flag, then U_N numbers per unit. */
enum { R_SECONDS, R_INTR, R_HDR };

static int run_point(qsdr_ber_sim_t *s, size_t curve, size_t point)
{
    const qsdr_ber_config *c = &s->cfg;
    qsdr_ber_point *r = &s->res[curve * c->nx + point];
    const char *why = stop_rule(c, r);
    if (why) {
        r->done = true;
        r->stop = why;
        return QSDR_OK;
    }
    const unsigned T = c->threads;
    const int P = c->nranks > 1 ? c->nranks : 1, me = P > 1 ? c->rank : 0;
    const size_t per_rank = R_HDR + (size_t)U_N * T;
    unit_job *jobs = calloc(T, sizeof *jobs);
    pthread_t *th = calloc(T, sizeof *th);
    bool *started = calloc(T, sizeof *started);
    double *mine = calloc(per_rank, sizeof *mine), *all = calloc(per_rank * (size_t)P, sizeof *all);
    int rc = QSDR_OK;
    if (!jobs || !th || !started || !mine || !all) rc = qsdr_error(QSDR_ENOMEM, "qsdr ber: out of memory");
    if (!rc && P > 1 && !c->allgather) rc = qsdr_error(QSDR_EINVAL, "qsdr ber: several ranks need an allgather function");
    double t_prev = r->seconds, t0 = qsdr_now();
    while (!rc && !r->done) {
        /* units per process this round: T, or fewer when --max-frames leaves fewer to run over
           all ranks (units past the stop are discarded anyway: the counts do not change, the
           wasted flowgraphs do). The same on every rank: it depends on the shared counts only. */
        unsigned Tr = T;
        if (c->max_frames && c->max_frames > r->frames) {
            uint64_t fpu = s->pt_fpu[curve * c->nx + point];
            uint64_t left = (c->max_frames - r->frames + fpu - 1) / fpu;
            uint64_t per = (left + (uint64_t)P - 1) / (uint64_t)P;
            if (per < Tr) Tr = (unsigned)per;
        }
        /* this process's share of the round: units base + me*Tr .. base + me*Tr + Tr - 1 */
        uint64_t base = r->units + (uint64_t)me * Tr;
        /* a thread that cannot be started (EAGAIN: a process or memory limit) runs its unit here
           instead: the counts depend on the unit numbers only, never on which thread ran them */
        for (unsigned t = 0; t < Tr; t++) {
            jobs[t] = (unit_job){.s = s, .curve = curve, .point = point, .unit = base + t};
            started[t] = Tr > 1 && qsdr_thread_create(&th[t], run_unit, &jobs[t]) == 0;
            if (!started[t]) run_unit(&jobs[t]);
        }
        for (unsigned t = 0; t < Tr; t++)
            if (started[t]) pthread_join(th[t], NULL);
        mine[R_SECONDS] = t_prev + (qsdr_now() - t0);
        mine[R_INTR] = c->interrupt && *c->interrupt;
        for (unsigned t = 0; t < Tr; t++) {
            double *u = mine + R_HDR + (size_t)U_N * t;
            u[U_FRAMES] = (double)jobs[t].frames;
            u[U_FE] = (double)jobs[t].frame_errors;
            u[U_BITS] = (double)jobs[t].bits;
            u[U_BE] = (double)jobs[t].bit_errors;
            u[U_RC] = jobs[t].rc;
            u[U_RATE] = jobs[t].code_rate;
            u[U_BPS] = jobs[t].bps;
            u[U_EBN0] = jobs[t].ebn0;
            u[U_ESN0] = jobs[t].esn0;
        }
        if (P > 1) {
            if ((rc = c->allgather(c->user, mine, per_rank, all))) break;
        } else {
            memcpy(all, mine, per_rank * sizeof *all);
        }
        /* every rank walks the round's units in global order: the same decisions everywhere */
        double seconds = 0;
        bool intr = false;
        for (int p = 0; p < P && !r->done && !rc; p++) {
            const double *h = all + (size_t)p * per_rank;
            if (h[R_SECONDS] > seconds) seconds = h[R_SECONDS];
            intr |= h[R_INTR] != 0;
            for (unsigned t = 0; t < Tr && !r->done; t++) {
                const double *u = h + R_HDR + (size_t)U_N * t;
                if (u[U_RC] != 0) {
                    rc = (int)u[U_RC];
                    break;
                }
                r->units++;
                r->frames += (uint64_t)u[U_FRAMES];
                r->frame_errors += (uint64_t)u[U_FE];
                r->bits += (uint64_t)u[U_BITS];
                r->bit_errors += (uint64_t)u[U_BE];
                r->code_rate = u[U_RATE];
                r->bits_per_symbol = u[U_BPS];
                r->ebn0_db = u[U_EBN0];
                r->esn0_db = u[U_ESN0];
                why = stop_rule(c, r);
                if (why) {
                    r->done = true;
                    r->stop = why;
                }
            }
        }
        for (int p = 0; p < P; p++) /* elapsed and interrupt over all ranks, even after a stop */
            if (all[(size_t)p * per_rank + R_SECONDS] > seconds) seconds = all[(size_t)p * per_rank + R_SECONDS];
        r->seconds = seconds;
        if (rc) break;
        if (!r->done && c->max_seconds > 0 && r->seconds >= c->max_seconds) {
            r->done = true;
            r->stop = "max seconds";
        }
        if (c->progress) c->progress(c->user, curve, point, r);
        if (!r->done && intr) {
            r->stop = "interrupted";
            rc = QSDR_EINTR;
        }
    }
    free(jobs);
    free(th);
    free(started);
    free(mine);
    free(all);
    return rc;
}

int qsdr_ber_sim_run(qsdr_ber_sim_t *s)
{
    const qsdr_ber_config *c = &s->cfg;
    for (size_t cu = 0; cu < s->ncurves; cu++) {
        for (size_t p = 0; p < c->nx; p++) {
            int rc = run_point(s, cu, p);
            qsdr_ber_point *r = &s->res[cu * c->nx + p];
            if (rc == QSDR_EINTR && c->point_done && r->frames) c->point_done(c->user, cu, p, r); /* the partial counts */
            if (rc) return rc;
            if (c->point_done) c->point_done(c->user, cu, p, r);
            if (c->ber_floor > 0 && r->bits && (double)r->bit_errors / (double)r->bits < c->ber_floor) break;
        }
    }
    return QSDR_OK;
}
