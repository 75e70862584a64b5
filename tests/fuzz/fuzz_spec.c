/* SPDX-License-Identifier: MIT */
/* Fuzz target: a model spec (YAML/JSON text, what `qsdr train` reads) -> qsdr_nn_model_from_spec;
 * a model that builds runs forward passes in float and at 8, 2 and 1 bits (integer engine). */
#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    qsdr_log_set_level(QSDR_LOG_OFF);
    char *t = fuzz_text(data, size);
    qsdr_nn_model *m = qsdr_nn_model_from_spec(t, "fuzz.yml");
    free(t);
    if (!m) return 0;
    if (qsdr_nn_flops(m) < 1e8) fuzz_run_model(m, 1u << 16);
    qsdr_nn_model_free(m);
    return 0;
}
