/* SPDX-License-Identifier: MIT */
/* Ring buffer: two-thread transfer of 10^8 items (no loss, duplicate or reordering), fan-out
 * readers, contiguous windows across the wrap point. */
#include <pthread.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>

#include "qsdr_test.h"
#include "runtime/runtime_internal.h"

typedef struct {
    qsdr_buffer *b;
    size_t reader;
    uint64_t total;
    uint64_t bad;
    uint64_t first_bad_index, first_bad_value;
} rd_arg;

static void *reader_thread(void *p)
{
    rd_arg *a = p;
    uint64_t expect = 0;
    while (expect < a->total) {
        size_t n = qsdr_buffer_avail(a->b, a->reader);
        if (!n) {
            sched_yield();
            continue;
        }
        const uint64_t *x = qsdr_buffer_read_ptr(a->b, a->reader);
        for (size_t i = 0; i < n; i++) {
            if (x[i] != expect + i && a->bad++ == 0) {
                a->first_bad_index = expect + i;
                a->first_bad_value = x[i];
            }
        }
        expect += n;
        qsdr_buffer_consume(a->b, a->reader, n);
    }
    return NULL;
}

static void transfer(uint64_t total, size_t n_readers, size_t cap)
{
    qsdr_buffer *b = qsdr_buffer_create(sizeof(uint64_t), cap, n_readers, NULL);
    QSDR_REQUIRE(b);
    rd_arg args[4];
    pthread_t th[4];
    for (size_t r = 0; r < n_readers; r++) {
        args[r] = (rd_arg){.b = b, .reader = r, .total = total};
        pthread_create(&th[r], NULL, reader_thread, &args[r]);
    }
    uint64_t next = 0;
    while (next < total) {
        size_t n = qsdr_buffer_space(b);
        if (!n) {
            sched_yield();
            continue;
        }
        if (n > total - next) n = (size_t)(total - next);
        uint64_t *w = qsdr_buffer_write_ptr(b);
        for (size_t i = 0; i < n; i++) w[i] = next + i;
        next += n;
        qsdr_buffer_produce(b, n);
    }
    for (size_t r = 0; r < n_readers; r++) {
        pthread_join(th[r], NULL);
        QSDR_CHECK_MSG(args[r].bad == 0, "reader %zu: %llu bad items, first at %llu holds %llu", r, (unsigned long long)args[r].bad,
                       (unsigned long long)args[r].first_bad_index, (unsigned long long)args[r].first_bad_value);
        QSDR_CHECK_EQ_INT(atomic_load(&b->readers[r].r), total);
    }
    qsdr_buffer_destroy(&b);
    QSDR_CHECK(b == NULL);
}

QSDR_TEST(buffer_spsc_1e8, "unit", "10^8 items through one ring buffer between two threads, in order, none lost")
{
    transfer(100000000ull, 1, 8192);
}

QSDR_TEST(buffer_fanout_readers, "unit", "one writer, three reader threads each see all 10^7 items in order")
{
    transfer(10000000ull, 3, 4096);
}

QSDR_TEST(buffer_wrap_contiguous, "unit", "a window across the end of the ring is contiguous (double mapping)")
{
    qsdr_buffer *b = qsdr_buffer_create(8, 100, 1, NULL); /* rounded up to a page: 512 items */
    QSDR_REQUIRE(b);
    QSDR_CHECK(b->cap >= 100 && (b->cap * 8) % 4096 == 0);
    size_t cap = b->cap;
    /* advance to 10 items before the end */
    for (int round = 0; round < 2; round++) {
        size_t n = round == 0 ? cap - 10 : 0;
        if (!n) break;
        qsdr_buffer_produce(b, n);
        qsdr_buffer_consume(b, 0, n);
    }
    QSDR_CHECK_EQ_INT(qsdr_buffer_space(b), cap);
    uint64_t *w = qsdr_buffer_write_ptr(b);
    for (size_t i = 0; i < 40; i++) w[i] = 1000 + i; /* writes across the wrap */
    qsdr_buffer_produce(b, 40);
    const uint64_t *r = qsdr_buffer_read_ptr(b, 0);
    for (size_t i = 0; i < 40; i++) QSDR_CHECK_EQ_INT(r[i], 1000 + i);
    /* the wrapped part lives at the start of the first mapping */
    QSDR_CHECK_EQ_INT(((uint64_t *)b->base)[0], 1010);
    QSDR_CHECK_EQ_INT(qsdr_buffer_space(b), cap - 40);
    qsdr_buffer_destroy(&b);
}

QSDR_TEST(buffer_bad_args, "unit", "zero item size or capacity is refused")
{
    QSDR_CHECK(qsdr_buffer_create(0, 10, 1, NULL) == NULL);
    QSDR_CHECK(qsdr_buffer_create(4, 0, 1, NULL) == NULL);
}

QSDR_TEST(buffer_tags_windows, "unit", "tags: kept sorted by offset, each read window [lo, hi) returns exactly its own tags (a tag on a window edge once), pruned below the slowest reader")
{
    qsdr_buffer *b = qsdr_buffer_create(4, 64, 2, NULL);
    QSDR_REQUIRE(b);
    static const uint64_t offs[] = {9, 0, 3, 4, 12, 8, 4}; /* out of order; two at 4 */
    for (size_t i = 0; i < sizeof offs / sizeof *offs; i++) {
        qsdr_tag t = {.offset = offs[i]};
        snprintf(t.key, sizeof t.key, "t%zu", i);
        QSDR_CHECK_EQ_INT(qsdr_buffer_add_tag(b, &t), QSDR_OK);
    }
    /* windows 0-4, 4-8, 8-12, 12-16 read back every tag once, in offset order, on the port */
    qsdr_tag *got = NULL;
    size_t n = 0, cap = 0, seen = 0;
    uint64_t last = 0;
    for (uint64_t lo = 0; lo < 16; lo += 4) {
        size_t n0 = n;
        QSDR_CHECK_EQ_INT(qsdr_buffer_get_tags(b, lo, lo + 4, 3, &got, &n, &cap), QSDR_OK);
        for (size_t i = n0; i < n; i++) {
            QSDR_CHECK(got[i].offset >= lo && got[i].offset < lo + 4);
            QSDR_CHECK(got[i].offset >= last);
            QSDR_CHECK_EQ_INT(got[i].port, 3);
            last = got[i].offset;
        }
        seen += n - n0;
    }
    QSDR_CHECK_EQ_INT(seen, sizeof offs / sizeof *offs);
    QSDR_CHECK_EQ_INT(n, seen);
    /* an empty window and one exactly on a tag */
    n = 0;
    QSDR_CHECK_EQ_INT(qsdr_buffer_get_tags(b, 5, 8, 0, &got, &n, &cap), QSDR_OK);
    QSDR_CHECK_EQ_INT(n, 0);
    QSDR_CHECK_EQ_INT(qsdr_buffer_get_tags(b, 12, 13, 0, &got, &n, &cap), QSDR_OK);
    QSDR_CHECK_EQ_INT(n, 1);
    QSDR_CHECK(n == 1 && got[0].offset == 12 && !strcmp(got[0].key, "t4"));
    /* readers at 8 and 4: pruning keeps the tags the slower reader has not passed (>= 4) */
    qsdr_buffer_produce(b, 16);
    qsdr_buffer_consume(b, 0, 8);
    qsdr_buffer_consume(b, 1, 4);
    qsdr_buffer_prune_tags(b);
    n = 0;
    QSDR_CHECK_EQ_INT(qsdr_buffer_get_tags(b, 0, 16, 0, &got, &n, &cap), QSDR_OK);
    QSDR_CHECK_EQ_INT(n, 5); /* 4, 4, 8, 9, 12 */
    QSDR_CHECK(n == 5 && got[0].offset == 4 && got[4].offset == 12);
    free(got);
    qsdr_buffer_destroy(&b);
}
