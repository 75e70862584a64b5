/* SPDX-License-Identifier: MIT */
/* Variant tables and run-time selection of the NN integer and bit kernels. */
#include <stdlib.h>
#include <string.h>

#include "nn/kernels/qsdr_k_bitgemm.h"
#include "nn/kernels/qsdr_k_gemm_s8.h"
#include "nn/kernels/qsdr_k_pack_planes.h"
#include "nn/nn_internal.h"
#include "phy/phy_internal.h"
#include "qsdr/common.h"

static const qsdr_k_gemm_s8_ops gemm_s8_generic = {qsdr_k_gemm_s8_packed_size_generic, qsdr_k_gemm_s8_pack_generic,
                                                   qsdr_k_gemm_s8_generic};
#if defined(__x86_64__)
static const qsdr_k_gemm_s8_ops gemm_s8_avx2 = {qsdr_k_gemm_s8_packed_size_simd, qsdr_k_gemm_s8_pack_simd,
                                                qsdr_k_gemm_s8_avx2};
static const qsdr_k_gemm_s8_ops gemm_s8_vnni = {qsdr_k_gemm_s8_packed_size_simd, qsdr_k_gemm_s8_pack_simd,
                                                qsdr_k_gemm_s8_avx512vnni};
#endif
static const qsdr_nn_kvariant gemm_s8_table[] = {
#if defined(__x86_64__)
    {"avx512vnni", &gemm_s8_vnni, QSDR_CPU_AVX512 | QSDR_CPU_AVX512VNNI},
    {"avx2", &gemm_s8_avx2, QSDR_CPU_AVX2},
#endif
    {"generic", &gemm_s8_generic, 0},
    {NULL, NULL, 0}};

static const qsdr_k_bitgemm_ops bitgemm_generic = {qsdr_k_bitgemm_packed_size_rows, qsdr_k_bitgemm_pack_rows,
                                                   qsdr_k_xnor_gemm_generic, qsdr_k_plane_gemm_generic};
#if defined(__x86_64__)
static const qsdr_k_bitgemm_ops bitgemm_popcnt = {qsdr_k_bitgemm_packed_size_rows, qsdr_k_bitgemm_pack_rows,
                                                  qsdr_k_xnor_gemm_popcnt, qsdr_k_plane_gemm_popcnt};
static const qsdr_k_bitgemm_ops bitgemm_avx512 = {qsdr_k_bitgemm_packed_size_cols, qsdr_k_bitgemm_pack_cols,
                                                  qsdr_k_xnor_gemm_avx512, qsdr_k_plane_gemm_avx512};
#endif
static const qsdr_nn_kvariant bitgemm_table[] = {
#if defined(__x86_64__)
    {"avx512vpopcntdq", &bitgemm_avx512, QSDR_CPU_AVX512 | QSDR_CPU_VPOPCNTDQ},
    {"popcnt", &bitgemm_popcnt, QSDR_CPU_POPCNT},
#endif
    {"generic", &bitgemm_generic, 0},
    {NULL, NULL, 0}};

static const qsdr_nn_kvariant pack_table[] = {
#if defined(__x86_64__)
    {"avx512bw", (const void *)qsdr_k_pack_planes_avx512bw, QSDR_CPU_AVX512},
#endif
    {"generic", (const void *)qsdr_k_pack_planes_generic, 0},
    {NULL, NULL, 0}};

const qsdr_nn_kvariant *qsdr_nn_gemm_s8_variants(void) { return gemm_s8_table; }
const qsdr_nn_kvariant *qsdr_nn_pack_planes_variants(void) { return pack_table; }
const qsdr_nn_kvariant *qsdr_nn_bitgemm_variants(void) { return bitgemm_table; }

bool qsdr_nn_kvariant_supported(const qsdr_nn_kvariant *v) { return (v->needs & ~qsdr_cpu_features()) == 0; }

/* Best supported variant, unless QSDR_SIMD names another supported one. */
const qsdr_nn_kvariant *qsdr_nn_kselect(const qsdr_nn_kvariant *table)
{
    const char *want = getenv("QSDR_SIMD");
    const qsdr_nn_kvariant *best = NULL;
    for (const qsdr_nn_kvariant *v = table; v->name; v++) {
        if (!qsdr_nn_kvariant_supported(v)) continue;
        if (!best) best = v;
        if (want && !strcmp(want, v->name)) return v;
    }
    return best;
}
