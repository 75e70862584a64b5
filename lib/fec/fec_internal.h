/* SPDX-License-Identifier: MIT */
/* FEC internals shared by the turbo decoders and their tests (not installed). */
#ifndef QSDR_FEC_INTERNAL_H
#define QSDR_FEC_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

#include "phy/phy_internal.h"
#include "qsdr/fec.h"

typedef struct {
    uint8_t s[2], cz[2]; /* the two predecessors of a state and their branch label 2c + z */
} qsdr_trellis_pred;

typedef struct {
    uint8_t next[8][2]; /* next state for (state, input bit) */
    uint8_t cz[8][2];   /* branch label 2c + z */
    qsdr_trellis_pred pred[8];
} qsdr_trellis;

typedef size_t (*qsdr_tf_quantize_fn)(const float *restrict l, size_t n, int16_t *restrict out, float scale, float lim);

struct qsdr_turbo_fast {
    size_t k, lanes;
    int bits;      /* 16 or 8 */
    unsigned iterations;
    qsdr_turbo_rate rate;
    const char *name;
    void (*decode)(struct qsdr_turbo_fast *, uint8_t *);
    qsdr_tf_quantize_fn quantize; /* compiled for the same instruction set as decode */
    void (*transpose)(struct qsdr_turbo_fast *); /* qd -> sys1 par1 par2 steps 0..K-1 */
    uint32_t *pi;
    void *buf;     /* int16 vectors: sys1 par1 sys2 par2 (K+3 each), la1 la2 le app (K each), alpha */
    uint8_t *hard; /* K x lanes */
    float *d;      /* one frame's depunctured LLRs */
    int16_t *qd;   /* lanes x 3 (K+4) quantized mother-code LLRs */
    /* early termination (qsdr_turbo_fast_set_stop): this iteration's and the previous one's
       decisions (K x lanes, like hard), per lane the iteration it stopped at (0: running) */
    qsdr_turbo_stop stop;
    qsdr_crc_type crc;
    uint8_t *cur, *prev;
    unsigned *done_at;
    uint64_t iter_total; /* iterations run, summed over the frames decoded */
};
/* Generator polynomial of a CRC24 type without the x^24 term (crc.c). */
uint32_t qsdr_crc24_poly(qsdr_crc_type t);
/* Early termination after iteration it (1-based): takes q->cur (this iteration's decisions) into
 * q->hard for the lanes still running, marks the lanes that stop; true when every lane has. */
bool qsdr_tf_stop_check(struct qsdr_turbo_fast *q, unsigned it);

/* Position of tail bit t (0..11: x_K z_K x_K+1 z_K+1 x_K+2 z_K+2, then the same for the second
 * encoder) in the mother code d0|d1|d2: stream t % 3, index K + t / 3 (TS 36.212 5.1.3.2.2). */
static inline size_t qsdr_turbo_tail_pos(size_t k, size_t t) { return (t % 3) * (k + 4) + k + t / 3; }

/* Depuncture n = qsdr_turbo_n(k, r) LLRs into the three mother-code streams d (3 (K+4)). */
void qsdr_turbo_depuncture(size_t k, qsdr_turbo_rate r, const float *l, float *d);
/* The RSC trellis computed from the code definition (the fast core uses constant copies). */
void qsdr_turbo_trellis_init(qsdr_trellis *tr);
/* The fast core's constant tables (defined in turbo_fast.c). */
extern const uint8_t qsdr_tf_next[8][2], qsdr_tf_cz[8][2], qsdr_tf_pred_s[8][2], qsdr_tf_pred_cz[8][2];
/* Name of the i-th fast-decoder variant (best first; NULL past the end). */
const char *qsdr_turbo_fast_variant_name(size_t i);
/* The fast decoder's transpositions of a batch's quantized frames (qd) into the core's layout
 * (sys1, par1, par2, steps 0..K-1): fn is void (*)(struct qsdr_turbo_fast *); "generic" is the
 * plain C reference. A decoder takes the first supported one (QSDR_SIMD=generic: the reference). */
const qsdr_k_variant *qsdr_tf_transpose_variants(void);

#endif
