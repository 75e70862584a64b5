/* SPDX-License-Identifier: MIT */
/* `qsdr ber`: BER/FER curves from the shell (AFF3CT / bertool style) on top of lib/sim. */
#define _GNU_SOURCE
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cjson/cJSON.h>
#ifdef QSDR_HAVE_MPI
#include <mpi.h>
#endif

#include "cli_util.h"
#include "qsdr/qsdr.h"

#define EXIT_BAD 2
#define MAX_X 10000

typedef struct {
    char *param;
    double x[MAX_X];
    size_t nx;
    char **words; /* list form, as text */
    size_t nwords;
    char *spec;
} sweep_t;

typedef struct {
    const char *flowgraph;
    const char **sets;
    size_t nsets;
    sweep_t sw, cv;
    bool have_cv;
    uint64_t seed;
    unsigned threads;
    uint64_t min_fe, max_frames;
    double max_seconds, ber_floor;
    const char *csv, *json, *plot, *resume;
    const char **refs;
    size_t nrefs;
    struct {
        double v;
        bool fer; /* --at-fer (else --at-ber) */
    } at[8];
    size_t n_at;
    qsdr_ber_crossing *cross; /* after the run: [target][curve] */
    bool quiet, tty;
    int rank, nranks;
    qsdr_ber_sim_t *sim;
    double t0;
    size_t npoints_total, npoints_done;
} ber_cli;


#ifdef QSDR_HAVE_MPI
static int mpi_allgather(void *user, const double *mine, size_t n, double *all)
{
    (void)user;
    int rc = MPI_Allgather(mine, (int)n, MPI_DOUBLE, all, (int)n, MPI_DOUBLE, MPI_COMM_WORLD);
    return rc == MPI_SUCCESS ? QSDR_OK : qsdr_error(QSDR_EEXT, "qsdr ber: MPI_Allgather failed (code %d)", rc);
}
#endif

/* Launched by mpirun? (OpenMPI / PMIx / MPICH environment variables) */
static bool under_mpirun(void)
{
    return getenv("OMPI_COMM_WORLD_SIZE") || getenv("PMIX_RANK") || getenv("PMI_SIZE");
}
/* "name=start:step:stop" or "name=v1,v2,...". Errors are printed; returns 0 on success. */
static int parse_sweep(const char *spec, sweep_t *s, bool numeric)
{
    const char *eq = strchr(spec, '=');
    s->spec = strdup(spec);
    if (!eq || eq == spec || !eq[1]) {
        fprintf(stderr, "qsdr ber: --sweep '%s': expected NAME=START:STEP:STOP or NAME=V1,V2,... (e.g. awgn.ebn0_db=0:0.5:4)\n", spec);
        return -1;
    }
    s->param = strndup(spec, (size_t)(eq - spec));
    const char *v = eq + 1;
    if (strchr(v, ':')) {
        char *end;
        double a = strtod(v, &end), st, b;
        if (*end != ':') goto bad;
        st = strtod(end + 1, &end);
        if (*end != ':') goto bad;
        b = strtod(end + 1, &end);
        while (isspace((unsigned char)*end)) end++; /* "0:1:4 " as "0:1:4" (strtod skips leading space) */
        if (*end || !isfinite(a) || !isfinite(st) || !isfinite(b)) goto bad;
        if (st == 0 || (b - a) / st < -1e-9) {
            fprintf(stderr, "qsdr ber: --sweep '%s': the step %g cannot go from %g to %g\n", spec, st, a, b);
            return -1;
        }
        double n = floor((b - a) / st + 1e-9) + 1;
        if (n > MAX_X) {
            fprintf(stderr, "qsdr ber: --sweep '%s': %.3g points, at most %d\n", spec, n, MAX_X);
            return -1;
        }
        /* a + i * step picks up rounding (0 + 3 x 0.1 = 0.30000000000000004), and the seed of a
           point derives from its value's bits: each point is snapped to the double of its 15-digit
           decimal, the number a user types, so that --sweep X=0.3 reproduces the point 0.3 of
           X=0:0.1:1. Raw values are kept if snapping would merge or reorder points. */
        bool snap = true;
        for (size_t i = 0; i < (size_t)n; i++) {
            double raw = a + (double)i * st;
            char t[40];
            snprintf(t, sizeof t, "%.15g", raw);
            s->x[s->nx + i] = strtod(t, NULL);
            if (i && !(st > 0 ? s->x[s->nx + i] > s->x[s->nx + i - 1] : s->x[s->nx + i] < s->x[s->nx + i - 1])) snap = false;
        }
        for (size_t i = 0; i < (size_t)n && !snap; i++) s->x[s->nx + i] = a + (double)i * st;
        s->nx += (size_t)n;
        return 0;
    }
    /* list */
    char *copy = strdup(v), *save = NULL;
    s->words = calloc(MAX_X, sizeof *s->words);
    if (!copy || !s->words) {
        fprintf(stderr, "qsdr ber: --sweep '%.60s': out of memory\n", spec);
        free(copy);
        return -1;
    }
    for (char *w = strtok_r(copy, ",", &save); w; w = strtok_r(NULL, ",", &save)) {
        while (isspace((unsigned char)*w)) w++; /* "1, 2 ,3" as "1,2,3" */
        for (size_t k = strlen(w); k && isspace((unsigned char)w[k - 1]); k--) w[k - 1] = 0;
        if (s->nwords == MAX_X) {
            fprintf(stderr, "qsdr ber: --sweep '%.60s...': more than %d values\n", spec, MAX_X);
            free(copy);
            return -1;
        }
        char *end;
        double x = strtod(w, &end);
        if (numeric && (end == w || *end || !isfinite(x))) {
            fprintf(stderr, "qsdr ber: --sweep '%s': '%s' is not a finite number\n", spec, w);
            free(copy);
            return -1;
        }
        /* a value given twice would be simulated twice, to the same counts: surely a typo */
        for (size_t j = 0; j < s->nwords; j++)
            if (numeric ? s->x[j] == x : !strcmp(s->words[j], w)) {
                fprintf(stderr, "qsdr ber: --sweep '%s': the value '%s' is given twice (as '%s')\n", spec, w, s->words[j]);
                free(copy);
                return -1;
            }
        if (!(s->words[s->nwords] = strdup(w))) {
            fprintf(stderr, "qsdr ber: --sweep '%.60s': out of memory\n", spec);
            free(copy);
            return -1;
        }
        s->nwords++;
        s->x[s->nx++] = numeric ? x : (double)s->nwords;
    }
    free(copy);
    if (!s->nx) goto bad;
    return 0;
bad:
    fprintf(stderr, "qsdr ber: --sweep '%s': expected NAME=START:STEP:STOP or NAME=V1,V2,... with numbers\n", spec);
    return -1;
}

/* The operating point of a row: from the sweep value when Eb/N0 is swept, else as the awgn
 * block reported it (an Es/N0 sweep, or Eb/N0 fixed while iterations or bit-widths are swept). */
static bool sweeps(const ber_cli *c, const char *what) { return strstr(c->sw.param, what) != NULL; } /* "ebn0", "esn0" */

static double esn0_of(const ber_cli *c, double x, const qsdr_ber_point *p)
{
    if (!sweeps(c, "ebn0")) return p->esn0_db;
    if (p->bits_per_symbol <= 0) return NAN;
    return x + 10 * log10(p->bits_per_symbol * p->code_rate);
}

static double ebn0_of(const ber_cli *c, double x, const qsdr_ber_point *p) { return sweeps(c, "ebn0") ? x : p->ebn0_db; }

static const char *curve_label(const ber_cli *c, size_t cu)
{
    static char buf[256];
    if (!c->have_cv) return "-";
    snprintf(buf, sizeof buf, "%s=%s", c->cv.param, c->cv.words[cu]);
    return buf;
}

static void print_row(FILE *f, const ber_cli *c, size_t cu, size_t p, const qsdr_ber_point *r)
{
    double ber = r->bits ? (double)r->bit_errors / (double)r->bits : 0, fer = r->frames ? (double)r->frame_errors / (double)r->frames : 0;
    double lo, hi;
    qsdr_wilson95(r->bit_errors, r->bits, &lo, &hi);
    /* the operating point in the columns the x axis is not: Eb/N0 and Es/N0, or the other one */
    double op[2] = {ebn0_of(c, c->sw.x[p], r), esn0_of(c, c->sw.x[p], r)};
    char cols[2][32] = {"", ""}, opt[80] = "";
    for (int k = 0; k < 2; k++)
        if (!sweeps(c, k ? "esn0" : "ebn0")) {
            if (isfinite(op[k])) snprintf(cols[k], sizeof cols[k], " %8.3f", op[k]);
            else snprintf(cols[k], sizeof cols[k], " %8s", "-");
        }
    snprintf(opt, sizeof opt, "%s%s", cols[0], cols[1]);
    fprintf(f, "%-14s %9.4g%s %10" PRIu64 " %11" PRIu64 " %9" PRIu64 " %11.4e %11.4e  [%.3e, %.3e] %9.2f %8.2f  %s\n", curve_label(c, cu),
            c->sw.x[p], opt, r->frames, r->bit_errors, r->frame_errors, ber, fer, lo, hi,
            r->seconds > 0 ? (double)r->bits / r->seconds / 1e6 : 0, r->seconds, r->done ? r->stop : "interrupted");
    fflush(f);
}

static void on_progress(void *user, size_t cu, size_t p, const qsdr_ber_point *r)
{
    ber_cli *c = user;
    if (!c->tty) return;
    double el = qsdr_now() - c->t0;
    double frac = 0;
    if (c->min_fe) frac = (double)r->frame_errors / (double)c->min_fe;
    if (c->max_frames) frac = fmax(frac, (double)r->frames / (double)c->max_frames);
    if (c->max_seconds > 0) frac = fmax(frac, r->seconds / c->max_seconds);
    frac = fmin(frac, 1);
    double point_eta = cli_eta(r->seconds, frac);
    char line[300];
    snprintf(line, sizeof line, "  point %zu/%zu %.100s=%g  frames %" PRIu64 "  frame errors %" PRIu64 "  %.2f Mbit/s  elapsed %.0f s  point ETA %s%.0f s",
             c->npoints_done + 1, c->npoints_total, c->sw.param, c->sw.x[p], r->frames, r->frame_errors,
             r->seconds > 0 ? (double)r->bits / r->seconds / 1e6 : 0, el, point_eta < 0 ? "?" : "", point_eta < 0 ? 0 : point_eta);
    (void)cu;
    qsdr_status_line(line);
}

static void on_point(void *user, size_t cu, size_t p, const qsdr_ber_point *r)
{
    ber_cli *c = user;
    if (c->tty) qsdr_status_line(NULL);
    print_row(stdout, c, cu, p, r);
    c->npoints_done++;
}

static int write_csv(const ber_cli *c)
{
    FILE *f = fopen(c->csv, "w");
    if (!f) return fprintf(stderr, "qsdr ber: cannot write '%s': %s\n", c->csv, strerror(errno)), -1;
    fprintf(f, "curve,param,x,ebn0_db,esn0_db,frames,bits,bit_errors,frame_errors,ber,fer,ber_lo95,ber_hi95,fer_lo95,fer_hi95,mbps,seconds,stop,curve_param\n");
    const qsdr_ber_point *res = qsdr_ber_sim_results(c->sim);
    size_t ncur = c->have_cv ? c->cv.nx : 1;
    for (size_t cu = 0; cu < ncur; cu++)
        for (size_t p = 0; p < c->sw.nx; p++) {
            const qsdr_ber_point *r = &res[cu * c->sw.nx + p];
            if (!r->frames) continue;
            double bl, bh, fl, fh;
            qsdr_wilson95(r->bit_errors, r->bits, &bl, &bh);
            qsdr_wilson95(r->frame_errors, r->frames, &fl, &fh);
            char eb[32] = "", es[32] = ""; /* empty where there is no awgn block */
            double ebv = ebn0_of(c, c->sw.x[p], r), esv = esn0_of(c, c->sw.x[p], r);
            if (isfinite(ebv)) snprintf(eb, sizeof eb, "%.10g", ebv);
            if (isfinite(esv)) snprintf(es, sizeof es, "%.10g", esv);
            fprintf(f, "%s,%s,%.10g,%s,%s,%" PRIu64 ",%" PRIu64 ",%" PRIu64 ",%" PRIu64 ",%.6e,%.6e,%.6e,%.6e,%.6e,%.6e,%.4f,%.3f,%s,%s\n",
                    c->have_cv ? c->cv.words[cu] : "", c->sw.param, c->sw.x[p], eb, es, r->frames, r->bits,
                    r->bit_errors, r->frame_errors, (double)r->bit_errors / (double)r->bits, (double)r->frame_errors / (double)r->frames, bl,
                    bh, fl, fh, r->seconds > 0 ? (double)r->bits / r->seconds / 1e6 : 0, r->seconds, r->done ? r->stop : "interrupted", c->have_cv ? c->cv.param : "");
        }
    fclose(f);
    return 0;
}

static int write_json(const ber_cli *c)
{
    cJSON *root = cJSON_CreateObject();
    cJSON_AddStringToObject(root, "qsdr", QSDR_VERSION_STRING);
    cJSON_AddStringToObject(root, "flowgraph", c->flowgraph);
    cJSON *sets = cJSON_AddArrayToObject(root, "sets");
    for (size_t i = 0; i < c->nsets; i++) cJSON_AddItemToArray(sets, cJSON_CreateString(c->sets[i]));
    cJSON_AddStringToObject(root, "sweep", c->sw.spec);
    cJSON_AddStringToObject(root, "curves", c->have_cv ? c->cv.spec : "");
    char seed[32];
    snprintf(seed, sizeof seed, "%" PRIu64, c->seed);
    cJSON_AddStringToObject(root, "seed", seed);
    cJSON_AddNumberToObject(root, "seed_scheme", 2); /* 2: curves share their units' seeds (docs/ber.md) */
    cJSON_AddNumberToObject(root, "threads", c->threads);
    cJSON_AddNumberToObject(root, "mpi_ranks", c->nranks > 1 ? c->nranks : 1);
    cJSON_AddNumberToObject(root, "frames_per_unit", (double)qsdr_ber_sim_frames_per_unit(c->sim));
    cJSON *rules = cJSON_AddObjectToObject(root, "stop_rules");
    cJSON_AddNumberToObject(rules, "min_frame_errors", (double)c->min_fe);
    cJSON_AddNumberToObject(rules, "max_frames", (double)c->max_frames);
    cJSON_AddNumberToObject(rules, "max_seconds", c->max_seconds);
    cJSON_AddNumberToObject(rules, "ber_floor", c->ber_floor);
    if (c->cross) {
        static const char *const kinds[] = {"interpolated", "between", "below_first_point", "not_reached", "no_points"};
        cJSON *arr[2] = {NULL, NULL}; /* at_ber, at_fer */
        size_t ncur = c->have_cv ? c->cv.nx : 1;
        for (size_t i = 0; i < c->n_at * ncur; i++) {
            const qsdr_ber_crossing *x = &c->cross[i];
            bool fer = c->at[i / ncur].fer;
            if (!arr[fer]) arr[fer] = cJSON_AddArrayToObject(root, fer ? "at_fer" : "at_ber");
            cJSON *o = cJSON_CreateObject();
            cJSON_AddNumberToObject(o, fer ? "target_fer" : "target_ber", c->at[i / ncur].v);
            cJSON_AddStringToObject(o, "curve", c->have_cv ? c->cv.words[i % ncur] : "");
            cJSON_AddStringToObject(o, "result", kinds[x->kind]);
            if (x->kind == QSDR_BER_CROSS_AT) cJSON_AddNumberToObject(o, "x", x->x);
            else cJSON_AddNullToObject(o, "x");
            if (x->kind != QSDR_BER_CROSS_NO_POINTS) {
                cJSON_AddNumberToObject(o, "x_lo", c->sw.x[x->lo]);
                cJSON_AddNumberToObject(o, "x_hi", c->sw.x[x->hi]);
            }
            cJSON_AddItemToArray(arr[fer], o);
        }
    }
    cJSON *pts = cJSON_AddArrayToObject(root, "points");
    const qsdr_ber_point *res = qsdr_ber_sim_results(c->sim);
    size_t ncur = c->have_cv ? c->cv.nx : 1;
    for (size_t cu = 0; cu < ncur; cu++)
        for (size_t p = 0; p < c->sw.nx; p++) {
            const qsdr_ber_point *r = &res[cu * c->sw.nx + p];
            if (!r->frames) continue;
            cJSON *o = cJSON_CreateObject();
            cJSON_AddNumberToObject(o, "curve_index", (double)cu);
            cJSON_AddStringToObject(o, "curve", c->have_cv ? c->cv.words[cu] : "");
            cJSON_AddNumberToObject(o, "point_index", (double)p);
            cJSON_AddNumberToObject(o, "x", c->sw.x[p]);
            double es = esn0_of(c, c->sw.x[p], r), eb = ebn0_of(c, c->sw.x[p], r);
            if (isfinite(eb)) cJSON_AddNumberToObject(o, "ebn0_db", eb);
            if (isfinite(es)) cJSON_AddNumberToObject(o, "esn0_db", es);
            size_t fb = 0;
            cJSON_AddNumberToObject(o, "frames_per_unit", (double)qsdr_ber_sim_point_unit(c->sim, cu, p, &fb));
            cJSON_AddNumberToObject(o, "frame_bits", (double)fb);
            cJSON_AddNumberToObject(o, "units", (double)r->units);
            cJSON_AddNumberToObject(o, "frames", (double)r->frames);
            cJSON_AddNumberToObject(o, "bits", (double)r->bits);
            cJSON_AddNumberToObject(o, "bit_errors", (double)r->bit_errors);
            cJSON_AddNumberToObject(o, "frame_errors", (double)r->frame_errors);
            cJSON_AddNumberToObject(o, "ber", (double)r->bit_errors / (double)r->bits);
            cJSON_AddNumberToObject(o, "fer", (double)r->frame_errors / (double)r->frames);
            double lo, hi;
            qsdr_wilson95(r->bit_errors, r->bits, &lo, &hi);
            cJSON_AddNumberToObject(o, "ber_lo95", lo);
            cJSON_AddNumberToObject(o, "ber_hi95", hi);
            cJSON_AddNumberToObject(o, "seconds", r->seconds);
            cJSON_AddNumberToObject(o, "code_rate", r->code_rate);
            cJSON_AddNumberToObject(o, "bits_per_symbol", r->bits_per_symbol);
            cJSON_AddStringToObject(o, "stop", r->done ? r->stop : "interrupted");
            cJSON_AddItemToArray(pts, o);
        }
    char *txt = cJSON_Print(root);
    cJSON_Delete(root);
    FILE *f = fopen(c->json, "w");
    if (!f || !txt) {
        free(txt);
        if (f) fclose(f);
        return fprintf(stderr, "qsdr ber: cannot write '%s': %s\n", c->json, strerror(errno)), -1;
    }
    fputs(txt, f);
    fputc('\n', f);
    fclose(f);
    free(txt);
    return 0;
}

static int load_resume(ber_cli *c)
{
    char *txt;
    if (qsdr_read_file(c->resume, 256 << 20, "results JSON file (--resume)", &txt, NULL)) return -1;
    cJSON *root = cJSON_Parse(txt);
    qsdr_free(txt);
    if (!root) return fprintf(stderr, "qsdr ber: --resume '%s': not valid JSON (near '%.20s')\n", c->resume, cJSON_GetErrorPtr()), -1;
    int rc = 0;
    const char *fields[] = {"flowgraph", "sweep", "curves", "seed"};
    char seed[32];
    snprintf(seed, sizeof seed, "%" PRIu64, c->seed);
    const char *mine[] = {c->flowgraph, c->sw.spec, c->have_cv ? c->cv.spec : "", seed};
    for (int i = 0; i < 4 && !rc; i++) {
        cJSON *v = cJSON_GetObjectItemCaseSensitive(root, fields[i]);
        if (!cJSON_IsString(v) || strcmp(v->valuestring, mine[i])) {
            fprintf(stderr, "qsdr ber: --resume '%s': '%s' was '%s', this run has '%s' (run the same command to resume)\n", c->resume,
                    fields[i], cJSON_IsString(v) ? v->valuestring : "?", mine[i]);
            rc = -1;
        }
    }
    /* before seed scheme 2 (2026-11-25) each curve's units were seeded by the curve value: its
       counts and this run's would mix */
    cJSON *scheme = cJSON_GetObjectItemCaseSensitive(root, "seed_scheme");
    if (!rc && c->have_cv && !(cJSON_IsNumber(scheme) && scheme->valuedouble == 2)) {
        fprintf(stderr, "qsdr ber: --resume '%s': written by an older qsdr that seeded each curve by its value (seed_scheme 2 "
                "seeds all curves alike): its counts cannot be continued; run the sweep again\n", c->resume);
        rc = -1;
    }
    cJSON *fpu = cJSON_GetObjectItemCaseSensitive(root, "frames_per_unit");
    if (!rc && (!cJSON_IsNumber(fpu) || !(fpu->valuedouble >= 0 && fpu->valuedouble < 0x1p64) ||
                (uint64_t)fpu->valuedouble != qsdr_ber_sim_frames_per_unit(c->sim))) {
        fprintf(stderr, "qsdr ber: --resume '%s': frames per unit differ (the frame size changed?)\n", c->resume);
        rc = -1;
    }
    cJSON *pts = cJSON_GetObjectItemCaseSensitive(root, "points"), *p;
    size_t loaded = 0;
    if (!rc) cJSON_ArrayForEach(p, pts)
        {
            qsdr_ber_point r = {0};
            cJSON *ci = cJSON_GetObjectItemCaseSensitive(p, "curve_index"), *pi = cJSON_GetObjectItemCaseSensitive(p, "point_index");
            const char *num[] = {"units", "frames", "bits", "bit_errors", "frame_errors", "seconds"};
            double v[6];
            /* ranges first: casting a double outside the target type is undefined */
            bool ok = cJSON_IsNumber(ci) && cJSON_IsNumber(pi) && ci->valuedouble >= 0 && ci->valuedouble < 1e9 &&
                      pi->valuedouble >= 0 && pi->valuedouble < 1e9;
            for (int i = 0; i < 6 && ok; i++) {
                cJSON *x = cJSON_GetObjectItemCaseSensitive(p, num[i]);
                ok = cJSON_IsNumber(x) && x->valuedouble >= 0 && x->valuedouble < 0x1p64;
                if (ok) v[i] = x->valuedouble;
            }
            ok = ok && v[3] <= v[2] && v[4] <= v[1]; /* errors never exceed what was counted */
            if (!ok) {
                fprintf(stderr, "qsdr ber: --resume '%s': a point lacks counts, or has one out of range (indices 0..1e9, "
                        "counts >= 0, bit_errors <= bits, frame_errors <= frames)\n", c->resume);
                rc = -1;
                break;
            }
            cJSON *pf = cJSON_GetObjectItemCaseSensitive(p, "frames_per_unit");
            if (cJSON_IsNumber(pf) &&
                pf->valuedouble != (double)qsdr_ber_sim_point_unit(c->sim, (size_t)ci->valuedouble, (size_t)pi->valuedouble, NULL)) {
                fprintf(stderr, "qsdr ber: --resume '%s': point %.0f of curve %.0f had %.0f frames per unit, this run has %" PRIu64
                        " (the frame size changed?)\n", c->resume, pi->valuedouble, ci->valuedouble, pf->valuedouble,
                        qsdr_ber_sim_point_unit(c->sim, (size_t)ci->valuedouble, (size_t)pi->valuedouble, NULL));
                rc = -1;
                break;
            }
            r.units = (uint64_t)v[0];
            r.frames = (uint64_t)v[1];
            r.bits = (uint64_t)v[2];
            r.bit_errors = (uint64_t)v[3];
            r.frame_errors = (uint64_t)v[4];
            r.seconds = v[5];
            cJSON *cr = cJSON_GetObjectItemCaseSensitive(p, "code_rate"), *bp = cJSON_GetObjectItemCaseSensitive(p, "bits_per_symbol");
            r.code_rate = cJSON_IsNumber(cr) ? cr->valuedouble : 1;
            r.bits_per_symbol = cJSON_IsNumber(bp) ? bp->valuedouble : 0;
            cJSON *eb = cJSON_GetObjectItemCaseSensitive(p, "ebn0_db"), *es = cJSON_GetObjectItemCaseSensitive(p, "esn0_db");
            r.ebn0_db = cJSON_IsNumber(eb) ? eb->valuedouble : NAN;
            r.esn0_db = cJSON_IsNumber(es) ? es->valuedouble : NAN;
            if (qsdr_ber_sim_preload(c->sim, (size_t)ci->valuedouble, (size_t)pi->valuedouble, &r)) {
                rc = -1;
                break;
            }
            loaded++;
        }
    cJSON_Delete(root);
    if (!rc && !c->quiet) fprintf(stderr, "qsdr ber: resuming %zu points from %s\n", loaded, c->resume);
    return rc;
}

/* Text for gnuplot's enhanced mode: '_' and '^' would become sub/superscripts. */
static const char *gp_text(const char *in, char *out, size_t n)
{
    size_t k = 0;
    for (; *in && k + 3 < n; in++) {
        if (*in == '_' || *in == '^' || *in == '{' || *in == '}' || *in == '@' || *in == '&') out[k++] = '\\';
        if (*in == '\'') continue;
        out[k++] = *in;
    }
    out[k] = 0;
    return out;
}

/* The x,ber rows of a reference CSV (numbers separated by a comma, space or tab; other lines,
 * '#' comments and a header, are skipped), written to out as "x ber" lines if out; returns how
 * many there are, -1 (errno set) if the file cannot be read. */
static long ref_rows(const char *path, FILE *out)
{
    FILE *r = fopen(path, "r");
    if (!r) return -1;
    char line[512];
    long n = 0;
    while (fgets(line, sizeof line, r)) {
        if (line[0] == '#') continue;
        char *e1, *e2;
        double a = strtod(line, &e1);
        if (e1 == line || (*e1 != ',' && *e1 != ' ' && *e1 != '\t')) continue;
        double b = strtod(e1 + 1, &e2);
        if (e2 == e1 + 1 || !isfinite(a) || !isfinite(b)) continue;
        if (out) fprintf(out, "%.10g %.6e\n", a, b);
        n++;
    }
    int e = ferror(r) ? errno : 0; /* a directory opens, then fails to read (EISDIR) */
    fclose(r);
    if (e) errno = e;
    return e ? -1 : n;
}

static int write_plot(const ber_cli *c)
{
    /* the extension was checked with the options */
    const char *term = qsdr_plot_terminal(c->plot);
    /* the data in a temporary file ($TMPDIR), the script in memory (qsdr_plot_run); every path
       that goes into the script is quoted for gnuplot (a plot path may contain quotes) */
    char dat[4200], qdat[8400], qplot[8400], *script = NULL;
    size_t script_len = 0;
    snprintf(dat, sizeof dat, "%.4000s/qsdr_ber_XXXXXX", qsdr_tmpdir());
    if (qsdr_plot_quote(qplot, sizeof qplot, c->plot)) return fprintf(stderr, "qsdr ber: --plot path too long\n"), -1;
    int fd = mkstemp(dat);
    FILE *d = fd < 0 ? NULL : fdopen(fd, "w"), *g = d ? open_memstream(&script, &script_len) : NULL;
    if (!d || !g || qsdr_plot_quote(qdat, sizeof qdat, dat)) {
        fprintf(stderr, "qsdr ber: cannot create a temporary file in %s for the plot: %s\n", qsdr_tmpdir(), strerror(errno));
        if (d) fclose(d), unlink(dat);
        if (g) fclose(g);
        free(script);
        return -1;
    }
    const qsdr_ber_point *res = qsdr_ber_sim_results(c->sim);
    size_t ncur = c->have_cv ? c->cv.nx : 1;
    for (size_t cu = 0; cu < ncur; cu++) {
        for (size_t p = 0; p < c->sw.nx; p++) {
            const qsdr_ber_point *r = &res[cu * c->sw.nx + p];
            if (!r->frames) continue;
            double ber = (double)r->bit_errors / (double)r->bits, fer = (double)r->frame_errors / (double)r->frames;
            fprintf(d, "%.10g %.6e %.6e\n", c->sw.x[p], ber > 0 ? ber : NAN, fer > 0 ? fer : NAN);
        }
        fprintf(d, "\n\n");
    }
    /* reference curves: theory:bpsk|qpsk|qam16|qam64, or a CSV file with x,ber columns */
    double x0 = c->sw.x[0], x1 = c->sw.x[c->sw.nx - 1];
    for (size_t i = 0; i < c->nrefs; i++) {
        if (!strncmp(c->refs[i], "theory:", 7)) {
            const char *m = c->refs[i] + 7;
            unsigned mm = !strcmp(m, "bpsk") || !strcmp(m, "qpsk") ? 4 : !strcmp(m, "qam16") ? 16 : 64;
            /* against Es/N0: Eb/N0 = Es/N0 - 10 log10(bits per symbol), 1 for BPSK */
            double es2eb = sweeps(c, "ebn0") ? 0 : 10 * log10(!strcmp(m, "bpsk") ? 1 : log2(mm));
            for (int k = 0; k <= 200; k++) {
                double x = x0 + (x1 - x0) * k / 200.0;
                fprintf(d, "%.6g %.6e\n", x, qsdr_ber_qam_theory(mm, x - es2eb));
            }
        } else {
            ref_rows(c->refs[i], d);
        }
        fprintf(d, "\n\n");
    }
    fclose(d);
    /* an x axis other than Eb/N0 or Es/N0: the title says the operating point when every point
       shares it (an adc.bits or ae_rx.bits sweep at one Eb/N0) */
    char at[96] = "";
    if (!sweeps(c, "ebn0") && !sweeps(c, "esn0")) {
        double eb = NAN, es = NAN;
        bool same = true, any = false;
        for (size_t i = 0; i < ncur * c->sw.nx; i++) {
            if (!res[i].frames) continue;
            double b = ebn0_of(c, c->sw.x[i % c->sw.nx], &res[i]), e = esn0_of(c, c->sw.x[i % c->sw.nx], &res[i]);
            if (!any) eb = b, es = e, any = true;
            same = same && isfinite(b) && isfinite(e) && fabs(b - eb) < 1e-9 && fabs(e - es) < 1e-9;
        }
        if (any && same) snprintf(at, sizeof at, ", E_b/N_0 = %.4g dB (E_s/N_0 = %.4g dB)", eb, es);
    }
    fprintf(g, "set terminal %s size 900,600\nset output '%s'\nset logscale y\nset format y '10^{%%L}'\nset grid xtics ytics mytics\n", term, qplot);
    char t1[512], t2[512];
    fprintf(g, "set xlabel '%s'\nset ylabel 'error rate'\nset key %s\nset title 'qsdr ber: %s%s'\n",
            sweeps(c, "ebn0") ? "E_b/N_0 [dB]" : sweeps(c, "esn0") ? "E_s/N_0 [dB]" : gp_text(c->sw.param, t1, sizeof t1),
            2 * ncur + c->nrefs > 4 ? "outside right" : "inside top right", gp_text(c->flowgraph, t2, sizeof t2), at);
    for (size_t t = 0; t < c->n_at; t++) /* the --at-ber/--at-fer targets: dashed horizontal lines */
        fprintf(g, "set arrow from graph 0, first %.6g to graph 1, first %.6g nohead front dashtype 2 linewidth 1.5 linecolor rgb 'dark-red'\n",
                c->at[t].v, c->at[t].v);
    fprintf(g, "plot ");
    int idx = 0;
    for (size_t cu = 0; cu < ncur; cu++, idx++) {
        char lb[300];
        snprintf(lb, sizeof lb, "%s%s%s", c->have_cv ? c->cv.param : "", c->have_cv ? "=" : "", c->have_cv ? c->cv.words[cu] : "");
        if (!c->have_cv && c->nrefs) { /* beside reference curves, name the simulated one: its flowgraph */
            const char *base = strrchr(c->flowgraph, '/');
            snprintf(lb, sizeof lb, "%s", base ? base + 1 : c->flowgraph);
            char *dot = strrchr(lb, '.');
            if (dot && dot != lb) *dot = 0;
        }
        char lab[400];
        gp_text(lb, lab, sizeof lab);
        fprintf(g, "%s'%s' index %d using 1:2 with linespoints lw 2 pt 7 title 'BER %s', '%s' index %d using 1:3 with linespoints dt 2 pt 6 title 'FER %s'",
                idx ? ", " : "", qdat, idx, lab, qdat, idx, lab);
    }
    for (size_t i = 0; i < c->nrefs; i++, idx++) {
        /* theory: a line; a file (usually a few published points): points joined by a line,
           titled by its base name */
        bool theory = !strncmp(c->refs[i], "theory:", 7);
        const char *base = strrchr(c->refs[i], '/');
        char nm[256];
        snprintf(nm, sizeof nm, "%s", theory ? c->refs[i] : (base ? base + 1 : c->refs[i]));
        char *dot = theory ? NULL : strrchr(nm, '.');
        if (dot) *dot = 0;
        fprintf(g, ", '%s' index %d using 1:2 with %s lc rgb 'gray30' title '%s'", qdat, idx, theory ? "lines lw 1" : "linespoints lw 1 pt 4 ps 1.5",
                gp_text(nm, t1, sizeof t1));
    }
    fprintf(g, "\n");
    fclose(g);
    char out[1024];
    int st = qsdr_plot_run(script, out, sizeof out);
    free(script);
    unlink(dat);
    if (st != 0) return fprintf(stderr, "qsdr ber: gnuplot failed (is gnuplot installed?): %s\n", out), -1;
    if (!c->quiet) fprintf(stderr, "qsdr ber: plot written to %s\n", c->plot);
    return 0;
}

static const char usage_ber_text[] =
    "usage: qsdr ber FLOWGRAPH.yml --sweep ID.PARAM=START:STEP:STOP|V1,V2,... [options]   BER/FER curves (docs/ber.md)\n"
    "  FLOWGRAPH.yml           a path, or the name of a shipped flowgraph (qsdr flowgraphs lists them)\n"
    "  --sweep ID.PARAM=...    the x axis: a block parameter (awgn.ebn0_db; awgn.esn0_db for Es/N0) or a flowgraph\n"
    "                          variable (no dot, e.g. K: each point gets units of its own frame size)\n"
    "  --sweep ID.PARAM=V1,V2  a second --sweep: one curve per value (e.g. adc.bits=1,2,8)\n"
    "  --set ID.PARAM=VALUE    a fixed override, as in qsdr run (repeatable)\n"
    "  --seed N                0..2^64-1 (default: the flowgraph's options: seed, else 1); a point's counts depend\n"
    "                          on the seed and its value only\n"
    "  --threads N             1..1024 worker threads per process (default: the number of cores)\n"
    "  --min-frame-errors N    a point ends at N frame errors (default 100; 0: no such rule)\n"
    "  --max-frames N          a point ends after N frames, in whole units of >= 64 frames (default 0: no limit)\n"
    "  --max-seconds S         a point ends after S seconds, S in [0, 1e9] (0: no limit; counts then\n"
    "                          depend on the machine)\n"
    "  --ber-floor X           a curve ends after its first point with BER below X, X in [0, 1)\n"
    "  --at-ber X[,Y...]       after the sweep: the x where each curve crosses BER X (log-BER interpolated\n"
    "                          between the points around it), X in (0, 0.5); with curves, the difference\n"
    "                          to the first curve\n"
    "  --at-fer X[,Y...]       the same for FER X, X in (0, 1); --at-ber and --at-fer: up to 8 values in all\n"
    "  --csv F, --json F       results per point (--json also lets --resume continue the sweep)\n"
    "  --plot F.png|F.svg      BER (solid) and FER (dashed) against the sweep, gnuplot\n"
    "  --ref theory:bpsk|qpsk|qam16|qam64|FILE.csv   a reference curve on the plot (repeatable)\n"
    "  --resume F.json         continue from the JSON of an earlier (interrupted) run\n"
    "  --quiet, -q             no progress line, notes or info lines on stderr (results and their header: stdout)\n"
    "A point needs a stop rule: --min-frame-errors, --max-frames or --max-seconds.\n";

static void usage_ber(FILE *f) { fputs(usage_ber_text, f); }

/* --at-ber X[,Y...] (each in (0, 0.5)) and --at-fer (each in (0, 1)): at most 8 values in all
   (repeating an option adds to the list) */
static int parse_at(ber_cli *c, const char *v, bool fer)
{
    for (const char *p = v;;) {
        char *end;
        double t = strtod(p, &end);
        while (end && *end == ' ') end++;
        if (end == p || (*end && *end != ',') || !(t > 0 && t < (fer ? 1 : 0.5)))
            return fprintf(stderr, "qsdr ber: --at-%s expects %s values in (0, %s), comma-separated, got '%s'\n", fer ? "fer" : "ber",
                           fer ? "FER" : "BER", fer ? "1" : "0.5", v),
                   -1;
        if (c->n_at == sizeof c->at / sizeof *c->at) return fprintf(stderr, "qsdr ber: --at-ber and --at-fer: at most 8 values in all\n"), -1;
        c->at[c->n_at].v = t;
        c->at[c->n_at++].fer = fer;
        if (!*end) return 0;
        p = end + 1;
    }
}

/* --at-ber/--at-fer: where each curve crosses each target (c->cross), on stdout after the table
   ("# " lines, so the table stays one block of rows); the JSON has them too */
static void print_at(const ber_cli *c)
{
    const qsdr_ber_point *res = qsdr_ber_sim_results(c->sim);
    size_t ncur = c->have_cv ? c->cv.nx : 1;
    for (size_t t = 0; t < c->n_at; t++) {
        double target = c->at[t].v;
        bool fer = c->at[t].fer;
        const char *rate = fer ? "FER" : "BER", *unit = fer ? "frame" : "bit";
        char tb[32]; /* 1e-04 as such; 2.5e-3 as 0.0025 */
        double m = target / pow(10, floor(log10(target)));
        snprintf(tb, sizeof tb, fabs(m - round(m)) < 1e-9 ? "%.0e" : "%.3g", target);
        for (size_t cu = 0; cu < ncur; cu++) {
            const qsdr_ber_point *pts = res + cu * c->sw.nx;
            const qsdr_ber_crossing *x = &c->cross[t * ncur + cu], *x0 = &c->cross[t * ncur];
            char lbl[300] = "";
            if (c->have_cv) snprintf(lbl, sizeof lbl, ", %s", curve_label(c, cu));
            printf("# at %s %s%s: ", rate, tb, lbl);
            if (x->kind == QSDR_BER_CROSS_NO_POINTS) {
                printf("no point was run\n");
                continue;
            }
            const qsdr_ber_point *lo = &pts[x->lo], *hi = &pts[x->hi];
            uint64_t e_lo = fer ? lo->frame_errors : lo->bit_errors, e_hi = fer ? hi->frame_errors : hi->bit_errors;
            double r_lo = (double)e_lo / (double)(fer ? lo->frames : lo->bits);
            switch (x->kind) {
            case QSDR_BER_CROSS_AT:
                printf("%s = %.4g (log-%s interpolated between %.10g [%" PRIu64 " %s errors] and %.10g [%" PRIu64 "])", c->sw.param, x->x, rate,
                       c->sw.x[x->lo], e_lo, unit, c->sw.x[x->hi], e_hi);
                if (cu > 0 && x0->kind == QSDR_BER_CROSS_AT) printf("; %+.4g against %s", x->x - x0->x, curve_label(c, 0));
                break;
            case QSDR_BER_CROSS_BETWEEN:
                printf("%s between %.10g and %.10g (no %s errors at %.10g: nothing to interpolate toward; run more frames there)",
                       c->sw.param, c->sw.x[x->lo], c->sw.x[x->hi], unit, c->sw.x[x->hi]);
                break;
            case QSDR_BER_CROSS_BELOW_FIRST:
                printf("%s already below it at the first point, %s = %.10g (%s %.3g)", rate, c->sw.param, c->sw.x[x->lo], rate, r_lo);
                break;
            default: /* QSDR_BER_CROSS_NOT_REACHED */
                printf("not reached (lowest %s %.3g, at %s = %.10g)", rate, r_lo, c->sw.param, c->sw.x[x->lo]);
                break;
            }
            printf("\n");
        }
    }
}

static int run_ber(int argc, char **argv, int rank, int nranks)
{
    /* static: the option arrays live as long as the command (and stay reachable for LSan) */
    static ber_cli c;
    static char *text;
    bool have_seed = false; /* else the flowgraph's own (options: seed), as qsdr run */
    c = (ber_cli){.seed = 1, .threads = (unsigned)sysconf(_SC_NPROCESSORS_ONLN), .min_fe = 100};
    c.rank = rank;
    c.nranks = nranks;
    c.sets = calloc((size_t)argc + 1, sizeof *c.sets);
    c.refs = calloc((size_t)argc + 1, sizeof *c.refs);
    int nsweep = 0;
    for (int i = 0; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
#define NEED_ARG                                                                   \
    if (!v) {                                                                      \
        fprintf(stderr, "qsdr ber: option %s needs a value\n", a);                \
        return EXIT_BAD;                                                           \
    }                                                                              \
    i++
        if (!strcmp(a, "--sweep")) {
            NEED_ARG;
            if (nsweep == 2) return fprintf(stderr, "qsdr ber: at most two --sweep options (x axis, then curves)\n"), EXIT_BAD;
            if (parse_sweep(v, nsweep ? &c.cv : &c.sw, nsweep == 0)) return EXIT_BAD;
            c.have_cv = nsweep == 1;
            nsweep++;
        } else if (!strcmp(a, "--set")) {
            NEED_ARG;
            if (!strchr(v, '=')) return fprintf(stderr, "qsdr ber: --set expects ID.PARAM=VALUE, got '%s'\n", v), EXIT_BAD;
            c.sets[c.nsets++] = v;
        } else if (!strcmp(a, "--seed") || !strcmp(a, "--min-frame-errors") || !strcmp(a, "--max-frames")) {
            uint64_t u;
            if (cli_opt_u64("qsdr ber", a, v, &u)) return EXIT_BAD;
            i++;
            if (!strcmp(a, "--seed")) c.seed = u, have_seed = true;
            else if (!strcmp(a, "--min-frame-errors")) c.min_fe = u;
            else c.max_frames = u;
        } else if (!strcmp(a, "--threads")) {
            long long t;
            if (cli_opt_int("qsdr ber", a, v, 1, 1024, &t)) return EXIT_BAD;
            i++;
            c.threads = (unsigned)t;
        } else if (!strcmp(a, "--max-seconds")) {
            if (cli_opt_double("qsdr ber", a, v, 0, 1e9, &c.max_seconds)) return EXIT_BAD;
            i++;
        } else if (!strcmp(a, "--ber-floor")) {
            if (cli_opt_double("qsdr ber", a, v, 0, 1, &c.ber_floor)) return EXIT_BAD;
            if (c.ber_floor >= 1) return fprintf(stderr, "qsdr ber: --ber-floor expects a number in [0, 1), got '%s'\n", v), EXIT_BAD;
            i++;
        } else if (!strcmp(a, "--at-ber") || !strcmp(a, "--at-fer")) {
            NEED_ARG;
            if (parse_at(&c, v, a[5] == 'f')) return EXIT_BAD;
        } else if (!strcmp(a, "--csv")) {
            NEED_ARG;
            c.csv = v;
        } else if (!strcmp(a, "--json")) {
            NEED_ARG;
            c.json = v;
        } else if (!strcmp(a, "--plot")) {
            NEED_ARG;
            c.plot = v;
        } else if (!strcmp(a, "--ref")) {
            NEED_ARG;
            if (!strncmp(v, "theory:", 7) && strcmp(v + 7, "bpsk") && strcmp(v + 7, "qpsk") && strcmp(v + 7, "qam16") && strcmp(v + 7, "qam64"))
                return fprintf(stderr, "qsdr ber: --ref '%s': theory curves are theory:bpsk, qpsk, qam16, qam64\n", v), EXIT_BAD;
            long rows = strncmp(v, "theory:", 7) ? ref_rows(v, NULL) : 1;
            if (rows < 0) return fprintf(stderr, "qsdr ber: --ref '%s': cannot read the file: %s\n", v, strerror(errno)), EXIT_BAD;
            if (rows == 0) /* it drew nothing, silently */
                return fprintf(stderr, "qsdr ber: --ref '%s': no x,ber rows (two numbers per line separated by a comma, space or "
                                       "tab; '#' comments and a header line are skipped)\n", v), EXIT_BAD;
            c.refs[c.nrefs++] = v;
        } else if (!strcmp(a, "--resume")) {
            NEED_ARG;
            c.resume = v;
        } else if (!strcmp(a, "--quiet") || !strcmp(a, "-q")) {
            c.quiet = true;
            cli_quiet_logs();
        } else if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
            usage_ber(stdout);
            return 0;
        } else if (a[0] == '-') {
            fprintf(stderr, "qsdr ber: unknown option '%s'%s\n", a, cli_option_hint(a, usage_ber_text));
            usage_ber(stderr);
            return EXIT_BAD;
        } else if (!c.flowgraph) {
            c.flowgraph = a;
        } else {
            return fprintf(stderr, "qsdr ber: one flowgraph only ('%s' and '%s')\n", c.flowgraph, a), EXIT_BAD;
        }
    }
    if (!c.flowgraph || !nsweep) {
        fprintf(stderr, "qsdr ber: %s\n", !c.flowgraph ? "no flowgraph given" : "no --sweep given");
        usage_ber(stderr);
        return EXIT_BAD;
    }
    if (c.have_cv && !strcmp(c.sw.param, c.cv.param))
        return fprintf(stderr, "qsdr ber: both --sweep options name '%s': the first is the x axis, the second a parameter with one "
                               "curve per value\n", c.sw.param), EXIT_BAD;
    for (size_t i = 0; i < c.nrefs; i++) /* uncoded theory is a function of Eb/N0 (or Es/N0) */
        if (!strncmp(c.refs[i], "theory:", 7) && !sweeps(&c, "ebn0") && !sweeps(&c, "esn0"))
            return fprintf(stderr, "qsdr ber: --ref %s: theory curves are drawn against Eb/N0 or Es/N0; the sweep is '%s' "
                                   "(a CSV file of x,ber points can be a reference on any axis)\n",
                           c.refs[i], c.sw.param), EXIT_BAD;
    const char *outs[][2] = {{"--csv", c.csv}, {"--json", c.json}, {"--plot", c.plot}};
    for (size_t i = 0; i < 3; i++)
        if (outs[i][1] && rank == 0 && qsdr_path_writable(outs[i][1]))
            return fprintf(stderr, "qsdr ber: %s '%s': cannot write there: %s\n", outs[i][0], outs[i][1], strerror(errno)), EXIT_BAD;
    if (c.plot && !qsdr_plot_terminal(c.plot))
        return fprintf(stderr, "qsdr ber: --plot '%s': the file must end in .png or .svg\n", c.plot), EXIT_BAD;
    if (c.plot && (strlen(c.plot) > 4000 || !qsdr_plot_text_ok(c.plot)))
        return fprintf(stderr, "qsdr ber: --plot: at most 4000 characters, no line breaks or control characters\n"), EXIT_BAD;
    static char found[4200];
    if (!(c.flowgraph = cli_flowgraph_path("qsdr ber", c.flowgraph, found, sizeof found, rank == 0))) return EXIT_BAD;
    /* an output written over another output, the flowgraph or an input would destroy it at the
       end of the run (--json and --resume may name one file: the run continues it) */
    const char *files[][2] = {{"--csv", c.csv}, {"--json", c.json}, {"--plot", c.plot}, {"the flowgraph", c.flowgraph}, {"--resume", c.resume}};
    for (size_t i = 0; i < 3; i++) /* the outputs first */
        for (size_t j = i + 1; files[i][1] && j < 5; j++)
            if (files[j][1] && !(i == 1 && j == 4) && qsdr_same_file(files[i][1], files[j][1]))
                return fprintf(stderr, "qsdr ber: %s '%s' and %s '%s' are the same file: the results would overwrite it\n", files[i][0],
                               files[i][1], files[j][0], files[j][1]), EXIT_BAD;
    for (size_t i = 0; i < 3; i++)
        for (size_t r = 0; files[i][1] && r < c.nrefs; r++)
            if (qsdr_same_file(files[i][1], c.refs[r]))
                return fprintf(stderr, "qsdr ber: %s '%s' is the --ref file: the results would overwrite it\n", files[i][0], files[i][1]), EXIT_BAD;
    if (qsdr_read_file(c.flowgraph, 16 << 20, "flowgraph file", &text, NULL)) return EXIT_BAD;
    qsdr_ber_config cfg = {
        .text = text, .name = c.flowgraph, .sets = c.sets, .sweep_param = c.sw.param, .x = c.sw.x, .nx = c.sw.nx,
        .curve_param = c.have_cv ? c.cv.param : NULL, .curve_values = c.have_cv ? (const char *const *)c.cv.words : NULL,
        .ncurves = c.have_cv ? c.cv.nx : 0, .seed = c.seed, .seed_from_flowgraph = !have_seed, .threads = c.threads, .min_frame_errors = c.min_fe,
        .max_frames = c.max_frames, .max_seconds = c.max_seconds, .ber_floor = c.ber_floor, .progress = on_progress,
        .point_done = on_point, .user = &c, .interrupt = cli_sigint_flag(), .rank = rank, .nranks = nranks,
#ifdef QSDR_HAVE_MPI
        .allgather = nranks > 1 ? mpi_allgather : NULL,
#endif
    };
    if (rank != 0) { /* only rank 0 talks and writes files */
        c.quiet = true;
        c.csv = c.json = c.plot = NULL;
    }
    c.sim = qsdr_ber_sim_create(&cfg);
    if (!c.sim) return EXIT_BAD;
    c.seed = qsdr_ber_sim_seed(c.sim); /* the flowgraph's own without --seed */
    if (c.resume && load_resume(&c)) {
        qsdr_ber_sim_destroy(&c.sim);
        return EXIT_BAD;
    }
    c.tty = !c.quiet && isatty(STDERR_FILENO);
    FILE *real_stdout = stdout;
    if (rank != 0) stdout = fopen("/dev/null", "w");
    c.npoints_total = c.sw.nx * (c.have_cv ? c.cv.nx : 1);
    /* header: the effective configuration, so a result file says how it was produced */
    size_t fbits;
    const char *meter = qsdr_ber_sim_meter(c.sim, &fbits);
    printf("# qsdr %s ber\n# flowgraph: %s\n# sweep: %s\n", QSDR_VERSION_STRING, c.flowgraph, c.sw.spec);
    if (c.have_cv) printf("# curves: %s\n", c.cv.spec);
    for (size_t i = 0; i < c.nsets; i++) printf("# set: %s\n", c.sets[i]);
    if (nranks > 1) printf("# MPI ranks: %d (units per round: %d x %u)\n", nranks, nranks, c.threads);
    if (qsdr_ber_sim_unit_varies(c.sim))
        printf("# seed: %" PRIu64 "  threads: %u  meter: %s (the frame size varies with the sweep: frames per unit per point,\n"
               "# at least 64 frames and 65536 bits; see the JSON)\n", c.seed, c.threads, meter);
    else
        printf("# seed: %" PRIu64 "  threads: %u  meter: %s (frame %zu bits)  frames per unit: %" PRIu64 "\n", c.seed, c.threads, meter, fbits,
               qsdr_ber_sim_frames_per_unit(c.sim));
    printf("# each unit of frames runs the flowgraph with its own seed, derived from (seed, sweep value, unit), the same\n"
           "# on every curve: the counts are the same for any number of threads or ranks, and for any sweep holding the point\n");
    printf("# stop: min frame errors %" PRIu64 ", max frames %" PRIu64 ", max seconds %g, BER floor %g\n", c.min_fe, c.max_frames,
           c.max_seconds, c.ber_floor);
    qsdr_ber_sim_print_config(c.sim, stdout);
    char opt_head[32];
    snprintf(opt_head, sizeof opt_head, "%s%s", sweeps(&c, "ebn0") ? "" : "    Eb/N0", sweeps(&c, "esn0") ? "" : "    Es/N0");
    printf("# %-12s %9s%s %10s %11s %9s %11s %11s  %-24s %9s %8s  %s\n", "curve", c.sw.param, opt_head, "frames", "bit_errors",
           "frame_err", "BER", "FER", "BER 95% CI (Wilson)", "Mbit/s", "seconds", "stop");
    fflush(stdout);
    cli_catch_sigint(c.quiet ? NULL : "\nqsdr ber: stopping after the current round, results so far are written (Ctrl-C again to quit now)\n",
                     NULL);
    c.t0 = qsdr_now();
    int rc = qsdr_ber_sim_run(c.sim);
    if (c.tty) qsdr_status_line(NULL);
    int out_rc = 0;
    size_t ncur = c.have_cv ? c.cv.nx : 1;
    if (c.n_at && (c.cross = calloc(c.n_at * ncur, sizeof *c.cross))) {
        for (size_t i = 0; i < c.n_at * ncur; i++)
            c.cross[i] = qsdr_ber_cross(c.sw.x, qsdr_ber_sim_results(c.sim) + (i % ncur) * c.sw.nx, c.sw.nx, c.at[i / ncur].v, c.at[i / ncur].fer);
        print_at(&c);
    }
    if (c.csv && write_csv(&c)) out_rc = 1;
    if (c.json && write_json(&c)) out_rc = 1;
    if (c.plot && write_plot(&c)) out_rc = 1;
    /* a point whose BER says more about the set-up than the channel (1/2, or above 0.6) */
    const qsdr_ber_point *res = qsdr_ber_sim_results(c.sim);
    for (size_t i = 0; rank == 0 && i < (c.have_cv ? c.cv.nx : 1) * c.sw.nx; i++) {
        const char *hint = qsdr_ber_hint(res[i].bits, res[i].bit_errors);
        if (hint) {
            fprintf(stderr, "qsdr ber: warning: %s%s%s=%g has BER %.4f: %s\n", c.have_cv ? curve_label(&c, i / c.sw.nx) : "",
                    c.have_cv ? ", " : "", c.sw.param, c.sw.x[i % c.sw.nx], (double)res[i].bit_errors / (double)res[i].bits, hint);
            break;
        }
    }
    qsdr_ber_sim_destroy(&c.sim);
    free(c.cross);
    c.cross = NULL;
    qsdr_free(text);
    if (rank != 0) {
        fclose(stdout);
        stdout = real_stdout;
    }
    if (rc == QSDR_EINTR) {
        fprintf(stderr, "qsdr ber: interrupted%s\n", c.json ? "; continue with the same command and --resume on the JSON file" : "");
        return 1;
    }
    return rc ? 1 : out_rc;
}

int qsdr_cmd_ber(int argc, char **argv)
{
    int rank = 0, nranks = 1;
#ifdef QSDR_HAVE_MPI
    bool mpi = under_mpirun();
    if (mpi) {
        MPI_Init(&argc, &argv);
        MPI_Comm_rank(MPI_COMM_WORLD, &rank);
        MPI_Comm_size(MPI_COMM_WORLD, &nranks);
    }
#else
    if (under_mpirun()) fprintf(stderr, "qsdr ber: launched by mpirun, but this qsdr was built without MPI: every rank runs alone\n");
#endif
    int rc = run_ber(argc, argv, rank, nranks);
#ifdef QSDR_HAVE_MPI
    if (mpi) {
        /* a rank that failed before the sweep (bad input) fails on every rank alike */
        int worst = rc;
        MPI_Allreduce(&rc, &worst, 1, MPI_INT, MPI_MAX, MPI_COMM_WORLD);
        MPI_Finalize();
        rc = worst;
    }
#endif
    return rc;
}
