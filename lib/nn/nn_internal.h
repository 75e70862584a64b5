/* SPDX-License-Identifier: MIT */
/* NN internals shared by lib/nn and the tests: layer arithmetic in float and double,
 * kernel variant tables, the model and layer structures. */
#ifndef QSDR_NN_INTERNAL_H
#define QSDR_NN_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "phy/phy_internal.h"
#include "qsdr/nn.h"

/* ---- OpenBLAS threads -----------------------------------------------------------------------
 * Training and calibration run OpenBLAS on one thread, and put the caller's setting back after:
 * OpenBLAS's AVX2 sgemm kernels (Haswell, Zen) give last-bit differences between thread counts
 * (the thread split decides which rows take the edge kernels), and training amplifies them, so
 * the same seed would not give the same weights under another OPENBLAS_NUM_THREADS. */
int openblas_get_num_threads(void);
void openblas_set_num_threads(int n);
static inline int qsdr_nn_blas_pin(void)
{
    int prev = openblas_get_num_threads();
    if (prev != 1) openblas_set_num_threads(1);
    return prev;
}
/* Records every quantizer's present bit-width as the one its range belongs to (after training,
 * after loading a file): qsdr_nn_calibrate_ptq leaves such ranges alone. */
void qsdr_nn_mark_ranges(qsdr_nn_model *m);
static inline void qsdr_nn_blas_unpin(int prev)
{
    if (prev != 1) openblas_set_num_threads(prev);
}

/* ---- kernel variants (tables of phy/phy_internal.h's qsdr_k_variant; .ops holds the
 * qsdr_k_gemm_s8_ops / qsdr_k_bitgemm_ops table, .fn the qsdr_k_pack_planes_fn or the
 * qsdr_k_onebit_lookup_fn) --------------------------------------------------------------------- */
const qsdr_k_variant *qsdr_nn_gemm_s8_variants(void);
const qsdr_k_variant *qsdr_nn_bitgemm_variants(void);
const qsdr_k_variant *qsdr_nn_pack_planes_variants(void);
const qsdr_k_variant *qsdr_nn_onebit_lookup_variants(void);
const qsdr_k_variant *qsdr_nn_nhwc_variants(void); /* .fn: qsdr_k_nhwc_fn (convolution codes NCHW -> NHWC) */
/* the variant in use, chosen once */
const qsdr_k_variant *qsdr_nn_gemm_s8_selected(void);
const qsdr_k_variant *qsdr_nn_bitgemm_selected(void);
const qsdr_k_variant *qsdr_nn_pack_planes_selected(void);
const qsdr_k_variant *qsdr_nn_onebit_lookup_selected(void);
const qsdr_k_variant *qsdr_nn_nhwc_selected(void);
/* The most plane pairs (weight bits x activation bits, at most 4) a quantized layer runs on the
 * bit kernels (XNOR, bit planes) instead of the int8 GEMM: from the selected variants' speed
 * (kernels.c), unless qsdr_nn_set_planes_max_pairs(n >= 0) fixed it (tests; -1: automatic).
 * A layer's kernel is chosen when its weights are packed (at a bit-width switch). */
int qsdr_nn_planes_max_pairs(void);
void qsdr_nn_set_planes_max_pairs(int n);

/* ---- layer arithmetic ----------------------------------------------------------------------- */
typedef struct {
    size_t c, h, w;      /* input channels and size */
    size_t cout;         /* output channels (conv) */
    size_t kh, kw, sy, sx, py, px;
    size_t ho, wo;       /* output size */
} qsdr_nn_conv_geom;

enum { QSDR_NN_ACT_RELU, QSDR_NN_ACT_LEAKY, QSDR_NN_ACT_TANH, QSDR_NN_ACT_SIGMOID, QSDR_NN_ACT_HARDTANH,
       QSDR_NN_ACT_ELU };

#define QSDR_NN_DECLARE(T, SFX)                                                                               \
    void qsdr_nn_linear_forward_##SFX(T *y, const T *x, const T *w, const T *b, size_t B, size_t Fin, size_t Fout); \
    void qsdr_nn_linear_backward_##SFX(T *dx, T *dw, T *db, const T *dy, const T *x, const T *w, size_t B,      \
                                       size_t Fin, size_t Fout);                                                 \
    void qsdr_nn_col2im_##SFX(T *dx, const T *cols, const qsdr_nn_conv_geom *g, size_t B);                      \
    void qsdr_nn_conv2d_forward_##SFX(T *y, T *cols, const T *x, const T *w, const T *bias,                     \
                                      const qsdr_nn_conv_geom *g, size_t B);                                    \
    void qsdr_nn_conv2d_backward_##SFX(T *dx, T *dw, T *db, T *dcols, const T *dy, const T *cols, const T *w,   \
                                       const qsdr_nn_conv_geom *g, size_t B);                                   \
    void qsdr_nn_bn_forward_##SFX(T *y, T *xhat, T *invstd, const T *x, const T *gamma, const T *beta, T *rmean, \
                                  T *rvar, size_t B, size_t C, size_t S, T eps, T momentum, bool train);        \
    void qsdr_nn_bn_backward_##SFX(T *dx, T *dgamma, T *dbeta, const T *dy, const T *xhat, const T *invstd,      \
                                   const T *gamma, size_t B, size_t C, size_t S, bool train);                   \
    void qsdr_nn_act_forward_##SFX(T *y, const T *x, size_t n, int kind, T a, T b);                            \
    void qsdr_nn_act_backward_##SFX(T *dx, const T *dy, const T *x, const T *y, size_t n, int kind, T a, T b);  \
    void qsdr_nn_pool_forward_##SFX(T *y, size_t *idx, const T *x, const qsdr_nn_conv_geom *g, size_t B, bool max); \
    void qsdr_nn_pool_backward_##SFX(T *dx, const T *dy, const size_t *idx, const qsdr_nn_conv_geom *g, size_t B, \
                                     bool max);                                                                 \
    void qsdr_nn_powernorm_forward_##SFX(T *y, T *gain, const T *x, size_t B, size_t F, T energy);              \
    void qsdr_nn_powernorm_backward_##SFX(T *dx, const T *dy, const T *x, const T *gain, size_t B, size_t F,     \
                                          T energy);                                                             \
    void qsdr_nn_softmax_forward_##SFX(T *y, const T *x, size_t B, size_t F);                                   \
    void qsdr_nn_softmax_backward_##SFX(T *dx, const T *dy, const T *y, size_t B, size_t F);                    \
    T qsdr_nn_loss_ce_##SFX(T *dout, const T *logits, const T *target, size_t B, size_t F);                     \
    T qsdr_nn_loss_bce_##SFX(T *dout, const T *z, const T *t, size_t B, size_t F);                             \
    T qsdr_nn_loss_mse_##SFX(T *dout, const T *y, const T *t, size_t B, size_t F);
QSDR_NN_DECLARE(float, f32)
QSDR_NN_DECLARE(double, f64)

/* ---- model structures ------------------------------------------------------------------------ */
typedef enum {
    L_LINEAR, L_CONV1D, L_CONV2D, L_BN, L_ACT, L_MAXPOOL, L_AVGPOOL, L_GAP, L_FLATTEN, L_DROPOUT, L_POWERNORM,
    L_SOFTMAX
} qsdr_nn_ltype;

typedef struct {
    qsdr_nn_ltype type;
    const char *type_name;
    size_t in_c, in_h, in_w, out_c, out_h, out_w; /* per-sample shapes */
    size_t fin, fout;                             /* features in and out */
    qsdr_nn_conv_geom g;
    int act;          /* QSDR_NN_ACT_* */
    float a, b;       /* activation parameters; dropout p; powernorm energy */
    bool bias;
    /* parameter offsets into the model buffer (SIZE_MAX = absent) */
    size_t w_off, b_off, n_w;
    size_t bn_sets, bn_off;     /* BN: gamma/beta per set at bn_off + s*2C; stats in bufs */
    size_t stat_off;            /* BN: running mean/var per set at stat_off + s*2C in bufs */
    float bn_eps, bn_momentum;
    /* quantizers (linear / conv) */
    qsdr_nn_quant wq, aq;
    bool fixed;                 /* not touched by model-wide set_bits */
    int range_w, range_a;       /* bit-widths wq's / aq's ranges were learned or calibrated at; -1: initial values */
    bool noquant;               /* never quantized: no quantizer parameters */
    bool wq_dirty;              /* weights changed since the last quantization */
    float *wfake, *wscale;      /* fake-quantized weights (n_w), per-channel scale (out) */
    int16_t *wcodes;            /* weight codes (n_w) */
    float *xq;                  /* quantized input (batch * fin) */
    float *ascale;              /* activation scale (1) */
    /* integer engine state (qlayer.c) */
    void *ipack;                /* packed weights for the chosen kernel */
    int ikind;                  /* 0 none, 1 int8, 2 xnor, 3 planes */
    int ipack_bits;             /* weight bits the pack was made for, -1 = stale */
    const qsdr_k_variant *ivar;
    char kname[48];
    int32_t *wrowsum;           /* per output: sum of weight codes / plane popcounts (planes) */
    /* activations, their gradients and caches; each grows to the largest batch seen */
    float *out, *dx, *cache, *cache2, *cache3;
    size_t *idx;
    size_t cap_cache, cap_cache2, cap_cache3;
    size_t cap_out, cap_dx, cap_xq, cap_ascale;
    float *wgrad;               /* backward scratch: gradient w.r.t. the quantized weights + STE (2 n_w) */
    size_t cap_wgrad;
} qsdr_nn_layer;

struct qsdr_nn_model {
    char *spec_json;
    void *spec;                 /* cJSON tree */
    struct qsdr_nn_spec_pos_s *spec_pos; /* each node's line in the spec text (none for a spec read from a model file) */
    size_t n_spec_pos;
    size_t n_layers;
    qsdr_nn_layer *layers;
    size_t in_c, in_h, in_w;
    float *params, *grads;
    size_t n_params;
    float *bufs;                /* BN running statistics */
    size_t n_bufs;
    size_t batch;
    const float *input;         /* last forward's input (borrowed) */
    float *dinput;
    size_t cap_dinput;
    bool training;
    qsdr_nn_engine engine;
    int bn_set;
    int bn_bits[8];             /* bit-width of each BN set (bn_sets in the spec) */
    size_t n_bn_bits;
    uint32_t bn_trained;        /* BN sets that hold trained statistics (bit s = set s) */
    uint64_t seed, step;
    char *wq_name, *aq_name;    /* defaults from the spec */
};

/* Spec helpers (model.c): qsdr_nn_model_from_spec; lines: messages name the spec's lines (false
 * for the one-line JSON spec of a model file, whose messages name the file) */
qsdr_nn_model *qsdr_nn_model_from_spec_text(const char *text, const char *origin, bool lines);
/* "origin:line" of a node of m's spec, for a message (qsdr_nn_spec_at) */
const char *qsdr_nn_at(const qsdr_nn_model *m, const char *origin, const void *node);

/* Quantizer helpers (quant.c) */
int qsdr_nn_quant_setup(qsdr_nn_quant *q, const char *name, int bits, bool weights, const char *origin);
/* Integer engine forward for a linear or conv layer (qlayer.c): y from x. */
int qsdr_nn_qlayer_forward(qsdr_nn_model *m, qsdr_nn_layer *l, float *y, const float *x, size_t B);
void qsdr_nn_qlayer_free(qsdr_nn_layer *l);
/* Quantize layer l's weights into wfake/wcodes/wscale if stale (model.c). */
void qsdr_nn_layer_quantize_weights(qsdr_nn_model *m, qsdr_nn_layer *l);
/* Grow a float buffer to at least n values. */
int qsdr_nn_grow(float **p, size_t *cap, size_t n);

#endif
