/* SPDX-License-Identifier: MIT */
/* Bit and frame error counting. */
#include "qsdr/phy.h"

struct qsdr_ber {
    size_t frame_size;
    uint64_t skip, seen;
    qsdr_ber_counts c;
    size_t in_frame;      /* bits of the current frame seen so far */
    bool frame_has_error;
};

qsdr_ber_t *qsdr_ber_create(size_t frame_size, uint64_t skip)
{
    if (frame_size < 1) return qsdr_error_null(QSDR_EINVAL, "qsdr_ber_create: frame_size must be >= 1 (got %zu)", frame_size);
    qsdr_ber_t *q = qsdr_calloc(1, sizeof *q);
    if (!q) return qsdr_error_null(QSDR_ENOMEM, "qsdr_ber_create: out of memory");
    q->frame_size = frame_size;
    q->skip = skip;
    return q;
}

void qsdr_ber_destroy(qsdr_ber_t **qp)
{
    if (!qp || !*qp) return;
    qsdr_free(*qp);
    *qp = NULL;
}

void qsdr_ber_update(qsdr_ber_t *q, const uint8_t *d, const uint8_t *r, size_t n)
{
    size_t i = 0;
    if (q->seen < q->skip) {
        uint64_t left = q->skip - q->seen;
        i = left < n ? (size_t)left : n;
        q->seen += i;
    }
    q->c.bits += n - i;
    for (; i < n; i++) {
        bool err = (d[i] != 0) != (r[i] != 0);
        q->c.bit_errors += err;
        q->frame_has_error |= err;
        if (++q->in_frame == q->frame_size) {
            q->c.frames++;
            q->c.frame_errors += q->frame_has_error;
            q->in_frame = 0;
            q->frame_has_error = false;
        }
    }
}

qsdr_ber_counts qsdr_ber_get(const qsdr_ber_t *q) { return q->c; }
