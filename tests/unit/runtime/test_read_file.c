/* SPDX-License-Identifier: MIT */
/* qsdr_read_file: what every text-file reader (flowgraphs, model specs, safetensors, --resume)
 * gets: whole files of any size up to the limit, pipes, and a clear refusal of directories,
 * missing files and files above the limit. */
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "qsdr/qsdr.h"
#include "qsdr_test.h"

static void write_bytes(const char *path, size_t n)
{
    FILE *f = fopen(path, "wb");
    for (size_t i = 0; f && i < n; i++) fputc('a' + (int)(i % 26), f);
    if (f) fclose(f);
}

static bool pattern_ok(const char *t, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (t[i] != 'a' + (int)(i % 26)) return false;
    return t[n] == 0;
}

typedef struct {
    const char *fifo;
    size_t n;
} fifo_arg;

static void *fifo_writer(void *p)
{
    fifo_arg *a = p;
    write_bytes(a->fifo, a->n); /* blocks until the reader opens it */
    return NULL;
}

QSDR_TEST(read_file_whole, "unit", "qsdr_read_file: sizes around the buffer growth and the limit, a pipe, a directory, a missing file")
{
    char dir[] = "/tmp/qsdr_read_XXXXXX";
    QSDR_REQUIRE(mkdtemp(dir) != NULL);
    char path[64], fifo[64];
    snprintf(path, sizeof path, "%s/f", dir);
    snprintf(fifo, sizeof fifo, "%s/p", dir);
    char *t = NULL;
    size_t n = 1;
    /* empty, one byte, around the first growth (4096), a larger file; limit 100000 */
    const size_t sizes[] = {0, 1, 4095, 4096, 4097, 70000, 100000};
    for (size_t k = 0; k < sizeof sizes / sizeof *sizes; k++) {
        write_bytes(path, sizes[k]);
        QSDR_CHECK_EQ_INT(qsdr_read_file(path, 100000, "test file", &t, &n), QSDR_OK);
        QSDR_CHECK_MSG(t && n == sizes[k] && pattern_ok(t, n), "size %zu: got %zu bytes", sizes[k], n);
        qsdr_free(t);
    }
    /* one byte above the limit */
    write_bytes(path, 100001);
    QSDR_CHECK(qsdr_read_file(path, 100000, "test file", &t, &n) == QSDR_EINVAL && t == NULL);
    QSDR_CHECK_MSG(strstr(qsdr_last_error(), "a test file may have at most 100000 bytes"), "%s", qsdr_last_error());
    /* a pipe: no size to ask for, read to its end */
    QSDR_REQUIRE(mkfifo(fifo, 0600) == 0);
    fifo_arg fa = {fifo, 9000};
    pthread_t th;
    QSDR_REQUIRE(pthread_create(&th, NULL, fifo_writer, &fa) == 0);
    QSDR_CHECK_EQ_INT(qsdr_read_file(fifo, 100000, "test file", &t, &n), QSDR_OK);
    pthread_join(th, NULL);
    QSDR_CHECK_MSG(t && n == 9000 && pattern_ok(t, n), "pipe: got %zu bytes", n);
    qsdr_free(t);
    /* a directory opens but is no file */
    QSDR_CHECK(qsdr_read_file(dir, 100000, "test file", &t, &n) == QSDR_EINVAL && t == NULL);
    QSDR_CHECK_MSG(strstr(qsdr_last_error(), ": a directory, not a test file"), "%s", qsdr_last_error());
    unlink(path);
    QSDR_CHECK(qsdr_read_file(path, 100000, "test file", &t, NULL) == QSDR_EIO && t == NULL);
    QSDR_CHECK_MSG(strstr(qsdr_last_error(), "cannot open the test file: No such file or directory"), "%s", qsdr_last_error());
    unlink(fifo);
    rmdir(dir);
}
