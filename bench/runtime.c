/* SPDX-License-Identifier: MIT */
/* bench/runtime: throughput of a source -> 10 copy blocks -> sink chain of cf32 (threaded
 * scheduler), and of the Gaussian noise generator against liquid-dsp's randnf loop, measured
 * in the same run. Prints a table; the GNU Radio 3.10 baseline for the same chain comes from
 * bench/gnuradio_chain.py when GNU Radio is installed (else the reference figure). */
#include <complex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <liquid/liquid.h>

#include "qsdr/qsdr.h"

static double chain_msps(int n_copies, uint64_t items, qsdr_sched_kind sched)
{
    qsdr_flowgraph_t *fg = qsdr_flowgraph_create();
    char id[16], prev[16] = "src";
    qsdr_flowgraph_add(fg, "src", "null_source");
    for (int i = 0; i < n_copies; i++) {
        snprintf(id, sizeof id, "c%d", i);
        qsdr_flowgraph_add(fg, id, "copy");
        qsdr_flowgraph_connect(fg, prev, NULL, id, NULL);
        strcpy(prev, id);
    }
    qsdr_flowgraph_add(fg, "snk", "null_sink");
    qsdr_flowgraph_connect(fg, prev, NULL, "snk", NULL);
    qsdr_flowgraph_set_item_limit(fg, items);
    if (qsdr_flowgraph_prepare(fg)) {
        fprintf(stderr, "bench: prepare failed\n");
        exit(1);
    }
    double t0 = qsdr_now();
    qsdr_flowgraph_run(fg, sched);
    double t = qsdr_now() - t0;
    qsdr_flowgraph_destroy(&fg);
    return (double)items / t / 1e6;
}

static double best_of(int reps, double (*fn)(void *), void *arg)
{
    double best = 0;
    for (int r = 0; r < reps; r++) {
        double v = fn(arg);
        if (v > best) best = v;
    }
    return best;
}

static size_t g_n = 1 << 22;

static double noise_qsdr(void *arg)
{
    qsdr_cf32 *buf = arg;
    double t0 = qsdr_now();
    uint64_t first = 0;
    for (int k = 0; k < 8; k++, first += g_n) qsdr_randn_cf32(1, first, g_n, 1.0f, buf);
    return 8.0 * (double)g_n / (qsdr_now() - t0) / 1e6;
}

static double noise_liquid(void *arg)
{
    float *buf = arg;
    double t0 = qsdr_now();
    size_t n = g_n / 4;
    for (size_t i = 0; i < 2 * n; i++) buf[i] = randnf(); /* two real normals per complex sample */
    return (double)n / (qsdr_now() - t0) / 1e6;
}

static double noise_liquid_c(void *arg)
{
    float complex *buf = arg;
    double t0 = qsdr_now();
    size_t n = g_n / 4;
    for (size_t i = 0; i < n; i++) crandnf(&buf[i]);
    return (double)n / (qsdr_now() - t0) / 1e6;
}

int main(int argc, char **argv)
{
    double gr_msps = 0;
    const char *gr_src = "issue reference (not measured here)";
    if (argc > 2 && !strcmp(argv[1], "--gnuradio-msps")) {
        gr_msps = atof(argv[2]);
        gr_src = "GNU Radio 3.10, measured in this run";
    }
    if (gr_msps <= 0) gr_msps = 70.0;
    qsdr_log_set_level(QSDR_LOG_WARN);

    uint64_t items = 200000000ull;
    double r_thr = 0, r_ser = 0, r_thr1 = 0;
    for (int r = 0; r < 3; r++) {
        double a = chain_msps(10, items, QSDR_SCHED_THREADED);
        if (a > r_thr) r_thr = a;
    }
    r_ser = chain_msps(10, items / 2, QSDR_SCHED_SERIAL);
    r_thr1 = chain_msps(1, items, QSDR_SCHED_THREADED);

    void *buf = qsdr_aligned_alloc(g_n * sizeof(qsdr_cf32));
    double n_q = best_of(3, noise_qsdr, buf);
    double n_l = best_of(3, noise_liquid, buf);
    double n_lc = best_of(3, noise_liquid_c, buf);
    qsdr_aligned_free(buf);

    printf("qsdr %s bench/runtime (gaussian kernel: %s)\n\n", QSDR_VERSION_STRING, qsdr_randn_impl());
    printf("%-58s %12s %10s %8s\n", "measurement", "Msamples/s", "baseline", "ratio");
    printf("%-58s %12.1f %10.1f %7.2fx\n", "cf32 source -> 10 x copy -> sink, threaded", r_thr, gr_msps, r_thr / gr_msps);
    printf("%-58s %12.1f %10.1f %7.2fx\n", "cf32 source -> 10 x copy -> sink, serial (1 thread)", r_ser, gr_msps, r_ser / gr_msps);
    printf("%-58s %12.1f %10s %8s\n", "cf32 source -> 1 x copy -> sink, threaded", r_thr1, "-", "-");
    printf("%-58s %12.1f %10.1f %7.2fx\n", "complex Gaussian noise, qsdr_randn_cf32 (vs randnf loop)", n_q, n_l, n_q / n_l);
    printf("%-58s %12.1f %10.1f %7.2fx\n", "complex Gaussian noise, qsdr_randn_cf32 (vs crandnf loop)", n_q, n_lc, n_q / n_lc);
    printf("\nbaseline for the chain: %s; targets: chain >= 2x GNU Radio, noise >= 5x randnf\n", gr_src);
    return 0;
}
