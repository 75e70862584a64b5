/* SPDX-License-Identifier: MIT */
/* `qsdr train` and `qsdr model`: train a model from a spec, inspect, evaluate and
 * post-training-quantize model files. */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cli_util.h"
#include "qsdr/ae.h"
#include "qsdr/nn.h"

#define EXIT_BAD_INPUT 2
int qsdr_cmd_train_ae(int argc, char **argv);

/* "8", "4/8" (weights/activations) or "float" */
static int parse_bits_opt(const char *s, int *w, int *a)
{
    if (!s) return -1;
    if (!strcmp(s, "float")) {
        *w = *a = 0;
        return 0;
    }
    char *end;
    long x = strtol(s, &end, 10), y = x;
    if (*end == '/') y = strtol(end + 1, &end, 10);
    if (*end || x < 1 || x > 8 || y < 1 || y > 8) return -1;
    *w = (int)x, *a = (int)y;
    return 0;
}

typedef struct {
    bool tty;
    size_t epochs;
    double t0;
    FILE *csv;
    const char *dir;
    size_t ckpt_every;
    qsdr_nn_model *m;
    const char *meta;
    size_t stopped_at; /* the epoch after which Ctrl-C stopped training (0: not stopped) */
} train_ui;

static void on_step(void *user, size_t step, size_t total, float loss)
{
    train_ui *u = user;
    if (!u->tty || (step % 16 && step != total)) return;
    cli_progress("training", step, total, loss, u->t0);
}

static int on_epoch(void *user, const qsdr_nn_epoch_stats *s)
{
    train_ui *u = user;
    if (u->tty) qsdr_status_line(NULL);
    fprintf(u->csv, "%zu,%.6g,%.6g,%.6g,%.6g,%.3f\n", s->epoch, s->loss, s->train_acc, s->test_acc, (double)s->lr, s->seconds);
    fflush(u->csv);
    if (u->tty || s->epoch == u->epochs)
        fprintf(stderr, "epoch %zu/%zu  loss %.4f  train acc %.4f  test acc %.4f  (%.1f s)\n", s->epoch, u->epochs, s->loss,
                s->train_acc, s->test_acc, s->seconds);
    if (u->ckpt_every && s->epoch % u->ckpt_every == 0) {
        char p[4096];
        snprintf(p, sizeof p, "%s/checkpoint-epoch%04zu.safetensors", u->dir, s->epoch);
        if (qsdr_nn_save(u->m, p, u->meta)) cli_report();
    }
    if (*cli_sigint_flag()) u->stopped_at = s->epoch; /* Ctrl-C: stop after this epoch, save it */
    return *cli_sigint_flag() != 0;
}

static int plot_training(const char *dir)
{
    char g[28000], q[8200];
    if (qsdr_plot_quote(q, sizeof q, dir)) return -1;
    snprintf(g, sizeof g,
             "set terminal pngcairo size 900,420 noenhanced\nset output '%s/train.png'\nset datafile separator ','\n"
             "set multiplot layout 1,2\nset xlabel 'epoch'\nset ylabel 'loss'\nset grid\nset logscale y\n"
             "plot '%s/train.csv' every ::1 using 1:2 with lines lw 2 title 'training loss'\n"
             "unset logscale y\nset ylabel 'accuracy'\nset yrange [0:1]\nset key bottom right\n"
             "plot '%s/train.csv' every ::1 using 1:3 with lines lw 2 title 'train', '' every ::1 using 1:4 with lines lw 2 title 'test'\n"
             "unset multiplot\n",
             q, q, q);
    return cli_gnuplot(dir, "train", g);
}

static const char usage_train[] =
    "usage: qsdr train SPEC.yml [options]   train the network a model spec describes (docs/nn.md)\n"
    "  --out DIR               (default train-SPECNAME): model.safetensors, train.csv, train.png\n"
    "  --epochs N              1..1000000 (default: the spec's train.epochs)\n"
    "  --seed N                initialisation, data order, dropout (default: the spec's seed)\n"
    "  --bits W[/A]|float      bit-width of every layer for quantization-aware training, 1..8\n"
    "  --checkpoint-every N    also save DIR/checkpoint-epochNNNN.safetensors every N epochs\n"
    "  --quiet                 no model summary or progress bar\n"
    "       qsdr train ae --bits-per-symbol M --oversampling L --ebn0 DB [...]   the autoencoder\n"
    "                          of the flagship chain (qsdr train ae --help)\n";

static int cmd_train_spec(int argc, char **argv)
{
    if (cli_wants_help(argc, argv)) return fputs(usage_train, stdout), 0;
    const char *spec = NULL, *out = NULL, *bits = NULL;
    long long epochs = -1, ckpt = 0;
    uint64_t seed = 0;
    bool quiet = false, have_seed = false;
    for (int i = 0; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        int bad = 0;
        if (!strcmp(a, "--out")) bad = cli_opt_missing("qsdr train", a, v), out = v, i++;
        else if (!strcmp(a, "--epochs")) bad = cli_opt_int("qsdr train", a, v, 1, 1000000, &epochs), i++;
        else if (!strcmp(a, "--seed")) bad = cli_opt_u64("qsdr train", a, v, &seed), have_seed = true, i++;
        else if (!strcmp(a, "--bits")) bad = cli_opt_missing("qsdr train", a, v), bits = v, i++;
        else if (!strcmp(a, "--checkpoint-every")) bad = cli_opt_int("qsdr train", a, v, 0, 1000000, &ckpt), i++;
        else if (!strcmp(a, "--quiet") || !strcmp(a, "-q")) quiet = true;
        else if (a[0] != '-' && !spec) spec = a;
        else {
            fprintf(stderr, "qsdr train: %s '%s'%s\n%s", a[0] == '-' ? "unknown option" : "one spec only, got another:", a,
                    a[0] == '-' ? cli_option_hint(a, usage_train) : "", usage_train);
            return EXIT_BAD_INPUT;
        }
        if (bad) return EXIT_BAD_INPUT;
    }
    if (!spec) {
        fprintf(stderr, "qsdr train: no model spec given\n%s", usage_train);
        return EXIT_BAD_INPUT;
    }
    cli_log_as("qsdr train");
    qsdr_nn_model *m = qsdr_nn_model_load(spec);
    if (!m) {
        cli_report();
        return EXIT_BAD_INPUT;
    }
    int wb, ab;
    if (bits && (parse_bits_opt(bits, &wb, &ab) || qsdr_nn_set_bits(m, QSDR_NN_ALL_LAYERS, wb, ab))) {
        fprintf(stderr, "qsdr train: --bits must be 1..8, W/A (e.g. 4/8) or float; got '%s'\n", bits);
        qsdr_nn_model_free(m);
        return EXIT_BAD_INPUT;
    }
    qsdr_nn_train_config c;
    qsdr_nn_dataset tr, te;
    if (qsdr_nn_train_config_from_spec(m, &c, spec) || qsdr_nn_dataset_from_spec(m, &tr, &te, spec)) {
        cli_report();
        qsdr_nn_model_free(m);
        return EXIT_BAD_INPUT;
    }
    if (epochs > 0) c.epochs = (size_t)epochs;
    if (have_seed) {
        c.seed = seed;
        qsdr_nn_model_init(m, seed);
    }
    if (qsdr_nn_train_check(m, &tr, &c)) { /* the spec's loss against its data: bad input, before any output */
        cli_report();
        qsdr_nn_dataset_free(&tr);
        qsdr_nn_dataset_free(&te);
        qsdr_nn_model_free(m);
        return EXIT_BAD_INPUT;
    }
    char dir[4096];
    if (out) snprintf(dir, sizeof dir, "%s", out);
    else {
        const char *b = strrchr(spec, '/');
        b = b ? b + 1 : spec;
        snprintf(dir, sizeof dir, "train-%.*s", (int)strcspn(b, "."), b);
    }
    if (mkdir(dir, 0777) && errno != EEXIST) {
        fprintf(stderr, "qsdr train: --out: cannot create %s: %s\n", dir, strerror(errno));
        qsdr_nn_dataset_free(&tr);
        qsdr_nn_dataset_free(&te);
        qsdr_nn_model_free(m);
        return EXIT_BAD_INPUT; /* a bad --out, found before any training */
    }
    char *cmd = cli_command_line(argc, argv, "qsdr train");
    char *meta = cmd ? cli_meta_json(cmd, (unsigned long long)c.seed) : NULL;
    char path[4200];
    snprintf(path, sizeof path, "%s/train.csv", dir);
    train_ui u = {.tty = !quiet && isatty(STDERR_FILENO), .epochs = c.epochs, .t0 = cli_now(), .csv = fopen(path, "w"), .dir = dir,
                  .ckpt_every = (size_t)ckpt, .m = m, .meta = meta};
    if (!u.csv) {
        fprintf(stderr, "qsdr train: --out: cannot write %s: %s\n", path, strerror(errno));
        free(cmd), free(meta);
        qsdr_nn_dataset_free(&tr);
        qsdr_nn_dataset_free(&te);
        qsdr_nn_model_free(m);
        return EXIT_BAD_INPUT;
    }
    fprintf(u.csv, "epoch,loss,train_acc,test_acc,lr,seconds\n");
    c.on_step = on_step, c.on_epoch = on_epoch, c.user = &u;
    if (!quiet) {
        qsdr_nn_model_print(m, stderr);
        fprintf(stderr, "training %zu examples, %zu epochs, batch %zu, seed %llu -> %s/\n", tr.n, c.epochs, c.batch,
                (unsigned long long)c.seed, dir);
    }
    struct sigaction old_sa;
    cli_catch_sigint(quiet ? NULL : "\nqsdr train: stopping after this epoch, the model so far is saved (Ctrl-C again to quit now)\n", &old_sa);
    int rc = qsdr_nn_train(m, &tr, &te, &c);
    sigaction(SIGINT, &old_sa, NULL);
    fclose(u.csv);
    if (rc) cli_report();
    snprintf(path, sizeof path, "%s/model.safetensors", dir);
    if (!rc && qsdr_nn_save(m, path, meta)) {
        cli_report();
        rc = 1;
    }
    if (!rc) {
        double acc = te.n ? qsdr_nn_accuracy(m, &te) : NAN;
        printf("model: %s\ntest accuracy: %.4f\n", path, acc);
        if (plot_training(dir)) fprintf(stderr, "qsdr train: gnuplot failed; %s/train.csv has the numbers\n", dir);
        else printf("plot: %s/train.png\n", dir);
    }
    if (!rc && u.stopped_at) {
        fprintf(stderr, "qsdr train: interrupted after epoch %zu of %zu; %s holds the model of that epoch\n", u.stopped_at, c.epochs, path);
        rc = 1;
    }
    free(cmd);
    free(meta);
    qsdr_nn_dataset_free(&tr);
    qsdr_nn_dataset_free(&te);
    qsdr_nn_model_free(m);
    return rc ? 1 : 0;
}

int qsdr_cmd_train(int argc, char **argv)
{
    if (argc >= 1 && !strcmp(argv[0], "ae")) return qsdr_cmd_train_ae(argc - 1, argv + 1);
    return cmd_train_spec(argc, argv);
}

/* ---- qsdr model --------------------------------------------------------------------------- */
static int model_eval(qsdr_nn_model *m, const char *file, const char *bits_list, long ncal)
{
    qsdr_nn_dataset tr, te;
    if (qsdr_nn_dataset_from_spec(m, &tr, &te, file)) {
        cli_report();
        return EXIT_BAD_INPUT;
    }
    const qsdr_nn_dataset *d = te.n ? &te : &tr;
    printf("%-8s %-10s %-10s %-11s %-9s %s\n", "bits", "fake-quant", "integer", "max |diff|", "differ", "kernels (integer engine)");
    char buf[256];
    snprintf(buf, sizeof buf, "%s", bits_list ? bits_list : "float,8,4,2,1");
    int rc = 0;
    for (char *tok = strtok(buf, ","); tok; tok = strtok(NULL, ",")) {
        int w, a;
        if (parse_bits_opt(tok, &w, &a) || qsdr_nn_set_bits(m, QSDR_NN_ALL_LAYERS, w, a)) {
            fprintf(stderr, "qsdr model eval: bad bit-width '%s' (1..8, W/A or float)\n", tok);
            rc = EXIT_BAD_INPUT;
            break;
        }
        if (ncal > 0 && qsdr_nn_calibrate_ptq(m, tr.x, (size_t)ncal < tr.n ? (size_t)ncal : tr.n)) {
            cli_report();
            rc = 1;
            break;
        }
        size_t n = d->n < 512 ? d->n : 512, F = qsdr_nn_out_features(m);
        qsdr_nn_set_engine(m, QSDR_NN_ENGINE_FLOAT);
        double af = qsdr_nn_accuracy(m, d);
        float *ref = malloc(n * F * sizeof(float));
        const float *y = qsdr_nn_forward(m, d->x, n);
        if (!ref || !y) {
            free(ref);
            rc = 1;
            break;
        }
        memcpy(ref, y, n * F * sizeof(float));
        qsdr_nn_set_engine(m, QSDR_NN_ENGINE_INT);
        double ai = qsdr_nn_accuracy(m, d);
        y = qsdr_nn_forward(m, d->x, n);
        double md = 0, big = 0;
        /* a compare, not fmax(): keeps a NaN visible, and GCC 12's aarch64 vectorizer crashes on
           fmax() reductions of widened floats */
        for (size_t i = 0; y && i < n * F; i++) {
            double e = fabs((double)y[i] - ref[i]), r = fabs((double)ref[i]);
            if (e > md || e != e) md = e;
            if (r > big) big = r;
        }
        /* samples whose outputs differ by more than float rounding (1e-5 of the largest output):
           an activation on a quantization step's edge rounds the other way in one engine (their
           float sums differ in the last bits); many such samples would be a bug */
        size_t off = 0;
        for (size_t s = 0; y && s < n; s++) {
            bool differs = false;
            for (size_t f = 0; f < F; f++) {
                double e = fabs((double)y[s * F + f] - ref[s * F + f]);
                differs = differs || e > 1e-5 * big || e != e;
            }
            off += differs;
        }
        char offs[48];
        snprintf(offs, sizeof offs, "%zu/%zu", off, n);
        char kn[160] = "";
        for (size_t i = 0; i < qsdr_nn_n_layers(m); i++) {
            int lw, la;
            if (!qsdr_nn_layer_bits(m, i, &lw, &la)) continue;
            snprintf(kn + strlen(kn), sizeof kn - strlen(kn), "%s%s", kn[0] ? " " : "", qsdr_nn_layer_kernel(m, i));
        }
        printf("%-8s %-10.4f %-10.4f %-11.3g %-9s %s\n", tok, af, ai, md, offs, kn);
        free(ref);
    }
    qsdr_nn_set_engine(m, QSDR_NN_ENGINE_FLOAT);
    qsdr_nn_dataset_free(&tr);
    qsdr_nn_dataset_free(&te);
    return rc;
}

/* models are read as safetensors by this name; anything else is a spec */
static bool is_safetensors(const char *path)
{
    size_t n = strlen(path);
    return n > 12 && !strcmp(path + n - 12, ".safetensors");
}

static const char usage_model[] =
    "usage: qsdr model info FILE...              layers, shapes, parameters, bit-widths, FLOPs\n"
    "       qsdr model eval FILE [--bits LIST] [--calibrate N]   accuracy per bit-width\n"
    "                        (e.g. float,8,4/8,2,1), fake-quant and integer engines; with\n"
    "                        --calibrate, ranges are set on N training examples first (PTQ)\n"
    "       qsdr model quantize IN OUT.safetensors --bits W[/A] [--calibrate N (default 1024)]   post-training\n"
    "                        quantization\n"
    "FILE is a spec (.yml/.json) or a .safetensors model; eval and quantize need the spec's data section\n";

/* qsdr model info for one file: 0, or EXIT_BAD_INPUT (reported) */
static int model_info(const char *file)
{
    char *cmd = NULL;
    qsdr_nn_model *m = qsdr_nn_model_load_meta(file, "qsdr.command", &cmd);
    if (!m) {
        cli_report();
        return EXIT_BAD_INPUT;
    }
    char *aem = is_safetensors(file) ? qsdr_nn_file_metadata(file, "qsdr.ae") : NULL; /* from the header: no second model load */
    qsdr_nn_model_print(m, stdout);
    qsdr_ae *ae = aem ? qsdr_ae_load_any(file) : NULL;
    if (ae) {
        char line[256];
        qsdr_ae_describe(ae, line, sizeof line);
        printf("%s\n", line);
        qsdr_ae_free(ae);
    }
    if (cmd) printf("trained by: %s\n", cmd);
    char *qby = is_safetensors(file) ? qsdr_nn_file_metadata(file, "qsdr.quantized_by") : NULL;
    if (qby) printf("quantized by: %s\n", qby);
    qsdr_free(qby);
    qsdr_nn_model_free(m);
    qsdr_free(cmd);
    qsdr_free(aem);
    return 0;
}

int qsdr_cmd_model(int argc, char **argv)
{
    if (cli_wants_help(argc, argv)) return fputs(usage_model, stdout), 0;
    if (argc < 2 || (strcmp(argv[0], "info") && strcmp(argv[0], "eval") && strcmp(argv[0], "quantize"))) {
        fputs(usage_model, stderr);
        return EXIT_BAD_INPUT;
    }
    /* options first: a bad option is reported before the model is loaded */
    const char *sub = argv[0], *file = argv[1], *outp = NULL, *bits = NULL;
    long long ncal = !strcmp(sub, "quantize") ? 1024 : 0;
    int first = 2;
    if (!strcmp(sub, "quantize")) {
        if (argc < 3 || argv[2][0] == '-') {
            fprintf(stderr, "qsdr model quantize: no output file given\n%s", usage_model);
            return EXIT_BAD_INPUT;
        }
        outp = argv[2];
        first = 3;
        if (!is_safetensors(outp)) {
            fprintf(stderr, "qsdr model quantize: the output file must end in .safetensors (models are read by that name), got '%s'\n", outp);
            return EXIT_BAD_INPUT;
        }
        if (qsdr_path_writable(outp)) {
            fprintf(stderr, "qsdr model quantize: '%s': cannot write there: %s\n", outp, strerror(errno));
            return EXIT_BAD_INPUT;
        }
    }
    static char name[32];
    snprintf(name, sizeof name, "qsdr model %s", sub);
    cli_log_as(name);
    if (!strcmp(sub, "info")) { /* several files, each under a header as head(1) writes them; a bad one does not stop the rest */
        for (int i = 1; i < argc; i++)
            if (argv[i][0] == '-') {
                fprintf(stderr, "%s: unknown option '%s'\n%s", name, argv[i], usage_model); /* info has none */
                return EXIT_BAD_INPUT;
            }
        int rc = 0;
        for (int i = 1; i < argc; i++) {
            if (argc > 2) printf("%s==> %s <==\n", i > 1 ? "\n" : "", argv[i]);
            fflush(stdout);
            if (model_info(argv[i])) rc = EXIT_BAD_INPUT;
        }
        return rc;
    }
    for (int i = first; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (!strcmp(a, "--bits")) {
            if (cli_opt_missing(name, a, v)) return EXIT_BAD_INPUT;
            bits = v, i++;
        } else if (!strcmp(a, "--calibrate")) {
            if (cli_opt_int(name, a, v, !strcmp(sub, "quantize") ? 1 : 0, 100000000, &ncal)) return EXIT_BAD_INPUT;
            i++;
        } else {
            fprintf(stderr, "%s: unknown option or extra argument '%s'%s\n%s", name, a, a[0] == '-' ? cli_option_hint(a, usage_model) : "", usage_model);
            return EXIT_BAD_INPUT;
        }
    }
    int w = 0, a = 0;
    if (!strcmp(sub, "quantize") && (!bits || parse_bits_opt(bits, &w, &a))) {
        if (bits) fprintf(stderr, "qsdr model quantize: --bits expects W or W/A with W, A in 1..8, or float; got '%s'\n", bits);
        else fprintf(stderr, "qsdr model quantize: --bits W[/A] is required\n");
        return EXIT_BAD_INPUT;
    }
    char *cmd = NULL; /* the training command, read with the model (safetensors files) */
    qsdr_nn_model *m = qsdr_nn_model_load_meta(file, "qsdr.command", &cmd);
    if (!m) {
        cli_report();
        return EXIT_BAD_INPUT;
    }
    int rc = 0;
    /* an autoencoder model (qsdr.ae metadata, read from the header: no second model load): its role
       and bit-widths; it has no data set */
    char *aem = is_safetensors(file) ? qsdr_nn_file_metadata(file, "qsdr.ae") : NULL;
    if (aem) {
        fprintf(stderr, "%s: %s is an autoencoder network (qsdr train ae): it has no data set to evaluate on. Its BER per "
                        "bit-width, on the same noise: qsdr ber flowgraphs/ae_onebit.yml --sweep awgn.ebn0_db=2.4 --sweep "
                        "ae_rx.bits=0,8,4,2,1 --set rx=rx_multibit --max-frames 640 (docs/flagship.md)\n", name, file);
        qsdr_free(aem);
        qsdr_nn_model_free(m);
        qsdr_free(cmd);
        return EXIT_BAD_INPUT;
    }
    if (!strcmp(sub, "eval")) {
        rc = model_eval(m, file, bits, (long)ncal);
    } else {
        qsdr_nn_dataset tr, te;
        if (qsdr_nn_dataset_from_spec(m, &tr, &te, file)) {
            cli_report();
            rc = EXIT_BAD_INPUT;
        } else {
            qsdr_nn_set_bits(m, QSDR_NN_ALL_LAYERS, w, a);
            size_t n = (size_t)ncal < tr.n ? (size_t)ncal : tr.n;
            /* provenance: the training command and seed carry over, with this command beside them */
            char *seed = is_safetensors(file) ? qsdr_nn_file_metadata(file, "qsdr.seed") : NULL, *qcmd = cli_command_line(argc, argv, "qsdr model");
            cJSON *mo = cJSON_CreateObject();
            if (mo && cmd) cJSON_AddStringToObject(mo, "qsdr.command", cmd);
            if (mo && seed) cJSON_AddStringToObject(mo, "qsdr.seed", seed);
            if (mo && qcmd) cJSON_AddStringToObject(mo, "qsdr.quantized_by", qcmd);
            char *meta = mo ? cJSON_PrintUnformatted(mo) : NULL;
            cJSON_Delete(mo);
            qsdr_free(seed);
            free(qcmd);
            int bad = qsdr_nn_calibrate_ptq(m, tr.x, n) || qsdr_nn_save(m, outp, meta);
            cJSON_free(meta);
            if (bad) {
                cli_report();
                rc = 1;
            } else
                printf("%s: %s bits, calibrated on %zu examples; test accuracy %.4f\n", outp, bits, n,
                       qsdr_nn_accuracy(m, te.n ? &te : &tr));
            qsdr_nn_dataset_free(&tr);
            qsdr_nn_dataset_free(&te);
        }
    }
    qsdr_nn_model_free(m);
    qsdr_free(cmd);
    qsdr_free(aem);
    return rc;
}
