/* SPDX-License-Identifier: MIT */
/* Integer-engine forward of quantized linear and convolution layers.
 *
 * With weight codes q_w (scale s_w per output channel) and activation codes q_a (scale s_a):
 *   y[m][n] = s_w[n] * s_a * sum_k q_w[n][k] q_a[m][k] + bias[n]
 * The integer sum comes from one of three kernels:
 *   xnor   — 1-bit weights and 1-bit signed activations (+-1 codes);
 *   planes — bw * ba <= 4 (e.g. 2x2, 1x4 bits): codes as two's-complement or +-1 bit planes;
 *   (xnor and planes only where faster than int8 on this CPU: qsdr_nn_planes_max_pairs)
 *   int8   — everything else (unsigned 8-bit activations are shifted by -128 and corrected).
 * The codes are the quantizers' own, so the sums equal the fake-quantization reference
 * exactly; only the final float rescaling rounds differently (<= 1e-5 relative). */
#include <string.h>
#include <volk/volk.h>

#include "nn/kernels/qsdr_k_bitgemm.h"
#include "nn/kernels/qsdr_k_gemm_s8.h"
#include "nn/kernels/qsdr_k_nhwc.h"
#include "nn/kernels/qsdr_k_pack_planes.h"
#include "nn/nn_internal.h"

enum { K_NONE, K_INT8, K_XNOR, K_PLANES };

/* im2row_bits' tap table: per tap its word and bit shift in the row and its offset in the
 * pixel array from the window's top-left pixel, so no per-pixel division */
typedef struct {
    size_t w, off;
    unsigned sh;
} bit_tap;

typedef struct {
    void *pack;
    int32_t *wrow;      /* per output: sum_k q_w */
    int16_t *acodes;    /* activation codes (B * fin) */
    int8_t *a8;         /* (M, K) int8 activations */
    uint64_t *abits;    /* (M, na, W) activation planes */
    int32_t *acc;       /* (M, N) */
    int32_t *arow;      /* per row: sum_k q_a */
    float *cscale;      /* per output: s_w * s_a, then the bias */
    /* XNOR convolutions run transposed: C^T (N, M) = weights x activations, so each output
     * channel's pixels are contiguous; the activations are packed per call */
    bool swapped;
    uint64_t *wbits;    /* (N, W) weight sign bits */
    void *apack;
    size_t apack_cap;
    int32_t *corr;      /* (N, P) zero-padding correction per output and pixel, or NULL */
    uint64_t *pbits;    /* XNOR convolutions: each input pixel's channel bits, then im2row on bits */
    size_t pbits_cap;   /* words */
    bit_tap *taps;      /* XNOR convolutions: im2row_bits' tap table */
    size_t cap;         /* M * K capacity of the activation buffers */
    size_t capm;        /* M capacity */
    int nb, na, dw, da;
    int32_t cw[8], ca[8];
} qstate;

void qsdr_nn_qlayer_free(qsdr_nn_layer *l)
{
    qstate *s = l->ipack;
    if (!s) return;
    qsdr_aligned_free(s->pack);
    qsdr_free(s->wrow);
    qsdr_free(s->acodes);
    qsdr_aligned_free(s->a8);
    qsdr_aligned_free(s->abits);
    qsdr_aligned_free(s->acc);
    qsdr_free(s->arow);
    qsdr_free(s->cscale);
    qsdr_aligned_free(s->wbits);
    qsdr_aligned_free(s->apack);
    qsdr_free(s->corr);
    qsdr_aligned_free(s->pbits);
    qsdr_free(s->taps);
    qsdr_free(s);
    l->ipack = NULL;
}

static void planes_of(int bits, bool is_signed_pm1, int32_t *c, int *n, int *d)
{
    if (bits == 1 && is_signed_pm1) { /* value = 2p - 1 */
        *n = 1, c[0] = 2, *d = -1;
        return;
    }
    *n = bits, *d = 0;
    for (int i = 0; i < bits; i++) c[i] = 1 << i;
    if (is_signed_pm1) c[bits - 1] = -(1 << (bits - 1)); /* two's complement */
}

/* bit planes of codes (rows x K) into out (rows, n, W); see qsdr_k_pack_planes.h */
static void to_planes(uint64_t *out, const int16_t *codes, size_t ld, size_t rows, size_t K, int n, bool pm1)
{
    qsdr_k_pack_planes_fn fn = (qsdr_k_pack_planes_fn)qsdr_nn_pack_planes_selected()->fn;
    fn(out, codes, ld, rows, K, n, pm1 && n == 1);
}

/* 1-bit signed activations hold zero padding as -1 in their +-1 plane, so every output at a
 * padded tap lacks that tap's weight sum: the correction (N, P) per output channel and pixel,
 * added when the accumulators are converted. NULL when out of memory. */
static int32_t *pad_correction(const qsdr_nn_layer *l, size_t K)
{
    const qsdr_nn_conv_geom *g = &l->g;
    size_t N = l->out_c, C = l->in_c, T = g->kh * g->kw, P = g->ho * g->wo;
    int32_t *tap = qsdr_calloc(N * T + 1, sizeof(int32_t)), *corr = qsdr_calloc(N * P + 1, sizeof(int32_t));
    if (!tap || !corr) {
        qsdr_free(tap), qsdr_free(corr);
        return NULL;
    }
    for (size_t n = 0; n < N; n++) /* weight sum per output and kernel tap, over the channels */
        for (size_t c = 0; c < C; c++)
            for (size_t t = 0; t < T; t++) tap[n * T + t] += l->wcodes[n * K + c * T + t];
    for (size_t oy = 0; oy < g->ho; oy++)
        for (size_t ox = 0; ox < g->wo; ox++)
            for (size_t ky = 0; ky < g->kh; ky++)
                for (size_t kx = 0; kx < g->kw; kx++) {
                    long iy = (long)(oy * g->sy + ky) - (long)g->py, ix = (long)(ox * g->sx + kx) - (long)g->px;
                    if (iy >= 0 && iy < (long)g->h && ix >= 0 && ix < (long)g->w) continue;
                    for (size_t n = 0; n < N; n++) corr[n * P + oy * g->wo + ox] += tap[n * T + ky * g->kw + kx];
                }
    qsdr_free(tap);
    return corr;
}

static int prepare_weights(qsdr_nn_model *m, qsdr_nn_layer *l, qstate *s, size_t K, bool conv_pad)
{
    int bw = l->wq.bits, ba = l->aq.bits;
    bool asigned = l->aq.ops->signed_codes;
    int key = bw * 16 + ba;
    if (l->ipack_bits == key && s->pack) return QSDR_OK;
    l->wq_dirty = true;
    s->swapped = false; /* set again below for an XNOR convolution */
    qsdr_nn_layer_quantize_weights(m, l);
    if (!l->wcodes) return QSDR_ENOMEM;
    size_t N = l->out_c;
    qsdr_free(s->wrow);
    s->wrow = qsdr_malloc(N * sizeof(int32_t));
    if (!s->wrow) return QSDR_ENOMEM;
    for (size_t n = 0; n < N; n++) {
        int32_t r = 0;
        for (size_t k = 0; k < K; k++) r += l->wcodes[n * K + k];
        s->wrow[n] = r;
    }
    /* conv: reorder each filter from (c, ky, kx) to (ky, kx, c), the order of im2row_codes */
    int16_t *wc = qsdr_malloc(N * K * sizeof(int16_t) + 2);
    if (!wc) return QSDR_ENOMEM;
    if (l->type == L_LINEAR) memcpy(wc, l->wcodes, N * K * sizeof(int16_t));
    else {
        size_t C = l->in_c, kh = l->g.kh, kw = l->g.kw;
        for (size_t n = 0; n < N; n++)
            for (size_t c = 0; c < C; c++)
                for (size_t ky = 0; ky < kh; ky++)
                    for (size_t kx = 0; kx < kw; kx++)
                        wc[n * K + (ky * kw + kx) * C + c] = l->wcodes[n * K + (c * kh + ky) * kw + kx];
    }
    int kind = K_INT8;
    if (bw * ba <= qsdr_nn_planes_max_pairs()) kind = bw == 1 && ba == 1 && asigned ? K_XNOR : K_PLANES;
    qsdr_free(s->corr);
    s->corr = NULL;
    if (kind != K_INT8 && asigned && ba == 1 && conv_pad && !(s->corr = pad_correction(l, K))) {
        qsdr_free(wc);
        return QSDR_ENOMEM;
    }
    qsdr_aligned_free(s->pack);
    s->pack = NULL;
    if (kind == K_INT8) {
        const qsdr_k_variant *v = qsdr_nn_gemm_s8_selected();
        const qsdr_k_gemm_s8_ops *ops = v->ops;
        int8_t *b8 = qsdr_malloc(N * K + 1);
        s->pack = qsdr_aligned_alloc(ops->packed_size(N, K));
        if (!b8 || !s->pack) {
            qsdr_free(b8), qsdr_free(wc);
            return QSDR_ENOMEM;
        }
        for (size_t j = 0; j < N * K; j++) b8[j] = (int8_t)wc[j];
        ops->pack(s->pack, b8, K, N, K);
        qsdr_free(b8);
        l->ivar = v;
        snprintf(l->kname, sizeof l->kname, "int8/%s", v->name);
    } else {
        const qsdr_k_variant *v = qsdr_nn_bitgemm_selected();
        const qsdr_k_bitgemm_ops *ops = v->ops;
        size_t W = (K + 63) / 64;
        int n;
        planes_of(bw, true, s->cw, &n, &s->dw);
        s->nb = n;
        if (kind == K_XNOR) s->na = 1, s->ca[0] = 2, s->da = -1;
        else planes_of(ba, asigned, s->ca, &s->na, &s->da);
        uint64_t *bits = qsdr_aligned_alloc(N * (size_t)s->nb * W * 8 + 8);
        s->pack = qsdr_aligned_alloc(ops->packed_size(N, (size_t)s->nb, W));
        if (!bits || !s->pack) {
            qsdr_aligned_free(bits), qsdr_free(wc);
            return QSDR_ENOMEM;
        }
        to_planes(bits, wc, K, N, K, s->nb, true);
        ops->pack(s->pack, bits, (size_t)s->nb * W, N, (size_t)s->nb, W);
        qsdr_aligned_free(s->wbits);
        s->wbits = NULL;
        s->swapped = kind == K_XNOR && l->type != L_LINEAR;
        if (s->swapped) {
            s->wbits = bits; /* the left operand of the transposed product */
        } else
            qsdr_aligned_free(bits);
        l->ivar = v;
        snprintf(l->kname, sizeof l->kname, "%s/%s", kind == K_XNOR ? "xnor" : "planes", v->name);
    }
    qsdr_free(wc);
    l->ikind = kind;
    l->ipack_bits = key;
    return QSDR_OK;
}

/* rows (B*P, K) of codes with K in (ky, kx, c) order, from codes in NHWC layout (so each
 * kernel row is one contiguous run of kw*C codes); zero padding is code 0 (`zero`) */
#define IM2ROW(NAME, TYPE)                                                                                   \
    static void NAME(TYPE *rows, const TYPE *nhwc, const qsdr_nn_conv_geom *g, size_t B, TYPE zero)        \
    {                                                                                                        \
        size_t C = g->c, K = C * g->kh * g->kw, P = g->ho * g->wo, run = g->kw * C;                         \
        for (size_t b = 0; b < B; b++)                                                                       \
            for (size_t oy = 0; oy < g->ho; oy++)                                                            \
                for (size_t ox = 0; ox < g->wo; ox++) {                                                      \
                    TYPE *r = rows + (b * P + oy * g->wo + ox) * K;                                         \
                    long ix0 = (long)(ox * g->sx) - (long)g->px;                                             \
                    bool inside_x = ix0 >= 0 && ix0 + (long)g->kw <= (long)g->w;                             \
                    for (size_t ky = 0; ky < g->kh; ky++, r += run) {                                        \
                        long iy = (long)(oy * g->sy + ky) - (long)g->py;                                     \
                        if (iy < 0 || iy >= (long)g->h) {                                                    \
                            for (size_t j = 0; j < run; j++) r[j] = zero;                                    \
                            continue;                                                                        \
                        }                                                                                    \
                        const TYPE *src = nhwc + ((b * g->h + (size_t)iy) * g->w) * C;                       \
                        if (inside_x) {                                                                      \
                            memcpy(r, src + (size_t)ix0 * C, run * sizeof(TYPE));                           \
                            continue;                                                                        \
                        }                                                                                    \
                        for (size_t kx = 0; kx < g->kw; kx++) {                                              \
                            long ix = ix0 + (long)kx;                                                        \
                            if (ix >= 0 && ix < (long)g->w) memcpy(r + kx * C, src + (size_t)ix * C, C * sizeof(TYPE)); \
                            else                                                                             \
                                for (size_t j = 0; j < C; j++) r[kx * C + j] = zero;                         \
                        }                                                                                    \
                    }                                                                                        \
                }                                                                                            \
    }
IM2ROW(im2row_codes16, int16_t)
IM2ROW(im2row_codes8, int8_t)

/* The rows of im2row_codes16 for one-bit activations, built in bits: each input pixel's C
 * channel bits (pix: Wc = ceil(C / 64) words per pixel, bits past C zero) go
 * to bit (ky kw + kx) C of the row (W words; padding taps read as code 0, as to_planes makes
 * them, and the bits past K stay 0). 1/C of the data im2row_codes16 moves. A row is assembled
 * in a local array of W + 1 words (the spill of the last tap lands in the extra word, which is
 * 0: bits at >= K are) and stored once. */
#define IM2ROW_BITS_MAXW 64
/* OR one tap's Wc words of channel bits (src) into the row at the tap's bit */
static inline void or_tap(uint64_t *acc, const uint64_t *src, const bit_tap *tp, size_t Wc)
{
    for (size_t i = 0; i < Wc; i++) {
        acc[tp->w + i] |= src[i] << tp->sh;
        acc[tp->w + i + 1] |= tp->sh ? src[i] >> (64 - tp->sh) : 0;
    }
}

static bit_tap *bit_taps(const qsdr_nn_conv_geom *g, size_t Wc)
{
    size_t T = g->kh * g->kw, C = g->c;
    bit_tap *taps = qsdr_malloc(T * sizeof(bit_tap));
    if (!taps) return NULL;
    for (size_t t = 0; t < T; t++)
        taps[t] = (bit_tap){t * C / 64, ((t / g->kw) * g->w + t % g->kw) * Wc, (unsigned)(t * C % 64)};
    return taps;
}

#if defined(__GNUC__) && !defined(__clang__)
__attribute__((optimize("no-tree-loop-distribute-patterns"))) /* the word loops, not rep movs/stos */
#endif
static void im2row_bits(uint64_t *rows, size_t W, const uint64_t *pix, size_t Wc, const qsdr_nn_conv_geom *g, size_t B,
                        const bit_tap *taps)
{
    size_t P = g->ho * g->wo, T = g->kh * g->kw;
    for (size_t b = 0; b < B; b++)
        for (size_t oy = 0; oy < g->ho; oy++) {
            long iy0 = (long)(oy * g->sy) - (long)g->py;
            bool inside_y = iy0 >= 0 && iy0 + (long)g->kh <= (long)g->h;
            for (size_t ox = 0; ox < g->wo; ox++) {
                long ix0 = (long)(ox * g->sx) - (long)g->px;
                uint64_t acc[IM2ROW_BITS_MAXW + 1];
                for (size_t w = 0; w <= W; w++) acc[w] = 0; /* loops: memset / memcpy of a few words cost more */
                if (inside_y && ix0 >= 0 && ix0 + (long)g->kw <= (long)g->w) { /* no padding tap */
                    const uint64_t *win = pix + ((b * g->h + (size_t)iy0) * g->w + (size_t)ix0) * Wc;
                    if (Wc == 1) /* the common case, with the word count a constant */
                        for (size_t t = 0; t < T; t++) or_tap(acc, win + taps[t].off, &taps[t], 1);
                    else
                        for (size_t t = 0; t < T; t++) or_tap(acc, win + taps[t].off, &taps[t], Wc);
                } else
                    for (size_t t = 0; t < T; t++) {
                        long iy = iy0 + (long)(t / g->kw), ix = ix0 + (long)(t % g->kw);
                        if (iy < 0 || iy >= (long)g->h || ix < 0 || ix >= (long)g->w) continue;
                        or_tap(acc, pix + ((b * g->h + (size_t)iy) * g->w + (size_t)ix) * Wc, &taps[t], Wc);
                    }
                uint64_t *r = rows + (b * P + oy * g->wo + ox) * W;
                for (size_t w = 0; w < W; w++) r[w] = acc[w];
            }
        }
}

static int grow_bytes(void **p, size_t bytes)
{
    qsdr_aligned_free(*p);
    *p = qsdr_aligned_alloc(bytes ? bytes : 1);
    return *p ? QSDR_OK : QSDR_ENOMEM;
}

int qsdr_nn_qlayer_forward(qsdr_nn_model *m, qsdr_nn_layer *l, float *y, const float *x, size_t B)
{
    if (!l->ipack) {
        l->ipack = qsdr_calloc(1, sizeof(qstate));
        if (!l->ipack) return QSDR_ENOMEM;
    }
    qstate *s = l->ipack;
    bool conv = l->type != L_LINEAR;
    size_t K = conv ? l->in_c * l->g.kh * l->g.kw : l->fin, P = conv ? l->g.ho * l->g.wo : 1, M = B * P,
           N = l->out_c;
    bool pad = conv && (l->g.py || l->g.px);
    int rc = prepare_weights(m, l, s, K, pad);
    if (rc) return rc;
    if (s->cap < M * K || s->capm < M * (N > K ? N : K)) {
        size_t W = (K + 63) / 64;
        s->cap = M * K;
        s->capm = M * (N > K ? N : K);
        qsdr_free(s->acodes);
        qsdr_free(s->arow);
        s->acodes = qsdr_malloc(2 * B * l->fin * sizeof(int16_t) + M * K * sizeof(int16_t));
        s->arow = qsdr_malloc(M * sizeof(int32_t));
        qsdr_free(s->cscale);
        s->cscale = qsdr_malloc(2 * N * sizeof(float));
        if (!s->acodes || !s->arow || !s->cscale || grow_bytes((void **)&s->a8, M * K) ||
            grow_bytes((void **)&s->abits, M * 8 * W * 8) || grow_bytes((void **)&s->acc, M * N * sizeof(int32_t)))
            return QSDR_ENOMEM;
    }
    float sa;
    l->aq.ops->forward(&l->aq, NULL, s->acodes, &sa, x, 1, B * l->fin);
    int16_t *codes = s->acodes; /* (M, K) */
    bool shift = l->ikind == K_INT8 && !l->aq.ops->signed_codes && l->aq.bits == 8; /* 0..255: not int8 */
    int16_t sh = shift ? 128 : 0;
    bool bit_rows = s->swapped && (K + 63) / 64 <= IM2ROW_BITS_MAXW; /* swapped: XNOR convolutions */
    if (bit_rows) { /* XNOR: NCHW codes -> each pixel's channel bits -> rows of bits */
        size_t C = l->in_c, HW = l->in_h * l->in_w, Wc = (C + 63) / 64, need = B * HW * Wc;
        if (need > s->pbits_cap) {
            if (grow_bytes((void **)&s->pbits, need * sizeof(uint64_t))) return QSDR_ENOMEM;
            s->pbits_cap = need;
        }
        memset(s->pbits, 0, need * sizeof(uint64_t));
        for (size_t b = 0; b < B; b++)
            for (size_t c = 0; c < C; c++) { /* the bits to_planes(..., pm1) makes: code > 0 */
                const int16_t *src = s->acodes + (b * C + c) * HW;
                uint64_t *dst = s->pbits + b * HW * Wc + c / 64;
                unsigned bit = (unsigned)(c % 64);
                if (Wc == 1) /* contiguous: vectorized */
                    for (size_t p = 0; p < HW; p++) dst[p] |= (uint64_t)(src[p] > 0) << bit;
                else
                    for (size_t p = 0; p < HW; p++) dst[p * Wc] |= (uint64_t)(src[p] > 0) << bit;
            }
        if (!s->taps && !(s->taps = bit_taps(&l->g, Wc))) return QSDR_ENOMEM;
        im2row_bits(s->abits, (K + 63) / 64, s->pbits, Wc, &l->g, B, s->taps);
    } else if (conv) { /* NCHW codes -> NHWC (int8 for the int8 kernel, shifted) -> rows */
        size_t C = l->in_c, HW = l->in_h * l->in_w;
        int16_t *nhwc = s->acodes + B * l->fin;
        int8_t *nhwc8 = (int8_t *)nhwc;
        qsdr_k_nhwc_fn to_nhwc = (qsdr_k_nhwc_fn)qsdr_nn_nhwc_selected()->fn;
        bool out8 = l->ikind == K_INT8;
        for (size_t b = 0; b < B; b++)
            to_nhwc(out8 ? (void *)(nhwc8 + b * HW * C) : (void *)(nhwc + b * HW * C), s->acodes + b * C * HW, C, HW, sh, out8);
        codes = nhwc + B * l->fin;
        if (l->ikind == K_INT8) im2row_codes8(s->a8, nhwc8, &l->g, B, (int8_t)-sh);
        else im2row_codes16(codes, nhwc, &l->g, B, 0);
    }
    if (l->ikind == K_PLANES)
        for (size_t r = 0; r < M; r++) {
            int32_t t = 0;
            for (size_t k = 0; k < K; k++) t += codes[r * K + k];
            s->arow[r] = t;
        }
    if (l->ikind == K_INT8) {
        const qsdr_k_gemm_s8_ops *ops = l->ivar->ops;
        if (!conv)
            for (size_t j = 0; j < M * K; j++) s->a8[j] = (int8_t)(codes[j] - sh);
        ops->gemm(s->acc, N, s->a8, K, s->pack, M, N, K);
        if (shift)
            for (size_t r = 0; r < M; r++)
                for (size_t n = 0; n < N; n++) s->acc[r * N + n] += 128 * s->wrow[n];
    } else {
        const qsdr_k_bitgemm_ops *ops = l->ivar->ops;
        size_t W = (K + 63) / 64;
        bool asigned = l->aq.ops->signed_codes;
        if (!bit_rows) to_planes(s->abits, codes, K, M, K, s->na, asigned);
        if (s->swapped) {
            size_t need = ops->packed_size(M, 1, W);
            if (need > s->apack_cap) {
                qsdr_aligned_free(s->apack);
                s->apack = qsdr_aligned_alloc(need);
                if (!s->apack) return QSDR_ENOMEM;
                s->apack_cap = need;
            }
            ops->pack(s->apack, s->abits, W, M, 1, W);
            ops->xnor(s->acc, M, s->wbits, W, s->apack, N, M, W, K); /* (N, M) */
        } else if (l->ikind == K_XNOR) {
            ops->xnor(s->acc, N, s->abits, W, s->pack, M, N, W, K);
        } else {
            ops->planes(s->acc, N, s->abits, (size_t)s->na * W, (size_t)s->na, s->ca, s->pack, (size_t)s->nb, s->cw, M, N, W);
            long dw = s->dw, da = s->da, KK = (long)K;
            for (size_t r = 0; r < M; r++)
                for (size_t n = 0; n < N; n++)
                    s->acc[r * N + n] += (int32_t)(da * (s->wrow[n] - KK * dw) + dw * (s->arow[r] - KK * da) + KK * dw * da);
        }
    }
    const float *bias = l->bias ? m->params + l->b_off : NULL;
    float *cs = s->cscale, *bz = s->cscale + N;
    for (size_t n = 0; n < N; n++) cs[n] = l->wscale[n] * sa, bz[n] = bias ? bias[n] : 0.0f;
    if (s->swapped) { /* (N, B*P): each output channel's pixels are contiguous already */
        for (size_t b = 0; b < B; b++)
            for (size_t n = 0; n < N; n++) {
                const int32_t *a = s->acc + n * M + b * P, *cor = s->corr ? s->corr + n * P : NULL;
                float *yo = y + (b * N + n) * P, c = cs[n], z = bz[n];
                if (cor)
                    for (size_t p = 0; p < P; p++) yo[p] = (float)(a[p] + cor[p]) * c + z;
                else
                    for (size_t p = 0; p < P; p++) yo[p] = (float)a[p] * c + z;
            }
    } else if (!conv) {
        /* int32 -> float through VOLK, then the per-output scale and bias */
        volk_32i_s32f_convert_32f(y, s->acc, 1.0f, (unsigned)(M * N));
        for (size_t r = 0; r < M; r++)
            for (size_t n = 0; n < N; n++) y[r * N + n] = y[r * N + n] * cs[n] + bz[n];
    } else {
        int32_t tile[16 * 64]; /* (P, N) -> (N, P) through a local 16-pixel tile, N <= 64 per pass */
        for (size_t b = 0; b < B; b++)
            for (size_t p0 = 0; p0 < P; p0 += 16) {
                size_t np = p0 + 16 < P ? 16 : P - p0;
                for (size_t n0 = 0; n0 < N; n0 += 64) {
                    size_t nn = n0 + 64 < N ? 64 : N - n0;
                    for (size_t j = 0; j < np; j++) {
                        const int32_t *a = s->acc + (b * P + p0 + j) * N + n0;
                        for (size_t n = 0; n < nn; n++) tile[n * 16 + j] = a[n];
                    }
                    for (size_t n = 0; n < nn; n++) {
                        float *yo = y + (b * N + n0 + n) * P + p0;
                        const int32_t *t = tile + n * 16;
                        float c = cs[n0 + n], z = bz[n0 + n];
                        if (s->corr) { /* zero padding held as -1 activations (pad_correction) */
                            const int32_t *cor = s->corr + (n0 + n) * P + p0;
                            for (size_t j = 0; j < np; j++) yo[j] = (float)(t[j] + cor[j]) * c + z;
                        } else
                            for (size_t j = 0; j < np; j++) yo[j] = (float)t[j] * c + z;
                    }
                }
            }
    }
    return QSDR_OK;
}
