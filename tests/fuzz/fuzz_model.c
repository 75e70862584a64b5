/* SPDX-License-Identifier: MIT */
/* Fuzz target: bytes of a .safetensors file -> qsdr_nn_model_load (header JSON, spec in the
 * metadata, tensor table, dtypes, offsets); a model that loads runs a forward pass in float and
 * at 8, 2 and 1 bits on the integer engine. Then the same file as an autoencoder transmitter
 * and receiver (qsdr_ae_load), which modulate / demodulate a few groups. Random edits inside the
 * JSON header change its length, so the input also runs with the 8-byte header length set to
 * the end of its first JSON object: the edits then reach the header's semantics. */
#include <stdbool.h>
#include <stdio.h>
#include <unistd.h>

#include "fuzz.h"

static void run_ae(const char *path, bool tx)
{
    qsdr_ae *a = qsdr_ae_load(path, tx);
    if (!a) return;
    const qsdr_ae_geom *g = qsdr_ae_geometry(a);
    size_t groups = 3, ns = g->ns * g->L;
    uint8_t bits[3 * 16] = {0};
    for (size_t i = 0; i < sizeof bits; i++) bits[i] = (uint8_t)(i * 7 % 3 == 0);
    qsdr_cf32 *s = calloc(groups * ns + 1, sizeof *s);
    float *llr = calloc(groups * g->m + 1, sizeof *llr);
    if (tx) {
        (void)qsdr_ae_modulate(a, bits, groups, s); /* m <= 8: the load checked it */
    } else {
        for (size_t i = 0; i < groups * ns; i++) s[i] = (qsdr_cf32){i % 2 ? 1.f : -1.f, i % 3 ? 1.f : -1.f};
        (void)qsdr_ae_demodulate(a, s, groups, llr);
        qsdr_ae_allow_untrained_bits(a, true);
        (void)qsdr_ae_set_bits(a, 2);
        (void)qsdr_ae_demodulate(a, s, groups, llr);
    }
    free(s);
    free(llr);
    qsdr_ae_free(a);
}

/* The length of the JSON object starting at byte 8 (braces outside strings), or 0. */
static size_t json_len(const uint8_t *p, size_t n)
{
    int depth = 0;
    bool str = false, esc = false;
    for (size_t i = 8; i < n; i++) {
        uint8_t c = p[i];
        if (str) {
            if (esc) esc = false;
            else if (c == '\\') esc = true;
            else if (c == '"') str = false;
        } else if (c == '"') str = true;
        else if (c == '{') depth++;
        else if (c == '}' && --depth == 0) return i + 1 - 8;
    }
    return 0;
}

static void run_file(const uint8_t *data, size_t size)
{
    char path[1024];
    const char *dir = getenv("TMPDIR");
    snprintf(path, sizeof path, "%s/qsdr-fuzz-%d.safetensors", dir && *dir ? dir : "/tmp", (int)getpid());
    FILE *f = fopen(path, "wb");
    if (!f) { /* a target that tests nothing must not pass */
        perror(path);
        abort();
    }
    fwrite(data, 1, size, f);
    fclose(f);
    qsdr_nn_model *m = qsdr_nn_model_load(path);
    if (m) {
        fuzz_run_model(m, 1u << 20);
        qsdr_nn_model_free(m);
    }
    run_ae(path, true);
    run_ae(path, false);
    unlink(path);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    qsdr_log_set_level(QSDR_LOG_OFF);
    run_file(data, size);
    size_t h = json_len(data, size);
    uint64_t declared = 0;
    if (size >= 8) memcpy(&declared, data, 8); /* little-endian, as x86 and ARM */
    if (h && h != declared) {
        uint8_t *fixed = malloc(size);
        memcpy(fixed, data, size);
        uint64_t v = h;
        memcpy(fixed, &v, 8);
        run_file(fixed, size);
        free(fixed);
    }
    return 0;
}
