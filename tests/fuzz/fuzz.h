/* SPDX-License-Identifier: MIT */
/* Fuzz targets: each file defines LLVMFuzzerTestOneInput for one parser of untrusted input.
 * Built two ways: with clang's libFuzzer (cmake -DQSDR_FUZZ=ON, `make fuzz`), and with
 * driver.c, a seeded mutation driver run by the default test suite (fuzz_smoke_*), so every
 * `make test` and `make test-sanitize` replays a few thousand mutated inputs per parser. */
#ifndef QSDR_TESTS_FUZZ_H
#define QSDR_TESTS_FUZZ_H
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* data as a NUL-terminated string (NUL bytes inside stay: parsers see a shorter text). */
static inline char *fuzz_text(const uint8_t *data, size_t size)
{
    char *t = malloc(size + 1);
    if (!t) abort();
    memcpy(t, data, size);
    t[size] = 0;
    return t;
}
#endif
