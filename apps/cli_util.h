/* SPDX-License-Identifier: MIT */
/* Helpers shared by the qsdr subcommands: option values, clock, progress bar, gnuplot runner. */
#ifndef QSDR_CLI_UTIL_H
#define QSDR_CLI_UTIL_H

#include <cjson/cJSON.h>
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <math.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "qsdr/io.h"

/* Option values. The whole text must be the number (no trailing text, no leading blank, no
 * sign on an unsigned value, no overflow; numbers finite) and lie in [min, max]. Otherwise:
 * "CMD: OPT expects ... in [min, max], got 'TEXT'" on stderr and -1 (the caller exits 2).
 * v == NULL (the option was the last word) gets "CMD: option OPT needs a value". */
static inline int cli_opt_missing(const char *cmd, const char *opt, const char *v)
{
    if (v) return 0;
    fprintf(stderr, "%s: option %s needs a value\n", cmd, opt);
    return -1;
}

static inline int cli_opt_int(const char *cmd, const char *opt, const char *v, long long min, long long max, long long *out)
{
    if (cli_opt_missing(cmd, opt, v)) return -1;
    char *end = NULL;
    errno = 0;
    long long x = *v && !isspace((unsigned char)*v) ? strtoll(v, &end, 10) : 0;
    if (!end || *end || errno || x < min || x > max) {
        fprintf(stderr, "%s: %s expects an integer in [%lld, %lld], got '%s'\n", cmd, opt, min, max, v);
        return -1;
    }
    *out = x;
    return 0;
}

/* seeds and counts: [0, 2^64 - 1] */
static inline int cli_opt_u64(const char *cmd, const char *opt, const char *v, uint64_t *out)
{
    if (cli_opt_missing(cmd, opt, v)) return -1;
    char *end = NULL;
    errno = 0;
    unsigned long long x = isdigit((unsigned char)*v) ? strtoull(v, &end, 10) : 0;
    if (!end || *end || errno) {
        fprintf(stderr, "%s: %s expects an integer in [0, %llu], got '%s'\n", cmd, opt, (unsigned long long)UINT64_MAX, v);
        return -1;
    }
    *out = (uint64_t)x;
    return 0;
}

static inline int cli_opt_double(const char *cmd, const char *opt, const char *v, double min, double max, double *out)
{
    if (cli_opt_missing(cmd, opt, v)) return -1;
    char *end = NULL;
    double x = *v && !isspace((unsigned char)*v) ? strtod(v, &end) : NAN;
    if (!end || *end || !isfinite(x) || x < min || x > max) {
        fprintf(stderr, "%s: %s expects a number in [%g, %g], got '%s'\n", cmd, opt, min, max, v);
        return -1;
    }
    *out = x;
    return 0;
}

/* A collected suggestion as " (did you mean 'x'?)", or "" when none is near */
static inline const char *cli_paren_hint(qsdr_suggest *sg)
{
    static char buf[260];
    const char *h = qsdr_suggest_hint(sg);
    snprintf(buf, sizeof buf, "%s%s%s", *h ? " (" : "", h, *h ? ")" : "");
    return buf;
}

/* " (did you mean 'x'?)" for a word near one of a ','-separated list, or "" */
static inline const char *cli_list_hint(const char *word, const char *list)
{
    qsdr_suggest sg;
    qsdr_suggest_init(&sg, word);
    qsdr_suggest_add_list(&sg, list);
    return cli_paren_hint(&sg);
}

/* " (did you mean '--x'?)" when an unknown option is near one of the --options its command's usage
 * text names (the usage is the list, so the two cannot drift apart); "" otherwise */
static inline const char *cli_option_hint(const char *opt, const char *usage)
{
    qsdr_suggest sg;
    qsdr_suggest_init(&sg, opt);
    for (const char *p = usage; p && (p = strstr(p, "--"));) {
        size_t n = 2;
        while (isalnum((unsigned char)p[n]) || (p[n] == '-' && isalnum((unsigned char)p[n + 1]))) n++;
        if (n > 2) qsdr_suggest_add(&sg, p, n);
        p += n;
    }
    return cli_paren_hint(&sg);
}

/* "-h" or "--help" anywhere among the arguments */
static inline int cli_wants_help(int argc, char **argv)
{
    for (int i = 0; i < argc; i++)
        if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) return 1;
    return 0;
}

static inline double cli_now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

/* Seconds left of a job that took `elapsed` seconds for the fraction `frac` of its work, at
 * the rate so far: elapsed (1 - frac) / frac; -1 (unknown) before any work is done. */
static inline double cli_eta(double elapsed, double frac)
{
    return frac > 0 ? elapsed * (1 - frac) / frac : -1;
}

/* "\r  label [#####.....] step/total  loss  rate  ETA" on stderr (callers check for a terminal) */
static inline void cli_progress(const char *label, size_t step, size_t total, float loss, double t0)
{
    double el = cli_now() - t0, rate = el > 0 ? (double)step / el : 0, eta = fmax(cli_eta(el, (double)step / (double)total), 0);
    int w = 30, f = (int)((double)w * (double)step / (double)total);
    char bar[32];
    for (int i = 0; i < w; i++) bar[i] = i < f ? '#' : '.';
    bar[w] = 0;
    char line[200];
    snprintf(line, sizeof line, "  %-9s [%s] %zu/%zu  loss %.4f  %.0f steps/s  ETA %.0f s", label, bar, step, total, (double)loss, rate, eta);
    qsdr_status_line(line);
}

/* Ctrl-C for a job that can stop at a good place (qsdr ber after a round, qsdr train after an
 * epoch): the first Ctrl-C sets *cli_sigint_flag() and writes msg on stderr (NULL: nothing); the
 * handler is reset (SA_RESETHAND), so a second Ctrl-C ends the process at once. old (may be
 * NULL) receives the previous disposition, to put back with sigaction(SIGINT, old, NULL). */
static inline volatile int *cli_sigint_flag(void)
{
    static volatile int flag;
    return &flag;
}
static inline const char **cli_sigint_msg(void)
{
    static const char *msg;
    return &msg;
}
static inline void cli_sigint_handler(int sig)
{
    (void)sig;
    *cli_sigint_flag() = 1;
    const char *m = *cli_sigint_msg();
    if (m) (void)!write(STDERR_FILENO, m, strlen(m)); /* write and strlen: async-signal-safe */
}
/* The library's log lines under the command's name ("qsdr model info: FILE: cannot open"), so
 * that cli_report prints an error the library did not print itself, and none twice. */
static const char *g_cli_cmd = "qsdr";
static unsigned long g_cli_errors, g_cli_reported;

static void cli_log_sink(qsdr_log_level level, const char *file, int line, const char *msg, void *user)
{
    (void)user;
    static const char *names[] = {"debug: ", "info: ", "warning: ", ""};
    qsdr_status_line(NULL);
    if (level == QSDR_LOG_ERROR) g_cli_errors++;
    if (qsdr_log_get_level() == QSDR_LOG_DEBUG) fprintf(stderr, "%s: %s%s [%s:%d]\n", g_cli_cmd, names[level], msg, file, line);
    else fprintf(stderr, "%s: %s%s\n", g_cli_cmd, names[level], msg);
}

static inline void cli_log_as(const char *cmd)
{
    g_cli_cmd = cmd;
    qsdr_log_set_sink(cli_log_sink, NULL);
}

/* A library call failed: its error, unless the library has printed it already. */
static inline void cli_report(void)
{
    if (g_cli_errors == g_cli_reported) fprintf(stderr, "%s: %s\n", g_cli_cmd, qsdr_last_error()[0] ? qsdr_last_error() : "failed");
    g_cli_reported = g_cli_errors;
}

/* --quiet: informational log lines (a parameter set live, an override noted) are dropped too;
 * warnings and errors stay. QSDR_LOG, when set, decides instead. */
static inline void cli_quiet_logs(void)
{
    if (!getenv("QSDR_LOG")) qsdr_log_set_level(QSDR_LOG_WARN);
}

static inline void cli_catch_sigint(const char *msg, struct sigaction *old)
{
    *cli_sigint_msg() = msg;
    struct sigaction sa = {0};
    sa.sa_handler = cli_sigint_handler;
    sa.sa_flags = SA_RESETHAND;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, old);
}

/* Write script to DIR/NAME.gp (kept, to restyle the plot) and run gnuplot on it; 0 on success.
 * Paths inside the script must come through qsdr_plot_quote. */
static inline int cli_gnuplot(const char *dir, const char *name, const char *script)
{
    char gp[4200];
    snprintf(gp, sizeof gp, "%.4000s/%.64s.gp", dir, name);
    FILE *f = fopen(gp, "w");
    if (!f) return -1;
    fputs(script, f);
    if (fclose(f)) return -1;
    return qsdr_plot_run_file(gp, NULL, 0);
}

/* "prog arg1 arg2 ..." (malloc'd): the exact command, recorded in model files. An argument
 * that the shell would split or interpret is single-quoted, so the line can be pasted back. */
static inline char *cli_command_line(int argc, char **argv, const char *prog)
{
    size_t n = strlen(prog) + 1;
    for (int i = 0; i < argc; i++) n += 4 * strlen(argv[i]) + 3;
    char *s = malloc(n), *p = s;
    if (!s) return NULL;
    p += sprintf(p, "%s", prog);
    for (int i = 0; i < argc; i++) {
        const char *a = argv[i];
        *p++ = ' ';
        bool plain = *a != 0;
        for (const char *c = a; *c; c++)
            if (!isalnum((unsigned char)*c) && !strchr("_-+=.,:/@%", *c)) plain = false;
        if (plain) {
            p += sprintf(p, "%s", a);
            continue;
        }
        *p++ = '\'';
        for (const char *c = a; *c; c++) {
            if (*c == '\'') {
                memcpy(p, "'\\''", 4);
                p += 4;
            } else
                *p++ = *c;
        }
        *p++ = '\'';
    }
    *p = 0;
    return s;
}

/* {"qsdr.command": cmd, "qsdr.seed": seed} as JSON (model metadata; malloc'd) */
static inline char *cli_meta_json(const char *cmd, unsigned long long seed)
{
    cJSON *o = cJSON_CreateObject();
    char sd[32];
    snprintf(sd, sizeof sd, "%llu", seed);
    char *t = NULL;
    if (o && cJSON_AddStringToObject(o, "qsdr.command", cmd) && cJSON_AddStringToObject(o, "qsdr.seed", sd)) t = cJSON_PrintUnformatted(o);
    cJSON_Delete(o);
    if (!t) return NULL;
    char *s = strdup(t); /* callers free() it */
    cJSON_free(t);
    return s;
}

/* Where the shipped flowgraphs are: share/qsdr/flowgraphs beside the installed command (found
 * from the executable's own path, so a moved prefix works), then the source tree the command was
 * built from (a build-tree binary). Fills up to two directories that exist; returns how many. */
#ifndef QSDR_BIN_TO_DATA
#define QSDR_BIN_TO_DATA "../share/qsdr"
#endif
static inline int cli_flowgraph_dirs(char dirs[2][4096])
{
    int n = 0;
    char exe[4096];
    ssize_t len = readlink("/proc/self/exe", exe, sizeof exe - 1);
    struct stat st;
    if (len > 0) {
        exe[len] = 0;
        char *slash = strrchr(exe, '/');
        if (slash) {
            *slash = 0;
            char dir[4096];
            snprintf(dir, sizeof dir, "%.3000s/%s/flowgraphs", exe, QSDR_BIN_TO_DATA);
            if (realpath(dir, dirs[n]) && !stat(dirs[n], &st) && S_ISDIR(st.st_mode)) n++;
        }
    }
#ifdef QSDR_SOURCE_DIR
    snprintf(dirs[n], 4096, "%s/flowgraphs", QSDR_SOURCE_DIR);
    if (!stat(dirs[n], &st) && S_ISDIR(st.st_mode) && (n == 0 || strcmp(dirs[0], dirs[n]))) n++;
#endif
    return n;
}

/* The flowgraph file a command line names: the path itself when it exists or has a '/', else a
 * shipped flowgraph of that name (with or without .yml), said on stderr at info level if say; else NULL,
 * after an error naming where it looked. buf holds a found path. */
static inline const char *cli_flowgraph_path(const char *cmd, const char *arg, char *buf, size_t n, bool say)
{
    struct stat st;
    if (strchr(arg, '/') || !stat(arg, &st) || !*arg) return arg;
    char dirs[2][4096];
    int nd = cli_flowgraph_dirs(dirs);
    size_t len = strlen(arg);
    bool has_ext = len > 4 && !strcmp(arg + len - 4, ".yml");
    for (int d = 0; d < nd; d++)
        for (int e = 0; e < 2; e++) {
            if (e && has_ext) continue;
            int w = snprintf(buf, n, "%s/%s%s", dirs[d], arg, e ? ".yml" : "");
            if (w < 0 || (size_t)w >= n) continue; /* too long for buf: never stat a cut path */
            if (!stat(buf, &st) && S_ISREG(st.st_mode)) {
                if (say) qsdr_info("%s: '%s' is the shipped flowgraph %s", cmd, arg, buf);
                return buf;
            }
        }
    char stem[64]; /* the shipped names near it, compared without .yml */
    snprintf(stem, sizeof stem, "%.*s", (int)(has_ext ? len - 4 : len), arg);
    qsdr_suggest sg;
    qsdr_suggest_init(&sg, stem);
    for (int d = 0; d < nd; d++) {
        DIR *dir = opendir(dirs[d]);
        for (struct dirent *e; dir && (e = readdir(dir));) {
            size_t l = strlen(e->d_name);
            if (l > 4 && !strcmp(e->d_name + l - 4, ".yml")) qsdr_suggest_add(&sg, e->d_name, l - 4);
        }
        if (dir) closedir(dir);
    }
    const char *h = qsdr_suggest_hint(&sg);
    fprintf(stderr, "%s: %s: no such file, nor a shipped flowgraph of that name%s%s%s (%s%s'qsdr flowgraphs' lists them)\n", cmd, arg,
            nd ? " in " : "", nd ? dirs[0] : "", nd > 1 ? " or the source tree" : "", h, *h ? " " : "");
    return NULL;
}

#endif
