/* SPDX-License-Identifier: MIT */
/* Common definitions: status codes, logging, complex sample type, aligned memory. */
#ifndef QSDR_COMMON_H
#define QSDR_COMMON_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define QSDR_VERSION_MAJOR 0
#define QSDR_VERSION_MINOR 1
#define QSDR_VERSION_PATCH 0
#define QSDR_VERSION_STRING "0.1.0"

/* Status codes: QSDR_OK (0), positive "done" signal, negative errors. */
enum {
    QSDR_OK = 0,
    QSDR_DONE = 1,          /* work(): the block has finished its stream */
    QSDR_EINVAL = -1,       /* bad argument or configuration */
    QSDR_ERANGE = -2,       /* length or shape mismatch, value out of range */
    QSDR_ENOMEM = -3,       /* allocation failed */
    QSDR_EIO = -4,          /* file or device I/O failed */
    QSDR_EFORMAT = -5,      /* bad magic, version or file contents */
    QSDR_EEXT = -6,         /* an external library (FFTW, ZeroMQ, VOLK, liquid) failed */
    QSDR_ENOTSUP = -7,      /* not supported */
    QSDR_EINTERNAL = -8,    /* internal invariant broken (a bug) */
    QSDR_EINTR = -9,        /* interrupted by a stop request */
};

/* Text for a status code (never NULL). */
const char *qsdr_strerror(int code);

/* Complex float sample, layout-compatible with GNU Radio's gr_complex and C99 float complex:
 * interleaved little-endian float32 I then Q. */
typedef struct {
    float re;
    float im;
} qsdr_cf32;

/* ---- the terminal status line and stdout ------------------------------------------------ */
/* A progress line on stderr's terminal (only call it when stderr is a terminal): text replaces
 * the line shown; NULL clears it. Thread-safe. */
void qsdr_status_line(const char *text);
/* printf to stdout for blocks' result lines (ber, probe, tag_debug, ...): clears a status line
 * first, so a result never lands glued to the end of a progress line. The default log sink
 * (stderr) clears it too. */
int qsdr_print(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* ---- logging --------------------------------------------------------------------------- */
typedef enum { QSDR_LOG_DEBUG = 0, QSDR_LOG_INFO, QSDR_LOG_WARN, QSDR_LOG_ERROR, QSDR_LOG_OFF } qsdr_log_level;

/* Log sink callback: level, source file and line where the message was raised, message text. */
typedef void (*qsdr_log_fn)(qsdr_log_level level, const char *file, int line, const char *msg,
                            void *user);

/* Replace the log sink (NULL restores the default: stderr). Not thread-safe against concurrent
 * logging; call it before starting flowgraphs. */
void qsdr_log_set_sink(qsdr_log_fn fn, void *user);
/* Messages below this level are dropped (default QSDR_LOG_INFO, or env QSDR_LOG=debug|info|warn|error|off). */
void qsdr_log_set_level(qsdr_log_level level);
qsdr_log_level qsdr_log_get_level(void);

void qsdr_log_raw(qsdr_log_level level, const char *file, int line, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
/* Log an error and return the code / NULL (liquid-dsp's liquid_error). */
int qsdr_log_error(int code, const char *file, int line, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
void *qsdr_log_error_null(int code, const char *file, int line, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/* While a refusal prefix is set on this thread, errors are still recorded (qsdr_last_error) but
 * logged as warnings, after the prefix ("control request refused: ..."): for code that refuses
 * a request and goes on, such as the control port serving a running flowgraph. NULL ends it. */
void qsdr_log_refusals(const char *prefix);
/* The text of the last error logged on this thread (empty if none). */
const char *qsdr_last_error(void);
void qsdr_clear_error(void);

#define qsdr_error(code, ...) qsdr_log_error((code), __FILE__, __LINE__, __VA_ARGS__)
#define qsdr_error_null(code, ...) qsdr_log_error_null((code), __FILE__, __LINE__, __VA_ARGS__)
#define qsdr_warn(...) qsdr_log_raw(QSDR_LOG_WARN, __FILE__, __LINE__, __VA_ARGS__)
#define qsdr_info(...) qsdr_log_raw(QSDR_LOG_INFO, __FILE__, __LINE__, __VA_ARGS__)
#define qsdr_debug(...) qsdr_log_raw(QSDR_LOG_DEBUG, __FILE__, __LINE__, __VA_ARGS__)

/* ---- memory ---------------------------------------------------------------------------- */
/* SIMD-aligned allocation (volk_malloc with the machine's VOLK alignment); free with
 * qsdr_aligned_free only. Returns NULL on failure (logged). */
void *qsdr_aligned_alloc(size_t bytes);
void qsdr_aligned_free(void *p);

/* Test hook (SQLite style): make the n-th qsdr allocation from now fail (0 disables). */
void qsdr_test_fail_alloc_after(long n);
/* Internal allocation wrappers that honour the hook. */
void *qsdr_malloc(size_t bytes);
void *qsdr_calloc(size_t n, size_t size);
void *qsdr_realloc(void *p, size_t bytes);
/* Zeroed memory aligned to `align` (a power of two >= sizeof(void *)); free with qsdr_free. */
void *qsdr_calloc_aligned(size_t align, size_t bytes);
void qsdr_free(void *p);
char *qsdr_strdup(const char *s);

/* ---- threads --------------------------------------------------------------------------- */
/* pthread_create (default attributes) for every thread qsdr starts: returns 0 or the error
 * number. Test hook, as for allocations: make the n-th thread start from now fail with EAGAIN
 * (0 disables), to check what a run does when the system refuses a thread. */
int qsdr_thread_create(pthread_t *thread, void *(*fn)(void *), void *arg);
void qsdr_test_fail_thread_after(long n);

/* ---- text and files -------------------------------------------------------------------- */
/* v as the shortest "%.Ng" text (N = 15, 16 or 17) that reads back as exactly v: 0.3 prints as
 * "0.3", 0.1 + 0.2 as "0.30000000000000004". Returns buf. */
char *qsdr_fmt_double(char *buf, size_t n, double v);
/* Can a file be written at `path`? Probed by opening it for appending (a file that did not exist
 * is removed again, so nothing is left behind). 0 if so, else -1 with errno set. For output
 * paths checked before long work, so a typo does not surface only at its end. */
int qsdr_path_writable(const char *path);
/* Do two paths name one regular file (or one that does not exist yet)? The same inode when both
 * exist (a link, "./a" and "a"), else the same path once its directory is resolved. Devices,
 * pipes and directories are never "the same file" here: two writers of /dev/null are fine. */
bool qsdr_same_file(const char *a, const char *b);
/* The whole file at `path` read to its end (a regular file, a pipe such as bash's <(...), a
 * device) into *text, NUL-terminated (qsdr_free it), its byte count in *len if len is not NULL.
 * At most max_bytes. Errors name the path and `what` ("flowgraph file", "model spec"): cannot
 * open, a directory, more than max_bytes, a read error; *text is NULL then. */
int qsdr_read_file(const char *path, size_t max_bytes, const char *what, char **text, size_t *len);

/* Monotonic time in seconds. */
double qsdr_now(void);

/* ---- "did you mean" for unknown names ------------------------------------------------ */
/* Collects the candidates nearest to a mistyped name by edit distance (insertions, deletions,
 * substitutions, swaps of neighbours; ASCII case ignored), kept only when near enough to be a
 * typo: at most 1 edit for names up to 4 characters, 2 up to 8, 3 beyond, and fewer edits than
 * either name has characters. Up to three equally near ones are kept, in the order added. */
typedef struct {
    char word[64];
    int dist; /* the best distance so far (INT_MAX: none) */
    int n;    /* candidates kept at that distance */
    char best[3][64];
    char hint[240];
} qsdr_suggest;
void qsdr_suggest_init(qsdr_suggest *s, const char *word);
/* A candidate of len bytes (SIZE_MAX: up to its NUL); names of 64 bytes or more are skipped. */
void qsdr_suggest_add(qsdr_suggest *s, const char *cand, size_t len);
/* Each name of a '|'- or ','-separated list ("bpsk|qpsk|qam16"). */
void qsdr_suggest_add_list(qsdr_suggest *s, const char *list);
/* "did you mean 'x'?", "did you mean 'x' or 'y'?", or "" when none is near (kept in s). */
const char *qsdr_suggest_hint(qsdr_suggest *s);
/* "did you mean 'x'? " (a space after it) for word among a NULL-terminated list of names, or ""
 * when none is near; the text is the calling thread's until its next call. */
const char *qsdr_suggest_among(const char *word, const char *const *names);

#ifdef __cplusplus
}
#endif
#endif
