/* SPDX-License-Identifier: MIT */
/* `qsdr train ae`: train the autoencoder inner code (transmitter and receiver networks) through
 * AWGN and the one-bit ADC; writes tx/rx model files, the loss curve (CSV + PNG) and a report. */
#include <errno.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cli_util.h"
#include "qsdr/ae.h"

#define EXIT_BAD_INPUT 2

typedef struct {
    bool tty;
    double t0;
} ui;

static void progress(void *user, const char *phase, size_t step, size_t total, float loss)
{
    ui *u = user;
    if (!u->tty) return;
    static const char *last;
    static double t0;
    if (phase != last) last = phase, t0 = cli_now();
    cli_progress(phase, step, total, loss, t0);
    if (step == total) {
        qsdr_status_line(NULL);
        fprintf(stderr, "  %s: %zu steps, final loss %.4f (%.0f s)\n", phase, total, (double)loss, cli_now() - t0);
    }
}

static const char usage_text[] =
    "usage: qsdr train ae --bits-per-symbol M --oversampling L --ebn0 DB [options]\n"
    "  --bits-per-symbol M coded bits per group, 1..8 (2: QPSK rate, 4: 16-QAM rate with --symbols 1)\n"
    "  --oversampling L    samples per symbol period, 1..16\n"
    "  --ebn0 DB           training Eb/N0 in dB, -10..30 (every sample's energy counted)\n"
    "  --symbols NS        conventional symbols per group, 1..8 (default 1; 2 x NS x L <= 32)\n"
    "  --code-rate R       outer code rate for the Eb/N0 accounting, (0, 1] (default 1/3; a/b or decimal)\n"
    "  --method M          two-step | ste | both (default both: keep the lower raw BER)\n"
    "  --steps N           end-to-end steps, 1..1e8 (default 20000; two-step adds N/2 receiver steps)\n"
    "  --qat-steps N       joint float/8/4/2/1-bit receiver fine-tuning steps (default 4000; 0 = none);\n"
    "                      the transmitter gets 2N steps at each of 8, 4, 2, 1 bits\n"
    "  --batch B           groups per step, 2..1048576 (default 1024)\n"
    "  --lr LR             Adam learning rate, (0, 1] (default 1e-3)\n"
    "  --seed S            0..2^64-1 (default 1)\n"
    "  --out DIR           default ae-m<M>-L<L>; writes tx.safetensors, rx.safetensors, the multi-bit\n"
    "                      receiver rx_multibit.safetensors (+ _w8/_w4/_w2/_w1: stored at that bit-width),\n"
    "                      the transmitter at that bit-width tx_w8/_w4/_w2/_w1.safetensors,\n"
    "                      loss.csv, loss.png, report.txt\n"
    "  --quiet, -q         no progress bars\n"
    "Ctrl-C stops the running phase and skips the later ones; the networks trained so far are saved\n"
    "(marked interrupted when their own training was cut; report.txt lists what was not written), exit 1.\n"
    "A second Ctrl-C quits at once.\n";

static void usage(FILE *f) { fputs(usage_text, f); }

static int parse_rate(const char *s, double *r)
{
    char *e;
    double a = strtod(s, &e);
    if (*e == '/') {
        double b = strtod(e + 1, &e);
        if (b == 0) return -1;
        a /= b;
    }
    if (*e || !(a > 0 && a <= 1)) return -1;
    *r = a;
    return 0;
}

/* a raw BER for the report, or what stands for one not measured (NaN) */
static const char *ber_text(char *buf, size_t n, double ber, const char *missing)
{
    if (isnan(ber)) snprintf(buf, n, "%s", missing);
    else snprintf(buf, n, "%.5f", ber);
    return buf;
}

static int plot(const char *dir)
{
    char g[20000], q[8200];
    if (qsdr_plot_quote(q, sizeof q, dir)) return -1;
    snprintf(g, sizeof g,
             "set terminal pngcairo size 800,450 noenhanced\nset output '%s/loss.png'\nset datafile separator ','\n"
             "set xlabel 'step'\nset ylabel 'binary cross-entropy'\nset logscale y\nset grid\n"
             "plot '%s/loss.csv' using (strcol(1) eq 'two-step' ? $3 : 1/0):4 with lines lw 2 title 'two-step (tanh surrogate, then decoder on sign)',"
             " '' using (strcol(1) eq 'ste' ? $3 : 1/0):4 with lines lw 2 title 'straight-through sign',"
             " '' using (strcol(1) eq 'multibit' ? $3 : 1/0):4 with lines lw 2 title 'receiver, joint float/8/4/2/1 bits',"
             " '' using (strcol(2) eq 'tx 2 bits' ? $3 : 1/0):4 with lines lw 1 title 'transmitter at 2 bits (receiver frozen)',"
             " '' using (strcol(2) eq 'tx 1 bits' ? $3 : 1/0):4 with lines lw 1 title 'transmitter at 1 bit (receiver frozen)'\n",
             q, q);
    return cli_gnuplot(dir, "loss", g);
}

int qsdr_cmd_train_ae(int argc, char **argv)
{
    qsdr_ae_train_config c;
    qsdr_ae_train_defaults(&c);
    const char *out = NULL;
    bool quiet = false, have_m = false, have_l = false, have_e = false;
    static const char *const name = "qsdr train ae";
    for (int i = 0; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        long long n = 0;
        double d = 0;
        int bad = 0;
        if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
            usage(stdout);
            return 0;
        } else if (!strcmp(a, "--quiet") || !strcmp(a, "-q")) {
            quiet = true;
            continue;
        } else if (!strcmp(a, "--bits-per-symbol")) {
            if (!(bad = cli_opt_int(name, a, v, 1, 8, &n))) c.g.m = (unsigned)n, have_m = true;
        } else if (!strcmp(a, "--oversampling")) {
            if (!(bad = cli_opt_int(name, a, v, 1, 16, &n))) c.g.L = (unsigned)n, have_l = true;
        } else if (!strcmp(a, "--symbols")) {
            if (!(bad = cli_opt_int(name, a, v, 1, 8, &n))) c.g.ns = (unsigned)n;
        } else if (!strcmp(a, "--ebn0")) {
            if (!(bad = cli_opt_double(name, a, v, -10, 30, &c.ebn0_db))) have_e = true;
        } else if (!strcmp(a, "--code-rate")) {
            if (!(bad = cli_opt_missing(name, a, v)) && parse_rate(v, &c.code_rate)) {
                fprintf(stderr, "%s: --code-rate expects a rate in (0, 1] as a/b or a decimal, got '%s'\n", name, v);
                bad = -1;
            }
        } else if (!strcmp(a, "--method")) {
            if ((bad = cli_opt_missing(name, a, v))) ;
            else if (!strcmp(v, "two-step")) c.method = QSDR_AE_TWO_STEP;
            else if (!strcmp(v, "ste")) c.method = QSDR_AE_STE;
            else if (!strcmp(v, "both")) c.method = QSDR_AE_BOTH;
            else fprintf(stderr, "%s: --method expects two-step, ste or both, got '%s'\n", name, v), bad = -1;
        } else if (!strcmp(a, "--steps")) {
            if (!(bad = cli_opt_int(name, a, v, 1, 100000000, &n))) c.steps = (size_t)n;
        } else if (!strcmp(a, "--qat-steps")) {
            if (!(bad = cli_opt_int(name, a, v, 0, 100000000, &n))) c.qat_steps = (size_t)n;
        } else if (!strcmp(a, "--batch")) {
            if (!(bad = cli_opt_int(name, a, v, 2, 1 << 20, &n))) c.batch = (size_t)n;
        } else if (!strcmp(a, "--seed")) {
            bad = cli_opt_u64(name, a, v, &c.seed);
        } else if (!strcmp(a, "--lr")) {
            if (!(bad = cli_opt_double(name, a, v, 1e-9, 1, &d))) c.lr = (float)d;
        } else if (!strcmp(a, "--out")) {
            bad = cli_opt_missing(name, a, v);
            out = v;
        } else {
            fprintf(stderr, "%s: unknown option '%s'%s\n", name, a, cli_option_hint(a, usage_text));
            bad = -1;
        }
        if (bad) {
            usage(stderr);
            return EXIT_BAD_INPUT;
        }
        i++; /* every option but --quiet and --help takes a value */
    }
    if (!have_m || !have_l || !have_e) {
        fprintf(stderr, "qsdr train ae: --bits-per-symbol, --oversampling and --ebn0 are required\n");
        usage(stderr);
        return EXIT_BAD_INPUT;
    }
    if (2 * c.g.ns * c.g.L > 32) {
        fprintf(stderr, "qsdr train ae: 2 x symbols x oversampling must be <= 32 real samples per group\n");
        return EXIT_BAD_INPUT;
    }
    char dir[4096];
    if (out) snprintf(dir, sizeof dir, "%s", out);
    else snprintf(dir, sizeof dir, "ae-m%u-L%u", c.g.m, c.g.L);
    if (mkdir(dir, 0777) && errno != EEXIST) {
        fprintf(stderr, "qsdr train ae: --out: cannot create %s: %s\n", dir, strerror(errno));
        return EXIT_BAD_INPUT; /* a bad --out, found before any training */
    }
    char path[4300], tx_path[4300], rx_path[4300];
    snprintf(path, sizeof path, "%s/loss.csv", dir);
    c.loss_csv = fopen(path, "w");
    if (!c.loss_csv) return fprintf(stderr, "qsdr train ae: --out: cannot write %s: %s\n", path, strerror(errno)), EXIT_BAD_INPUT;
    fprintf(c.loss_csv, "method,phase,step,loss\n");
    ui u = {!quiet && isatty(STDERR_FILENO), cli_now()};
    c.progress = progress, c.user = &u;
    qsdr_nn_model *tx = NULL, *rx = NULL, *rxm = NULL;
    qsdr_ae_train_report rep;
    if (!quiet)
        fprintf(stderr, "training the autoencoder: m = %u bits, %u symbol(s) x L = %u samples per group, Eb/N0 %.2f dB at R = %.4g (sigma^2 = %.4g per real), seed %llu\n",
                c.g.m, c.g.ns, c.g.L, c.ebn0_db, c.code_rate, qsdr_ae_sigma2(&c.g, c.ebn0_db, c.code_rate), (unsigned long long)c.seed);
    double t0 = cli_now();
    /* Ctrl-C: the running phase stops at its next step, later ones are skipped, what is trained
       is saved and marked interrupted (exit 1); a second Ctrl-C ends the process */
    struct sigaction old_sa;
    cli_catch_sigint(quiet ? NULL : "\nqsdr train ae: stopping now: later phases are skipped, what is trained so far is saved "
                                    "and marked interrupted (Ctrl-C again to quit at once)\n", &old_sa);
    c.interrupt = cli_sigint_flag();
    int rc = qsdr_ae_train(&c, &tx, &rx, &rxm, &rep);
    if (rc) {
        sigaction(SIGINT, &old_sa, NULL);
        fclose(c.loss_csv);
        fprintf(stderr, "qsdr train ae: %s\n", qsdr_last_error());
        return 1;
    }
    /* the exact command line goes into every file */
    char *cmd = cli_command_line(argc, argv, "qsdr train ae");
    char *meta = cmd ? cli_meta_json(cmd, (unsigned long long)c.seed) : NULL;

    snprintf(tx_path, sizeof tx_path, "%s/tx.safetensors", dir);
    snprintf(rx_path, sizeof rx_path, "%s/rx.safetensors", dir);
    rc = qsdr_ae_save(tx, rx, &c.g, &c, &rep, tx_path, rx_path, meta, false);
    const int *qb = qsdr_ae_bitwidths;
    for (int k = 0; !rc && k < QSDR_AE_NBITWIDTHS && rxm; k++) { /* the multi-bit receiver, stored at each bit-width */
        qsdr_nn_set_bits(rxm, QSDR_NN_ALL_LAYERS, qb[k], qb[k]);
        if (qb[k]) snprintf(path, sizeof path, "%s/rx_multibit_w%d.safetensors", dir, qb[k]);
        else snprintf(path, sizeof path, "%s/rx_multibit.safetensors", dir);
        rc = qsdr_ae_save(tx, rxm, &c.g, &c, &rep, NULL, path, meta, true);
    }
    /* the transmitter at 8/4/2/1 bits: quantization-aware fine-tuning against the float
     * receiver (the receiver file is the same for every transmitter bit-width), with the raw BER
     * each gives */
    double tx_ber[QSDR_AE_NBITWIDTHS] = {NAN, NAN, NAN, NAN, NAN};
    char skipped[200] = "";
    for (int k = 1; !rc && k < QSDR_AE_NBITWIDTHS; k++) {
        qsdr_nn_model *txq = *c.interrupt ? NULL : qsdr_ae_quantize_tx(&c, tx, rx, qb[k], 2 * c.qat_steps);
        if (!txq && *c.interrupt) { /* interrupted: this bit-width and the next are not written */
            size_t n = strlen(skipped);
            snprintf(skipped + n, sizeof skipped - n, "%stx_w%d", n ? ", " : "", qb[k]);
            continue;
        }
        if (!txq) {
            rc = QSDR_EINVAL;
            break;
        }
        qsdr_nn_set_engine(txq, QSDR_NN_ENGINE_INT);
        tx_ber[k] = qsdr_ae_raw_ber(txq, rx, &c.g, qsdr_ae_sigma2(&c.g, c.ebn0_db, c.code_rate), c.eval_groups / 4, c.seed ^ 0x747862ull);
        snprintf(path, sizeof path, "%s/tx_w%d.safetensors", dir, qb[k]);
        rc = qsdr_ae_save(txq, rx, &c.g, &c, &rep, path, NULL, meta, false);
        qsdr_nn_model_free(txq);
    }
    sigaction(SIGINT, &old_sa, NULL);
    fclose(c.loss_csv); /* the transmitter's fine-tuning steps are logged too */
    c.loss_csv = NULL;
    bool interrupted = *c.interrupt != 0;
    if (rc) fprintf(stderr, "qsdr train ae: %s\n", qsdr_last_error());
    snprintf(path, sizeof path, "%s/report.txt", dir);
    FILE *r = fopen(path, "w");
    for (int k = 0; r && k < 2; k++) {
        FILE *o = k ? stdout : r;
        fprintf(o, "command: %s\n", cmd ? cmd : "?");
        if (interrupted) {
            char missing[300] = "";
            if (!rxm && c.qat_steps) snprintf(missing, sizeof missing, "rx_multibit*");
            if (skipped[0]) snprintf(missing + strlen(missing), sizeof missing - strlen(missing), "%s%s", missing[0] ? ", " : "", skipped);
            fprintf(o, "INTERRUPTED (Ctrl-C) %s%s; %s; not written: %s\n", rep.interrupted[0] ? "in " : "while quantizing the transmitter",
                    rep.interrupted, rep.float_cut ? "tx and rx hold the networks as far as they were trained (their files say so)"
                                                   : "tx and rx are complete", missing[0] ? missing : "nothing");
        }
        char mb[2][32];
        for (int b = 0; b < 2; b++) ber_text(mb[b], sizeof mb[b], rep.raw_ber[b], "not trained");
        fprintf(o, "raw BER at the training point: two-step %s, straight-through %s -> kept %s\n", mb[0], mb[1],
                rep.chosen == QSDR_AE_STE ? "straight-through" : "two-step");
        if (rxm) {
            fprintf(o, "multi-bit receiver raw BER: float %.5f, 8 bits %.5f, 4 bits %.5f, 2 bits %.5f, 1 bit %.5f\n", rep.raw_ber_bits[0],
                    rep.raw_ber_bits[1], rep.raw_ber_bits[2], rep.raw_ber_bits[3], rep.raw_ber_bits[4]);
            fprintf(o, "multi-bit receiver LLR scales: float %.4f, 8 bits %.4f, 4 bits %.4f, 2 bits %.4f, 1 bit %.4f\n", rep.llr_scale_bits[0],
                    rep.llr_scale_bits[1], rep.llr_scale_bits[2], rep.llr_scale_bits[3], rep.llr_scale_bits[4]);
        } else {
            fprintf(o, "multi-bit receiver: %s\n", c.qat_steps ? "not trained (interrupted)" : "none (--qat-steps 0)");
        }
        char txb[4][24];
        for (int b = 1; b < QSDR_AE_NBITWIDTHS; b++) ber_text(txb[b - 1], sizeof txb[b - 1], tx_ber[b], "not written");
        fprintf(o, "transmitter at 8/4/2/1 bits (%s), raw BER: 8 bits %s, 4 bits %s, 2 bits %s, 1 bit %s\n",
                c.qat_steps ? "quantization-aware fine-tuning against the float receiver" : "post-training quantization only: --qat-steps 0",
                txb[0], txb[1], txb[2], txb[3]);
        fprintf(o, "LLR scale %.4f; LLR | c = 0: mean %.3f, variance %.3f (Gaussian consistency: variance / (2 mean) = %.3f)\n",
                rep.llr_scale, rep.llr_mean0, rep.llr_var0, rep.llr_var0 / (2 * rep.llr_mean0));
        fprintf(o, "training time %.1f s; files in %s/\n", cli_now() - t0, dir);
    }
    if (r) fclose(r);
    if (plot(dir)) fprintf(stderr, "qsdr train ae: gnuplot failed; %s/loss.csv has the numbers\n", dir);
    free(cmd), free(meta);
    qsdr_nn_model_free(tx);
    qsdr_nn_model_free(rx);
    qsdr_nn_model_free(rxm);
    return rc || interrupted ? 1 : 0;
}
