/* SPDX-License-Identifier: MIT */
/* Counter-based random numbers (Philox4x32-10): any item range of a stream can be generated
 * independently, so output never depends on chunking, scheduler or thread count. */
#ifndef QSDR_RNG_H
#define QSDR_RNG_H

#include <stddef.h>
#include <stdint.h>

#include "qsdr/common.h"

#ifdef __cplusplus
extern "C" {
#endif

/* One Philox4x32-10 block: 128 random bits for counter ctr under key. */
void qsdr_philox4x32(const uint32_t ctr[4], const uint32_t key[2], uint32_t out[4]);

/* Standard normal floats (mean 0, variance 1): out[i] is draw number first+i of the stream
 * `seed`. Box-Muller on Philox output with polynomial log/sin/cos; |x| <= 6.66 by
 * construction; results are bit-identical across SIMD variants. */
void qsdr_randn_f32(uint64_t seed, uint64_t first, size_t n, float *out);
/* Complex Gaussian samples with E|z|^2 = var: sample i uses normals 2(first+i), 2(first+i)+1. */
void qsdr_randn_cf32(uint64_t seed, uint64_t first, size_t n, float var, qsdr_cf32 *out);
/* Random bits (0/1 bytes): bit first+i of the stream `seed`. */
void qsdr_rand_bits(uint64_t seed, uint64_t first, size_t n, uint8_t *out);
/* Uniform floats in [0, 1) with 24-bit resolution: draw first+i of stream `seed`. */
void qsdr_randu_f32(uint64_t seed, uint64_t first, size_t n, float *out);
/* A random permutation of 0..n-1 (Fisher-Yates; swap partner of position i from uniform draw
 * first+i of stream `seed`). */
void qsdr_rand_perm(uint64_t seed, uint64_t first, size_t n, size_t *perm);

/* Name of the Gaussian kernel variant in use ("generic", "avx2", "avx512f"). */
const char *qsdr_randn_impl(void);

#ifdef __cplusplus
}
#endif
#endif
