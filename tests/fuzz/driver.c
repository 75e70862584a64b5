/* SPDX-License-Identifier: MIT */
/* A seeded mutation driver for the fuzz targets, for builds without libFuzzer: reads the
 * corpus files named on the command line, runs each as it is, then `--iterations` inputs made
 * from them by 1-8 random edits (bit flips, byte sets, inserts, deletions, copies of a range,
 * truncation, interesting numbers over a digit run, splices of two files). Same seed, same
 * inputs. A crash, a sanitizer report or a hang (ctest's timeout) fails the test.
 *   fuzz_<target> [--iterations N] [--seed S] FILE... */
#include <stdio.h>

#include "fuzz.h"

static uint64_t rng_state;
static uint64_t rnd(void)
{
    uint64_t x = rng_state += 0x9E3779B97F4A7C15ull; /* splitmix64 */
    x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ull;
    x = (x ^ (x >> 27)) * 0x94D049BB133111EBull;
    return x ^ (x >> 31);
}
static size_t below(size_t n) { return n ? (size_t)(rnd() % n) : 0; }

typedef struct {
    uint8_t *p;
    size_t n, cap;
} buf;

static void reserve(buf *b, size_t n)
{
    if (n <= b->cap) return;
    b->cap = n * 2 + 64;
    b->p = realloc(b->p, b->cap);
    if (!b->p) abort();
}

static const char *const interesting[] = {"0", "-1", "1", "255", "256", "65536", "-2147483648", "4294967297",
                                          "1e308", "-1e308", "1e-320", "nan", "inf", "-0", "3.5", "99999999999999999999"};

static void mutate(buf *b, const buf *other)
{
    size_t pos = below(b->n + 1);
    switch (below(9)) {
    case 0: /* flip a bit */
        if (b->n) b->p[below(b->n)] ^= (uint8_t)(1u << below(8));
        break;
    case 1: /* set a byte */
        if (b->n) b->p[below(b->n)] = (uint8_t)rnd();
        break;
    case 2: { /* insert 1-4 bytes */
        size_t k = 1 + below(4);
        reserve(b, b->n + k);
        memmove(b->p + pos + k, b->p + pos, b->n - pos);
        for (size_t i = 0; i < k; i++) b->p[pos + i] = below(4) ? (uint8_t)" :-{}[],\n0123456789aZ$"[below(22)] : (uint8_t)rnd();
        b->n += k;
        break;
    }
    case 3: { /* delete a range */
        size_t k = below(b->n - (pos < b->n ? pos : b->n) + 1);
        if (k > 16 && below(2)) k = 1 + below(16);
        memmove(b->p + pos, b->p + pos + k, b->n - pos - k);
        b->n -= k;
        break;
    }
    case 4: { /* copy a range elsewhere */
        if (!b->n) break;
        size_t src = below(b->n), k = 1 + below(b->n - src < 64 ? b->n - src : 64);
        reserve(b, b->n + k);
        uint8_t tmp[64];
        memcpy(tmp, b->p + src, k);
        memmove(b->p + pos + k, b->p + pos, b->n - pos);
        memcpy(b->p + pos, tmp, k);
        b->n += k;
        break;
    }
    case 5: /* truncate */
        b->n = pos;
        break;
    case 6: { /* an interesting number over a run of digits */
        size_t start = pos;
        while (start < b->n && !(b->p[start] >= '0' && b->p[start] <= '9')) start++;
        if (start >= b->n) break;
        size_t end = start;
        while (end < b->n && ((b->p[end] >= '0' && b->p[end] <= '9') || b->p[end] == '.')) end++;
        const char *s = interesting[below(sizeof interesting / sizeof *interesting)];
        size_t k = strlen(s);
        reserve(b, b->n - (end - start) + k);
        memmove(b->p + start + k, b->p + end, b->n - end);
        memcpy(b->p + start, s, k);
        b->n = b->n - (end - start) + k;
        break;
    }
    case 7: { /* binary: a little-endian u64 with an extreme value */
        if (b->n < 8) break;
        static const uint64_t v[] = {0, 1, 0x7fffffffffffffffull, 0xffffffffffffffffull, 0x100000000ull, 0x80000000ull};
        uint64_t x = v[below(sizeof v / sizeof *v)];
        memcpy(b->p + below(b->n - 7), &x, 8);
        break;
    }
    default: { /* splice: our head, the other's tail */
        if (!other->n) break;
        size_t at = below(other->n);
        reserve(b, pos + other->n - at);
        memcpy(b->p + pos, other->p + at, other->n - at);
        b->n = pos + other->n - at;
        break;
    }
    }
}

int main(int argc, char **argv)
{
    long iterations = 2000;
    unsigned long long seed = 1;
    buf *corpus = NULL;
    size_t nc = 0;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--iterations") && i + 1 < argc) {
            iterations = strtol(argv[++i], NULL, 10);
            continue;
        }
        if (!strcmp(argv[i], "--seed") && i + 1 < argc) {
            seed = strtoull(argv[++i], NULL, 10);
            continue;
        }
        FILE *f = fopen(argv[i], "rb");
        if (!f) {
            fprintf(stderr, "%s: cannot open corpus file\n", argv[i]);
            return 2;
        }
        corpus = realloc(corpus, (nc + 1) * sizeof *corpus);
        buf b = {0};
        uint8_t chunk[4096];
        size_t k;
        while ((k = fread(chunk, 1, sizeof chunk, f)) > 0) {
            reserve(&b, b.n + k);
            memcpy(b.p + b.n, chunk, k);
            b.n += k;
        }
        fclose(f);
        corpus[nc++] = b;
    }
    if (!nc) {
        fprintf(stderr, "usage: %s [--iterations N] [--seed S] CORPUS_FILE...\n", argv[0]);
        return 2;
    }
    rng_state = seed;
    for (size_t i = 0; i < nc; i++) LLVMFuzzerTestOneInput(corpus[i].p ? corpus[i].p : (const uint8_t *)"", corpus[i].n);
    buf w = {0};
    for (long it = 0; it < iterations; it++) {
        const buf *src = &corpus[below(nc)];
        w.n = 0;
        reserve(&w, src->n + 1);
        if (src->n) memcpy(w.p, src->p, src->n);
        w.n = src->n;
        for (size_t e = 0, ne = below(2) ? 1 : 1 + below(8); e < ne; e++) mutate(&w, &corpus[below(nc)]);
        LLVMFuzzerTestOneInput(w.p ? w.p : (const uint8_t *)"", w.n);
    }
    /* stderr: a target may have sent stdout to /dev/null */
    fprintf(stderr, "%zu corpus files, %ld mutated inputs (seed %llu): no crash\n", nc, iterations, seed);
    free(w.p);
    for (size_t i = 0; i < nc; i++) free(corpus[i].p);
    free(corpus);
    return 0;
}
