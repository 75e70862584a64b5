/* SPDX-License-Identifier: MIT */
/* Fast LTE turbo decoder: int16 fixed point, max-log-MAP with extrinsic scaling 0.75,
 * inter-frame SIMD (one frame per lane), chosen at run time: AVX-512BW (32 frames), AVX2 (16),
 * portable GNU C vectors (8), generic C (16); int8 twice the frames. The decoder core is
 * turbo_fast_core.h, compiled once per instruction set. */
#include <math.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "fec_internal.h"
#include "phy/phy_internal.h"
#include "qsdr/fec.h"

/* Channel LLRs -> fixed point with 2 fractional bits: int16 clipped to +-127 (+-31.75), int8 to
 * +-63 (+-15.75), rounded half away from 0, NaN to 0. One vectorisable pass; returns nonzero if
 * any input is NaN (the caller then finds and names it). Compiled once per instruction set
 * with each decoder core (the AVX versions vectorise 2-4x wider than the x86-64 baseline; the
 * generic one is the reference the QA test compares them with, through the decisions). */
#define DEFINE_QUANTIZE(NAME)                                                                       \
    static size_t NAME(const float *restrict l, size_t n, int16_t *restrict out, float scale, float lim) \
    {                                                                                               \
        int nans = 0;                                                                               \
        for (size_t i = 0; i < n; i++) {                                                            \
            float x = l[i] * scale;                                                                 \
            nans |= x != x;                                                                         \
            x = x == x ? x : 0.0f; /* counted above; converting a NaN is undefined */               \
            x = x > lim ? lim : (x < -lim ? -lim : x);                                              \
            out[i] = (int16_t)(int32_t)(x + (x >= 0.0f ? 0.5f : -0.5f)); /* round half away from 0 */ \
        }                                                                                           \
        return (size_t)nans;                                                                        \
    }
DEFINE_QUANTIZE(quantize_generic)

/* ---- trellis tables (same code as turbo.c) ------------------------------------------------ */
static unsigned rsc_next(unsigned s, unsigned c, unsigned *z)
{
    unsigned a = (c ^ (s >> 1) ^ (s >> 2)) & 1u;
    *z = (a ^ s ^ (s >> 2)) & 1u;
    return ((s << 1) | a) & 7u;
}

/* The RSC trellis as compile-time constants, so the 8 state vectors stay in registers
 * (state s = r1 | r2 << 1 | r3 << 2; labels 2c + z). tests/qa checks them against turbo.c. */
const uint8_t qsdr_tf_next[8][2] = {{0, 1}, {2, 3}, {5, 4}, {7, 6}, {1, 0}, {3, 2}, {4, 5}, {6, 7}};
const uint8_t qsdr_tf_cz[8][2] = {{0, 3}, {1, 2}, {1, 2}, {0, 3}, {0, 3}, {1, 2}, {1, 2}, {0, 3}};
const uint8_t qsdr_tf_pred_s[8][2] = {{0, 4}, {0, 4}, {1, 5}, {1, 5}, {2, 6}, {2, 6}, {3, 7}, {3, 7}};
const uint8_t qsdr_tf_pred_cz[8][2] = {{0, 3}, {3, 0}, {1, 2}, {2, 1}, {2, 1}, {1, 2}, {3, 0}, {0, 3}};

void qsdr_turbo_trellis_init(qsdr_trellis *tr)
{
    int npred[8] = {0};
    for (unsigned s = 0; s < 8; s++)
        for (unsigned c = 0; c < 2; c++) {
            unsigned z, ns = rsc_next(s, c, &z);
            tr->next[s][c] = (uint8_t)ns;
            tr->cz[s][c] = (uint8_t)(2 * c + z);
            tr->pred[ns].s[npred[ns]] = (uint8_t)s;
            tr->pred[ns].cz[npred[ns]] = (uint8_t)(2 * c + z);
            npred[ns]++;
        }
}

/* ---- generic C vectors ---------------------------------------------------------------------- */
/* Plain-C vectors of LANES saturating lanes of type T (the generic reference variants). */
#define DEFINE_GVEC(V, P, T, LANES, TMIN, TMAX)                                                     \
    typedef struct {                                                                                \
        T v[LANES];                                                                                 \
    } V;                                                                                            \
    static inline T P##_sat(int32_t x) { return (T)(x > TMAX ? TMAX : (x < TMIN ? TMIN : x)); }     \
    static inline V P##_set1(int x)                                                                 \
    {                                                                                               \
        V r;                                                                                        \
        for (int i = 0; i < LANES; i++) r.v[i] = (T)x;                                              \
        return r;                                                                                   \
    }                                                                                               \
    static inline V P##_adds(V a, V b)                                                              \
    {                                                                                               \
        for (int i = 0; i < LANES; i++) a.v[i] = P##_sat((int32_t)a.v[i] + b.v[i]);                \
        return a;                                                                                   \
    }                                                                                               \
    static inline V P##_subs(V a, V b)                                                              \
    {                                                                                               \
        for (int i = 0; i < LANES; i++) a.v[i] = P##_sat((int32_t)a.v[i] - b.v[i]);                \
        return a;                                                                                   \
    }                                                                                               \
    static inline V P##_max(V a, V b)                                                               \
    {                                                                                               \
        for (int i = 0; i < LANES; i++) a.v[i] = a.v[i] > b.v[i] ? a.v[i] : b.v[i];                 \
        return a;                                                                                   \
    }                                                                                               \
    static inline V P##_min(V a, V b)                                                               \
    {                                                                                               \
        for (int i = 0; i < LANES; i++) a.v[i] = a.v[i] < b.v[i] ? a.v[i] : b.v[i];                 \
        return a;                                                                                   \
    }                                                                                               \
    static inline V P##_srai(V a, int n)                                                            \
    {                                                                                               \
        for (int i = 0; i < LANES; i++) a.v[i] = (T)(a.v[i] >> n); /* arithmetic (GCC) */           \
        return a;                                                                                   \
    }                                                                                               \
    static inline void P##_ltz(V a, uint8_t *out)                                                   \
    {                                                                                               \
        for (int i = 0; i < LANES; i++) out[i] = a.v[i] < 0;                                        \
    }

#define GEN_LANES 16
#define GEN8_LANES 32
DEFINE_GVEC(gvec, g, int16_t, GEN_LANES, -32768, 32767)
DEFINE_GVEC(gvec8, g8, int8_t, GEN8_LANES, -128, 127)

#define VT gvec
#define V_LANES GEN_LANES
#define V_SET1(x) g_set1(x)
#define V_LOAD(p) (*(p))
#define V_STORE(p, x) (*(p) = (x))
#define V_ADDS(a, b) g_adds(a, b)
#define V_SUBS(a, b) g_subs(a, b)
#define V_MAX(a, b) g_max(a, b)
#define V_MIN(a, b) g_min(a, b)
#define V_SRAI(a, n) g_srai(a, n)
#define V_LTZ_MASK(v, out) g_ltz(v, out)
#define FAST_FN(name) name##_generic
#define V_MINV (-32768)
#define V_INIT_NEG (-16384)
#define V_EXT_CLIP 4095
#include "turbo_fast_core.h"
#include "turbo_fast_undef.h"

/* ---- portable vectors: GNU C vector extensions (GCC, clang) ------------------------------- */
/* The same saturating lanes in vector types the compiler maps to the target's own SIMD (SSE2
 * on any x86-64, NEON on AArch64, ...), for CPUs without the intrinsics variants below: the
 * struct-of-lanes reference above does not vectorise (0.85 Mbit/s, slower than the float
 * decoder). Saturation without widening: the wrapped sum overflowed iff both operands' signs
 * differ from the result's; the saturated value then is MAX or MIN by the sign of a. */
#define DEFINE_PVEC(V, U, P, T, UT, LANES, TMAX)                                                    \
    typedef T V __attribute__((vector_size((LANES) * sizeof(T))));                                  \
    typedef UT U __attribute__((vector_size((LANES) * sizeof(T))));                                 \
    static inline V P##_set1(int x) { return (V){0} + (T)x; }                                       \
    static inline V P##_sat(V a, V s, V ovf)                                                        \
    {                                                                                               \
        V lim = (a >> (int)(8 * sizeof(T) - 1)) ^ (T)(TMAX); /* a < 0: MIN, else MAX */             \
        return (s & ~ovf) | (lim & ovf);                                                            \
    }                                                                                               \
    static inline V P##_adds(V a, V b)                                                              \
    {                                                                                               \
        V s = (V)((U)a + (U)b);                                                                     \
        return P##_sat(a, s, (V)(((a ^ s) & (b ^ s)) < 0));                                        \
    }                                                                                               \
    static inline V P##_subs(V a, V b)                                                              \
    {                                                                                               \
        V s = (V)((U)a - (U)b);                                                                     \
        return P##_sat(a, s, (V)(((a ^ b) & (a ^ s)) < 0));                                        \
    }                                                                                               \
    static inline V P##_max(V a, V b)                                                               \
    {                                                                                               \
        V m = (V)(a > b);                                                                           \
        return (a & m) | (b & ~m);                                                                  \
    }                                                                                               \
    static inline V P##_min(V a, V b)                                                               \
    {                                                                                               \
        V m = (V)(a < b);                                                                           \
        return (a & m) | (b & ~m);                                                                  \
    }                                                                                               \
    static inline void P##_ltz(V a, uint8_t *out)                                                   \
    {                                                                                               \
        for (int i = 0; i < (LANES); i++) out[i] = a[i] < 0;                                        \
    }

/* 16-byte vectors: the width of SSE2 and NEON registers */
#define PORT_LANES 8
#define PORT8_LANES 16
DEFINE_PVEC(pvec, pvecu, p, int16_t, uint16_t, PORT_LANES, 32767)
#define VT pvec
#define V_LANES PORT_LANES
#define V_SET1(x) p_set1(x)
#define V_LOAD(p) (*(p))
#define V_STORE(p, x) (*(p) = (x))
#define V_ADDS(a, b) p_adds(a, b)
#define V_SUBS(a, b) p_subs(a, b)
#define V_MAX(a, b) p_max(a, b)
#define V_MIN(a, b) p_min(a, b)
#define V_SRAI(a, n) ((a) >> (n))
#define V_LTZ_MASK(v, out) p_ltz(v, out)
#define FAST_FN(name) name##_portable
#include "turbo_fast_core.h"
#include "turbo_fast_undef.h"

/* Code between QSDR_TARGET_BEGIN/END is compiled for an instruction set (GCC: target pragma;
 * clang ignores that pragma and needs its attribute pragma). */
#define QSDR_PRAGMA(x) _Pragma(#x)
#if defined(__clang__)
#define QSDR_TARGET_BEGIN(t) QSDR_PRAGMA(clang attribute push(__attribute__((target(t))), apply_to = function))
#define QSDR_TARGET_END QSDR_PRAGMA(clang attribute pop)
#else
#define QSDR_TARGET_BEGIN(t) QSDR_PRAGMA(GCC push_options) QSDR_PRAGMA(GCC target(t))
#define QSDR_TARGET_END QSDR_PRAGMA(GCC pop_options)
#endif

#if defined(__x86_64__)
#include <immintrin.h>

/* ---- AVX2: 16 x int16 --------------------------------------------------------------------- */
QSDR_TARGET_BEGIN("avx2")
static inline void avx2_ltz(__m256i v, uint8_t *out)
{
    int16_t t[16];
    _mm256_storeu_si256((__m256i *)t, v);
    for (int i = 0; i < 16; i++) out[i] = t[i] < 0;
}
#define VT __m256i
#define V_LANES 16
#define V_SET1(x) _mm256_set1_epi16((short)(x))
#define V_LOAD(p) _mm256_load_si256(p)
#define V_STORE(p, x) _mm256_store_si256((p), (x))
#define V_ADDS(a, b) _mm256_adds_epi16(a, b)
#define V_SUBS(a, b) _mm256_subs_epi16(a, b)
#define V_MAX(a, b) _mm256_max_epi16(a, b)
#define V_MIN(a, b) _mm256_min_epi16(a, b)
#define V_SRAI(a, n) _mm256_srai_epi16(a, n)
#define V_LTZ_MASK(v, out) avx2_ltz(v, out)
#define FAST_FN(name) name##_avx2
#include "turbo_fast_core.h"
#include "turbo_fast_undef.h"
DEFINE_QUANTIZE(quantize_avx2)
QSDR_TARGET_END

/* ---- AVX-512BW: 32 x int16 ---------------------------------------------------------------- */
QSDR_TARGET_BEGIN("avx512f,avx512bw")
static inline void avx512_ltz(__m512i v, uint8_t *out)
{
    __mmask32 m = _mm512_cmplt_epi16_mask(v, _mm512_setzero_si512());
    for (int i = 0; i < 32; i++) out[i] = (uint8_t)((m >> i) & 1u);
}
#define VT __m512i
#define V_LANES 32
#define V_SET1(x) _mm512_set1_epi16((short)(x))
#define V_LOAD(p) _mm512_load_si512(p)
#define V_STORE(p, x) _mm512_store_si512((p), (x))
#define V_ADDS(a, b) _mm512_adds_epi16(a, b)
#define V_SUBS(a, b) _mm512_subs_epi16(a, b)
#define V_MAX(a, b) _mm512_max_epi16(a, b)
#define V_MIN(a, b) _mm512_min_epi16(a, b)
#define V_SRAI(a, n) _mm512_srai_epi16(a, n)
#define V_LTZ_MASK(v, out) avx512_ltz(v, out)
#define FAST_FN(name) name##_avx512
#include "turbo_fast_core.h"
#include "turbo_fast_undef.h"
DEFINE_QUANTIZE(quantize_avx512)
QSDR_TARGET_END
#endif


/* ==== int8 instantiations: twice the lanes, saturating 8-bit arithmetic =================== */
#undef V_MINV
#undef V_INIT_NEG
#undef V_EXT_CLIP
#define V_MINV (-128)
#define V_INIT_NEG (-64)
#define V_EXT_CLIP 63

#define VT gvec8
#define V_LANES GEN8_LANES
#define V_SET1(x) g8_set1(x)
#define V_LOAD(p) (*(p))
#define V_STORE(p, x) (*(p) = (x))
#define V_ADDS(a, b) g8_adds(a, b)
#define V_SUBS(a, b) g8_subs(a, b)
#define V_MAX(a, b) g8_max(a, b)
#define V_MIN(a, b) g8_min(a, b)
#define V_SRAI(a, n) g8_srai(a, n)
#define V_LTZ_MASK(v, out) g8_ltz(v, out)
#define FAST_FN(name) name##_generic_i8
#include "turbo_fast_core.h"
#include "turbo_fast_undef.h"

DEFINE_PVEC(pvec8, pvec8u, p8, int8_t, uint8_t, PORT8_LANES, 127)
#define VT pvec8
#define V_LANES PORT8_LANES
#define V_SET1(x) p8_set1(x)
#define V_LOAD(p) (*(p))
#define V_STORE(p, x) (*(p) = (x))
#define V_ADDS(a, b) p8_adds(a, b)
#define V_SUBS(a, b) p8_subs(a, b)
#define V_MAX(a, b) p8_max(a, b)
#define V_MIN(a, b) p8_min(a, b)
#define V_SRAI(a, n) ((a) >> (n))
#define V_LTZ_MASK(v, out) p8_ltz(v, out)
#define FAST_FN(name) name##_portable_i8
#include "turbo_fast_core.h"
#include "turbo_fast_undef.h"

#if defined(__x86_64__)
/* arithmetic shift right of int8 lanes (no such instruction): logical 16-bit shift, mask,
 * then sign-extend with (u ^ s) - s, s = 0x80 >> n */
QSDR_TARGET_BEGIN("avx2")
static inline __m256i avx2_srai8(__m256i x, int n)
{
    __m256i u = _mm256_and_si256(_mm256_srli_epi16(x, n), _mm256_set1_epi8((char)(0xFF >> n)));
    __m256i sb = _mm256_set1_epi8((char)(0x80 >> n));
    return _mm256_sub_epi8(_mm256_xor_si256(u, sb), sb);
}
static inline void avx2_ltz8(__m256i v, uint8_t *out)
{
    uint32_t m = (uint32_t)_mm256_movemask_epi8(v);
    for (int i = 0; i < 32; i++) out[i] = (uint8_t)((m >> i) & 1u);
}
#define VT __m256i
#define V_LANES 32
#define V_SET1(x) _mm256_set1_epi8((char)(x))
#define V_LOAD(p) _mm256_load_si256(p)
#define V_STORE(p, x) _mm256_store_si256((p), (x))
#define V_ADDS(a, b) _mm256_adds_epi8(a, b)
#define V_SUBS(a, b) _mm256_subs_epi8(a, b)
#define V_MAX(a, b) _mm256_max_epi8(a, b)
#define V_MIN(a, b) _mm256_min_epi8(a, b)
#define V_SRAI(a, n) avx2_srai8(a, n)
#define V_LTZ_MASK(v, out) avx2_ltz8(v, out)
#define FAST_FN(name) name##_avx2_i8
#include "turbo_fast_core.h"
#include "turbo_fast_undef.h"
QSDR_TARGET_END

QSDR_TARGET_BEGIN("avx512f,avx512bw")
static inline __m512i avx512_srai8(__m512i x, int n)
{
    __m512i u = _mm512_and_si512(_mm512_srli_epi16(x, n), _mm512_set1_epi8((char)(0xFF >> n)));
    __m512i sb = _mm512_set1_epi8((char)(0x80 >> n));
    return _mm512_sub_epi8(_mm512_xor_si512(u, sb), sb);
}
static inline void avx512_ltz8(__m512i v, uint8_t *out)
{
    __mmask64 m = _mm512_movepi8_mask(v);
    for (int i = 0; i < 64; i++) out[i] = (uint8_t)((m >> i) & 1u);
}
#define VT __m512i
#define V_LANES 64
#define V_SET1(x) _mm512_set1_epi8((char)(x))
#define V_LOAD(p) _mm512_load_si512(p)
#define V_STORE(p, x) _mm512_store_si512((p), (x))
#define V_ADDS(a, b) _mm512_adds_epi8(a, b)
#define V_SUBS(a, b) _mm512_subs_epi8(a, b)
#define V_MAX(a, b) _mm512_max_epi8(a, b)
#define V_MIN(a, b) _mm512_min_epi8(a, b)
#define V_SRAI(a, n) avx512_srai8(a, n)
#define V_LTZ_MASK(v, out) avx512_ltz8(v, out)
#define FAST_FN(name) name##_avx512_i8
#include "turbo_fast_core.h"
#include "turbo_fast_undef.h"
QSDR_TARGET_END
#endif

/* ---- variants ------------------------------------------------------------------------------ */
typedef void (*decode_fn)(qsdr_turbo_fast_t *, uint8_t *);
typedef struct {
    const char *name;
    decode_fn fn;
    qsdr_tf_quantize_fn quantize;
    unsigned needs;
    size_t lanes;
    int bits; /* 16 or 8 */
} fast_variant;

static const fast_variant g_variants[] = {
#if defined(__x86_64__)
    {"avx512", decode_avx512, quantize_avx512, QSDR_CPU_AVX512, 32, 16},
    {"avx2", decode_avx2, quantize_avx2, QSDR_CPU_AVX2, 16, 16},
#endif
    {"portable", decode_portable, quantize_generic, 0, PORT_LANES, 16},
    {"generic", decode_generic, quantize_generic, 0, GEN_LANES, 16},
#if defined(__x86_64__)
    /* int8: AVX2 first. On the 2-core AMD EPYC, whose 512-bit units split each instruction in
       two, AVX-512BW is barely faster (bench/turbo, one thread: 117-123 vs 113-115 Mbit/s
       with the SSE2 transposition; 86 vs 94, i.e. slower, before the input stages were
       vectorised), and AVX2's batch is half as many frames: fuller lanes in flowgraphs */
    {"avx2_i8", decode_avx2_i8, quantize_avx2, QSDR_CPU_AVX2, 32, 8},
    {"avx512_i8", decode_avx512_i8, quantize_avx512, QSDR_CPU_AVX512, 64, 8},
#endif
    {"portable_i8", decode_portable_i8, quantize_generic, 0, PORT8_LANES, 8},
    {"generic_i8", decode_generic_i8, quantize_generic, 0, GEN8_LANES, 8},
    {NULL, NULL, NULL, 0, 0, 0},
};

const char *qsdr_turbo_fast_variant_name(size_t i) { return i < sizeof g_variants / sizeof *g_variants - 1 ? g_variants[i].name : NULL; }

/* want: NULL or "int16" = the best int16 variant, "int8" = the best int8 variant (QSDR_SIMD may
 * name an ISA: generic, avx2, avx512), or an exact variant name. NULL if unavailable. */
static const fast_variant *pick_variant(const char *want)
{
    int bits = want && !strcmp(want, "int8") ? 8 : 16;
    bool family = !want || !strcmp(want, "int16") || !strcmp(want, "int8");
    const char *env = getenv("QSDR_SIMD");
    const fast_variant *best = NULL;
    for (const fast_variant *v = g_variants; v->name; v++) {
        if ((v->needs & ~qsdr_cpu_features()) != 0) continue;
        if (!family) {
            if (!strcmp(want, v->name)) return v;
            continue;
        }
        if (v->bits != bits) continue;
        if (!best) best = v;
        if (env && !strncmp(env, v->name, strlen(env)) && (v->name[strlen(env)] == 0 || v->name[strlen(env)] == '_')) return v;
    }
    return best;
}

typedef void (*tf_transpose_fn)(qsdr_turbo_fast_t *);
static tf_transpose_fn transpose_selected(void); /* below, with the transpositions */

qsdr_turbo_fast_t *qsdr_turbo_fast_create(size_t k, unsigned iterations, qsdr_turbo_rate rate, const char *variant)
{
    if (!qsdr_turbo_k_valid(k))
        return qsdr_error_null(QSDR_EINVAL, "qsdr_turbo_fast_create: K = %zu is not an LTE block size (40..6144 in the steps of TS 36.212 Table 5.1.3-3)", k);
    if (iterations < 1 || iterations > 32)
        return qsdr_error_null(QSDR_EINVAL, "qsdr_turbo_fast_create: iterations must be in [1, 32] (got %u)", iterations);
    if ((int)rate < 0 || rate > QSDR_TURBO_R23) return qsdr_error_null(QSDR_EINVAL, "qsdr_turbo_fast_create: bad rate");
    const fast_variant *v = pick_variant(variant);
    if (!v) return qsdr_error_null(QSDR_ENOTSUP, "qsdr_turbo_fast_create: variant '%s' is not available on this CPU", variant);
    qsdr_turbo_fast_t *q = qsdr_calloc(1, sizeof *q);
    if (!q) return qsdr_error_null(QSDR_ENOMEM, "qsdr_turbo_fast_create: out of memory");
    q->k = k;
    q->iterations = iterations;
    q->rate = rate;
    q->lanes = v->lanes;
    q->bits = v->bits;
    q->name = v->name;
    q->decode = v->fn;
    q->quantize = v->quantize;
    q->transpose = transpose_selected();
    size_t vec_bytes = q->lanes * (size_t)(q->bits / 8);
    size_t nvec = 4 * (k + 3) + 4 * k + ((k + 31) / 32) * 8 + 32 * 8; /* see turbo_fast_core.h */
    q->pi = qsdr_malloc(k * sizeof *q->pi);
    q->buf = qsdr_aligned_alloc(nvec * vec_bytes);
    q->hard = qsdr_malloc(k * q->lanes);
    q->d = qsdr_malloc(3 * (k + 4) * sizeof(float));
    q->qd = qsdr_malloc(q->lanes * 3 * (k + 4) * sizeof(int16_t));
    if (!q->pi || !q->buf || !q->hard || !q->d || !q->qd) {
        qsdr_turbo_fast_destroy(&q);
        return qsdr_error_null(QSDR_ENOMEM, "qsdr_turbo_fast_create: out of memory");
    }
    qsdr_turbo_qpp(k, q->pi);
    return q;
}

int qsdr_turbo_fast_set_stop(qsdr_turbo_fast_t *q, qsdr_turbo_stop stop, qsdr_crc_type crc)
{
    if ((int)stop < 0 || stop > QSDR_TURBO_STOP_AGREE || (int)crc < 0 || crc > QSDR_CRC24B)
        return qsdr_error(QSDR_EINVAL, "qsdr_turbo_fast_set_stop: bad stop rule or CRC type");
    if (stop == QSDR_TURBO_STOP_CRC && crc == QSDR_CRC_NONE)
        return qsdr_error(QSDR_EINVAL, "qsdr_turbo_fast_set_stop: early stop by CRC needs a CRC type (crc24a or crc24b)");
    if (stop != QSDR_TURBO_STOP_NONE && !q->cur) {
        if (q->lanes > 64) return qsdr_error(QSDR_EINTERNAL, "qsdr_turbo_fast_set_stop: %zu lanes (at most 64)", q->lanes);
        q->cur = qsdr_calloc(q->k, q->lanes);
        q->prev = qsdr_calloc(q->k, q->lanes);
        q->done_at = qsdr_calloc(q->lanes, sizeof *q->done_at);
        if (!q->cur || !q->prev || !q->done_at) {
            qsdr_free(q->cur), qsdr_free(q->prev), qsdr_free(q->done_at);
            q->cur = q->prev = NULL, q->done_at = NULL;
            return qsdr_error(QSDR_ENOMEM, "qsdr_turbo_fast_set_stop: out of memory");
        }
    }
    q->stop = stop;
    q->crc = crc;
    return QSDR_OK;
}

uint64_t qsdr_turbo_fast_iterations(const qsdr_turbo_fast_t *q) { return q->iter_total; }

bool qsdr_tf_stop_check(qsdr_turbo_fast_t *q, unsigned it)
{
    const size_t k = q->k, L = q->lanes;
    /* per lane: 0xFF while it iterates; decisions that changed; its CRC register. One pass over
       the decisions (K x lanes, lanes contiguous: the loops over lanes vectorise) */
    uint8_t run[64], diff[64] = {0};
    uint32_t crc[64] = {0};
    for (size_t l = 0; l < L; l++) run[l] = q->done_at[l] ? 0 : 0xFF;
    if (q->stop == QSDR_TURBO_STOP_AGREE) {
        for (size_t i = 0; i < k; i++) {
            uint8_t *h = q->hard + i * L;
            const uint8_t *c = q->cur + i * L, *p = q->prev + i * L;
            for (size_t l = 0; l < L; l++) {
                h[l] = (uint8_t)((h[l] & ~run[l]) | (c[l] & run[l]));
                diff[l] |= (uint8_t)(c[l] ^ p[l]);
            }
        }
    } else {
        /* the bit-serial CRC24 of qsdr_crc24 (crc.c), every lane at once: over all K bits (the
           CRC included) the register ends at 0 when the frame checks */
        const uint32_t poly = qsdr_crc24_poly(q->crc);
        for (size_t i = 0; i < k; i++) {
            uint8_t *h = q->hard + i * L;
            const uint8_t *c = q->cur + i * L;
            for (size_t l = 0; l < L; l++) {
                h[l] = (uint8_t)((h[l] & ~run[l]) | (c[l] & run[l]));
                uint32_t fb = ((crc[l] >> 23) ^ c[l]) & 1u;
                crc[l] = ((crc[l] << 1) & 0xFFFFFFu) ^ (poly & (0u - fb));
            }
        }
    }
    bool all = true;
    for (size_t l = 0; l < L; l++) {
        if (q->done_at[l]) continue;
        /* agree: as the float decoder, not at the first iteration */
        bool stop = q->stop == QSDR_TURBO_STOP_AGREE ? it > 1 && !diff[l] : crc[l] == 0;
        if (stop) q->done_at[l] = it;
        else all = false;
    }
    uint8_t *t = q->cur; /* this iteration's decisions are the next one's previous */
    q->cur = q->prev;
    q->prev = t;
    return all;
}

void qsdr_turbo_fast_destroy(qsdr_turbo_fast_t **qp)
{
    if (!qp || !*qp) return;
    qsdr_turbo_fast_t *q = *qp;
    qsdr_free(q->cur);
    qsdr_free(q->prev);
    qsdr_free(q->done_at);
    qsdr_free(q->pi);
    qsdr_aligned_free(q->buf);
    qsdr_free(q->hard);
    qsdr_free(q->d);
    qsdr_free(q->qd);
    qsdr_free(q);
    *qp = NULL;
}

size_t qsdr_turbo_fast_lanes(const qsdr_turbo_fast_t *q) { return q->lanes; }
const char *qsdr_turbo_fast_impl(const qsdr_turbo_fast_t *q) { return q->name; }

/* Transposition of a batch's quantized frames (q->qd, [lane][3 (K+4)] int16) to the core's
 * [step][lane] layout of sys1, par1 and par2 for steps 0..K-1, in int16 or int8 (q->bits; the
 * quantizer has clamped the values to the int8 range then). Variants: qsdr_tf_transpose_variants
 * (fec_internal.h), QA test qa_turbo_fast_transpose_variants. */
#define TRANSPOSE_TILE 32

/* Reference: tiles of 32 steps, so the 32 steps of every lane are one cache line of qd, read
 * while the tile's rows are written (the lane-by-lane order wrote a new line every item). */
#define DEFINE_TRANSPOSE_REF(NAME, ELEM)                                                           \
    static void NAME(qsdr_turbo_fast_t *q)                                                          \
    {                                                                                               \
        const size_t k = q->k, L = q->lanes, m = 3 * (k + 4);                                       \
        ELEM *s1 = q->buf, *p1 = s1 + (k + 3) * L, *p2 = p1 + 2 * (k + 3) * L;                      \
        for (size_t i0 = 0; i0 < k; i0 += TRANSPOSE_TILE) {                                         \
            size_t i1 = i0 + TRANSPOSE_TILE < k ? i0 + TRANSPOSE_TILE : k;                          \
            for (size_t i = i0; i < i1; i++) {                                                      \
                ELEM *a = s1 + i * L, *b = p1 + i * L, *c = p2 + i * L;                             \
                const int16_t *qd = q->qd + i;                                                      \
                for (size_t lane = 0; lane < L; lane++) {                                           \
                    a[lane] = (ELEM)qd[lane * m];                                                   \
                    b[lane] = (ELEM)qd[lane * m + k + 4];                                           \
                    c[lane] = (ELEM)qd[lane * m + 2 * (k + 4)];                                     \
                }                                                                                   \
            }                                                                                       \
        }                                                                                           \
    }
DEFINE_TRANSPOSE_REF(transpose16_generic, int16_t)
DEFINE_TRANSPOSE_REF(transpose8_generic, int8_t)
static void transpose_generic(qsdr_turbo_fast_t *q)
{
    if (q->bits == 16) transpose16_generic(q);
    else transpose8_generic(q);
}

#if defined(__x86_64__)
#include "phy/kernels/qsdr_k_transpose8x8.h"

/* SSE2 (every x86-64): 8 x 8 blocks of steps x lanes; int8 packs two blocks (16 lanes) with
 * signed saturation, exact on the clamped values. Needs K and the lane count to be multiples
 * of 8 (int16) or 16 (int8): true of every LTE K and every variant; else the reference runs. */
static void transpose_sse2(qsdr_turbo_fast_t *q)
{
    const size_t k = q->k, L = q->lanes, m = 3 * (k + 4), lb = q->bits == 16 ? 8 : 16;
    if (k % 8 || L % lb) {
        transpose_generic(q);
        return;
    }
    static const size_t dst_stream[3] = {0, 1, 3}; /* sys1, par1, par2 (sys2 is built from sys1) */
    for (size_t i0 = 0; i0 < k; i0 += 8)
        for (size_t j = 0; j < 3; j++) {
            const int16_t *src = q->qd + j * (k + 4) + i0;
            size_t dst0 = (dst_stream[j] * (k + 3) + i0) * L;
            for (size_t l0 = 0; l0 < L; l0 += lb) {
                __m128i r[8], r2[8];
                for (int l = 0; l < 8; l++) r[l] = _mm_loadu_si128((const __m128i *)(src + (l0 + (size_t)l) * m));
                qsdr_k_transpose8x8_epi16(r);
                if (q->bits == 16) {
                    int16_t *dst = (int16_t *)q->buf + dst0 + l0;
                    for (int s = 0; s < 8; s++) _mm_storeu_si128((__m128i *)(dst + (size_t)s * L), r[s]);
                    continue;
                }
                for (int l = 0; l < 8; l++) r2[l] = _mm_loadu_si128((const __m128i *)(src + (l0 + 8 + (size_t)l) * m));
                qsdr_k_transpose8x8_epi16(r2);
                int8_t *dst = (int8_t *)q->buf + dst0 + l0;
                for (int s = 0; s < 8; s++) _mm_storeu_si128((__m128i *)(dst + (size_t)s * L), _mm_packs_epi16(r[s], r2[s]));
            }
        }
}
#endif

static const qsdr_k_variant g_transpose_variants[] = {
#if defined(__x86_64__)
    {"sse2", (void (*)(void))transpose_sse2, 0, NULL},
#endif
    {"generic", (void (*)(void))transpose_generic, 0, NULL},
    {NULL, NULL, 0, NULL},
};
const qsdr_k_variant *qsdr_tf_transpose_variants(void) { return g_transpose_variants; }

/* chosen once (a QSDR_SIMD naming another instruction set warns once, not per decoder) */
static pthread_once_t g_transpose_once = PTHREAD_ONCE_INIT;
static tf_transpose_fn g_transpose;
static void pick_transpose(void) { g_transpose = (tf_transpose_fn)qsdr_k_select(g_transpose_variants)->fn; }
static tf_transpose_fn transpose_selected(void)
{
    pthread_once(&g_transpose_once, pick_transpose);
    return g_transpose;
}

/* The rest of the core's layout: sys2 row i is sys1 row pi[i] (row copies), and the tails. */
#define DEFINE_TRANSPOSE_REST(NAME, ELEM)                                                          \
    static void NAME(qsdr_turbo_fast_t *q)                                                          \
    {                                                                                               \
        const size_t k = q->k, L = q->lanes, m = 3 * (k + 4);                                       \
        ELEM *s1 = q->buf, *p1 = s1 + (k + 3) * L, *s2 = p1 + (k + 3) * L, *p2 = s2 + (k + 3) * L;  \
        for (size_t i = 0; i < k; i++) memcpy(s2 + i * L, s1 + (size_t)q->pi[i] * L, L * sizeof(ELEM)); \
        for (size_t j = 0; j < 3; j++)                                                              \
            for (size_t lane = 0; lane < L; lane++) {                                               \
                const int16_t *qd = q->qd + lane * m;                                               \
                s1[(k + j) * L + lane] = (ELEM)qd[qsdr_turbo_tail_pos(k, 2 * j)];                   \
                p1[(k + j) * L + lane] = (ELEM)qd[qsdr_turbo_tail_pos(k, 2 * j + 1)];               \
                s2[(k + j) * L + lane] = (ELEM)qd[qsdr_turbo_tail_pos(k, 2 * j + 6)];               \
                p2[(k + j) * L + lane] = (ELEM)qd[qsdr_turbo_tail_pos(k, 2 * j + 7)];               \
            }                                                                                       \
    }
DEFINE_TRANSPOSE_REST(transpose_rest16, int16_t)
DEFINE_TRANSPOSE_REST(transpose_rest8, int8_t)

int qsdr_turbo_fast_execute(qsdr_turbo_fast_t *q, const float *l_n, size_t nframes, uint8_t *v_k)
{
    const size_t k = q->k, n = qsdr_turbo_n(k, q->rate), L = q->lanes, m = 3 * (k + 4);
    const float scale = 4.0f, lim = q->bits == 16 ? 127.0f : 63.0f;
    for (size_t f0 = 0; f0 < nframes; f0 += L) {
        size_t nb = nframes - f0 < L ? nframes - f0 : L;
        /* 1: quantize every frame of the batch into the mother-code layout d0|d1|d2 */
        for (size_t lane = 0; lane < L; lane++) {
            int16_t *qd = q->qd + lane * m;
            if (lane >= nb) {
                memset(qd, 0, m * sizeof *qd); /* idle lane */
                continue;
            }
            const float *l = l_n + (f0 + lane) * n;
            if (q->rate != QSDR_TURBO_R13) {
                qsdr_turbo_depuncture(k, q->rate, l, q->d);
                l = q->d;
            }
            if (q->quantize(l, m, qd, scale, lim))
                for (size_t i = 0; i < n; i++)
                    if (isnan(l_n[(f0 + lane) * n + i]))
                        return qsdr_error(QSDR_ERANGE, "turbo decoder: input LLR %zu of frame %zu is NaN", i, f0 + lane);
        }
        /* 2: transpose to [step][lane], 3: decode (with early termination: idle lanes count as
           stopped, and each frame's iterations are summed) */
        q->transpose(q);
        if (q->bits == 16) transpose_rest16(q);
        else transpose_rest8(q);
        if (q->stop != QSDR_TURBO_STOP_NONE)
            for (size_t lane = 0; lane < L; lane++) q->done_at[lane] = lane < nb ? 0 : 1;
        q->decode(q, q->hard);
        for (size_t lane = 0; lane < nb; lane++)
            q->iter_total += q->stop != QSDR_TURBO_STOP_NONE && q->done_at[lane] ? q->done_at[lane] : q->iterations;
        /* 4: hard decisions back to frame order, in tiles of steps (L1-resident) */
        for (size_t i0 = 0; i0 < k; i0 += 2 * TRANSPOSE_TILE) {
            size_t i1 = i0 + 2 * TRANSPOSE_TILE < k ? i0 + 2 * TRANSPOSE_TILE : k;
            for (size_t lane = 0; lane < nb; lane++) {
                uint8_t *v = v_k + (f0 + lane) * k;
                for (size_t i = i0; i < i1; i++) v[i] = q->hard[i * L + lane];
            }
        }
    }
    return QSDR_OK;
}
