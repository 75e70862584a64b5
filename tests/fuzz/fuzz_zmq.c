/* SPDX-License-Identifier: MIT */
/* Fuzz target: a ZeroMQ message as gr-zeromq sends it (tag header + PMTs + payload) ->
 * qsdr_gr_header_parse; then the same bytes as one bare PMT (qsdr_pmt_parse). */
#include <qsdr/qsdr.h>

#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    qsdr_log_set_level(QSDR_LOG_OFF);
    /* an exact-size copy so that ASan sees any read past the message */
    uint8_t *msg = malloc(size ? size : 1);
    memcpy(msg, data, size);
    size_t hdr = 0, n_tags = 0, cap = 0;
    uint64_t off = 0;
    qsdr_tag *tags = NULL;
    char err[256];
    if (qsdr_gr_header_parse(msg, size, &hdr, &off, &tags, &n_tags, &cap, err, sizeof err) == QSDR_OK && hdr > size) abort();
    qsdr_free(tags);
    size_t used = 0;
    qsdr_tag_value v;
    memset(&v, 0, sizeof v);
    if (qsdr_pmt_parse(msg, size, &used, &v, err, sizeof err) == QSDR_OK && used > size) abort();
    free(msg);
    return 0;
}
