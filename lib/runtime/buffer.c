/* SPDX-License-Identifier: MIT */
/* Lock-free single-writer / multi-reader ring buffer over a double memory mapping. */
#define _GNU_SOURCE
#include <pthread.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "qsdr/common.h"
#include "runtime_internal.h"

/* ---- ring memory: a double mapping of one memfd, fresh or from a pool -------------------- */
typedef struct pool_map {
    struct pool_map *next;
    uint8_t *base;
    size_t bytes; /* one mapping; the area is 2 * bytes */
} pool_map;

struct qsdr_buffer_pool {
    pthread_mutex_t mu;
    pool_map *free; /* mappings not lent to a buffer */
    size_t bytes;   /* their total, one mapping each */
};

static uint8_t *map_ring(size_t bytes)
{
    int fd = memfd_create("qsdr-buffer", MFD_CLOEXEC);
    if (fd < 0) return NULL;
    if (ftruncate(fd, (off_t)bytes) != 0) {
        close(fd);
        return NULL;
    }
    uint8_t *area = mmap(NULL, 2 * bytes, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (area == MAP_FAILED) {
        close(fd);
        return NULL;
    }
    void *a = mmap(area, bytes, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_FIXED, fd, 0);
    void *c = mmap(area + bytes, bytes, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_FIXED, fd, 0);
    close(fd);
    if (a == MAP_FAILED || c == MAP_FAILED) {
        munmap(area, 2 * bytes);
        return NULL;
    }
    return area;
}

qsdr_buffer_pool *qsdr_buffer_pool_create(void)
{
    qsdr_buffer_pool *p = qsdr_calloc(1, sizeof *p);
    if (!p) return qsdr_error_null(QSDR_ENOMEM, "qsdr_buffer_pool_create: out of memory");
    pthread_mutex_init(&p->mu, NULL);
    return p;
}

void qsdr_buffer_pool_destroy(qsdr_buffer_pool **pp)
{
    if (!pp || !*pp) return;
    qsdr_buffer_pool *p = *pp;
    for (pool_map *m = p->free, *n; m; m = n) {
        n = m->next;
        munmap(m->base, 2 * m->bytes);
        qsdr_free(m);
    }
    pthread_mutex_destroy(&p->mu);
    qsdr_free(p);
    *pp = NULL;
}

size_t qsdr_buffer_pool_bytes(qsdr_buffer_pool *p)
{
    pthread_mutex_lock(&p->mu);
    size_t n = p->bytes;
    pthread_mutex_unlock(&p->mu);
    return n;
}

/* A mapping of exactly `bytes` from the pool (its record freed), or NULL. */
static uint8_t *pool_take(qsdr_buffer_pool *p, size_t bytes)
{
    uint8_t *base = NULL;
    pthread_mutex_lock(&p->mu);
    for (pool_map **m = &p->free; *m; m = &(*m)->next)
        if ((*m)->bytes == bytes) {
            pool_map *hit = *m;
            *m = hit->next;
            p->bytes -= bytes;
            base = hit->base;
            qsdr_free(hit);
            break;
        }
    pthread_mutex_unlock(&p->mu);
    return base;
}

/* Give a mapping back; unmapped instead when the record cannot be allocated. */
static void pool_give(qsdr_buffer_pool *p, uint8_t *base, size_t bytes)
{
    pool_map *m = qsdr_malloc(sizeof *m);
    if (!m) {
        munmap(base, 2 * bytes);
        return;
    }
    *m = (pool_map){.base = base, .bytes = bytes};
    pthread_mutex_lock(&p->mu);
    m->next = p->free;
    p->free = m;
    p->bytes += bytes;
    pthread_mutex_unlock(&p->mu);
}

qsdr_buffer *qsdr_buffer_create(size_t item_size, size_t min_items, size_t n_readers, qsdr_buffer_pool *pool)
{
    if (item_size == 0 || min_items == 0)
        return qsdr_error_null(QSDR_EINVAL, "qsdr_buffer_create: item_size and min_items must be > 0");
    size_t page = (size_t)sysconf(_SC_PAGESIZE);
    size_t unit = page / (size_t)qsdr_gcd64(page, item_size) * item_size; /* lcm(page, item_size) */
    size_t bytes = min_items * item_size;
    bytes = (bytes + unit - 1) / unit * unit;

    qsdr_buffer *b = qsdr_calloc_aligned(QSDR_CACHELINE, sizeof *b);
    if (!b) return qsdr_error_null(QSDR_ENOMEM, "qsdr_buffer_create: out of memory");
    b->readers = qsdr_calloc_aligned(QSDR_CACHELINE, (n_readers ? n_readers : 1) * sizeof *b->readers);
    if (!b->readers) {
        qsdr_free(b);
        return qsdr_error_null(QSDR_ENOMEM, "qsdr_buffer_create: out of memory");
    }
    b->n_readers = n_readers;
    b->item_size = item_size;
    b->cap = bytes / item_size;
    b->map_bytes = bytes;
    b->pool = pool;
    b->base = pool ? pool_take(pool, bytes) : NULL;
    if (!b->base) b->base = map_ring(bytes);
    if (!b->base) {
        qsdr_free(b->readers);
        qsdr_free(b);
        return qsdr_error_null(QSDR_EIO, "qsdr_buffer_create: cannot map a %zu-byte ring buffer", bytes);
    }
    pthread_mutex_init(&b->tag_mu, NULL);
    return b;
}

void qsdr_buffer_destroy(qsdr_buffer **bp)
{
    if (!bp || !*bp) return;
    qsdr_buffer *b = *bp;
    if (b->pool) pool_give(b->pool, b->base, b->map_bytes);
    else munmap(b->base, 2 * b->map_bytes);
    pthread_mutex_destroy(&b->tag_mu);
    qsdr_free(b->tags);
    qsdr_free(b->readers);
    qsdr_free(b);
    *bp = NULL;
}

static uint64_t min_reader(qsdr_buffer *b, uint64_t w)
{
    uint64_t m = w;
    for (size_t i = 0; i < b->n_readers; i++) {
        if (atomic_load_explicit(&b->readers[i].detached, memory_order_acquire)) continue;
        uint64_t r = atomic_load_explicit(&b->readers[i].r, memory_order_acquire);
        if (r < m) m = r;
    }
    return m;
}

size_t qsdr_buffer_space(qsdr_buffer *b)
{
    uint64_t w = atomic_load_explicit(&b->w, memory_order_relaxed);
    /* Fast path: the cached minimum may be stale (too small), which only under-reports; use it
     * while it still shows at least half the ring free. */
    if (w - b->w_cache_min <= b->cap / 2) return (size_t)(b->cap - (w - b->w_cache_min));
    b->w_cache_min = min_reader(b, w);
    return (size_t)(b->cap - (w - b->w_cache_min));
}

void *qsdr_buffer_write_ptr(qsdr_buffer *b)
{
    uint64_t w = atomic_load_explicit(&b->w, memory_order_relaxed);
    return b->base + (size_t)(w % b->cap) * b->item_size;
}

void qsdr_buffer_produce(qsdr_buffer *b, size_t n)
{
    atomic_fetch_add_explicit(&b->w, n, memory_order_release);
}

void qsdr_buffer_set_done(qsdr_buffer *b) { atomic_store_explicit(&b->done, 1, memory_order_release); }

bool qsdr_buffer_orphaned(qsdr_buffer *b)
{
    if (b->n_readers == 0) return false;
    for (size_t i = 0; i < b->n_readers; i++)
        if (!atomic_load_explicit(&b->readers[i].detached, memory_order_acquire)) return false;
    return true;
}

size_t qsdr_buffer_avail(qsdr_buffer *b, size_t reader)
{
    uint64_t w = atomic_load_explicit(&b->w, memory_order_acquire);
    uint64_t r = atomic_load_explicit(&b->readers[reader].r, memory_order_relaxed);
    return (size_t)(w - r);
}

const void *qsdr_buffer_read_ptr(qsdr_buffer *b, size_t reader)
{
    uint64_t r = atomic_load_explicit(&b->readers[reader].r, memory_order_relaxed);
    return b->base + (size_t)(r % b->cap) * b->item_size;
}

void qsdr_buffer_consume(qsdr_buffer *b, size_t reader, size_t n)
{
    atomic_fetch_add_explicit(&b->readers[reader].r, n, memory_order_release);
}

int qsdr_buffer_add_tag(qsdr_buffer *b, const qsdr_tag *t)
{
    pthread_mutex_lock(&b->tag_mu);
    if (b->n_tags == b->cap_tags) {
        size_t nc = b->cap_tags ? 2 * b->cap_tags : 16;
        qsdr_tag *nt = qsdr_realloc(b->tags, nc * sizeof *nt);
        if (!nt) {
            pthread_mutex_unlock(&b->tag_mu);
            return qsdr_error(QSDR_ENOMEM, "qsdr_buffer_add_tag: out of memory");
        }
        b->tags = nt;
        b->cap_tags = nc;
    }
    /* keep sorted by offset (tags almost always arrive in order) */
    size_t i = b->n_tags;
    while (i > 0 && b->tags[i - 1].offset > t->offset) {
        b->tags[i] = b->tags[i - 1];
        i--;
    }
    b->tags[i] = *t;
    b->n_tags++;
    atomic_store_explicit(&b->n_tags_hint, b->n_tags, memory_order_release);
    pthread_mutex_unlock(&b->tag_mu);
    return QSDR_OK;
}

int qsdr_buffer_get_tags(qsdr_buffer *b, uint64_t lo, uint64_t hi, unsigned port, qsdr_tag **dst,
                         size_t *n, size_t *cap)
{
    if (atomic_load_explicit(&b->n_tags_hint, memory_order_acquire) == 0) return QSDR_OK;
    int rc = QSDR_OK;
    pthread_mutex_lock(&b->tag_mu);
    for (size_t i = 0; i < b->n_tags; i++) {
        const qsdr_tag *t = &b->tags[i];
        if (t->offset < lo || t->offset >= hi) continue;
        if (*n == *cap) {
            size_t nc = *cap ? 2 * *cap : 16;
            qsdr_tag *nt = qsdr_realloc(*dst, nc * sizeof *nt);
            if (!nt) {
                rc = qsdr_error(QSDR_ENOMEM, "qsdr_buffer_get_tags: out of memory");
                break;
            }
            *dst = nt;
            *cap = nc;
        }
        (*dst)[*n] = *t;
        (*dst)[*n].port = port;
        (*n)++;
    }
    pthread_mutex_unlock(&b->tag_mu);
    return rc;
}

void qsdr_buffer_prune_tags(qsdr_buffer *b)
{
    if (atomic_load_explicit(&b->n_tags_hint, memory_order_acquire) == 0) return;
    uint64_t m = min_reader(b, atomic_load(&b->w));
    pthread_mutex_lock(&b->tag_mu);
    size_t k = 0;
    for (size_t i = 0; i < b->n_tags; i++)
        if (b->tags[i].offset >= m) b->tags[k++] = b->tags[i];
    b->n_tags = k;
    atomic_store_explicit(&b->n_tags_hint, k, memory_order_release);
    pthread_mutex_unlock(&b->tag_mu);
}
