/* SPDX-License-Identifier: MIT */
/* BER/FER simulation engine: sweeps a flowgraph parameter, counts errors with stop rules,
 * reproducibly on any number of threads (and MPI ranks). */
#ifndef QSDR_SIM_H
#define QSDR_SIM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "qsdr/common.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct {
    uint64_t units;        /* work units completed (each unit = frames_per_unit frames) */
    uint64_t frames, frame_errors, bits, bit_errors;
    double seconds;        /* wall time spent on the point */
    double code_rate;      /* as the awgn block used it (tagged or set) */
    double bits_per_symbol;
    double ebn0_db, esn0_db; /* the operating point as the awgn block used it (NAN without one) */
    bool done;             /* a stop rule ended the point (false: interrupted) */
    const char *stop;      /* which rule: "frame errors", "max frames", "max seconds", "interrupted" */
} qsdr_ber_point;

typedef struct {
    const char *text;            /* flowgraph YAML text */
    const char *name;            /* its file name (messages, header) */
    const char *const *sets;     /* NULL-terminated --set overrides applied to every run */
    const char *sweep_param;     /* x axis, e.g. "awgn.ebn0_db" */
    const double *x;             /* sweep values */
    size_t nx;
    const char *curve_param;     /* optional second parameter, one curve per value, or NULL */
    const char *const *curve_values;
    size_t ncurves;
    uint64_t seed;
    bool seed_from_flowgraph;    /* true: the flowgraph's own seed (options: seed, else 1) instead of seed */
    unsigned threads;            /* workers in this process (>= 1) */
    uint64_t min_frame_errors;   /* stop a point once reached (0 = no such rule) */
    uint64_t max_frames;         /* stop a point once reached (0 = no limit) */
    double max_seconds;          /* per point (0 = no limit; makes counts timing-dependent) */
    double ber_floor;            /* stop the curve after a point with BER below (0 = never) */
    /* progress callback after every round (may be NULL) */
    void (*progress)(void *user, size_t curve, size_t point, const qsdr_ber_point *p);
    /* called when a point is finished (may be NULL) */
    void (*point_done)(void *user, size_t curve, size_t point, const qsdr_ber_point *p);
    void *user;
    volatile int *interrupt;     /* set non-zero (e.g. by SIGINT) to stop after the current round */
    /* Several processes (MPI ranks): each round has nranks x threads units; this process
     * computes units rank*threads .. rank*threads + threads-1 of the round, and allgather
     * (required when nranks > 1) gathers every rank's `n` doubles into all[nranks * n] in rank
     * order. Every rank then takes the same stop decisions. nranks 0 counts as 1. */
    int rank, nranks;
    int (*allgather)(void *user, const double *mine, size_t n, double *all);
} qsdr_ber_config;

typedef struct qsdr_ber_sim qsdr_ber_sim_t;

/* Validate the configuration: loads the flowgraph with every sweep and curve value and checks
 * that it has exactly one `ber` block. Returns NULL (logged, naming the parameter) on error. */
qsdr_ber_sim_t *qsdr_ber_sim_create(const qsdr_ber_config *cfg);
void qsdr_ber_sim_destroy(qsdr_ber_sim_t **s);
/* Frames per work unit (fixed by the frame size: at least 2^16 bits per unit). */
uint64_t qsdr_ber_sim_frames_per_unit(const qsdr_ber_sim_t *s); /* of the first point */
/* A point's unit (at least 64 frames and 2^16 bits of its frame size) and frame size; a sweep
 * of a flowgraph variable such as K changes them from point to point (then unit_varies). */
uint64_t qsdr_ber_sim_point_unit(const qsdr_ber_sim_t *s, size_t curve, size_t point, size_t *frame_bits);
bool qsdr_ber_sim_unit_varies(const qsdr_ber_sim_t *s);
/* The id of the ber block and its frame size. */
const char *qsdr_ber_sim_meter(const qsdr_ber_sim_t *s, size_t *frame_bits);
/* The seed the simulation runs with (the flowgraph's own with seed_from_flowgraph). */
uint64_t qsdr_ber_sim_seed(const qsdr_ber_sim_t *s);
/* Results array [curve][point] (ncurves x nx; ncurves counts as 1 without a curve parameter). */
qsdr_ber_point *qsdr_ber_sim_results(qsdr_ber_sim_t *s);
/* Start from saved counts (resume): results must hold units/frames/... per point. */
int qsdr_ber_sim_preload(qsdr_ber_sim_t *s, size_t curve, size_t point, const qsdr_ber_point *saved);
/* Print every block parameter of the flowgraph as the first point runs it (header of a run). */
void qsdr_ber_sim_print_config(qsdr_ber_sim_t *s, FILE *f);
/* Run every point (skipping points already done). Returns QSDR_OK, QSDR_EINTR when
 * interrupted, or an error from a flowgraph run. */
int qsdr_ber_sim_run(qsdr_ber_sim_t *s);

/* Wilson score interval for k successes in n trials at 95 % confidence. */
void qsdr_wilson95(uint64_t k, uint64_t n, double *lo, double *hi);
/* Where a BER curve (with fer: the FER curve) crosses a target. The points that were run (bits
 * and frames > 0; NAN x values skipped), in increasing x; the first neighbours with rate >=
 * target > rate: AT when both saw errors (x by linear interpolation of log10 rate in x), BETWEEN
 * when the upper point saw none (nothing to interpolate toward). lo, hi: the indices (into x and
 * p) of the two neighbours; for BELOW_FIRST both are the lowest-x point, for NOT_REACHED the point
 * with the lowest rate. */
typedef enum { QSDR_BER_CROSS_AT, QSDR_BER_CROSS_BETWEEN, QSDR_BER_CROSS_BELOW_FIRST, QSDR_BER_CROSS_NOT_REACHED, QSDR_BER_CROSS_NO_POINTS } qsdr_ber_cross_kind;
typedef struct {
    qsdr_ber_cross_kind kind;
    double x;      /* the crossing (AT), else NAN */
    size_t lo, hi; /* see above */
} qsdr_ber_crossing;
qsdr_ber_crossing qsdr_ber_cross(const double *x, const qsdr_ber_point *p, size_t n, double target, bool fer);

/* What a measured BER says about the set-up rather than the channel, or NULL: 1/2 within 2 %
 * (unrelated streams: misaligned bits, a receiver that does not match the transmitter) or
 * above 0.6 (inverted bits), over at least 10 000 bits. No channel gives either. */
const char *qsdr_ber_hint(uint64_t bits, uint64_t bit_errors);

#ifdef __cplusplus
}
#endif
#endif
