/* SPDX-License-Identifier: MIT */
/* The quantized neural-network core: sequential models built from a YAML/JSON spec, forward and
 * backward passes, losses, optimizers, pluggable 1..8-bit weight/activation quantizers, integer
 * and bit kernels for quantized inference, and safetensors model files. See docs/nn.md. */
#ifndef QSDR_NN_H
#define QSDR_NN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "qsdr/common.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct qsdr_nn_model qsdr_nn_model;

/* ---- models ----------------------------------------------------------------------------------- */
/* Build a model from spec text (YAML, or JSON, which is YAML too). `origin` names the text in
 * error messages (a file name). Parameters are initialised from the spec's `seed` (default 1).
 * Returns NULL with a message naming origin, layer and key on a bad spec. */
qsdr_nn_model *qsdr_nn_model_from_spec(const char *text, const char *origin);
/* Build from a file: a spec (.yml/.yaml/.json) or a .safetensors model (spec from its
 * metadata, then the weights). */
qsdr_nn_model *qsdr_nn_model_load(const char *path);
/* As qsdr_nn_model_load, and *value: a copy of __metadata__[key] of the same read (qsdr_free;
 * NULL when absent or for a spec file). */
qsdr_nn_model *qsdr_nn_model_load_meta(const char *path, const char *key, char **value);
void qsdr_nn_model_free(qsdr_nn_model *m);
/* Re-initialise all parameters (Kaiming-uniform weights as PyTorch, zero biases, BN 1/0) from
 * a seed; quantizer parameters go back to their defaults. */
void qsdr_nn_model_init(qsdr_nn_model *m, uint64_t seed);

size_t qsdr_nn_in_features(const qsdr_nn_model *m);
size_t qsdr_nn_out_features(const qsdr_nn_model *m);
size_t qsdr_nn_n_layers(const qsdr_nn_model *m);
/* The spec as compact JSON (owned by the model). */
const char *qsdr_nn_spec_json(const qsdr_nn_model *m);

/* Flat parameter and gradient buffers (same layout; the optimizer works on them). */
float *qsdr_nn_params(qsdr_nn_model *m, size_t *n);
float *qsdr_nn_grads(qsdr_nn_model *m, size_t *n);
void qsdr_nn_zero_grad(qsdr_nn_model *m);
/* Multiply-accumulates x2 of one forward pass for one sample. */
double qsdr_nn_flops(const qsdr_nn_model *m);
/* Print layers, shapes, parameter counts, quantizers and bit-widths, FLOPs. */
void qsdr_nn_model_print(const qsdr_nn_model *m, FILE *f);

/* ---- running ---------------------------------------------------------------------------------- */
/* Training mode: batch-norm batch statistics, dropout active, caches kept for backward. */
void qsdr_nn_set_training(qsdr_nn_model *m, bool training);
/* Forward a batch x: (batch, in_features). Returns the output (batch, out_features), owned by
 * the model and valid until the next forward; NULL on error (non-finite input is an error). */
const float *qsdr_nn_forward(qsdr_nn_model *m, const float *x, size_t batch);
/* Backward from dL/dout (batch, out_features) of the last training-mode forward: accumulates
 * into the gradient buffer. */
int qsdr_nn_backward(qsdr_nn_model *m, const float *dout);
/* dL/dx (batch, in_features) of the last backward (for chaining models, e.g. an autoencoder's
 * transmitter through a channel). */
const float *qsdr_nn_input_grad(const qsdr_nn_model *m);
/* Seed of the dropout masks; the mask of step s depends only on (seed, s, layer). */
void qsdr_nn_set_seed(qsdr_nn_model *m, uint64_t seed, uint64_t step);

/* ---- quantization --------------------------------------------------------------------------- */
#define QSDR_NN_FLOAT 0 /* bit-width meaning "not quantized" */
#define QSDR_NN_ALL_LAYERS (-1)
/* Set weight and activation bit-widths (1..8, or QSDR_NN_FLOAT) of one quantized layer, or of
 * every layer not marked `fixed: true` in the spec. Switching is cheap (weights are re-quantized
 * once on the next forward) and also selects the batch-norm statistic set of that bit-width
 * when the spec lists `bn_sets`. Returns QSDR_ERANGE naming the allowed range. */
int qsdr_nn_set_bits(qsdr_nn_model *m, int layer, int wbits, int abits);
/* Current bit-widths of layer i (QSDR_NN_FLOAT if not quantized); false if i has no weights. */
bool qsdr_nn_layer_bits(const qsdr_nn_model *m, size_t i, int *wbits, int *abits);

typedef enum {
    QSDR_NN_ENGINE_FLOAT = 0, /* fake quantization: quantize-dequantize, float GEMM (training) */
    QSDR_NN_ENGINE_INT = 1    /* inference on integer codes: int8 GEMM, XNOR or bit-plane kernels */
} qsdr_nn_engine;
void qsdr_nn_set_engine(qsdr_nn_model *m, qsdr_nn_engine engine);
/* Name of the kernel layer i used in its last integer-engine forward ("int8/avx512vnni",
 * "xnor/avx512vpopcntdq", "planes/popcnt", "float"...). */
const char *qsdr_nn_layer_kernel(const qsdr_nn_model *m, size_t i);

/* Post-training calibration: run x (n, in_features) through the float model and set every
 * activation quantizer's range and every weight quantizer's step from what it saw (OpenBLAS on
 * one thread meanwhile, as qsdr_nn_train). */
int qsdr_nn_calibrate(qsdr_nn_model *m, const float *x, size_t n);
/* Post-training quantization of a trained model: as qsdr_nn_calibrate, but a quantizer whose
 * range was learned in training, loaded from a file or calibrated at its present bit-width keeps
 * it (the layers marked `fixed`, trained quantized, learn theirs: PACT's clip, LSQ's step; a new
 * range would change the function the rest of the network was trained with). Only quantizers
 * whose bit-width changed since, or that still hold their initial values, are calibrated. */
int qsdr_nn_calibrate_ptq(qsdr_nn_model *m, const float *x, size_t n);

/* A pluggable quantizer. Weight quantizers see a tensor as (channels, per_channel); activation
 * quantizers see (1, n). forward writes the fake-quantized values out = codes * scale[ch] and,
 * when codes is not NULL, the integer codes; backward applies the straight-through estimator
 * and accumulates the gradients of the quantizer's own learned parameters. An activation
 * quantizer's backward runs in place (din == dout): read dout[i] before writing din[i]. */
typedef struct qsdr_nn_quant qsdr_nn_quant;
typedef struct {
    const char *name;
    bool for_weights, for_acts;
    /* learned parameters per channel count (0 if none); names for the model file */
    size_t (*n_params)(size_t channels);
    const char *param_name;
    void (*init)(qsdr_nn_quant *q);
    void (*forward)(qsdr_nn_quant *q, float *out, int16_t *codes, float *scale, const float *in, size_t channels,
                    size_t per_channel);
    void (*backward)(qsdr_nn_quant *q, float *din, const float *dout, const float *in, size_t channels,
                     size_t per_channel);
    /* set the range from data (calibration); in is (channels, per_channel) */
    void (*calibrate)(qsdr_nn_quant *q, const float *in, size_t channels, size_t per_channel);
    /* called when the bit-width changes */
    void (*rebits)(qsdr_nn_quant *q, int old_bits);
    /* codes of activations are signed (else unsigned 0..2^b-1) */
    bool signed_codes;
} qsdr_nn_quantizer_ops;

struct qsdr_nn_quant {
    const qsdr_nn_quantizer_ops *ops;
    int bits;        /* 1..8, or QSDR_NN_FLOAT */
    float *param;    /* learned parameters (view into the model's parameter buffer) or NULL */
    float *grad;     /* their gradients */
    size_t n_param;
    float opt[4];    /* per-quantizer options from the spec (e.g. a clip value) */
};

/* Register a quantizer (built-ins: dorefa, lsq, sign for weights; pact, sym for activations).
 * ops must outlive the process. QSDR_EINVAL if the name is taken. */
int qsdr_nn_quantizer_register(const qsdr_nn_quantizer_ops *ops);
const qsdr_nn_quantizer_ops *qsdr_nn_quantizer_find(const char *name);

/* ---- losses ------------------------------------------------------------------------------------ */
typedef enum { QSDR_NN_LOSS_CE = 0, QSDR_NN_LOSS_BCE, QSDR_NN_LOSS_MSE } qsdr_nn_loss_kind;
/* Loss of out (batch, F) against target: CE takes class indices (batch,), BCE and MSE take
 * (batch, F). Writes dL/dout to dout when not NULL. Mean over batch (CE) or elements. */
float qsdr_nn_loss(qsdr_nn_loss_kind kind, float *dout, const float *out, const float *target, size_t batch,
                   size_t F);
int qsdr_nn_loss_parse(const char *name, qsdr_nn_loss_kind *kind);

/* ---- optimizers -------------------------------------------------------------------------------- */
typedef enum { QSDR_NN_SGD = 0, QSDR_NN_ADAM, QSDR_NN_ADAMW, QSDR_NN_AMSGRAD } qsdr_nn_optim_kind;
typedef enum { QSDR_NN_SCHED_CONST = 0, QSDR_NN_SCHED_STEP, QSDR_NN_SCHED_COSINE, QSDR_NN_SCHED_INV } qsdr_nn_sched_kind;
typedef struct {
    qsdr_nn_optim_kind kind;
    float lr;            /* base learning rate */
    float momentum;      /* SGD */
    bool nesterov;       /* SGD */
    float weight_decay;  /* L2 added to the gradient (SGD, Adam, AMSGrad) or decoupled (AdamW) */
    float beta1, beta2, eps;
    float clip_norm;     /* global gradient-norm clipping, 0 = off */
    qsdr_nn_sched_kind sched;
    size_t step_size;    /* step schedule: multiply by gamma every step_size steps */
    float gamma;         /* step: factor; inv: lr / (1 + gamma t)^power */
    float power;
    float min_lr;        /* cosine floor */
} qsdr_nn_optim_config;
/* Defaults: Adam, lr 1e-3, betas 0.9/0.999, eps 1e-8, constant schedule. */
void qsdr_nn_optim_defaults(qsdr_nn_optim_config *c);
typedef struct qsdr_nn_optim qsdr_nn_optim;
qsdr_nn_optim *qsdr_nn_optim_create(const qsdr_nn_optim_config *c, size_t n_params);
void qsdr_nn_optim_free(qsdr_nn_optim *o);
/* Learning rate at step t of total (0-based). */
float qsdr_nn_lr_at(const qsdr_nn_optim_config *c, size_t t, size_t total);
/* One update of params from grads (n values) at step t of total; returns the gradient norm
 * before clipping. */
float qsdr_nn_optim_step(qsdr_nn_optim *o, float *params, const float *grads, size_t n, size_t t, size_t total);
int qsdr_nn_optim_parse(const char *name, qsdr_nn_optim_kind *kind);
int qsdr_nn_sched_parse(const char *name, qsdr_nn_sched_kind *kind);

/* ---- model files (safetensors) ---------------------------------------------------------------- */
/* Save parameters, batch-norm statistics and quantizer parameters as F32 tensors; the spec,
 * the bit-widths and extra metadata (a JSON object of strings, may be NULL; a key of the same
 * name as a built-in one replaces it) go into __metadata__. The header is padded to 8 bytes. */
int qsdr_nn_save(const qsdr_nn_model *m, const char *path, const char *extra_metadata_json);
/* Load weights into a built model: every tensor the model needs must be present with the right
 * shape (F32, F16, BF16, F64, I8, U8 are converted); anything malformed gives QSDR_EFORMAT
 * with the file and the offending tensor or header field, and leaves the model as it was. The
 * model keeps its bit-widths; the quantizer ranges read belong to those the file stored
 * (qsdr.bits), which qsdr_nn_calibrate_ptq then keeps. */
int qsdr_nn_load_weights(qsdr_nn_model *m, const char *path);
/* The __metadata__ value of key in a safetensors file (malloc'd; free with qsdr_free), or
 * NULL. */
char *qsdr_nn_file_metadata(const char *path, const char *key);

/* ---- training --------------------------------------------------------------------------------- */
typedef struct {
    size_t n;            /* examples */
    size_t features;     /* per example */
    float *x;            /* (n, features) */
    float *y;            /* (n,) class labels or (n, targets) */
    size_t targets;      /* 1 for class labels */
    size_t classes;
} qsdr_nn_dataset;
/* Synthetic datasets from a seed: 2-D spirals (`classes` arms, noise) and Gaussian blobs
 * (standard deviation `spread` around class centres of standard deviation 2 per dimension).
 * Example i has class i mod classes. */
int qsdr_nn_dataset_spirals(qsdr_nn_dataset *d, size_t n, size_t classes, float noise, uint64_t seed);
int qsdr_nn_dataset_blobs(qsdr_nn_dataset *d, size_t n, size_t classes, size_t dims, float spread, uint64_t seed);
void qsdr_nn_dataset_free(qsdr_nn_dataset *d);
/* Classification accuracy of the model on d (eval mode, current engine). */
double qsdr_nn_accuracy(qsdr_nn_model *m, const qsdr_nn_dataset *d);

typedef struct {
    size_t epoch;        /* 1-based */
    double loss;         /* mean training loss of the epoch */
    double train_acc;    /* accuracy on the training set (classification), else NAN */
    double test_acc;     /* accuracy on the test set, or NAN */
    float lr;            /* learning rate at the end of the epoch */
    double seconds;      /* since training started */
} qsdr_nn_epoch_stats;

typedef struct {
    size_t epochs, batch;
    qsdr_nn_optim_config opt;
    qsdr_nn_loss_kind loss;
    uint64_t seed;               /* shuffling and dropout */
    bool calibrate;              /* calibrate quantizer ranges on the data before QAT */
    /* called after every step (for progress) and every epoch; may be NULL. A non-zero return
     * from on_epoch stops training early. */
    void (*on_step)(void *user, size_t step, size_t total, float loss);
    int (*on_epoch)(void *user, const qsdr_nn_epoch_stats *s);
    void *user;
} qsdr_nn_train_config;

/* Defaults (10 epochs, batch 64, Adam 1e-3, cross-entropy, seed 1), then the spec's `train`
 * section (keys: epochs, batch, optimizer, lr, momentum, nesterov, weight_decay, beta1, beta2,
 * eps, clip_norm, schedule, step_size, gamma, power, min_lr, loss, seed, calibrate). */
int qsdr_nn_train_config_from_spec(const qsdr_nn_model *m, qsdr_nn_train_config *c, const char *origin);
/* Mini-batch training; the same seed gives the same weights whatever the BLAS thread count:
 * OpenBLAS runs on one thread while it trains (the caller's count is restored), since its AVX2
 * kernels give last-bit differences between thread counts. */
/* Whether train can run this data with this configuration (features, targets per example for
 * the loss, non-empty): QSDR_OK, or an error naming what disagrees. qsdr_nn_train checks it too. */
int qsdr_nn_train_check(const qsdr_nn_model *m, const qsdr_nn_dataset *train, const qsdr_nn_train_config *c);
int qsdr_nn_train(qsdr_nn_model *m, const qsdr_nn_dataset *train, const qsdr_nn_dataset *test,
                  const qsdr_nn_train_config *c);
/* Dataset from the spec's `data` section: kind spirals|blobs with n, classes, noise/spread,
 * dims, seed, test (examples in the test split: spirals drawn from seed + 1; blobs the `test`
 * examples after the first n of one draw, so they share the class centres). */
int qsdr_nn_dataset_from_spec(const qsdr_nn_model *m, qsdr_nn_dataset *train, qsdr_nn_dataset *test,
                              const char *origin);

#ifdef __cplusplus
}
#endif
#endif
