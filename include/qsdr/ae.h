/* SPDX-License-Identifier: MIT */
/* Autoencoder inner code for one-bit receivers (Balevi & Andrews): a transmitter network maps
 * groups of m coded bits to n_s*L complex samples with fixed energy per group, a receiver
 * network maps the one-bit samples back to m LLRs. Training through AWGN and the one-bit ADC,
 * and fast inference through tables filled by the network. See docs/flagship.md. */
#ifndef QSDR_AE_H
#define QSDR_AE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "qsdr/common.h"
#include "qsdr/nn.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Geometry: m coded bits per group, n_s conventional symbols per group (m/2 for the QPSK rate,
 * m/4 for 16-QAM), L samples per symbol; a group is n_s*L complex samples with energy n_s*Es,
 * Es = 1. Eb/N0 counts all of it: Eb = n_s / (R m). */
typedef struct {
    unsigned m, ns, L;
} qsdr_ae_geom;

/* Noise variance per real dimension (N0/2) at Eb/N0 [dB] with outer code rate R. */
double qsdr_ae_sigma2(const qsdr_ae_geom *g, double ebn0_db, double code_rate);

typedef enum { QSDR_AE_TWO_STEP = 0, QSDR_AE_STE = 1, QSDR_AE_BOTH = 2 } qsdr_ae_method;

typedef struct {
    qsdr_ae_geom g;
    double ebn0_db, code_rate;     /* training point */
    qsdr_ae_method method;         /* BOTH: train both, keep the lower raw BER */
    size_t steps, batch;           /* end-to-end steps (two-step: phase 1; phase 2 = steps/2) */
    size_t qat_steps;              /* joint float/8/4/2-bit fine-tuning of a receiver copy, 0 = none */
    float lr;
    uint64_t seed;
    size_t eval_groups;            /* groups for the raw-BER comparison */
    void (*progress)(void *user, const char *phase, size_t step, size_t total, float loss);
    void *user;
    FILE *loss_csv;                /* phase,step,loss rows; may be NULL */
    /* Set non-zero (Ctrl-C) to end training early: the running phase stops at its next step, the
     * later ones are skipped (no multi-bit receiver); report.interrupted says where. NULL: never. */
    volatile int *interrupt;
} qsdr_ae_train_config;

/* The bit-widths the multi-bit receiver is trained and calibrated at: 0 (float), 8, 4, 2, 1. */
#define QSDR_AE_NBITWIDTHS 5
extern const int qsdr_ae_bitwidths[QSDR_AE_NBITWIDTHS];

typedef struct {
    double raw_ber[2];             /* by method (two-step, STE); NAN if not trained */
    qsdr_ae_method chosen;
    double llr_scale;              /* fitted on held-out data */
    double llr_mean0, llr_var0;    /* LLR statistics given c = 0 (Gaussian consistency: var = 2 mean) */
    double raw_ber_bits[QSDR_AE_NBITWIDTHS];   /* multi-bit receiver at qsdr_ae_bitwidths (NAN without it) */
    double llr_scale_bits[QSDR_AE_NBITWIDTHS]; /* its calibrated LLR scale at each of them */
    char interrupted[128];         /* "" = complete; else the phase and step training stopped at */
    bool float_cut;                /* the interruption cut the float tx/rx training (their files say so) */
} qsdr_ae_train_report;

void qsdr_ae_train_defaults(qsdr_ae_train_config *c);
/* Train; on success *tx and *rx are new models (free with qsdr_nn_model_free); with
 * qat_steps and rx_multi not NULL, *rx_multi is a copy of the receiver fine-tuned jointly at
 * float, 8, 4, 2 and 1 bits (one model for every bit-width; raw_ber_bits reports it). */
int qsdr_ae_train(const qsdr_ae_train_config *c, qsdr_nn_model **tx, qsdr_nn_model **rx, qsdr_nn_model **rx_multi,
                  qsdr_ae_train_report *rep);
/* The transmitter at a bit-width (1..8) for the given receiver: a new model (free with
 * qsdr_nn_model_free) holding tx's float weights, ranges calibrated on the 2^m inputs, then
 * `steps` quantization-aware steps (straight-through weights) through the channel's tanh(20 y)
 * surrogate of the one-bit ADC against the frozen receiver rx. steps = 0: post-training
 * quantization only. NULL on error (logged), and when c->interrupt stopped it (not logged). */
qsdr_nn_model *qsdr_ae_quantize_tx(const qsdr_ae_train_config *c, qsdr_nn_model *tx, qsdr_nn_model *rx, int bits, size_t steps);
/* Raw (uncoded) BER of hard decisions on the receiver's logits over n groups. */
double qsdr_ae_raw_ber(qsdr_nn_model *tx, qsdr_nn_model *rx, const qsdr_ae_geom *g, double sigma2, size_t n, uint64_t seed);
/* Save both models (a NULL path skips that side) with their metadata (qsdr.ae: role, m, ns, L,
 * llr_scale, training point) and extra metadata (a JSON object of strings, may be NULL). With
 * model_is_multibit the receiver file also stores the per-bit-width LLR scales
 * (rep->llr_scale_bits), which qsdr_ae_set_bits then applies. */
int qsdr_ae_save(qsdr_nn_model *tx, qsdr_nn_model *rx, const qsdr_ae_geom *g, const qsdr_ae_train_config *c,
                 const qsdr_ae_train_report *rep, const char *tx_path, const char *rx_path, const char *extra_json,
                 bool model_is_multibit);

/* ---- inference ---------------------------------------------------------------------------- */
typedef struct qsdr_ae qsdr_ae;
/* Load a transmitter (tx = true) or receiver model file written by qsdr_ae_save. */
qsdr_ae *qsdr_ae_load(const char *path, bool tx);
/* Load whichever of the two the file holds (its metadata's role). */
qsdr_ae *qsdr_ae_load_any(const char *path);
void qsdr_ae_free(qsdr_ae *a);
const qsdr_ae_geom *qsdr_ae_geometry(const qsdr_ae *a);
/* Bit-width of the switchable neural layers (1..8, 0 = float, -1 = as stored in the file);
 * rebuilds the tables. A bit-width the network was not trained or calibrated for (see
 * qsdr_ae_trained_bits) is refused with QSDR_EINVAL unless qsdr_ae_allow_untrained_bits. */
int qsdr_ae_set_bits(qsdr_ae *a, int bits);
int qsdr_ae_bits(const qsdr_ae *a);
/* The bit-widths the network was trained or calibrated for, bit b set for b bits (bit 0: float):
 * those with a calibrated LLR scale in the file's metadata (llr_scales: the multi-bit receiver),
 * and the bit-width its switchable layers are stored at. */
unsigned qsdr_ae_trained_bits(const qsdr_ae *a);
/* Allow any bit-width in qsdr_ae_set_bits (to study the loss of switching without training). */
void qsdr_ae_allow_untrained_bits(qsdr_ae *a, bool allow);
/* The training run the file comes from (a 52-bit hash of its geometry, training point and the
 * raw BERs measured at the end of training; the same for every file one `qsdr train ae` writes),
 * 0 if unknown. A transmitter and a receiver of different runs do not understand each other. */
uint64_t qsdr_ae_pair_id(const qsdr_ae *a);
/* The file the model was loaded from (for messages). */
const char *qsdr_ae_path(const qsdr_ae *a);
/* One line: role, geometry, the bit-widths trained for and the current one (qsdr model info). */
void qsdr_ae_describe(const qsdr_ae *a, char *out, size_t cap);
/* Use the integer engine (default) or fake quantization for quantized layers. */
void qsdr_ae_set_engine(qsdr_ae *a, qsdr_nn_engine e);
/* Transmitter: bits (groups*m, 0/1) -> samples (groups*ns*L). */
int qsdr_ae_modulate(qsdr_ae *a, const uint8_t *bits, size_t groups, qsdr_cf32 *out);
/* Receiver: one-bit samples (groups*ns*L; values whose I and Q are +-c, any c > 0) -> m LLRs
 * per group, LLR = -scale * logit, clipped to +-clip; the table holds the network's outputs for
 * all 2^(2 ns L) sign patterns. A group that is not one-bit is refused (QSDR_EINVAL, the group
 * and its values named): the network was trained on signs only. */
/* With allow, groups that are not one-bit go through the network itself (to study that). */
void qsdr_ae_allow_non_onebit(qsdr_ae *a, bool allow);
int qsdr_ae_demodulate(qsdr_ae *a, const qsdr_cf32 *in, size_t groups, float *llr);
/* scale > 0 overrides the calibrated scale(s); the clip applies always. */
void qsdr_ae_set_llr(qsdr_ae *a, float scale, float clip);
float qsdr_ae_llr_scale(const qsdr_ae *a);
/* Whether the last demodulate used the table only. */
bool qsdr_ae_used_table(const qsdr_ae *a);

#ifdef __cplusplus
}
#endif
#endif
