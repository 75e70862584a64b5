/* SPDX-License-Identifier: MIT */
/* Variant tables and run-time selection of the NN integer and bit kernels. */
#include <pthread.h>

#include "nn/kernels/qsdr_k_bitgemm.h"
#include "nn/kernels/qsdr_k_gemm_s8.h"
#include "nn/kernels/qsdr_k_nhwc.h"
#include "nn/kernels/qsdr_k_onebit_lookup.h"
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
static const qsdr_k_variant gemm_s8_table[] = {
#if defined(__x86_64__)
    {"avx512vnni", NULL, QSDR_CPU_AVX512 | QSDR_CPU_AVX512VNNI, &gemm_s8_vnni},
    {"avx2", NULL, QSDR_CPU_AVX2, &gemm_s8_avx2},
#endif
    {"generic", NULL, 0, &gemm_s8_generic},
    {NULL, NULL, 0, NULL}};

static const qsdr_k_bitgemm_ops bitgemm_generic = {qsdr_k_bitgemm_packed_size_rows, qsdr_k_bitgemm_pack_rows,
                                                   qsdr_k_xnor_gemm_generic, qsdr_k_plane_gemm_generic};
#if defined(__x86_64__)
static const qsdr_k_bitgemm_ops bitgemm_popcnt = {qsdr_k_bitgemm_packed_size_rows, qsdr_k_bitgemm_pack_rows,
                                                  qsdr_k_xnor_gemm_popcnt, qsdr_k_plane_gemm_popcnt};
static const qsdr_k_bitgemm_ops bitgemm_avx512 = {qsdr_k_bitgemm_packed_size_cols, qsdr_k_bitgemm_pack_cols,
                                                  qsdr_k_xnor_gemm_avx512, qsdr_k_plane_gemm_avx512};
static const qsdr_k_bitgemm_ops bitgemm_avx2 = {qsdr_k_bitgemm_packed_size_cols, qsdr_k_bitgemm_pack_cols,
                                                qsdr_k_xnor_gemm_avx2, qsdr_k_plane_gemm_avx2};
#endif
static const qsdr_k_variant bitgemm_table[] = {
#if defined(__x86_64__)
    {"avx512vpopcntdq", NULL, QSDR_CPU_AVX512 | QSDR_CPU_VPOPCNTDQ, &bitgemm_avx512},
    {"avx2", NULL, QSDR_CPU_AVX2, &bitgemm_avx2},
    {"popcnt", NULL, QSDR_CPU_POPCNT, &bitgemm_popcnt},
#endif
    {"generic", NULL, 0, &bitgemm_generic},
    {NULL, NULL, 0, NULL}};

static const qsdr_k_variant pack_table[] = {
#if defined(__x86_64__)
    /* AVX2 first: faster than AVX-512BW's masked loads and compares on the AMD EPYC (bench/kernels:
       15.2-15.3 vs 13.4-13.8 Gcode/s for 4 planes, 37-44 vs 30 for signs) */
    {"avx2", (void (*)(void))qsdr_k_pack_planes_avx2, QSDR_CPU_AVX2, NULL},
    {"avx512bw", (void (*)(void))qsdr_k_pack_planes_avx512bw, QSDR_CPU_AVX512, NULL},
#endif
    {"generic", (void (*)(void))qsdr_k_pack_planes_generic, 0, NULL},
    {NULL, NULL, 0, NULL}};

static const qsdr_k_variant onebit_table[] = {
#if defined(__x86_64__)
    {"sse2", (void (*)(void))qsdr_k_onebit_lookup_sse2, 0, NULL},
#endif
    {"generic", (void (*)(void))qsdr_k_onebit_lookup_generic, 0, NULL},
    {NULL, NULL, 0, NULL}};

static const qsdr_k_variant nhwc_table[] = {
#if defined(__x86_64__)
    {"sse2", (void (*)(void))qsdr_k_nhwc_sse2, 0, NULL},
#endif
    {"generic", (void (*)(void))qsdr_k_nhwc_generic, 0, NULL},
    {NULL, NULL, 0, NULL}};

const qsdr_k_variant *qsdr_nn_gemm_s8_variants(void) { return gemm_s8_table; }
const qsdr_k_variant *qsdr_nn_nhwc_variants(void) { return nhwc_table; }
const qsdr_k_variant *qsdr_nn_onebit_lookup_variants(void) { return onebit_table; }
const qsdr_k_variant *qsdr_nn_bitgemm_variants(void) { return bitgemm_table; }
const qsdr_k_variant *qsdr_nn_pack_planes_variants(void) { return pack_table; }

/* The variant of each family is chosen once per process (qsdr_k_select: best supported, or
 * QSDR_SIMD), so a QSDR_SIMD warning is printed once, not at every bit-width switch. */
static const qsdr_k_variant *sel_gemm_s8, *sel_bitgemm, *sel_pack, *sel_onebit, *sel_nhwc;
static pthread_once_t sel_once = PTHREAD_ONCE_INIT;
static void select_all(void)
{
    sel_gemm_s8 = qsdr_k_select(gemm_s8_table);
    sel_bitgemm = qsdr_k_select(bitgemm_table);
    sel_pack = qsdr_k_select(pack_table);
    sel_onebit = qsdr_k_select(onebit_table);
    sel_nhwc = qsdr_k_select(nhwc_table);
}
const qsdr_k_variant *qsdr_nn_gemm_s8_selected(void) { return pthread_once(&sel_once, select_all), sel_gemm_s8; }
const qsdr_k_variant *qsdr_nn_bitgemm_selected(void) { return pthread_once(&sel_once, select_all), sel_bitgemm; }
const qsdr_k_variant *qsdr_nn_pack_planes_selected(void) { return pthread_once(&sel_once, select_all), sel_pack; }
const qsdr_k_variant *qsdr_nn_onebit_lookup_selected(void) { return pthread_once(&sel_once, select_all), sel_onebit; }
const qsdr_k_variant *qsdr_nn_nhwc_selected(void) { return pthread_once(&sel_once, select_all), sel_nhwc; }

/* Bit kernels (XNOR, bit planes) or the int8 GEMM for a layer of bw x ba bits: the bit-plane
 * GEMM costs one AND-popcount pass per plane pair (bw x ba of them; XNOR is one), the int8 GEMM
 * one pass whatever the bits. Rates of the selected variants, bench/kernels on the reference
 * machine (docs/kernels.md; GOP/s of one plane pair = the XNOR GEMM, and of the int8 GEMM):
 * the bit kernels run while pairs <= their ratio. Both give the same exact integer sums, so
 * this changes speed only. */
static double bit_rate(const char *v)
{
    return !strcmp(v, "avx512vpopcntdq") ? 1314 : !strcmp(v, "avx2") ? 650 : !strcmp(v, "popcnt") ? 230 : 130;
}
static double int8_rate(const char *v) { return !strcmp(v, "avx512vnni") ? 410 : !strcmp(v, "avx2") ? 120 : 20; }
static _Atomic int g_max_pairs_override = -1;

void qsdr_nn_set_planes_max_pairs(int n) { g_max_pairs_override = n < 0 ? -1 : n; }

int qsdr_nn_planes_max_pairs(void)
{
    int o = g_max_pairs_override;
    if (o >= 0) return o;
    double r = bit_rate(qsdr_nn_bitgemm_selected()->name) / int8_rate(qsdr_nn_gemm_s8_selected()->name);
    return r >= 4 ? 4 : (int)r;
}
