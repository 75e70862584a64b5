/* SPDX-License-Identifier: MIT */
/* Fuzz target: a model spec (YAML/JSON text, what `qsdr train` reads) -> qsdr_nn_model_from_spec;
 * a model that builds runs forward passes in float and at 8, 2 and 1 bits (integer engine). */
#include <qsdr/qsdr.h>

#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    qsdr_log_set_level(QSDR_LOG_OFF);
    char *t = fuzz_text(data, size);
    qsdr_nn_model *m = qsdr_nn_model_from_spec(t, "fuzz.yml");
    free(t);
    if (!m) return 0;
    size_t nin = qsdr_nn_in_features(m);
    if (nin <= (1u << 16) && qsdr_nn_flops(m) < 1e8) {
        float *x = calloc(2 * nin, sizeof(float));
        for (size_t i = 0; i < 2 * nin; i++) x[i] = (float)((i % 5) - 2) * 0.5f;
        (void)qsdr_nn_forward(m, x, 2);
        qsdr_nn_set_engine(m, QSDR_NN_ENGINE_INT);
        static const int bits[] = {8, 2, 1};
        for (size_t b = 0; b < 3; b++)
            if (qsdr_nn_set_bits(m, QSDR_NN_ALL_LAYERS, bits[b], bits[b]) == QSDR_OK) (void)qsdr_nn_forward(m, x, 2);
        free(x);
    }
    qsdr_nn_model_free(m);
    return 0;
}
