/* SPDX-License-Identifier: MIT */
/* int8 x int8 -> int32 GEMM for quantized linear and convolution layers.
 *
 *   C[m*ldc + n] = sum_k A[m*lda + k] * B[n*ldb + k]        m < M, n < N, k < K
 *
 * A: (M, K) int8 activation codes, any value in [-128, 127].
 * B: (N, K) int8 weight codes in [-127, 127] (restricted symmetric range: -128 is not allowed;
 *    the AVX2 variant relies on it to avoid 16-bit saturation).
 * C: (M, N) int32. Integer results are exact and bit-identical across variants.
 *
 * Each variant packs B once (weights are static between bit-width switches) with
 * pack(packed, B, ldb, N, K) into packed_size(N, K) bytes (64-byte aligned buffer), then
 * gemm(C, ldc, A, lda, packed, M, N, K) may run any number of times. Pointers A, B and C may
 * be unaligned. The generic variant's "packed" form is B copied row by row.
 *
 * Packed layout of the SIMD variants: int32 corr[Np] (Np = N rounded up to 16), then the bytes
 * P[(k/4) * Np * 4 + n * 4 + k%4] = B[n][k] (zero where n >= N or k >= K). corr[n] is
 * -128 * sum_k B[n][k] (the VNNI variant feeds A + 128 as unsigned bytes). */
#ifndef QSDR_K_GEMM_S8_H
#define QSDR_K_GEMM_S8_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>
#if defined(__x86_64__)
#include <immintrin.h>
#endif

typedef struct {
    size_t (*packed_size)(size_t N, size_t K);
    void (*pack)(void *packed, const int8_t *B, size_t ldb, size_t N, size_t K);
    void (*gemm)(int32_t *C, size_t ldc, const int8_t *A, size_t lda, const void *packed, size_t M, size_t N,
                 size_t K);
} qsdr_k_gemm_s8_ops;

/* ---- generic: the reference --------------------------------------------------------------- */
__attribute__((unused)) static size_t qsdr_k_gemm_s8_packed_size_generic(size_t N, size_t K) { return N * K + 1; }

__attribute__((unused)) static void qsdr_k_gemm_s8_pack_generic(void *packed, const int8_t *B, size_t ldb, size_t N, size_t K)
{
    int8_t *p = packed;
    for (size_t n = 0; n < N; n++) memcpy(p + n * K, B + n * ldb, K);
}

__attribute__((unused)) static void qsdr_k_gemm_s8_generic(int32_t *C, size_t ldc, const int8_t *A, size_t lda, const void *packed,
                                   size_t M, size_t N, size_t K)
{
    const int8_t *B = packed;
    for (size_t m = 0; m < M; m++)
        for (size_t n = 0; n < N; n++) {
            int32_t s = 0;
            for (size_t k = 0; k < K; k++) s += (int32_t)A[m * lda + k] * (int32_t)B[n * K + k];
            C[m * ldc + n] = s;
        }
}

/* ---- shared packing of the SIMD variants -------------------------------------------------- */
static inline size_t qsdr_k_gemm_s8_np(size_t N) { return (N + 15) & ~(size_t)15; }

__attribute__((unused)) static size_t qsdr_k_gemm_s8_packed_size_simd(size_t N, size_t K)
{
    size_t np = qsdr_k_gemm_s8_np(N), k4 = (K + 3) / 4;
    return np * sizeof(int32_t) + k4 * np * 4 + 64;
}

__attribute__((unused)) static void qsdr_k_gemm_s8_pack_simd(void *packed, const int8_t *B, size_t ldb, size_t N, size_t K)
{
    size_t np = qsdr_k_gemm_s8_np(N);
    int32_t *corr = packed;
    int8_t *p = (int8_t *)(corr + np);
    memset(packed, 0, qsdr_k_gemm_s8_packed_size_simd(N, K));
    for (size_t n = 0; n < N; n++) {
        int32_t s = 0;
        for (size_t k = 0; k < K; k++) {
            p[(k / 4) * np * 4 + n * 4 + (k % 4)] = B[n * ldb + k];
            s += B[n * ldb + k];
        }
        corr[n] = -128 * s;
    }
}

/* Four bytes of row a starting at k (zero-filled past K), as one int32. */
static inline int32_t qsdr_k_gemm_s8_load4(const int8_t *a, size_t k, size_t K)
{
    int32_t v = 0;
    memcpy(&v, a + k, K - k >= 4 ? 4 : K - k);
    return v;
}

#if defined(__x86_64__)
/* ---- AVX2: maddubs(|a|, sign(b, a)) is exact because |b| <= 127 ---------------------------- */
__attribute__((target("avx2"), always_inline)) static inline void
qsdr_k_gemm_s8_avx2_tile(int32_t *C, size_t ldc, const int8_t *A, size_t lda, const int8_t *P, size_t np, size_t n0,
                         size_t mr, size_t ncols, size_t K)
{
    __m256i acc[4][2];
    for (size_t r = 0; r < 4; r++) acc[r][0] = acc[r][1] = _mm256_setzero_si256();
    const __m256i ones = _mm256_set1_epi16(1);
    size_t kfull = K / 4, k4 = (K + 3) / 4;
    /* whole groups of 4 bytes: a fixed-size load per row and a fixed row loop that the compiler
       unrolls with the accumulators in registers (a variable-length memcpy per row and group made
       this variant slower than the generic C one: bench/kernels) */
    for (size_t g = 0; g < kfull; g++) {
        const int8_t *pb = P + g * np * 4 + n0 * 4;
        __m256i b0 = _mm256_loadu_si256((const __m256i *)pb), b1 = _mm256_loadu_si256((const __m256i *)(pb + 32));
        for (size_t r = 0; r < 4; r++) {
            if (r >= mr) break;
            int32_t w;
            memcpy(&w, A + r * lda + g * 4, 4);
            __m256i a = _mm256_set1_epi32(w);
            __m256i aa = _mm256_abs_epi8(a);
            __m256i p0 = _mm256_madd_epi16(_mm256_maddubs_epi16(aa, _mm256_sign_epi8(b0, a)), ones);
            __m256i p1 = _mm256_madd_epi16(_mm256_maddubs_epi16(aa, _mm256_sign_epi8(b1, a)), ones);
            acc[r][0] = _mm256_add_epi32(acc[r][0], p0);
            acc[r][1] = _mm256_add_epi32(acc[r][1], p1);
        }
    }
    if (k4 > kfull) { /* last partial group: the missing bytes of A are 0 */
        const int8_t *pb = P + kfull * np * 4 + n0 * 4;
        __m256i b0 = _mm256_loadu_si256((const __m256i *)pb), b1 = _mm256_loadu_si256((const __m256i *)(pb + 32));
        for (size_t r = 0; r < mr; r++) {
            __m256i a = _mm256_set1_epi32(qsdr_k_gemm_s8_load4(A + r * lda, kfull * 4, K));
            __m256i aa = _mm256_abs_epi8(a);
            acc[r][0] = _mm256_add_epi32(acc[r][0], _mm256_madd_epi16(_mm256_maddubs_epi16(aa, _mm256_sign_epi8(b0, a)), ones));
            acc[r][1] = _mm256_add_epi32(acc[r][1], _mm256_madd_epi16(_mm256_maddubs_epi16(aa, _mm256_sign_epi8(b1, a)), ones));
        }
    }
    for (size_t r = 0; r < mr; r++) {
        int32_t tmp[16];
        _mm256_storeu_si256((__m256i *)tmp, acc[r][0]);
        _mm256_storeu_si256((__m256i *)(tmp + 8), acc[r][1]);
        memcpy(C + r * ldc + n0, tmp, ncols * sizeof(int32_t));
    }
}

__attribute__((target("avx2"), unused)) static void qsdr_k_gemm_s8_avx2(int32_t *C, size_t ldc, const int8_t *A,
                                                                        size_t lda, const void *packed, size_t M,
                                                                        size_t N, size_t K)
{
    size_t np = qsdr_k_gemm_s8_np(N);
    const int8_t *P = (const int8_t *)((const int32_t *)packed + np);
    for (size_t n0 = 0; n0 < N; n0 += 16) {
        size_t nc = N - n0 < 16 ? N - n0 : 16;
        for (size_t m0 = 0; m0 < M; m0 += 4) {
            size_t mr = M - m0 < 4 ? M - m0 : 4;
            qsdr_k_gemm_s8_avx2_tile(C + m0 * ldc, ldc, A + m0 * lda, lda, P, np, n0, mr, nc, K);
        }
    }
}

/* ---- AVX-512 VNNI: vpdpbusd(a + 128, b) - 128 * sum(b) ------------------------------------ */
#define QSDR_K_S8_MR 6
__attribute__((target("avx512f,avx512bw,avx512vnni"), always_inline)) static inline void
qsdr_k_gemm_s8_vnni_tile(int32_t *C, size_t ldc, const int8_t *A, size_t lda, const int8_t *P, const int32_t *corr,
                         size_t np, size_t n0, size_t mr, size_t ncols, size_t K)
{
    __m512i acc[QSDR_K_S8_MR][2];
    __m512i c0 = _mm512_loadu_si512(corr + n0), c1 = _mm512_loadu_si512(corr + n0 + 16);
    for (size_t r = 0; r < QSDR_K_S8_MR; r++) acc[r][0] = c0, acc[r][1] = c1;
    const __m512i flip = _mm512_set1_epi32((int32_t)0x80808080u);
    size_t kfull = K / 4, k4 = (K + 3) / 4;
    for (size_t g = 0; g < kfull; g++) {
        const int8_t *pb = P + g * np * 4 + n0 * 4;
        __m512i b0 = _mm512_loadu_si512(pb), b1 = _mm512_loadu_si512(pb + 64);
        for (size_t r = 0; r < QSDR_K_S8_MR; r++) {
            if (r >= mr) break;
            int32_t w;
            memcpy(&w, A + r * lda + g * 4, 4);
            __m512i a = _mm512_xor_si512(_mm512_set1_epi32(w), flip);
            acc[r][0] = _mm512_dpbusd_epi32(acc[r][0], a, b0);
            acc[r][1] = _mm512_dpbusd_epi32(acc[r][1], a, b1);
        }
    }
    if (k4 > kfull) { /* last partial group: missing bytes are 0 in A, so 0+128 meets a zero weight */
        const int8_t *pb = P + kfull * np * 4 + n0 * 4;
        __m512i b0 = _mm512_loadu_si512(pb), b1 = _mm512_loadu_si512(pb + 64);
        for (size_t r = 0; r < mr; r++) {
            __m512i a = _mm512_xor_si512(_mm512_set1_epi32(qsdr_k_gemm_s8_load4(A + r * lda, kfull * 4, K)), flip);
            acc[r][0] = _mm512_dpbusd_epi32(acc[r][0], a, b0);
            acc[r][1] = _mm512_dpbusd_epi32(acc[r][1], a, b1);
        }
    }
    __mmask16 m0 = ncols >= 16 ? 0xffff : (__mmask16)((1u << ncols) - 1);
    __mmask16 m1 = ncols <= 16 ? 0 : ncols >= 32 ? 0xffff : (__mmask16)((1u << (ncols - 16)) - 1);
    for (size_t r = 0; r < mr; r++) {
        _mm512_mask_storeu_epi32(C + r * ldc + n0, m0, acc[r][0]);
        if (m1) _mm512_mask_storeu_epi32(C + r * ldc + n0 + 16, m1, acc[r][1]);
    }
}

__attribute__((target("avx512f,avx512bw,avx512vnni"), unused)) static void
qsdr_k_gemm_s8_avx512vnni(int32_t *C, size_t ldc, const int8_t *A, size_t lda, const void *packed, size_t M,
                          size_t N, size_t K)
{
    size_t np = qsdr_k_gemm_s8_np(N);
    const int32_t *corr = packed;
    const int8_t *P = (const int8_t *)(corr + np);
    /* a 32-column tile may read 16 columns past np: packed_size reserves 64 spare bytes, and
     * those columns are masked off in the store */
    for (size_t n0 = 0; n0 < N; n0 += 32) {
        size_t nc = N - n0 < 32 ? N - n0 : 32;
        for (size_t m0 = 0; m0 < M; m0 += QSDR_K_S8_MR) {
            size_t mr = M - m0 < QSDR_K_S8_MR ? M - m0 : QSDR_K_S8_MR;
            qsdr_k_gemm_s8_vnni_tile(C + m0 * ldc, ldc, A + m0 * lda, lda, P, corr, np, n0, mr, nc, K);
        }
    }
}
#endif

#endif
