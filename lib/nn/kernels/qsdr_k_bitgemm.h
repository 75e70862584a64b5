/* SPDX-License-Identifier: MIT */
/* Binary (XNOR-popcount) and bit-plane GEMMs for 1..7-bit quantized layers.
 *
 * Bits are packed 64 per uint64_t word, element k of a row in bit k%64 of word k/64; a row of
 * K elements takes W = ceil(K/64) words and its padding bits must be 0.
 *
 * XNOR GEMM (weights and activations in {-1,+1}, bit 1 = +1):
 *   C[m*ldc + n] = sum_k a_mk * b_nk = K - 2 * popcount(A[m] XOR B[n])
 *   A: (M, W) words, row stride lda words; B: (N, W) words, row stride ldb.
 *
 * Bit-plane GEMM (integers as weighted sums of 0/1 planes):
 *   C[m*ldc + n] = sum_{i<nb} sum_{j<na} cb[i] * ca[j] * popcount(B[n][i] AND A[m][j])
 *   A: (M, na, W) words, row stride lda words (plane j of row m at A + m*lda + j*W);
 *   B: (N, nb, W), row stride ldb. cb, ca: int32 plane weights (e.g. 1, 2, 4, -8 for a 4-bit
 *   two's-complement code). Offsets of +-1 codes are the caller's (see lib/nn/qlayer.c).
 *
 * Both are exact; all variants give identical int32 results. As with the int8 GEMM, each
 * variant packs B once (pack into packed_size bytes, 64-byte aligned) and then runs gemm. The
 * generic and popcnt variants keep B's row layout; the AVX-512 VPOPCNTDQ and AVX2 variants
 * store, per plane and word, consecutive rows side by side (P[((i*W + w) * Np8 + n], Np8 = N
 * rounded up to 16, the padding rows zero). */
#ifndef QSDR_K_BITGEMM_H
#define QSDR_K_BITGEMM_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>
#if defined(__x86_64__)
#include <immintrin.h>
#endif

typedef struct {
    size_t (*packed_size)(size_t N, size_t nb, size_t W);
    void (*pack)(void *packed, const uint64_t *B, size_t ldb, size_t N, size_t nb, size_t W);
    void (*xnor)(int32_t *C, size_t ldc, const uint64_t *A, size_t lda, const void *packed, size_t M, size_t N,
                 size_t W, size_t K);
    void (*planes)(int32_t *C, size_t ldc, const uint64_t *A, size_t lda, size_t na, const int32_t *ca,
                   const void *packed, size_t nb, const int32_t *cb, size_t M, size_t N, size_t W);
} qsdr_k_bitgemm_ops;

/* Plain C population count (no CPU instruction assumed): the reference. */
static inline int qsdr_k_popcount64_generic(uint64_t x)
{
    x = x - ((x >> 1) & 0x5555555555555555ull);
    x = (x & 0x3333333333333333ull) + ((x >> 2) & 0x3333333333333333ull);
    x = (x + (x >> 4)) & 0x0f0f0f0f0f0f0f0full;
    return (int)((x * 0x0101010101010101ull) >> 56);
}

__attribute__((unused)) static size_t qsdr_k_bitgemm_packed_size_rows(size_t N, size_t nb, size_t W) { return N * nb * W * 8 + 8; }

__attribute__((unused)) static void qsdr_k_bitgemm_pack_rows(void *packed, const uint64_t *B, size_t ldb, size_t N, size_t nb, size_t W)
{
    uint64_t *p = packed;
    for (size_t n = 0; n < N; n++) memcpy(p + n * nb * W, B + n * ldb, nb * W * 8);
}

/* The row-layout variants differ only in their popcount; one template makes both. */
#define QSDR_K_BITGEMM_ROWS(suffix, attr, POPC)                                                          \
    attr __attribute__((unused)) static void qsdr_k_xnor_gemm_##suffix(int32_t *C, size_t ldc, const uint64_t *A, size_t lda,       \
                                               const void *packed, size_t M, size_t N, size_t W, size_t K)  \
    {                                                                                                       \
        const uint64_t *B = packed;                                                                         \
        for (size_t m = 0; m < M; m++)                                                                      \
            for (size_t n = 0; n < N; n++) {                                                                \
                int64_t d = 0;                                                                              \
                for (size_t w = 0; w < W; w++) d += POPC(A[m * lda + w] ^ B[n * W + w]);                    \
                C[m * ldc + n] = (int32_t)((int64_t)K - 2 * d);                                             \
            }                                                                                               \
    }                                                                                                       \
    attr __attribute__((unused)) static void qsdr_k_plane_gemm_##suffix(int32_t *C, size_t ldc, const uint64_t *A, size_t lda,      \
                                                size_t na, const int32_t *ca, const void *packed, size_t nb,  \
                                                const int32_t *cb, size_t M, size_t N, size_t W)            \
    {                                                                                                       \
        const uint64_t *B = packed;                                                                         \
        for (size_t m = 0; m < M; m++)                                                                      \
            for (size_t n = 0; n < N; n++) {                                                                \
                int64_t s = 0;                                                                              \
                for (size_t i = 0; i < nb; i++)                                                             \
                    for (size_t j = 0; j < na; j++) {                                                       \
                        int64_t d = 0;                                                                      \
                        const uint64_t *a = A + m * lda + j * W, *b = B + (n * nb + i) * W;                 \
                        for (size_t w = 0; w < W; w++) d += POPC(a[w] & b[w]);                              \
                        s += (int64_t)cb[i] * ca[j] * d;                                                    \
                    }                                                                                       \
                C[m * ldc + n] = (int32_t)s;                                                                \
            }                                                                                               \
    }

QSDR_K_BITGEMM_ROWS(generic, , qsdr_k_popcount64_generic)

#if defined(__x86_64__)
__attribute__((target("popcnt"), always_inline)) static inline int qsdr_k_popcount64_hw(uint64_t x)
{
    return (int)_mm_popcnt_u64(x);
}
QSDR_K_BITGEMM_ROWS(popcnt, __attribute__((target("popcnt"), unused)), qsdr_k_popcount64_hw)

/* ---- AVX-512 VPOPCNTDQ: 8 output columns per vector, A words broadcast ------------------ */
static inline size_t qsdr_k_bitgemm_np8(size_t N) { return (N + 15) & ~(size_t)15; }

__attribute__((unused)) static size_t qsdr_k_bitgemm_packed_size_cols(size_t N, size_t nb, size_t W)
{
    return nb * W * qsdr_k_bitgemm_np8(N) * 8 + 64;
}

__attribute__((unused)) static void qsdr_k_bitgemm_pack_cols(void *packed, const uint64_t *B, size_t ldb, size_t N, size_t nb, size_t W)
{
    size_t np = qsdr_k_bitgemm_np8(N);
    uint64_t *p = packed;
    memset(packed, 0, qsdr_k_bitgemm_packed_size_cols(N, nb, W));
    for (size_t n = 0; n < N; n++)
        for (size_t i = 0; i < nb; i++)
            for (size_t w = 0; w < W; w++) p[(i * W + w) * np + n] = B[n * ldb + i * W + w];
}

#define QSDR_K_BIT_MR 4
__attribute__((target("avx512f,avx512vpopcntdq"), unused)) static void
qsdr_k_xnor_gemm_avx512(int32_t *C, size_t ldc, const uint64_t *A, size_t lda, const void *packed, size_t M,
                        size_t N, size_t W, size_t K)
{
    size_t np = qsdr_k_bitgemm_np8(N);
    const uint64_t *P = packed;
    const __m512i kk = _mm512_set1_epi64((long long)K);
    for (size_t n0 = 0; n0 < N; n0 += 16) {
        size_t nc = N - n0 < 16 ? N - n0 : 16;
        __mmask8 k0 = nc >= 8 ? 0xff : (__mmask8)((1u << nc) - 1);
        __mmask8 k1 = nc <= 8 ? 0 : (__mmask8)((1u << (nc - 8)) - 1);
        for (size_t m0 = 0; m0 < M; m0 += QSDR_K_BIT_MR) {
            size_t mr = M - m0 < QSDR_K_BIT_MR ? M - m0 : QSDR_K_BIT_MR;
            __m512i acc[QSDR_K_BIT_MR][2];
            for (size_t r = 0; r < QSDR_K_BIT_MR; r++) acc[r][0] = acc[r][1] = _mm512_setzero_si512();
            for (size_t w = 0; w < W; w++) {
                __m512i b0 = _mm512_loadu_si512(P + w * np + n0), b1 = _mm512_loadu_si512(P + w * np + n0 + 8);
                for (size_t r = 0; r < QSDR_K_BIT_MR; r++) {
                    if (r >= mr) break;
                    __m512i a = _mm512_set1_epi64((long long)A[(m0 + r) * lda + w]);
                    acc[r][0] = _mm512_add_epi64(acc[r][0], _mm512_popcnt_epi64(_mm512_xor_si512(a, b0)));
                    acc[r][1] = _mm512_add_epi64(acc[r][1], _mm512_popcnt_epi64(_mm512_xor_si512(a, b1)));
                }
            }
            for (size_t r = 0; r < mr; r++) {
                int32_t *c = C + (m0 + r) * ldc + n0;
                __m512i v0 = _mm512_sub_epi64(kk, _mm512_slli_epi64(acc[r][0], 1));
                __m512i v1 = _mm512_sub_epi64(kk, _mm512_slli_epi64(acc[r][1], 1));
                _mm512_mask_cvtepi64_storeu_epi32(c, k0, v0);
                if (k1) _mm512_mask_cvtepi64_storeu_epi32(c + 8, k1, v1);
            }
        }
    }
}

__attribute__((target("avx512f,avx512vpopcntdq"), unused)) static void
qsdr_k_plane_gemm_avx512(int32_t *C, size_t ldc, const uint64_t *A, size_t lda, size_t na, const int32_t *ca,
                         const void *packed, size_t nb, const int32_t *cb, size_t M, size_t N, size_t W)
{
    size_t np = qsdr_k_bitgemm_np8(N);
    const uint64_t *P = packed;
    for (size_t n0 = 0; n0 < N; n0 += 16) {
        size_t nc = N - n0 < 16 ? N - n0 : 16;
        __mmask8 k0 = nc >= 8 ? 0xff : (__mmask8)((1u << nc) - 1);
        __mmask8 k1 = nc <= 8 ? 0 : (__mmask8)((1u << (nc - 8)) - 1);
        for (size_t m0 = 0; m0 < M; m0 += QSDR_K_BIT_MR) {
            size_t mr = M - m0 < QSDR_K_BIT_MR ? M - m0 : QSDR_K_BIT_MR;
            __m512i acc[QSDR_K_BIT_MR][2];
            for (size_t r = 0; r < QSDR_K_BIT_MR; r++) acc[r][0] = acc[r][1] = _mm512_setzero_si512();
            for (size_t i = 0; i < nb; i++)
                for (size_t j = 0; j < na; j++) {
                    __m512i t[QSDR_K_BIT_MR][2];
                    for (size_t r = 0; r < QSDR_K_BIT_MR; r++) t[r][0] = t[r][1] = _mm512_setzero_si512();
                    for (size_t w = 0; w < W; w++) {
                        const uint64_t *pb = P + (i * W + w) * np + n0;
                        __m512i b0 = _mm512_loadu_si512(pb), b1 = _mm512_loadu_si512(pb + 8);
                        for (size_t r = 0; r < QSDR_K_BIT_MR; r++) {
                            if (r >= mr) break;
                            __m512i a = _mm512_set1_epi64((long long)A[(m0 + r) * lda + j * W + w]);
                            t[r][0] = _mm512_add_epi64(t[r][0], _mm512_popcnt_epi64(_mm512_and_si512(a, b0)));
                            t[r][1] = _mm512_add_epi64(t[r][1], _mm512_popcnt_epi64(_mm512_and_si512(a, b1)));
                        }
                    }
                    /* coefficients are small powers of two times +-1: a 64-bit multiply is exact */
                    __m512i c = _mm512_set1_epi64((long long)cb[i] * ca[j]);
                    for (size_t r = 0; r < mr; r++) {
                        acc[r][0] = _mm512_add_epi64(acc[r][0], _mm512_mullox_epi64(t[r][0], c));
                        acc[r][1] = _mm512_add_epi64(acc[r][1], _mm512_mullox_epi64(t[r][1], c));
                    }
                }
            for (size_t r = 0; r < mr; r++) {
                int32_t *cc = C + (m0 + r) * ldc + n0;
                _mm512_mask_cvtepi64_storeu_epi32(cc, k0, acc[r][0]);
                if (k1) _mm512_mask_cvtepi64_storeu_epi32(cc + 8, k1, acc[r][1]);
            }
        }
    }
}

/* ---- AVX2: nibble-table popcount (no VPOPCNTDQ) ----------------------------------------------
 * Same column layout as AVX-512 (pack_cols). Per 64-bit lane, vpshufb looks up the bit count of
 * each 4-bit nibble (0..4), giving byte counts 0..8; these add up in byte accumulators for at
 * most 31 words (31 x 8 = 248 <= 255) before vpsadbw folds them into 64-bit lane sums. One row
 * of A against 16 columns (four vectors) per block: bench/kernels measured 1 x 16 faster than
 * 2 x 16, 4 x 8, 3 x 8, 2 x 8 or 8 x 4 blocks (the lookups, not the loads, are the limit, and
 * more accumulators spill). For CPUs without AVX-512 VPOPCNTDQ, where the scalar popcnt variant
 * counts one word per instruction. */
#define QSDR_K_BIT_AVX2_FLUSH 31

__attribute__((target("avx2"), always_inline)) static inline __m256i qsdr_k_popcnt_bytes_avx2(__m256i v, __m256i lut,
                                                                                              __m256i nib)
{
    __m256i lo = _mm256_and_si256(v, nib), hi = _mm256_and_si256(_mm256_srli_epi16(v, 4), nib);
    return _mm256_add_epi8(_mm256_shuffle_epi8(lut, lo), _mm256_shuffle_epi8(lut, hi));
}

/* t[h] (64-bit lanes) = sum over words w < W of popcount(OP(a[w], P[w * np + n0 + 4h + lane])),
 * h < 4: one row a against columns n0 .. n0 + 15 of one plane (P at its word 0, column 0). */
#define QSDR_K_BIT_AVX2_ROW(OP, t, a, P, np, n0, W)                                                    \
    do {                                                                                               \
        const __m256i lut_ = _mm256_setr_epi8(0, 1, 1, 2, 1, 2, 2, 3, 1, 2, 2, 3, 2, 3, 3, 4, 0, 1, 1, 2, \
                                              1, 2, 2, 3, 1, 2, 2, 3, 2, 3, 3, 4);                     \
        const __m256i nib_ = _mm256_set1_epi8(0x0f), z_ = _mm256_setzero_si256();                      \
        for (int h_ = 0; h_ < 4; h_++) t[h_] = z_;                                                      \
        for (size_t w0_ = 0; w0_ < (W); w0_ += QSDR_K_BIT_AVX2_FLUSH) {                                \
            size_t w1_ = (W) - w0_ < QSDR_K_BIT_AVX2_FLUSH ? (W) : w0_ + QSDR_K_BIT_AVX2_FLUSH;        \
            __m256i c_[4] = {z_, z_, z_, z_};                                                          \
            for (size_t w_ = w0_; w_ < w1_; w_++) {                                                    \
                const __m256i *pb_ = (const __m256i *)((P) + w_ * (np) + (n0));                        \
                __m256i a_ = _mm256_set1_epi64x((long long)(a)[w_]);                                   \
                for (int h_ = 0; h_ < 4; h_++)                                                          \
                    c_[h_] = _mm256_add_epi8(                                                          \
                        c_[h_], qsdr_k_popcnt_bytes_avx2(OP(a_, _mm256_loadu_si256(pb_ + h_)), lut_, nib_)); \
            }                                                                                          \
            for (int h_ = 0; h_ < 4; h_++) t[h_] = _mm256_add_epi64(t[h_], _mm256_sad_epu8(c_[h_], z_)); \
        }                                                                                              \
    } while (0)

__attribute__((target("avx2"), unused)) static void qsdr_k_xnor_gemm_avx2(int32_t *C, size_t ldc, const uint64_t *A,
                                                                          size_t lda, const void *packed, size_t M,
                                                                          size_t N, size_t W, size_t K)
{
    size_t np = qsdr_k_bitgemm_np8(N);
    const uint64_t *P = packed;
    for (size_t n0 = 0; n0 < N; n0 += 16) {
        size_t nc = N - n0 < 16 ? N - n0 : 16;
        for (size_t m = 0; m < M; m++) {
            __m256i t[4];
            int64_t s[16];
            QSDR_K_BIT_AVX2_ROW(_mm256_xor_si256, t, A + m * lda, P, np, n0, W);
            for (int h = 0; h < 4; h++) _mm256_storeu_si256((__m256i *)(s + 4 * h), t[h]);
            for (size_t c = 0; c < nc; c++) C[m * ldc + n0 + c] = (int32_t)((int64_t)K - 2 * s[c]);
        }
    }
}

__attribute__((target("avx2"), unused)) static void
qsdr_k_plane_gemm_avx2(int32_t *C, size_t ldc, const uint64_t *A, size_t lda, size_t na, const int32_t *ca,
                       const void *packed, size_t nb, const int32_t *cb, size_t M, size_t N, size_t W)
{
    size_t np = qsdr_k_bitgemm_np8(N);
    const uint64_t *P = packed;
    for (size_t n0 = 0; n0 < N; n0 += 16) {
        size_t nc = N - n0 < 16 ? N - n0 : 16;
        for (size_t m = 0; m < M; m++) {
            __m256i acc[4], t[4];
            int64_t s[16];
            for (int h = 0; h < 4; h++) acc[h] = _mm256_setzero_si256();
            for (size_t i = 0; i < nb; i++)
                for (size_t j = 0; j < na; j++) {
                    QSDR_K_BIT_AVX2_ROW(_mm256_and_si256, t, A + m * lda + j * W, P + i * W * np, np, n0, W);
                    /* counts < 2^31 and the coefficient (a product of two plane weights, |c| <=
                       2^14 for codes up to 8 bits) fit int32: vpmuldq's 32 x 32 -> 64-bit product
                       is exact */
                    __m256i c = _mm256_set1_epi64x((long long)cb[i] * ca[j]);
                    for (int h = 0; h < 4; h++) acc[h] = _mm256_add_epi64(acc[h], _mm256_mul_epi32(t[h], c));
                }
            for (int h = 0; h < 4; h++) _mm256_storeu_si256((__m256i *)(s + 4 * h), acc[h]);
            for (size_t c = 0; c < nc; c++) C[m * ldc + n0 + c] = (int32_t)s[c];
        }
    }
}
#endif

#endif
