/* SPDX-License-Identifier: MIT */
/* The qsdr command: run flowgraphs, describe blocks, run one block as a stream filter. */
#define _GNU_SOURCE
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <unistd.h>

#include <cjson/cJSON.h>
#include <zmq.h>

#include "cli_util.h"
#include "qsdr/qsdr.h"

enum { EXIT_BAD_INPUT = 2, EXIT_RUNTIME = 1 };

static qsdr_flowgraph_t *volatile g_fg;
static volatile sig_atomic_t g_sigints, g_stops, g_drain_expired, g_aborted, g_signal_quiet;
static unsigned g_drain_timeout = 10; /* --drain-timeout: seconds a stop may take to drain */

/* The first stop request (Ctrl-C, SIGTERM, the --seconds timer) ends the sources and lets the
 * data in flight drain; a second Ctrl-C/SIGTERM, or the drain timer, aborts. */
static void on_signal(int sig)
{
    qsdr_flowgraph_t *fg = g_fg;
    if (sig == SIGINT || sig == SIGTERM) g_sigints++;
    if (!fg) return;
    if (g_stops == 0) {
        g_stops = 1;
        qsdr_flowgraph_stop(fg);
        if (g_drain_timeout) alarm(g_drain_timeout); /* replaces the --seconds timer, which has fired or is moot */
        static const char msg[] = "\nqsdr: stopping: data in flight drains to the sinks (Ctrl-C again to abort)\n";
        if (sig != SIGALRM && !g_signal_quiet) (void)!write(STDERR_FILENO, msg, sizeof msg - 1);
    } else if (sig == SIGALRM) {
        g_drain_expired = 1;
        qsdr_flowgraph_abort(fg);
    } else {
        g_aborted = 1;
        qsdr_flowgraph_abort(fg);
    }
}

static void usage(FILE *f)
{
    fprintf(f,
            "qsdr %s - software-defined-radio blocks for quantized neural physical layers\n\n"
            "usage:\n"
            "  qsdr run FILE.yml [--set ID.PARAM=VALUE | --set VAR=VALUE]... [--items N | --seconds S]\n"
            "                    [--seed N] [--scheduler threaded|serial] [--quiet]\n"
            "                    [--control ENDPOINT [--control-allow-remote] [--control-curve-secret Z85]]\n"
            "  qsdr flowgraphs                     the shipped flowgraphs: run and ber take their names\n"
            "  qsdr blocks [NAME] [--markdown]     list blocks, or describe one (ports, parameters)\n"
            "  qsdr block NAME [PARAM=VALUE]...    run one 1-in/1-out block as a filter: stdin -> stdout\n"
            "  qsdr ber FILE.yml --sweep awgn.ebn0_db=0:1:8 [...]   BER/FER curves (qsdr ber --help)\n"
            "  qsdr ctl ADDRESS get ID.PARAM | set ID.PARAM VALUE | list | stats | json '{...}'\n"
            "           [--timeout MS] [--curve-server-key Z85]   steer a flowgraph run with --control ADDRESS\n"
            "  qsdr ctl keygen                     a CURVE key pair for --control-curve-secret\n"
            "  qsdr train SPEC.yml [--out DIR] [--epochs N] [--seed N] [--bits W[/A]]   train a network\n"
            "  qsdr model info|eval|quantize FILE ...   inspect, evaluate per bit-width, quantize (PTQ)\n"
            "  qsdr version\n"
            "qsdr COMMAND --help shows a command's options and their ranges\n\n"
            "exit status: 0 ok, 2 bad input (flowgraph, parameter, option), 1 runtime failure\n"
            "environment: QSDR_LOG=debug|info|warn|error|off (log level; default info, warn with --quiet),\n"
            "             QSDR_SIMD=generic|avx2|avx512... (kernel variant, docs/kernels.md),\n"
            "             QSDR_PLUGIN_PATH=DIR[:DIR] (block plugins, docs/plugins.md)\n",
            QSDR_VERSION_STRING);
}

static const char usage_run[] =
    "usage: qsdr run FILE.yml [options]     run a flowgraph until its sources end (or a limit)\n"
    "       FILE.yml: a path, or the name of a shipped flowgraph (qsdr flowgraphs lists them)\n"
    "  --set ID.PARAM=VALUE | --set VAR=VALUE   a block parameter or a flowgraph variable (repeatable)\n"
    "  --items N             every source stops after N items (0: no limit)\n"
    "  --seconds S           the sources stop after S seconds, S in [0.001, 1e7]\n"
    "  --seed N              the flowgraph seed (default: the file's options: seed, else 1; every block's seed\n"
    "                        derives from it)\n"
    "  --scheduler threaded|serial   (default threaded: one thread per block)\n"
    "  --drain-timeout S     after a stop (Ctrl-C, SIGTERM, --seconds), abort when the data in flight\n"
    "                        has not drained within S seconds, S in 0..86400 (default 10; 0: wait)\n"
    "  --control ENDPOINT    serve the control port (qsdr ctl) on a loopback tcp:// or ipc:// endpoint\n"
    "  --control-allow-remote        allow a non-loopback control endpoint\n"
    "  --control-curve-secret Z85    CURVE-encrypt the control port (qsdr ctl keygen)\n"
    "  --quiet, -q           no configuration, progress, counters or info lines on stderr\n";
static const char usage_blocks[] =
    "usage: qsdr blocks [NAME] [--markdown]   list every block, or describe one: ports, rate,\n"
    "                                         parameters (type, default, range, units, live)\n";
static const char usage_block[] =
    "usage: qsdr block NAME [PARAM=VALUE]...   run one 1-in/1-out block as a filter, stdin -> stdout\n"
    "                                          (raw items of the block's input and output types, as its\n"
    "                                          parameters set them: e.g. turbo_decoder soft=true writes f32)\n";
static const char usage_ctl[] =
    "usage: qsdr ctl ADDRESS get ID.PARAM | set ID.PARAM VALUE | list | stats | json '{...}'\n"
    "                [--timeout MS (1..3600000, default 3000)] [--curve-server-key Z85]\n"
    "       qsdr ctl keygen     a CURVE key pair for qsdr run --control-curve-secret\n"
    "ADDRESS is the endpoint given to qsdr run --control; exit 0 when the answer has \"ok\": true\n";

/* ---- qsdr blocks ----------------------------------------------------------------------- */
static const char *ptype(qsdr_param_type t)
{
    static const char *n[] = {"int", "uint", "float", "bool", "string", "enum", "seed", "list"};
    return (unsigned)t < 8 ? n[t] : "?";
}

static const char *rate_text(const qsdr_block_desc *d, char *buf, size_t n)
{
    static const char *kind[] = {"1:1", "decimating", "interpolating", "framed"};
    if (d->n_inputs == 0) snprintf(buf, n, "source");
    else if (d->n_outputs == 0) snprintf(buf, n, "sink");
    else if (d->rate_kind == QSDR_RATE_SYNC) snprintf(buf, n, "1:1");
    else snprintf(buf, n, "%s (default %zu in : %zu out; set by parameters)", kind[d->rate_kind], d->rate_in, d->rate_out);
    return buf;
}

static void range_text(const qsdr_param_desc *p, char *buf, size_t n)
{
    if (p->type == QSDR_PARAM_ENUM) snprintf(buf, n, "%s", p->choices);
    else if (p->type == QSDR_PARAM_BOOL) snprintf(buf, n, "true|false");
    else if (p->min <= p->max) snprintf(buf, n, "[%.10g, %.10g]", p->min, p->max);
    else snprintf(buf, n, "-");
}

/* text for a markdown table cell: '|' would end the cell (enum choices "a|b|c") */
static const char *md_cell(const char *in, char *out, size_t n)
{
    size_t k = 0;
    for (; *in && k + 3 < n; in++) {
        if (*in == '|') out[k++] = '\\';
        out[k++] = *in;
    }
    out[k] = 0;
    return out;
}

static void describe(const qsdr_block_desc *d, FILE *f, bool md)
{
    char buf[256];
    if (md) {
        fprintf(f, "## `%s`\n\n%s\n\n", d->name, d->summary);
        fprintf(f, "- rate: %s\n", rate_text(d, buf, sizeof buf));
        for (size_t i = 0; i < d->n_inputs; i++) fprintf(f, "- input `%s`: %s\n", d->inputs[i].name, qsdr_item_name(d->inputs[i].type));
        for (size_t i = 0; i < d->n_outputs; i++) fprintf(f, "- output `%s`: %s\n", d->outputs[i].name, qsdr_item_name(d->outputs[i].type));
        if (d->n_params) {
            fprintf(f, "\n| parameter | type | default | range | units | live | description |\n|---|---|---|---|---|---|---|\n");
            for (size_t i = 0; i < d->n_params; i++) {
                const qsdr_param_desc *p = &d->params[i];
                char rng[300], help[600];
                range_text(p, buf, sizeof buf);
                fprintf(f, "| `%s` | %s | %s | %s | %s | %s | %s |\n", p->name, ptype(p->type), p->def ? (*p->def ? p->def : "\"\"") : "(unset)",
                        md_cell(buf, rng, sizeof rng), p->units && *p->units ? p->units : "", p->flags & QSDR_PARAM_RUNTIME ? "yes" : "",
                        md_cell(p->help, help, sizeof help));
            }
        }
        fprintf(f, "\n");
        return;
    }
    fprintf(f, "%s: %s\n  rate: %s\n", d->name, d->summary, rate_text(d, buf, sizeof buf));
    for (size_t i = 0; i < d->n_inputs; i++) fprintf(f, "  input  %-10s %s\n", d->inputs[i].name, qsdr_item_name(d->inputs[i].type));
    for (size_t i = 0; i < d->n_outputs; i++) fprintf(f, "  output %-10s %s\n", d->outputs[i].name, qsdr_item_name(d->outputs[i].type));
    if (d->n_params) fprintf(f, "  parameters:\n");
    for (size_t i = 0; i < d->n_params; i++) {
        const qsdr_param_desc *p = &d->params[i];
        range_text(p, buf, sizeof buf);
        fprintf(f, "    %-16s %-6s default %-10s range %s%s%s%s\n      %s\n", p->name, ptype(p->type), p->def ? p->def : "(unset)", buf,
                p->units && *p->units ? " " : "", p->units ? p->units : "", p->flags & QSDR_PARAM_RUNTIME ? "  [settable while running]" : "",
                p->help);
    }
}

static int cmd_blocks(int argc, char **argv)
{
    if (cli_wants_help(argc, argv)) return fputs(usage_blocks, stdout), 0;
    bool md = false;
    const char *name = NULL;
    for (int i = 0; i < argc; i++) {
        if (!strcmp(argv[i], "--markdown")) md = true;
        else if (argv[i][0] == '-') {
            fprintf(stderr, "qsdr blocks: unknown option '%s'%s\n%s", argv[i], cli_option_hint(argv[i], usage_blocks), usage_blocks);
            return EXIT_BAD_INPUT;
        } else if (name) {
            fprintf(stderr, "qsdr blocks: one block name at a time, got '%s' and '%s'\n", name, argv[i]);
            return EXIT_BAD_INPUT;
        } else name = argv[i];
    }
    qsdr_registry_load_plugins();
    if (name) {
        const qsdr_block_desc *d = qsdr_registry_find(name);
        if (!d) {
            fprintf(stderr, "qsdr blocks: unknown block type '%s' (%srun `qsdr blocks` for the list)\n", name, qsdr_registry_hint(name));
            return EXIT_BAD_INPUT;
        }
        describe(d, stdout, md);
        return 0;
    }
    size_t n = qsdr_registry_count();
    if (md) {
        printf("# Block reference\n\nGenerated by `qsdr blocks --markdown` from the block descriptors; do not edit by hand.\n"
               "Item types: bit (uint8 0/1), u8, i8, i16, f32 (also LLRs, log P(b=0)/P(b=1)), cf32 (interleaved float32 I/Q).\n"
               "Parameters marked *live* can be changed while the flowgraph runs.\n\n");
        for (size_t i = 0; i < n; i++) printf("- [`%s`](#%s): %s\n", qsdr_registry_get(i)->name, qsdr_registry_get(i)->name, qsdr_registry_get(i)->summary);
        printf("\n");
        for (size_t i = 0; i < n; i++) describe(qsdr_registry_get(i), stdout, true);
        return 0;
    }
    for (size_t i = 0; i < n; i++) printf("%-18s %s\n", qsdr_registry_get(i)->name, qsdr_registry_get(i)->summary);
    return 0;
}

/* ---- qsdr run -------------------------------------------------------------------------- */
/* One status line on a terminal: elapsed, items, rate and, when the end is known, ETA. */
static void progress_line(qsdr_flowgraph_t *fg, double t0, double seconds)
{
    double el = qsdr_now() - t0;
    uint64_t n = qsdr_flowgraph_sink_items(fg);
    double frac = qsdr_flowgraph_progress(fg), eta = cli_eta(el, frac);
    if (seconds > 0 && (eta < 0 || seconds - el < eta)) eta = seconds - el; /* whichever ends the run first */
    char line[160];
    int len = snprintf(line, sizeof line, "  %8.1f s  %14" PRIu64 " items at sinks  %8.2f Mitems/s", el, n, el > 0 ? (double)n / el / 1e6 : 0.0);
    if (eta >= 0) snprintf(line + len, sizeof line - (size_t)len, "  ETA %6.1f s", eta);
    qsdr_status_line(line);
}

typedef struct {
    const char *endpoint, *curve_secret;
    bool allow_remote;
} control_opts;

static int run_flowgraph(qsdr_flowgraph_t *fg, qsdr_sched_kind sched, double seconds, bool quiet, const control_opts *co)
{
    int rc = qsdr_flowgraph_prepare(fg);
    if (rc) return EXIT_BAD_INPUT;
    /* a BER flowgraph ends with its meters: a file_sink tapping an endless source would keep it
       running, and writing, for ever */
    for (size_t i = 0; i < qsdr_flowgraph_block_count(fg); i++)
        if (!strcmp(qsdr_flowgraph_block_type(fg, i), "ber") && qsdr_flowgraph_end_with(fg, qsdr_flowgraph_block_id(fg, i)))
            return EXIT_RUNTIME;
    qsdr_control_t *ctl = NULL;
    if (co && co->endpoint) {
        ctl = qsdr_control_start(fg, co->endpoint, co->allow_remote, co->curve_secret);
        if (!ctl) return EXIT_BAD_INPUT;
        if (!quiet) fprintf(stderr, "qsdr: control port on %s\n", co->endpoint);
    }
    if (!quiet) qsdr_flowgraph_print_config(fg, stderr);
    g_signal_quiet = quiet;
    g_fg = fg;
    struct sigaction sa = {0};
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGALRM, &sa, NULL);
    if (seconds > 0) {
        struct itimerval it = {0};
        it.it_value.tv_sec = (time_t)seconds;
        it.it_value.tv_usec = (suseconds_t)((seconds - (double)(time_t)seconds) * 1e6);
        setitimer(ITIMER_REAL, &it, NULL);
    }
    double t0 = qsdr_now();
    bool tty = isatty(STDERR_FILENO) && !quiet;
    if (sched == QSDR_SCHED_SERIAL) {
        rc = qsdr_flowgraph_run(fg, sched);
    } else {
        rc = qsdr_flowgraph_start(fg, sched);
        if (rc == QSDR_OK) {
            while (!qsdr_flowgraph_wait_for(fg, 1.0))
                if (tty) progress_line(fg, t0, seconds);
            if (tty) qsdr_status_line(NULL); /* the counters table below has the totals */
            rc = qsdr_flowgraph_wait(fg);
        }
    }
    struct itimerval off = {0};
    setitimer(ITIMER_REAL, &off, NULL);
    qsdr_control_stop(&ctl);
    g_fg = NULL;
    if (!quiet) {
        if (g_sigints) fprintf(stderr, "qsdr: interrupted; final counters:\n");
        qsdr_flowgraph_print_stats(fg, stderr);
    }
    if (g_aborted && !g_drain_expired) {
        fprintf(stderr, "qsdr: aborted (a second Ctrl-C or SIGTERM); data in flight was discarded\n");
        return EXIT_RUNTIME;
    }
    if (g_drain_expired) {
        fprintf(stderr,
                "qsdr: the flowgraph did not drain within %u s of the stop (a sink still held data: e.g. a ZeroMQ sink "
                "nobody reads); aborted, that data is lost (--drain-timeout)\n",
                g_drain_timeout);
        return EXIT_RUNTIME;
    }
    return rc ? EXIT_RUNTIME : 0;
}

static int cmd_run(int argc, char **argv)
{
    if (cli_wants_help(argc, argv)) return fputs(usage_run, stdout), 0;
    const char *file = NULL;
    const char **sets = calloc((size_t)argc + 1, sizeof *sets);
    size_t n_sets = 0;
    uint64_t items = 0, seed = 0;
    bool have_seed = false, quiet = false;
    double seconds = 0;
    qsdr_sched_kind sched = QSDR_SCHED_THREADED;
    control_opts co = {0};
    int rc = EXIT_BAD_INPUT;
    if (!sets) return fprintf(stderr, "qsdr run: out of memory\n"), 1;
    for (int i = 0; i < argc; i++) {
        const char *a = argv[i];
        const char *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (!strcmp(a, "--set") || !strcmp(a, "-s")) {
            if (!v || !strchr(v, '=')) {
                fprintf(stderr, "qsdr run: --set expects ID.PARAM=VALUE or VAR=VALUE, got '%s'\n", v ? v : "");
                goto out;
            }
            sets[n_sets++] = v;
            i++;
        } else if (!strcmp(a, "--items")) {
            if (cli_opt_u64("qsdr run", a, v, &items)) goto out;
            i++;
        } else if (!strcmp(a, "--seed")) {
            if (cli_opt_u64("qsdr run", a, v, &seed)) goto out;
            have_seed = true;
            i++;
        } else if (!strcmp(a, "--seconds")) {
            if (cli_opt_double("qsdr run", a, v, 1e-3, 1e7, &seconds)) goto out;
            i++;
        } else if (!strcmp(a, "--drain-timeout")) {
            long long d;
            if (cli_opt_int("qsdr run", a, v, 0, 86400, &d)) goto out;
            g_drain_timeout = (unsigned)d;
            i++;
        } else if (!strcmp(a, "--scheduler")) {
            if (v && !strcmp(v, "threaded")) sched = QSDR_SCHED_THREADED;
            else if (v && !strcmp(v, "serial")) sched = QSDR_SCHED_SERIAL;
            else {
                fprintf(stderr, "qsdr run: --scheduler expects threaded or serial, got '%s'\n", v ? v : "");
                goto out;
            }
            i++;
        } else if (!strcmp(a, "--quiet") || !strcmp(a, "-q")) {
            quiet = true;
            cli_quiet_logs();
        } else if (!strcmp(a, "--control") || !strcmp(a, "--control-curve-secret")) {
            if (!v) {
                fprintf(stderr, "qsdr run: %s needs a value\n", a);
                goto out;
            }
            if (!strcmp(a, "--control")) co.endpoint = v;
            else co.curve_secret = v;
            i++;
        } else if (!strcmp(a, "--control-allow-remote")) {
            co.allow_remote = true;
        } else if (a[0] == '-' && a[1]) {
            fprintf(stderr, "qsdr run: unknown option '%s'%s\n%s", a, cli_option_hint(a, usage_run), usage_run);
            goto out;
        } else if (!file) {
            file = a;
        } else {
            fprintf(stderr, "qsdr run: only one flowgraph file, got '%s' and '%s'\n", file, a);
            goto out;
        }
    }
    if (!file) {
        fprintf(stderr, "qsdr run: no flowgraph file given\n%s", usage_run);
        goto out;
    }
    if (items && seconds > 0) {
        fprintf(stderr, "qsdr run: give --items or --seconds, not both\n");
        goto out;
    }
    char found[4200];
    if (!(file = cli_flowgraph_path("qsdr run", file, found, sizeof found, true))) goto out;
    qsdr_flowgraph_t *fg = NULL;
    if (qsdr_flowgraph_load(file, sets, &fg)) goto out;
    if (have_seed) qsdr_flowgraph_set_seed(fg, seed);
    if (items) qsdr_flowgraph_set_item_limit(fg, items);
    rc = run_flowgraph(fg, sched, seconds, quiet, &co);
    qsdr_flowgraph_destroy(&fg);
out:
    free(sets);
    return rc;
}

/* ---- qsdr flowgraphs: the shipped ones -------------------------------------------------- */
static const char usage_flowgraphs[] =
    "usage: qsdr flowgraphs     list the shipped flowgraphs (name and first comment line) and where\n"
    "                           they are; qsdr run / qsdr ber take such a name in place of a path\n";

static int cmp_str(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

static int cmd_flowgraphs(int argc, char **argv)
{
    if (cli_wants_help(argc, argv)) return fputs(usage_flowgraphs, stdout), 0;
    if (argc) return fprintf(stderr, "qsdr flowgraphs: takes no arguments, got '%s'\n%s", argv[0], usage_flowgraphs), EXIT_BAD_INPUT;
    char dirs[2][4096];
    if (!cli_flowgraph_dirs(dirs))
        return fprintf(stderr, "qsdr flowgraphs: no shipped flowgraphs found (looked for share/qsdr/flowgraphs beside this "
                               "command, and the source tree it was built from)\n"), 1;
    DIR *d = opendir(dirs[0]);
    if (!d) return fprintf(stderr, "qsdr flowgraphs: %s: %s\n", dirs[0], strerror(errno)), 1;
    char *names[256];
    size_t n = 0;
    struct dirent *e;
    while ((e = readdir(d)) && n < 256) {
        size_t len = strlen(e->d_name);
        if (len > 4 && !strcmp(e->d_name + len - 4, ".yml") && (names[n] = strdup(e->d_name))) n++;
    }
    closedir(d);
    qsort(names, n, sizeof *names, cmp_str);
    printf("# %s\n", dirs[0]);
    for (size_t i = 0; i < n; i++) {
        char path[4400], line[512], desc[1100] = "";
        snprintf(path, sizeof path, "%s/%s", dirs[0], names[i]);
        FILE *f = fopen(path, "r");
        size_t dl = 0;
        while (f && fgets(line, sizeof line, f) && line[0] == '#' && dl < 600) { /* the opening comment */
            line[strcspn(line, "\r\n")] = 0;
            dl += (size_t)snprintf(desc + dl, sizeof desc - dl, "%s%s", dl ? " " : "", line + 1 + (line[1] == ' '));
        }
        if (f) fclose(f);
        char *end = desc; /* its first sentence (not ended by "e.g." or "i.e."), at most about 100 characters */
        while ((end = strstr(end, ". ")) && end - desc >= 3 && (!strncmp(end - 3, "e.g", 3) || !strncmp(end - 3, "i.e", 3))) end++;
        if (end) end[1] = 0;
        if (strlen(desc) > 100) {
            desc[97] = 0;
            char *sp = strrchr(desc, ' ');
            while (sp && sp > desc && sp[-1] == '.') { /* not "(e.g...." */
                *sp = 0;
                sp = strrchr(desc, ' ');
            }
            strcpy(sp ? sp : desc + 97, "...");
        }
        names[i][strlen(names[i]) - 4] = 0;
        printf("%-22s %s\n", names[i], desc);
        free(names[i]);
    }
    return 0;
}

/* ---- qsdr block (filter) ---------------------------------------------------------------- */
static int cmd_block(int argc, char **argv)
{
    if (cli_wants_help(argc, argv)) return fputs(usage_block, stdout), 0;
    if (argc < 1) {
        fprintf(stderr, "qsdr block: which block?\n%s", usage_block);
        return EXIT_BAD_INPUT;
    }
    qsdr_registry_load_plugins();
    const qsdr_block_desc *d = qsdr_registry_find(argv[0]);
    if (!d) {
        fprintf(stderr, "qsdr block: unknown block type '%s' (%srun `qsdr blocks` for the list)\n", argv[0], qsdr_registry_hint(argv[0]));
        return EXIT_BAD_INPUT;
    }
    if (d->n_inputs != 1 || d->n_outputs != 1) {
        fprintf(stderr, "qsdr block: '%s' has %zu inputs and %zu outputs; only 1-in/1-out blocks run as filters\n", d->name, d->n_inputs,
                d->n_outputs);
        return EXIT_BAD_INPUT;
    }
    qsdr_flowgraph_t *fg = qsdr_flowgraph_create();
    int rc = EXIT_BAD_INPUT;
    if (!fg) return EXIT_RUNTIME;
    if (qsdr_flowgraph_set_name(fg, "qsdr block") || qsdr_flowgraph_add(fg, "blk", d->name)) goto out;
    for (int i = 1; i < argc; i++) {
        char *eq = strchr(argv[i], '=');
        if (!eq) {
            fprintf(stderr, "qsdr block: expected PARAM=VALUE, got '%s'\n", argv[i]);
            goto out;
        }
        *eq = 0;
        if (qsdr_flowgraph_param(fg, "blk", argv[i], eq + 1)) goto out;
    }
    /* item types of the stdin/stdout files: the declared ones, or as the block resolves them
       from its parameters (a generic block's 'type', turbo_decoder's 'soft') */
    qsdr_item_type t_in, t_out;
    if (qsdr_flowgraph_port_type(fg, "blk", false, 0, &t_in) || qsdr_flowgraph_port_type(fg, "blk", true, 0, &t_out)) goto out;
    const char *tin = qsdr_item_name(t_in), *tout = qsdr_item_name(t_out);
    if (qsdr_flowgraph_add(fg, "stdin", "file_source") || qsdr_flowgraph_param(fg, "stdin", "type", tin) ||
        qsdr_flowgraph_param(fg, "stdin", "path", "/dev/stdin") || qsdr_flowgraph_add(fg, "stdout", "file_sink") ||
        qsdr_flowgraph_param(fg, "stdout", "type", tout) || qsdr_flowgraph_param(fg, "stdout", "path", "/dev/stdout") ||
        qsdr_flowgraph_connect(fg, "stdin", NULL, "blk", NULL) || qsdr_flowgraph_connect(fg, "blk", NULL, "stdout", NULL))
        goto out;
    rc = run_flowgraph(fg, QSDR_SCHED_THREADED, 0, true, NULL);
out:
    qsdr_flowgraph_destroy(&fg);
    return rc;
}

int qsdr_cmd_ber(int argc, char **argv);
int qsdr_cmd_train(int argc, char **argv);
int qsdr_cmd_model(int argc, char **argv);

/* ---- qsdr ctl: the control port's command-line client ---------------------------------- */
static int cmd_ctl(int argc, char **argv)
{
    if (argc >= 1 && (!strcmp(argv[0], "--help") || !strcmp(argv[0], "-h"))) return fputs(usage_ctl, stdout), 0;
    if (argc >= 1 && !strcmp(argv[0], "keygen")) {
        char pub[41], sec[41];
        if (zmq_curve_keypair(pub, sec)) {
            fprintf(stderr, "qsdr ctl keygen: %s\n", zmq_strerror(zmq_errno()));
            return 1;
        }
        printf("public: %s\nsecret: %s\n", pub, sec);
        return 0;
    }
    const char *addr = NULL, *server_key = NULL;
    const char *words[4] = {0};
    int nw = 0;
    long long timeout_ms = 3000;
    for (int i = 0; i < argc; i++) {
        const char *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (!strcmp(argv[i], "--timeout")) {
            if (cli_opt_int("qsdr ctl", argv[i], v, 1, 3600000, &timeout_ms)) return EXIT_BAD_INPUT;
            i++;
        } else if (!strcmp(argv[i], "--curve-server-key")) {
            if (cli_opt_missing("qsdr ctl", argv[i], v)) return EXIT_BAD_INPUT;
            if (strlen(v) != 40) {
                fprintf(stderr, "qsdr ctl: --curve-server-key expects the 40-character Z85 public key (qsdr ctl keygen), got '%s'\n", v);
                return EXIT_BAD_INPUT;
            }
            server_key = v;
            i++;
        } else if (argv[i][0] == '-' && argv[i][1] == '-' && isalpha((unsigned char)argv[i][2])) {
            fprintf(stderr, "qsdr ctl: unknown option '%s'%s\n%s", argv[i], cli_option_hint(argv[i], usage_ctl), usage_ctl);
            return EXIT_BAD_INPUT;
        } else if (!addr) addr = argv[i];
        else if (nw < 4) words[nw++] = argv[i];
        else {
            fprintf(stderr, "qsdr ctl: too many arguments\n%s", usage_ctl);
            return EXIT_BAD_INPUT;
        }
    }
    if (!addr || !nw) {
        fputs(usage_ctl, stderr);
        return EXIT_BAD_INPUT;
    }
    /* the request is built with cJSON, so names and values with quotes or backslashes stay
       one JSON string each; `json TEXT` is sent as given (the server answers malformed JSON) */
    cJSON *j = cJSON_CreateObject();
    char *req = NULL;
    if (!strcmp(words[0], "get") && nw == 2) cJSON_AddStringToObject(j, "get", words[1]);
    else if (!strcmp(words[0], "set") && nw == 3) {
        cJSON_AddStringToObject(j, "set", words[1]);
        cJSON_AddStringToObject(j, "value", words[2]);
    } else if (!strcmp(words[0], "list") && nw == 1) cJSON_AddTrueToObject(j, "list");
    else if (!strcmp(words[0], "stats") && nw == 1) cJSON_AddTrueToObject(j, "stats");
    else if (!strcmp(words[0], "json") && nw == 2) req = strdup(words[1]);
    else {
        cJSON_Delete(j);
        fprintf(stderr, "qsdr ctl: expected get ID.PARAM, set ID.PARAM VALUE, list, stats or json TEXT, got '%s'%s\n%s", words[0],
                cli_list_hint(words[0], "get,set,list,stats,json"), usage_ctl);
        return EXIT_BAD_INPUT;
    }
    if (!req) req = cJSON_PrintUnformatted(j);
    cJSON_Delete(j);
    if (!req) {
        fprintf(stderr, "qsdr ctl: out of memory\n");
        return 1;
    }
    void *ctx = zmq_ctx_new(), *s = zmq_socket(ctx, ZMQ_REQ);
    int linger = 0;
    int64_t max_reply = 256ll << 20; /* answers of any flowgraph, but not unbounded memory */
    zmq_setsockopt(s, ZMQ_LINGER, &linger, sizeof linger);
    zmq_setsockopt(s, ZMQ_MAXMSGSIZE, &max_reply, sizeof max_reply);
    if (server_key) {
        char pub[41], sec[41];
        zmq_curve_keypair(pub, sec); /* a throw-away client key */
        zmq_setsockopt(s, ZMQ_CURVE_SERVERKEY, server_key, strlen(server_key));
        zmq_setsockopt(s, ZMQ_CURVE_PUBLICKEY, pub, 40);
        zmq_setsockopt(s, ZMQ_CURVE_SECRETKEY, sec, 40);
    }
    int rc = 1;
    if (zmq_connect(s, addr)) {
        fprintf(stderr, "qsdr ctl: cannot connect to '%s': %s\n", addr, zmq_strerror(zmq_errno()));
        rc = EXIT_BAD_INPUT;
    } else if (zmq_send(s, req, strlen(req), 0) < 0) {
        fprintf(stderr, "qsdr ctl: send failed: %s\n", zmq_strerror(zmq_errno()));
    } else {
        zmq_pollitem_t it = {s, 0, ZMQ_POLLIN, 0};
        if (zmq_poll(&it, 1, (long)timeout_ms) <= 0) {
            fprintf(stderr, "qsdr ctl: no answer from %s within %lld ms (is `qsdr run --control %s` running?)\n", addr, timeout_ms, addr);
        } else {
            /* the whole answer, whatever its size (a list of a large flowgraph exceeds 64 KiB) */
            zmq_msg_t msg;
            zmq_msg_init(&msg);
            int n = zmq_msg_recv(&msg, s, 0);
            char *buf = n >= 0 ? malloc((size_t)n + 1) : NULL;
            if (buf) {
                memcpy(buf, zmq_msg_data(&msg), (size_t)n);
                buf[n] = 0;
                rc = strstr(buf, "\"ok\":true") ? 0 : 1;
                /* on a terminal, indented for reading; piped, one line as sent (for tools) */
                cJSON *r = isatty(STDOUT_FILENO) ? cJSON_Parse(buf) : NULL;
                char *pretty = r ? cJSON_Print(r) : NULL;
                printf("%s\n", pretty ? pretty : buf);
                cJSON_free(pretty);
                cJSON_Delete(r);
                free(buf);
            } else
                fprintf(stderr, "qsdr ctl: receiving the answer failed: %s\n", n < 0 ? zmq_strerror(zmq_errno()) : "out of memory");
            zmq_msg_close(&msg);
        }
    }
    zmq_close(s);
    zmq_ctx_term(ctx);
    free(req);
    return rc;
}

/* GNU style: `--name=value` stands for `--name value` in every command (no command takes an
 * argument that starts with `--` but is not an option: qsdr ctl refuses such a VALUE too). The
 * copies stay reachable from here until exit. An option that takes no value (a flag) with
 * `=value` is an error, not the flag and a stray argument. Returns NULL after that error. */
static char **g_split_argv;
static const char *const flag_options[] = {"--quiet", "--markdown", "--control-allow-remote", "--help", "--version"};

static char **split_long_options(int *argc, char **argv)
{
    g_split_argv = calloc(2 * (size_t)*argc + 1, sizeof *g_split_argv);
    if (!g_split_argv) return argv;
    int n = 0;
    for (int i = 0; i < *argc; i++) {
        const char *a = argv[i], *eq = strchr(a, '=');
        size_t k = 2;
        while (a[0] == '-' && a[1] == '-' && a + k != eq && (islower((unsigned char)a[k]) || isdigit((unsigned char)a[k]) || a[k] == '-')) k++;
        if (i < 2 || !eq || a + k != eq || k == 2) {
            g_split_argv[n++] = argv[i];
            continue;
        }
        for (size_t f = 0; f < sizeof flag_options / sizeof *flag_options; f++)
            if (strlen(flag_options[f]) == k && !strncmp(a, flag_options[f], k)) {
                fprintf(stderr, "qsdr %s: option %s takes no value, got '%s'\n", argv[1], flag_options[f], a);
                return NULL;
            }
        if (!(g_split_argv[n] = strndup(a, k))) {
            g_split_argv[n++] = argv[i];
            continue;
        }
        n++;
        g_split_argv[n++] = (char *)eq + 1;
    }
    *argc = n;
    return g_split_argv;
}

int main(int argc, char **argv)
{
    /* OpenBLAS starts its thread pool when the library loads, and idle pool threads spin on the
     * cores the flowgraph's blocks need. qsdr's GEMMs are small: unless the user chose a
     * thread count, restart once with one BLAS thread (results do not depend on it). */
    if (!getenv("OPENBLAS_NUM_THREADS")) {
        setenv("OPENBLAS_NUM_THREADS", "1", 1);
        execv("/proc/self/exe", argv);
    }
    if (argc < 2 || !strcmp(argv[1], "help") || !strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
        usage(argc < 2 ? stderr : stdout);
        return argc < 2 ? EXIT_BAD_INPUT : 0;
    }
    const char *cmd = argv[1];
    if (!(argv = split_long_options(&argc, argv))) return EXIT_BAD_INPUT;
    if (!strcmp(cmd, "run")) return cmd_run(argc - 2, argv + 2);
    if (!strcmp(cmd, "blocks")) return cmd_blocks(argc - 2, argv + 2);
    if (!strcmp(cmd, "flowgraphs")) return cmd_flowgraphs(argc - 2, argv + 2);
    if (!strcmp(cmd, "block")) return cmd_block(argc - 2, argv + 2);
    if (!strcmp(cmd, "ber")) return qsdr_cmd_ber(argc - 2, argv + 2);
    if (!strcmp(cmd, "ctl")) return cmd_ctl(argc - 2, argv + 2);
    if (!strcmp(cmd, "train")) return qsdr_cmd_train(argc - 2, argv + 2);
    if (!strcmp(cmd, "model")) return qsdr_cmd_model(argc - 2, argv + 2);
    if (!strcmp(cmd, "version") || !strcmp(cmd, "--version")) {
#ifdef QSDR_HAVE_MPI
        const char *mpi = "yes";
#else
        const char *mpi = "no";
#endif
        printf("qsdr %s (gaussian kernel: %s, MPI: %s)\n", QSDR_VERSION_STRING, qsdr_randn_impl(), mpi);
        return 0;
    }
    fprintf(stderr, "qsdr: unknown command '%s'%s\n", cmd, cli_list_hint(cmd, "run,flowgraphs,blocks,block,ber,ctl,train,model,version"));
    usage(stderr);
    return EXIT_BAD_INPUT;
}
