/* SPDX-License-Identifier: MIT */
/* Fuzz target: a control-port request (JSON text, what `qsdr ctl` sends) -> the answer of
 * qsdr_control_handle on a small prepared flowgraph (get/set/list/stats on live parameters). */
#include <stdio.h>

#include <qsdr/qsdr.h>

#include "fuzz.h"

static const char *const graph = "name: fuzz\n"
                                 "blocks:\n"
                                 "  - { id: src, type: random_source }\n"
                                 "  - { id: map, type: mapper, params: { modulation: qpsk } }\n"
                                 "  - { id: awgn, type: awgn, params: { ebn0_db: 3, bits_per_symbol: 2 } }\n"
                                 "  - { id: adc, type: adc, params: { bits: 1 } }\n"
                                 "  - { id: snk, type: null_sink, params: { type: cf32 } }\n"
                                 "connections: [src -> map, map -> awgn, awgn -> adc, adc -> snk]\n";

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static qsdr_flowgraph_t *fg;
    qsdr_log_set_level(QSDR_LOG_OFF);
    if (!fg) {
        if (qsdr_flowgraph_load_string(graph, "fuzz_control.yml", NULL, &fg) || qsdr_flowgraph_prepare(fg)) {
            fprintf(stderr, "fuzz_control: %s\n", qsdr_last_error());
            abort();
        }
    }
    char *req = malloc(size ? size : 1);
    memcpy(req, data, size);
    char *reply = qsdr_control_handle(fg, req, size);
    if (!reply) abort(); /* every request gets an answer, an error object at worst */
    qsdr_free(reply);
    free(req);
    return 0;
}
