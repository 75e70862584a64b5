/* SPDX-License-Identifier: MIT */
/* Helpers shared by the training commands: clock, progress bar, gnuplot runner. */
#ifndef QSDR_CLI_UTIL_H
#define QSDR_CLI_UTIL_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static inline double cli_now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

/* "\r  label [#####.....] step/total  loss  rate  ETA" on stderr (callers check for a terminal) */
static inline void cli_progress(const char *label, size_t step, size_t total, float loss, double t0)
{
    double el = cli_now() - t0, rate = el > 0 ? (double)step / el : 0, eta = rate > 0 ? (double)(total - step) / rate : 0;
    int w = 30, f = (int)((double)w * (double)step / (double)total);
    char bar[32];
    for (int i = 0; i < w; i++) bar[i] = i < f ? '#' : '.';
    bar[w] = 0;
    fprintf(stderr, "\r  %-9s [%s] %zu/%zu  loss %.4f  %.0f steps/s  ETA %.0f s   ", label, bar, step, total, (double)loss, rate, eta);
    fflush(stderr);
}

/* Write script to DIR/NAME.gp and run gnuplot on it; 0 on success. */
static inline int cli_gnuplot(const char *dir, const char *name, const char *script)
{
    char gp[4200], cmd[8500];
    snprintf(gp, sizeof gp, "%.4000s/%.64s.gp", dir, name);
    FILE *f = fopen(gp, "w");
    if (!f) return -1;
    fputs(script, f);
    fclose(f);
    snprintf(cmd, sizeof cmd, "gnuplot '%s' >/dev/null 2>&1", gp);
    return system(cmd) == 0 ? 0 : -1;
}

/* "prog arg1 arg2 ..." (malloc'd): the exact command, recorded in model files */
static inline char *cli_command_line(int argc, char **argv, const char *prog)
{
    size_t n = strlen(prog) + 1;
    for (int i = 0; i < argc; i++) n += strlen(argv[i]) + 3;
    char *s = malloc(n + 1);
    if (!s) return NULL;
    strcpy(s, prog);
    for (int i = 0; i < argc; i++) {
        strcat(s, " ");
        strcat(s, argv[i]);
    }
    return s;
}

/* {"qsdr.command": cmd, "qsdr.seed": seed} as JSON, with quotes escaped (model metadata) */
static inline char *cli_meta_json(const char *cmd, unsigned long long seed)
{
    size_t n = strlen(cmd);
    char *s = malloc(2 * n + 128);
    if (!s) return NULL;
    char *p = s + sprintf(s, "{\"qsdr.command\": \"");
    for (const char *c = cmd; *c; c++) {
        if (*c == '"' || *c == '\\') *p++ = '\\';
        *p++ = *c;
    }
    sprintf(p, "\", \"qsdr.seed\": \"%llu\"}", seed);
    return s;
}

#endif
