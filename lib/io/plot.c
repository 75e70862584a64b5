/* SPDX-License-Identifier: MIT */
/* gnuplot runner shared by the qsdr command (BER curves, training curves) and the plotting
 * sinks (spectrum, constellation). Paths are quoted for gnuplot and for the shell: a user's
 * directory may well be "Bob's runs". */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "qsdr/io.h"

const char *qsdr_plot_terminal(const char *path)
{
    const char *ext = path ? strrchr(path, '.') : NULL;
    if (ext && !strcmp(ext, ".png")) return "pngcairo";
    if (ext && !strcmp(ext, ".svg")) return "svg";
    return NULL;
}

bool qsdr_plot_text_ok(const char *s)
{
    for (; *s; s++)
        if ((unsigned char)*s < 0x20 || *s == 0x7f) return false;
    return true;
}

int qsdr_plot_quote(char *out, size_t n, const char *s)
{
    if (!qsdr_plot_text_ok(s)) return -1; /* a line break would end the gnuplot command */
    size_t k = 0;
    for (; *s; s++) {
        if (k + 3 > n) return -1;
        if (*s == '\'') out[k++] = '\'';
        out[k++] = *s;
    }
    if (k + 1 > n) return -1;
    out[k] = 0;
    return 0;
}

/* one /bin/sh word, single-quoted: ' becomes '\'' */
static int sh_quote(char *out, size_t n, const char *s)
{
    size_t k = 0;
    if (n < 3) return -1;
    out[k++] = '\'';
    for (; *s; s++) {
        if (k + 6 > n) return -1;
        if (*s == '\'') {
            memcpy(out + k, "'\\''", 4);
            k += 4;
        } else
            out[k++] = *s;
    }
    out[k++] = '\'';
    out[k] = 0;
    return 0;
}

const char *qsdr_tmpdir(void)
{
    const char *t = getenv("TMPDIR");
    return t && *t ? t : "/tmp";
}

int qsdr_plot_run_file(const char *script_path, char *err, size_t nerr)
{
    char q[8300], cmd[8400], dummy[4];
    if (!err || !nerr) err = dummy, nerr = sizeof dummy;
    err[0] = 0;
    if (sh_quote(q, sizeof q, script_path)) return snprintf(err, nerr, "script path too long"), -1;
    snprintf(cmd, sizeof cmd, "gnuplot %s 2>&1", q);
    FILE *pp = popen(cmd, "r");
    if (!pp) return snprintf(err, nerr, "cannot start gnuplot"), -1;
    size_t n = fread(err, 1, nerr - 1, pp);
    char sink[512];
    while (fread(sink, 1, sizeof sink, pp) > 0) {
    }
    while (n > 0 && (err[n - 1] == '\n' || err[n - 1] == '\r' || err[n - 1] == ' ')) n--;
    err[n] = 0;
    int st = pclose(pp);
    if (st != 0 && !err[0]) snprintf(err, nerr, "gnuplot exited with status %d (is gnuplot installed?)", st);
    return st == 0 ? 0 : -1;
}

int qsdr_plot_run(const char *script, char *err, size_t nerr)
{
    char path[4200];
    snprintf(path, sizeof path, "%.4000s/qsdr_plot_XXXXXX", qsdr_tmpdir());
    int fd = mkstemp(path);
    FILE *f = fd < 0 ? NULL : fdopen(fd, "w");
    if (!f) {
        if (fd >= 0) close(fd), unlink(path);
        if (err && nerr) snprintf(err, nerr, "cannot create a temporary file in %s", qsdr_tmpdir());
        return -1;
    }
    int bad = fputs(script, f) < 0;
    bad |= fclose(f) != 0;
    int rc = bad ? -1 : qsdr_plot_run_file(path, err, nerr);
    if (bad && err && nerr) snprintf(err, nerr, "cannot write a temporary file in %s", qsdr_tmpdir());
    unlink(path);
    return rc;
}

int qsdr_plot_rows(const char *path, const char *size, const char *title, const char *body, size_t n, qsdr_plot_row_fn row,
                   const void *ctx, char *err, size_t nerr)
{
    char q[8300], qt[1300], dummy[4];
    if (!err || !nerr) err = dummy, nerr = sizeof dummy;
    const char *term = qsdr_plot_terminal(path);
    if (!term) return snprintf(err, nerr, "'%s' must end in .png or .svg", path), -1;
    if (qsdr_plot_quote(q, sizeof q, path) || qsdr_plot_quote(qt, sizeof qt, title))
        return snprintf(err, nerr, "the file name or the title is too long"), -1;
    size_t cap = 4096 + strlen(body) + 64 * n, k;
    char *g = malloc(cap);
    if (!g) return snprintf(err, nerr, "out of memory"), -1;
    k = (size_t)snprintf(g, cap, "set terminal %s size %s noenhanced\nset output '%s'\nset title '%s'\n%s\n", term, size, q, qt, body);
    for (size_t i = 0; i < n && k < cap; i++) k += (size_t)row(ctx, i, g + k, cap - k);
    if (k + 3 > cap) {
        free(g);
        return snprintf(err, nerr, "plot script longer than its buffer"), -1;
    }
    memcpy(g + k, "e\n", 3);
    int rc = qsdr_plot_run(g, err, nerr);
    free(g);
    return rc;
}
