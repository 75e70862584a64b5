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

#include <qsdr/qsdr.h>

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

/* A model that loaded: a forward pass of two samples in float, then at 8, 2 and 1 bits on the
 * integer engine (models with more than max_in input features or 2^20 parameters are skipped:
 * a valid spec of 39 M weights, `out: 6e4`, took 7 s under ASan, a libFuzzer "timeout" that is
 * only work, not a hang). */
static inline void fuzz_run_model(qsdr_nn_model *m, size_t max_in)
{
    size_t nin = qsdr_nn_in_features(m), np = 0;
    (void)qsdr_nn_params(m, &np);
    if (nin > max_in || np > ((size_t)1 << 20)) return;
    float *x = calloc(2 * nin + 1, sizeof(float));
    if (!x) abort();
    for (size_t i = 0; i < 2 * nin; i++) x[i] = (float)((int)(i % 7) - 3) * 0.25f;
    (void)qsdr_nn_forward(m, x, 2);
    static const int bits[] = {8, 2, 1};
    qsdr_nn_set_engine(m, QSDR_NN_ENGINE_INT);
    for (size_t b = 0; b < 3; b++)
        if (qsdr_nn_set_bits(m, QSDR_NN_ALL_LAYERS, bits[b], bits[b]) == QSDR_OK) (void)qsdr_nn_forward(m, x, 2);
    free(x);
}
#endif
