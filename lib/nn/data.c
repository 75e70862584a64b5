/* SPDX-License-Identifier: MIT */
/* Seeded synthetic datasets for tests and examples, and classification accuracy. */
#include <math.h>
#include <string.h>

#include "nn/nn_internal.h"
#include "qsdr/rng.h"

static int alloc_set(qsdr_nn_dataset *d, size_t n, size_t features, size_t classes)
{
    memset(d, 0, sizeof *d);
    d->x = qsdr_malloc((n * features + 1) * sizeof(float));
    d->y = qsdr_malloc((n + 1) * sizeof(float));
    if (!d->x || !d->y) {
        qsdr_nn_dataset_free(d);
        return QSDR_ENOMEM;
    }
    d->n = n, d->features = features, d->targets = 1, d->classes = classes;
    return QSDR_OK;
}

int qsdr_nn_dataset_spirals(qsdr_nn_dataset *d, size_t n, size_t classes, float noise, uint64_t seed)
{
    if (n < 1 || classes < 2 || classes > 16 || !(noise >= 0))
        return qsdr_error(QSDR_ERANGE, "spirals: n >= 1, classes 2..16, noise >= 0");
    if (alloc_set(d, n, 2, classes)) return QSDR_ENOMEM;
    float *u = qsdr_malloc(n * sizeof(float)), *g = qsdr_malloc(2 * n * sizeof(float));
    if (!u || !g) {
        qsdr_free(u), qsdr_free(g), qsdr_nn_dataset_free(d);
        return QSDR_ENOMEM;
    }
    qsdr_randu_f32(seed, 0, n, u);
    qsdr_randn_f32(seed ^ 0x5a5a5a5a5a5a5a5aull, 0, 2 * n, g);
    for (size_t i = 0; i < n; i++) {
        size_t c = i % classes;
        double t = 0.05 + 0.95 * u[i], th = 2 * M_PI * (double)c / (double)classes + 3 * M_PI * t;
        d->x[2 * i] = (float)(t * cos(th)) + noise * g[2 * i];
        d->x[2 * i + 1] = (float)(t * sin(th)) + noise * g[2 * i + 1];
        d->y[i] = (float)c;
    }
    qsdr_free(u), qsdr_free(g);
    return QSDR_OK;
}

int qsdr_nn_dataset_blobs(qsdr_nn_dataset *d, size_t n, size_t classes, size_t dims, float spread, uint64_t seed)
{
    if (n < 1 || classes < 2 || classes > 256 || dims < 1 || dims > 4096 || !(spread > 0))
        return qsdr_error(QSDR_ERANGE, "blobs: n >= 1, classes 2..256, dims 1..4096, spread > 0");
    if (alloc_set(d, n, dims, classes)) return QSDR_ENOMEM;
    float *cen = qsdr_malloc(classes * dims * sizeof(float));
    if (!cen) {
        qsdr_nn_dataset_free(d);
        return QSDR_ENOMEM;
    }
    qsdr_randn_f32(seed, 0, classes * dims, cen);
    qsdr_randn_f32(seed ^ 0xa5a5a5a5a5a5a5a5ull, 0, n * dims, d->x);
    for (size_t i = 0; i < n; i++) {
        size_t c = i % classes;
        for (size_t j = 0; j < dims; j++) d->x[i * dims + j] = 2.0f * cen[c * dims + j] + spread * d->x[i * dims + j];
        d->y[i] = (float)c;
    }
    qsdr_free(cen);
    return QSDR_OK;
}

void qsdr_nn_dataset_free(qsdr_nn_dataset *d)
{
    qsdr_free(d->x);
    qsdr_free(d->y);
    memset(d, 0, sizeof *d);
}

double qsdr_nn_accuracy(qsdr_nn_model *m, const qsdr_nn_dataset *d)
{
    bool tr = m->training;
    qsdr_nn_set_training(m, false);
    size_t ok = 0, F = qsdr_nn_out_features(m), bs = 256;
    for (size_t i = 0; i < d->n; i += bs) {
        size_t b = d->n - i < bs ? d->n - i : bs;
        const float *y = qsdr_nn_forward(m, d->x + i * d->features, b);
        if (!y) return -1;
        for (size_t k = 0; k < b; k++) {
            size_t best = 0;
            for (size_t j = 1; j < F; j++)
                if (y[k * F + j] > y[k * F + best]) best = j;
            ok += best == (size_t)d->y[i + k];
        }
    }
    qsdr_nn_set_training(m, tr);
    return (double)ok / (double)d->n;
}
