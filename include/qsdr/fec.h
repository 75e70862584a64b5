/* SPDX-License-Identifier: MIT */
/* Forward error correction: the LTE turbo code (3GPP TS 36.212 5.1.3.2) and its CRCs.
 * LLR convention everywhere: L = log P(b=0)/P(b=1) (positive means 0). */
#ifndef QSDR_FEC_H
#define QSDR_FEC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "qsdr/common.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ---- CRC (TS 36.212 5.1.1) --------------------------------------------------------------- */
typedef enum { QSDR_CRC_NONE = 0, QSDR_CRC24A, QSDR_CRC24B } qsdr_crc_type;
/* CRC of n bits (0/1 bytes, first bit first), as a 24-bit value. */
uint32_t qsdr_crc24(qsdr_crc_type t, const uint8_t *bits, size_t n);
/* Append the 24 parity bits after bits[0..n-1] (bits must have room for n + 24). */
void qsdr_crc24_attach(qsdr_crc_type t, uint8_t *bits, size_t n);
/* True when bits[0..n-1] followed by its 24 parity bits checks (n = payload length). */
bool qsdr_crc24_check(qsdr_crc_type t, const uint8_t *bits, size_t n);

/* ---- QPP interleaver ---------------------------------------------------------------------- */
/* True when k is one of the 188 LTE block sizes (40..6144). */
bool qsdr_turbo_k_valid(size_t k);
/* pi[i] = (f1 i + f2 i^2) mod k; returns QSDR_EINVAL for a k not in the table. */
int qsdr_turbo_qpp(size_t k, uint32_t *pi);
/* The block size in the table closest above or equal to k (0 if k > 6144). */
size_t qsdr_turbo_k_ceil(size_t k);

/* ---- code layout -------------------------------------------------------------------------- */
/* Rates: 1/3 (mother code), 1/2 and 2/3 by puncturing. Layouts of the n coded bits:
 *  1/3: d0[0..K+3] | d1[0..K+3] | d2[0..K+3], the three streams of TS 36.212 5.1.3.2
 *       (d0 = systematic, d1 = parity 1, d2 = parity 2, each ending in 4 of the 12 tail bits)
 *  1/2: d0[0..K+3] | p[0..K-1] | d1[K..K+3] | d2[K..K+3], p[k] = d1[k] for even k, d2[k] for odd
 *  2/3: d0[0..K+3] | p[0..K/2-1] | d1[K..K+3] | d2[K..K+3], p[j] = d1[2j] for even j, d2[2j] odd
 * so n = 3K+12, 2K+12 and 3K/2+12. */
typedef enum { QSDR_TURBO_R13 = 0, QSDR_TURBO_R12, QSDR_TURBO_R23 } qsdr_turbo_rate;
size_t qsdr_turbo_n(size_t k, qsdr_turbo_rate r);

/* ---- encoder ------------------------------------------------------------------------------ */
typedef struct qsdr_turbo_enc qsdr_turbo_enc_t;
/* k: LTE block size (qsdr_turbo_k_valid). NULL (logged) otherwise. */
qsdr_turbo_enc_t *qsdr_turbo_enc_create(size_t k, qsdr_turbo_rate r);
void qsdr_turbo_enc_destroy(qsdr_turbo_enc_t **q);
/* u_k: k bits (0/1) -> x_n: qsdr_turbo_n(k, r) bits. QSDR_EINVAL if an input is not 0/1. */
int qsdr_turbo_enc_execute(qsdr_turbo_enc_t *q, const uint8_t *u_k, uint8_t *x_n);

/* ---- decoder ------------------------------------------------------------------------------ */
typedef enum { QSDR_TURBO_MAXLOG = 0, QSDR_TURBO_LOGMAP } qsdr_turbo_algo;
typedef enum { QSDR_TURBO_STOP_NONE = 0, QSDR_TURBO_STOP_CRC, QSDR_TURBO_STOP_AGREE } qsdr_turbo_stop;

typedef struct {
    qsdr_turbo_rate rate;
    qsdr_turbo_algo algo;
    unsigned iterations;   /* 1..32 */
    float scaling;         /* extrinsic scaling (0, 1]; 0.75 is the usual max-log choice */
    qsdr_turbo_stop stop;  /* early termination */
    qsdr_crc_type crc;     /* CRC carried in the last 24 of the k bits (for STOP_CRC) */
} qsdr_turbo_dec_config;

/* Defaults: rate 1/3, max-log, 6 iterations, scaling 0.75, no early stop, no CRC. */
qsdr_turbo_dec_config qsdr_turbo_dec_default(void);

typedef struct qsdr_turbo_dec qsdr_turbo_dec_t;
/* Float reference decoder (plain C, iterative BCJR). NULL (logged) on a bad configuration. */
qsdr_turbo_dec_t *qsdr_turbo_dec_create(size_t k, const qsdr_turbo_dec_config *cfg);
void qsdr_turbo_dec_destroy(qsdr_turbo_dec_t **q);
/* l_n: qsdr_turbo_n(k, rate) channel LLRs -> v_k: k hard bits; app_k (may be NULL): k
 * a-posteriori LLRs. Returns the number of iterations run (>= 1), or QSDR_ERANGE for a NaN LLR. */
int qsdr_turbo_dec_execute(qsdr_turbo_dec_t *q, const float *l_n, uint8_t *v_k, float *app_k);
/* As qsdr_turbo_dec_execute, and ext_n: qsdr_turbo_n(k, rate) extrinsic LLRs on the coded bits
 * in the layout of l_n (a-posteriori minus the bit's own channel input; systematic, parity and
 * tail bits), computed by one more pass of each constituent decoder after the last iteration.
 * The outer decoder's output for serial concatenation and iterative demapping (BICM-ID). */
int qsdr_turbo_dec_execute_ext(qsdr_turbo_dec_t *q, const float *l_n, uint8_t *v_k, float *ext_n);

/* ---- fast decoder ------------------------------------------------------------------------- */
/* Fixed-point fast path: int16, max-log-MAP with extrinsic scaling 0.75, a fixed number of
 * iterations, frames decoded in lock-step, one per SIMD lane (32 with AVX-512BW, 16 with AVX2,
 * 16 in the generic C version; all bit-exact with each other). Channel LLRs are quantized with
 * 2 fractional bits and clipped to +-31.75; extrinsic values are clipped to +-1023.75.
 *  variant: NULL = best for this CPU (QSDR_SIMD overrides), or "generic", "avx2", "avx512". */
typedef struct qsdr_turbo_fast qsdr_turbo_fast_t;
qsdr_turbo_fast_t *qsdr_turbo_fast_create(size_t k, unsigned iterations, qsdr_turbo_rate rate, const char *variant);
void qsdr_turbo_fast_destroy(qsdr_turbo_fast_t **q);
/* Frames decoded together (a batch); fewer frames leave lanes idle. */
size_t qsdr_turbo_fast_lanes(const qsdr_turbo_fast_t *q);
const char *qsdr_turbo_fast_impl(const qsdr_turbo_fast_t *q);
/* Decode nframes frames: l_n holds nframes x n LLRs, v_k receives nframes x k bits.
 * Returns QSDR_OK or QSDR_ERANGE for a NaN LLR. */
int qsdr_turbo_fast_execute(qsdr_turbo_fast_t *q, const float *l_n, size_t nframes, uint8_t *v_k);
/* Early termination, as the float decoder's: QSDR_TURBO_STOP_CRC (the CRC in the last 24 of
 * the K bits checks; crc names it) or QSDR_TURBO_STOP_AGREE (a frame's decisions equal the
 * previous iteration's, from the second on). Each frame keeps the decisions of the iteration it
 * stopped at (the same bits as decoding it with that many iterations); a batch stops when all of
 * its frames have, so the time saved depends on the slowest frame of each batch. */
int qsdr_turbo_fast_set_stop(qsdr_turbo_fast_t *q, qsdr_turbo_stop stop, qsdr_crc_type crc);
/* Iterations run, summed over every frame decoded so far (with early termination, fewer than
 * frames x iterations). */
uint64_t qsdr_turbo_fast_iterations(const qsdr_turbo_fast_t *q);

#ifdef __cplusplus
}
#endif
#endif
