/* SPDX-License-Identifier: MIT */
/* Status texts, the logging sink and the terminal status line, allocation wrappers, item types, tag
 * values and stats, number formatting, output path probes. */
#define _GNU_SOURCE
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <volk/volk.h>

#include "qsdr/block.h"
#include "qsdr/common.h"

const char *qsdr_strerror(int code)
{
    switch (code) {
    case QSDR_OK: return "ok";
    case QSDR_DONE: return "done";
    case QSDR_EINVAL: return "invalid argument or configuration";
    case QSDR_ERANGE: return "length, shape or value out of range";
    case QSDR_ENOMEM: return "out of memory";
    case QSDR_EIO: return "input/output error";
    case QSDR_EFORMAT: return "bad file format";
    case QSDR_EEXT: return "external library failure";
    case QSDR_ENOTSUP: return "not supported";
    case QSDR_EINTERNAL: return "internal error";
    case QSDR_EINTR: return "interrupted";
    default: return "unknown status code";
    }
}

/* ---- the terminal status line and stdout ------------------------------------------------ */
static pthread_mutex_t g_status_mu = PTHREAD_MUTEX_INITIALIZER;
static bool g_status_shown; /* a status line stands on stderr's terminal, the cursor at its end */

void qsdr_status_line(const char *text)
{
    pthread_mutex_lock(&g_status_mu);
    if (text) {
        fprintf(stderr, "\r\033[K%s", text);
        g_status_shown = true;
        fflush(stderr);
    } else if (g_status_shown) {
        fputs("\r\033[K", stderr);
        g_status_shown = false;
        fflush(stderr);
    }
    pthread_mutex_unlock(&g_status_mu);
}

int qsdr_print(const char *fmt, ...)
{
    pthread_mutex_lock(&g_status_mu);
    if (g_status_shown) {
        fputs("\r\033[K", stderr);
        fflush(stderr);
        g_status_shown = false;
    }
    va_list ap;
    va_start(ap, fmt);
    int n = vprintf(fmt, ap);
    va_end(ap);
    pthread_mutex_unlock(&g_status_mu);
    return n;
}

/* ---- logging --------------------------------------------------------------------------- */
static qsdr_log_fn g_sink;
static void *g_sink_user;
static _Atomic int g_level = -1;
static _Thread_local char g_last_error[1400];
static _Thread_local const char *g_prefix;
static _Thread_local unsigned long g_errors; /* errors logged on this thread (qsdr_error_count) */
static _Thread_local const char *g_refusal;  /* qsdr_log_refusals */

/* Internal: while set, every message on this thread is prefixed (e.g. "f.yml:12: block 'awgn'"). */
void qsdr_log_set_prefix(const char *prefix) { g_prefix = prefix; }
const char *qsdr_log_prefix(void) { return g_prefix; }
void qsdr_log_refusals(const char *prefix) { g_refusal = prefix; }

static qsdr_log_level level_from_env(void)
{
    const char *e = getenv("QSDR_LOG");
    if (!e) return QSDR_LOG_INFO;
    if (!strcasecmp(e, "debug")) return QSDR_LOG_DEBUG;
    if (!strcasecmp(e, "warn")) return QSDR_LOG_WARN;
    if (!strcasecmp(e, "error")) return QSDR_LOG_ERROR;
    if (!strcasecmp(e, "off")) return QSDR_LOG_OFF;
    return QSDR_LOG_INFO;
}

qsdr_log_level qsdr_log_get_level(void)
{
    int l = atomic_load(&g_level);
    if (l < 0) {
        l = (int)level_from_env();
        atomic_store(&g_level, l);
    }
    return (qsdr_log_level)l;
}

void qsdr_log_set_level(qsdr_log_level level) { atomic_store(&g_level, (int)level); }

void qsdr_log_set_sink(qsdr_log_fn fn, void *user)
{
    g_sink = fn;
    g_sink_user = user;
}

static void emit(qsdr_log_level level, const char *file, int line, const char *msg0)
{
    char pbuf[1400];
    const char *msg = msg0;
    if (g_prefix) {
        snprintf(pbuf, sizeof pbuf, "%s: %s", g_prefix, msg0);
        msg = pbuf;
    }
    if (level == QSDR_LOG_ERROR) {
        snprintf(g_last_error, sizeof g_last_error, "%s", msg);
        if (g_refusal) { /* a refused request: the caller gets the error, the log a warning */
            snprintf(pbuf, sizeof pbuf, "%.60s: %.1300s", g_refusal, g_last_error);
            msg = pbuf;
            level = QSDR_LOG_WARN;
        } else
            g_errors++;
    }
    if (level < qsdr_log_get_level()) return;
    if (g_sink) {
        g_sink(level, file, line, msg, g_sink_user);
        return;
    }
    static const char *names[] = {"debug", "info", "warning", "error"};
    qsdr_status_line(NULL);
    if (qsdr_log_get_level() == QSDR_LOG_DEBUG)
        fprintf(stderr, "qsdr %s: %s [%s:%d]\n", names[level], msg, file, line);
    else
        fprintf(stderr, "qsdr %s: %s\n", names[level], msg);
}

void qsdr_log_raw(qsdr_log_level level, const char *file, int line, const char *fmt, ...)
{
    char buf[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    emit(level, file, line, buf);
}

int qsdr_log_error(int code, const char *file, int line, const char *fmt, ...)
{
    char buf[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    emit(QSDR_LOG_ERROR, file, line, buf);
    return code;
}

void *qsdr_log_error_null(int code, const char *file, int line, const char *fmt, ...)
{
    char buf[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    (void)code;
    emit(QSDR_LOG_ERROR, file, line, buf);
    return NULL;
}

const char *qsdr_last_error(void) { return g_last_error; }
unsigned long qsdr_error_count(void) { return g_errors; }
void qsdr_clear_error(void) { g_last_error[0] = 0; }
void qsdr_set_last_error(const char *msg) { snprintf(g_last_error, sizeof g_last_error, "%s", msg ? msg : ""); }

/* ---- memory ---------------------------------------------------------------------------- */
static _Atomic long g_fail_after;

void qsdr_test_fail_alloc_after(long n) { atomic_store(&g_fail_after, n); }

static int alloc_should_fail(void)
{
    long n = atomic_load(&g_fail_after);
    if (n <= 0) return 0;
    n = atomic_fetch_sub(&g_fail_after, 1);
    return n == 1;
}

/* ---- threads --------------------------------------------------------------------------- */
static _Atomic long g_thread_fail_after;

void qsdr_test_fail_thread_after(long n) { atomic_store(&g_thread_fail_after, n); }

int qsdr_thread_create(pthread_t *thread, void *(*fn)(void *), void *arg)
{
    if (atomic_load(&g_thread_fail_after) > 0 && atomic_fetch_sub(&g_thread_fail_after, 1) == 1) return EAGAIN;
    return pthread_create(thread, NULL, fn, arg);
}

void *qsdr_malloc(size_t bytes)
{
    if (alloc_should_fail()) return NULL;
    return malloc(bytes ? bytes : 1);
}

void *qsdr_calloc(size_t n, size_t size)
{
    if (alloc_should_fail()) return NULL;
    return calloc(n ? n : 1, size ? size : 1);
}

void *qsdr_realloc(void *p, size_t bytes)
{
    if (alloc_should_fail()) return NULL;
    return realloc(p, bytes ? bytes : 1);
}

void *qsdr_calloc_aligned(size_t align, size_t bytes)
{
    if (alloc_should_fail()) return NULL;
    void *p = NULL;
    if (posix_memalign(&p, align, bytes ? bytes : 1)) return NULL;
    memset(p, 0, bytes ? bytes : 1);
    return p;
}

void qsdr_free(void *p) { free(p); }

char *qsdr_strdup(const char *s)
{
    if (!s) return NULL;
    size_t n = strlen(s) + 1;
    char *d = qsdr_malloc(n);
    if (d) memcpy(d, s, n);
    return d;
}

void *qsdr_aligned_alloc(size_t bytes)
{
    if (alloc_should_fail()) return qsdr_error_null(QSDR_ENOMEM, "qsdr_aligned_alloc: injected failure");
    void *p = volk_malloc(bytes ? bytes : 1, volk_get_alignment());
    if (!p) return qsdr_error_null(QSDR_ENOMEM, "qsdr_aligned_alloc: volk_malloc(%zu) failed", bytes);
    return p;
}

void qsdr_aligned_free(void *p)
{
    if (p) volk_free(p);
}

char *qsdr_fmt_double(char *buf, size_t n, double v)
{
    for (int p = 15; p <= 17; p++) {
        snprintf(buf, n, "%.*g", p, v);
        if (p == 17 || !isfinite(v) || strtod(buf, NULL) == v) break;
    }
    return buf;
}

double qsdr_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

/* ---- item types ------------------------------------------------------------------------ */
static const struct {
    const char *name;
    size_t size;
} g_items[QSDR_ITEM_N] = {
    [QSDR_ITEM_BIT] = {"bit", 1}, [QSDR_ITEM_U8] = {"u8", 1},   [QSDR_ITEM_I8] = {"i8", 1},
    [QSDR_ITEM_I16] = {"i16", 2}, [QSDR_ITEM_F32] = {"f32", 4}, [QSDR_ITEM_CF32] = {"cf32", 8},
};

size_t qsdr_item_size(qsdr_item_type t)
{
    if ((int)t < 0 || t >= QSDR_ITEM_N) return 0;
    return g_items[t].size;
}

const char *qsdr_item_name(qsdr_item_type t)
{
    if (t == QSDR_ITEM_ANY) return "any";
    if ((int)t < 0 || t >= QSDR_ITEM_N) return "?";
    return g_items[t].name;
}

int qsdr_item_parse(const char *name)
{
    for (int i = 0; i < QSDR_ITEM_N; i++)
        if (!strcmp(name, g_items[i].name)) return i;
    return -1;
}

/* ---- tags and stats -------------------------------------------------------------------- */
qsdr_tag_value qsdr_tagv_int(int64_t v)
{
    qsdr_tag_value t = {.type = QSDR_TAGV_INT, .i = v, .f = (double)v};
    return t;
}

qsdr_tag_value qsdr_tagv_float(double v)
{
    /* .i: v truncated, saturated to int64 (0 for NaN): a tag from the network may hold any double */
    int64_t i = v != v ? 0 : v >= 0x1p63 ? INT64_MAX : v < -0x1p63 ? INT64_MIN : (int64_t)v;
    qsdr_tag_value t = {.type = QSDR_TAGV_FLOAT, .i = i, .f = v};
    return t;
}

qsdr_tag_value qsdr_tagv_string(const char *s)
{
    qsdr_tag_value t = {.type = QSDR_TAGV_STRING};
    snprintf(t.s, sizeof t.s, "%s", s ? s : "");
    return t;
}

int qsdr_stats_add(qsdr_stats *s, const char *name, double value)
{
    if (s->n >= QSDR_STATS_MAX) return QSDR_ERANGE;
    snprintf(s->v[s->n].name, sizeof s->v[s->n].name, "%s", name);
    s->v[s->n].value = value;
    s->n++;
    return QSDR_OK;
}

int qsdr_path_writable(const char *path)
{
    if (!path || !*path) {
        errno = ENOENT;
        return -1;
    }
    bool existed = access(path, F_OK) == 0;
    FILE *f = fopen(path, "ab");
    if (!f) return -1;
    fclose(f);
    if (!existed) unlink(path);
    return 0;
}

int qsdr_read_file(const char *path, size_t max_bytes, const char *what, char **text, size_t *len)
{
    *text = NULL;
    if (len) *len = 0;
    FILE *f = fopen(path, "rb");
    if (!f) return qsdr_error(QSDR_EIO, "%s: cannot open the %s: %s", path, what, strerror(errno));
    struct stat st;
    if (fstat(fileno(f), &st) == 0 && S_ISDIR(st.st_mode)) {
        fclose(f);
        return qsdr_error(QSDR_EINVAL, "%s: a directory, not a %s", path, what);
    }
    size_t cap = 0, n = 0;
    char *buf = NULL;
    int rc = QSDR_OK;
    for (;;) {
        if (n == cap) {
            if (cap > max_bytes) {
                rc = qsdr_error(QSDR_EINVAL, "%s: a %s may have at most %zu bytes", path, what, max_bytes);
                break;
            }
            size_t want = cap ? 2 * cap : 4096;
            if (want > max_bytes + 1) want = max_bytes + 1; /* one byte past the limit tells "too large" */
            char *nb = qsdr_realloc(buf, want + 1);
            if (!nb) {
                rc = qsdr_error(QSDR_ENOMEM, "out of memory");
                break;
            }
            buf = nb, cap = want;
        }
        size_t got = fread(buf + n, 1, cap - n, f);
        n += got;
        if (got) continue;
        if (ferror(f)) rc = qsdr_error(QSDR_EIO, "%s: cannot read the %s: %s", path, what, strerror(errno));
        break;
    }
    fclose(f);
    if (rc) {
        qsdr_free(buf);
        return rc;
    }
    if (!buf && !(buf = qsdr_malloc(1))) return qsdr_error(QSDR_ENOMEM, "out of memory");
    buf[n] = 0;
    *text = buf;
    if (len) *len = n;
    return QSDR_OK;
}

/* a path made absolute with its directory resolved (links, "." and ".."); the file itself need
   not exist */
static void canon_path(const char *p, char *out, size_t n)
{
    char dir[PATH_MAX], rd[PATH_MAX];
    const char *slash = strrchr(p, '/'), *base = slash ? slash + 1 : p;
    snprintf(dir, sizeof dir, "%.*s", slash ? (int)(slash - p) + (slash == p) : 1, slash ? p : ".");
    if (realpath(dir, rd)) snprintf(out, n, "%s/%s", rd, base);
    else snprintf(out, n, "%s", p);
}

bool qsdr_same_file(const char *a, const char *b)
{
    struct stat sa, sb;
    bool ea = stat(a, &sa) == 0, eb = stat(b, &sb) == 0;
    if (ea && eb) return S_ISREG(sa.st_mode) && S_ISREG(sb.st_mode) && sa.st_dev == sb.st_dev && sa.st_ino == sb.st_ino;
    if (ea != eb) return false;
    char ca[PATH_MAX + 256], cb[PATH_MAX + 256];
    canon_path(a, ca, sizeof ca);
    canon_path(b, cb, sizeof cb);
    return strcmp(ca, cb) == 0;
}

/* ---- "did you mean" ---------------------------------------------------------------------- */
void qsdr_suggest_init(qsdr_suggest *s, const char *word)
{
    memset(s, 0, sizeof *s);
    s->dist = INT_MAX;
    snprintf(s->word, sizeof s->word, "%s", word ? word : "");
}

static int lower_ascii(int c)
{
    return c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c;
}

/* Optimal-string-alignment distance between a[0..na) and b[0..nb), both < 64 bytes. */
static int osa_distance(const char *a, size_t na, const char *b, size_t nb)
{
    int d[64][64];
    for (size_t i = 0; i <= na; i++) d[i][0] = (int)i;
    for (size_t j = 0; j <= nb; j++) d[0][j] = (int)j;
    for (size_t i = 1; i <= na; i++)
        for (size_t j = 1; j <= nb; j++) {
            int ai = lower_ascii((unsigned char)a[i - 1]), bj = lower_ascii((unsigned char)b[j - 1]);
            int v = d[i - 1][j - 1] + (ai != bj);
            if (d[i - 1][j] + 1 < v) v = d[i - 1][j] + 1;
            if (d[i][j - 1] + 1 < v) v = d[i][j - 1] + 1;
            if (i > 1 && j > 1 && ai == lower_ascii((unsigned char)b[j - 2]) && lower_ascii((unsigned char)a[i - 2]) == bj &&
                d[i - 2][j - 2] + 1 < v)
                v = d[i - 2][j - 2] + 1;
            d[i][j] = v;
        }
    return d[na][nb];
}

void qsdr_suggest_add(qsdr_suggest *s, const char *cand, size_t len)
{
    if (!cand) return;
    if (len == SIZE_MAX) len = strlen(cand);
    size_t nw = strlen(s->word);
    if (!len || !nw || len >= sizeof s->best[0] || nw >= sizeof s->word - 1) return;
    int d = osa_distance(s->word, nw, cand, len);
    int limit = nw <= 4 ? 1 : nw <= 8 ? 2 : 3;
    if (d > limit || d >= (int)nw || d >= (int)len || d > s->dist) return;
    if (d < s->dist) s->dist = d, s->n = 0;
    for (int i = 0; i < s->n; i++)
        if (strlen(s->best[i]) == len && !memcmp(s->best[i], cand, len)) return; /* already kept */
    if (s->n < 3) {
        memcpy(s->best[s->n], cand, len);
        s->best[s->n][len] = 0;
        s->n++;
    }
}

void qsdr_suggest_add_list(qsdr_suggest *s, const char *list)
{
    for (const char *p = list; p && *p;) {
        size_t n = strcspn(p, "|,");
        while (n && *p == ' ') p++, n--;
        size_t m = n;
        while (m && p[m - 1] == ' ') m--;
        qsdr_suggest_add(s, p, m);
        p += n;
        if (*p) p++;
    }
}

const char *qsdr_suggest_hint(qsdr_suggest *s)
{
    if (!s->n) return s->hint[0] = 0, s->hint;
    if (s->n == 1) snprintf(s->hint, sizeof s->hint, "did you mean '%s'?", s->best[0]);
    else if (s->n == 2) snprintf(s->hint, sizeof s->hint, "did you mean '%s' or '%s'?", s->best[0], s->best[1]);
    else snprintf(s->hint, sizeof s->hint, "did you mean '%s', '%s' or '%s'?", s->best[0], s->best[1], s->best[2]);
    return s->hint;
}

const char *qsdr_suggest_among(const char *word, const char *const *names)
{
    static _Thread_local char buf[260];
    qsdr_suggest s;
    qsdr_suggest_init(&s, word);
    for (const char *const *n = names; n && *n; n++) qsdr_suggest_add(&s, *n, SIZE_MAX);
    const char *h = qsdr_suggest_hint(&s);
    snprintf(buf, sizeof buf, "%s%s", h, *h ? " " : "");
    return buf;
}
