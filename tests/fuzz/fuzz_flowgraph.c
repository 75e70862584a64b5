/* SPDX-License-Identifier: MIT */
/* Fuzz target: YAML flowgraph text -> load (variables, expressions, block parameters), then a
 * short serial run (2048 source items); lines "#set NAME=VALUE" are also passed as --set
 * overrides. Inputs naming I/O blocks (files, ZeroMQ, the plotting sinks' csv/plot) are skipped:
 * the fuzzer must not write files or open sockets. */
#include <stdbool.h>
#include <stdio.h>

#include <qsdr/qsdr.h>

#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static bool quiet;
    if (!quiet) { /* the ber and probe blocks print their summaries on stdout */
        quiet = freopen("/dev/null", "w", stdout) != NULL;
        qsdr_log_set_level(QSDR_LOG_OFF);
    }
    char *t = fuzz_text(data, size);
    /* the plotting sinks write only what their csv / plot parameters name: without those words
       they are fuzzed too (their parameters, the PSD, the end-of-stream summaries) */
    bool plots = (strstr(t, "spectrum_sink") || strstr(t, "constellation_sink")) && (strstr(t, "csv") || strstr(t, "plot"));
    if (strstr(t, "file_") || strstr(t, "zmq") || strstr(t, "tag_debug") || plots) {
        free(t);
        return 0;
    }
    /* lines "#set X" (YAML comments) also become --set overrides */
    char *ov[5] = {NULL};
    size_t nov = 0;
    for (const char *p = strstr(t, "#set "); p && nov < 4; p = strstr(p, "#set ")) {
        p += 5;
        ov[nov++] = strndup(p, strcspn(p, "\n"));
    }
    qsdr_flowgraph_t *fg = NULL;
    if (qsdr_flowgraph_load_string(t, "fuzz.yml", nov ? (const char *const *)ov : NULL, &fg) == QSDR_OK) {
        qsdr_flowgraph_set_item_limit(fg, 2048);
        (void)qsdr_flowgraph_run(fg, QSDR_SCHED_SERIAL);
    }
    qsdr_flowgraph_destroy(&fg);
    for (size_t i = 0; i < nov; i++) free(ov[i]);
    free(t);
    return 0;
}
