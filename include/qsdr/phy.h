/* SPDX-License-Identifier: MIT */
/* Physical-layer algorithms (no streams): Gray mapper/demapper, AWGN, b-bit ADC, RRC pulse
 * shaping, BER/FER counting, Eb/N0 accounting. */
#ifndef QSDR_PHY_H
#define QSDR_PHY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "qsdr/common.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ---- Eb/N0 accounting ------------------------------------------------------------------- */
/* Noise variance per complex sample (E|n|^2 = N0) for a target Eb/N0:
 *   Es = sample_power * sps (energy of all sps samples of a symbol),
 *   Eb = Es / (bits_per_symbol * code_rate), N0 = Eb / 10^(ebn0_db/10).
 *  ebn0_db       : [dB], finite
 *  bits_per_sym  : coded bits per symbol, >= 1
 *  code_rate     : information bits per coded bit, (0, 1]
 *  sps           : samples per symbol, >= 1
 *  sample_power  : mean |x|^2 of one transmitted sample (1/sps for unit-energy symbols
 *                  spread by a unit-energy pulse; 1 for one sample per symbol)
 * Returns N0 > 0, or a negative value for invalid arguments. */
double qsdr_noise_var_from_ebn0(double ebn0_db, double bits_per_sym, double code_rate, double sps, double sample_power);
/* Same from Es/N0 (Es = sample_power * sps). */
double qsdr_noise_var_from_esn0(double esn0_db, double sps, double sample_power);
/* Theory: uncoded BPSK/QPSK (Gray) bit error rate Q(sqrt(2 Eb/N0)); M-QAM Gray exact BER
 * (M = 4, 16, 64) from the closed form of Cho & Yoon (2002). */
double qsdr_ber_bpsk_theory(double ebn0_db);
double qsdr_ber_qam_theory(unsigned m, double ebn0_db);

/* ---- modem ------------------------------------------------------------------------------ */
typedef enum { QSDR_MOD_BPSK = 0, QSDR_MOD_QPSK, QSDR_MOD_QAM16, QSDR_MOD_QAM64 } qsdr_modscheme;
typedef struct qsdr_modem qsdr_modem_t;

/* Gray-coded constellation from liquid-dsp (BPSK, QPSK, square 16/64-QAM), scaled to unit mean
 * symbol energy. Bits map MSB first: the first bit of a group is the MSB of the symbol index. */
qsdr_modem_t *qsdr_modem_create(qsdr_modscheme ms);
void qsdr_modem_destroy(qsdr_modem_t **q);
/* Parse "bpsk|qpsk|qam16|qam64"; -1 if unknown. */
int qsdr_modscheme_parse(const char *name);
unsigned qsdr_modem_bps(const qsdr_modem_t *q);
/* The point for symbol index s (0 <= s < 2^bps). */
qsdr_cf32 qsdr_modem_point(const qsdr_modem_t *q, unsigned s);
/* bits: n_sym * bps values 0/1 -> n_sym points. Returns QSDR_OK or QSDR_EINVAL (bit not 0/1). */
int qsdr_modem_map(const qsdr_modem_t *q, const uint8_t *bits, size_t n_sym, qsdr_cf32 *out);
/* Hard decisions (the nearest point; an exact tie to the lower level): n_sym points -> n_sym*bps bits. */
int qsdr_modem_demap_hard(const qsdr_modem_t *q, const qsdr_cf32 *x, size_t n_sym, uint8_t *bits);
/* LLRs (log P(b=0)/P(b=1)) given complex noise variance N0 = E|n|^2 > 0; exact log-sum-exp or
 * max-log (BPSK and Gray QPSK: one linear function per bit, exact either way; square QAM: over
 * the levels of the bit's own axis, exactly as over all points). Returns QSDR_ERANGE on a
 * non-finite input sample. */
int qsdr_modem_demap_llr(const qsdr_modem_t *q, const qsdr_cf32 *x, size_t n_sym, float noise_var, bool maxlog, float *llr);

/* ---- AWGN ------------------------------------------------------------------------------- */
typedef struct qsdr_awgn qsdr_awgn_t;
/* noise_var: E|n|^2 per complex sample, >= 0; seed: noise stream. */
qsdr_awgn_t *qsdr_awgn_create(float noise_var, uint64_t seed);
void qsdr_awgn_destroy(qsdr_awgn_t **q);
int qsdr_awgn_set_noise_var(qsdr_awgn_t *q, float noise_var);
float qsdr_awgn_get_noise_var(const qsdr_awgn_t *q);
/* y[i] = x[i] + n[first + i]; the noise depends only on (seed, sample index). x, y may alias.
 * A NaN or infinite input is QSDR_ERANGE (the message names sample first + i); y's contents
 * are then unspecified (the check rides on the addition, per 4096-sample chunk). */
int qsdr_awgn_execute(qsdr_awgn_t *q, const qsdr_cf32 *x, size_t n, uint64_t first, qsdr_cf32 *y);
/* Same for real samples (noise variance per real sample = noise_var / 2). */
int qsdr_awgn_execute_real(qsdr_awgn_t *q, const float *x, size_t n, uint64_t first, float *y);

/* ---- ADC quantizer ---------------------------------------------------------------------- */
typedef struct qsdr_adc qsdr_adc_t;
/* b-bit mid-rise uniform quantizer on I and Q separately: step D = 2 fs / 2^b, output
 * (k + 1/2) D with k = clamp(floor(x / D), -2^(b-1), 2^(b-1) - 1). b = 1 gives sign(x) fs/2.
 *  bits       : 1..8
 *  full_scale : clipping level > 0 (not used with agc; qsdr_adc_set_full_scale refuses it then)
 *  agc        : full scale follows the signal: fs = load(b) * rms, rms tracked per sample
 *               with an exponential average (time constant 1/agc_alpha samples); load(b) is the
 *               optimum uniform loading for a Gaussian input (Max 1960). */
qsdr_adc_t *qsdr_adc_create(unsigned bits, float full_scale, bool agc, float agc_alpha);
void qsdr_adc_destroy(qsdr_adc_t **q);
int qsdr_adc_set_bits(qsdr_adc_t *q, unsigned bits);
int qsdr_adc_set_full_scale(qsdr_adc_t *q, float fs);
/* Returns QSDR_ERANGE (with the sample index logged) on a NaN/Inf sample. */
int qsdr_adc_execute(qsdr_adc_t *q, const qsdr_cf32 *x, size_t n, qsdr_cf32 *y);
/* Since creation: real components quantized, those at or beyond +-full_scale, outside the outer
 * quantization cells (clipped; a 1-bit ADC never clips), and the input's rms per real component. */
void qsdr_adc_stats(const qsdr_adc_t *q, uint64_t *components, uint64_t *clipped, double *rms);

/* ---- radio sample formats: interleaved integer I/Q --------------------------------------- */
/* cs16: int16 I, Q (USRP, bladeRF, SoapySDR CS16); cs8: int8 I, Q (HackRF); cu8: uint8 I, Q
 * around 127.5 (RTL-SDR). Little-endian, I first. */
typedef enum { QSDR_IQ_CS16 = 0, QSDR_IQ_CS8, QSDR_IQ_CU8 } qsdr_iq_format;
/* "cs16" | "cs8" | "cu8" -> the format, -1 for anything else. */
int qsdr_iq_format_parse(const char *name);
/* Bytes of one real component (2 or 1) and the offset of zero (127.5 for cu8, else 0). */
size_t qsdr_iq_component_bytes(qsdr_iq_format f);
double qsdr_iq_offset(qsdr_iq_format f);
/* The format's natural full scale, the integer distance from zero that means 1.0: 32768, 128, 127.5. */
double qsdr_iq_full_scale(qsdr_iq_format f);
/* n samples: raw integer I/Q (2n components) -> cf32, (v - offset) * scale per component;
 * with swap, I and Q trade places. */
void qsdr_iq_to_cf32(qsdr_iq_format f, const void *in, size_t n, double scale, bool swap, qsdr_cf32 *out);
/* n cf32 samples -> raw integer I/Q: v = x * scale + offset rounded to nearest (ties to even), saturated to the
 * format's range (each saturated component counted in *clipped, which may be NULL). A NaN or
 * infinite component writes nothing more and returns QSDR_ERANGE, its sample index logged. */
int qsdr_cf32_to_iq(qsdr_iq_format f, const qsdr_cf32 *in, size_t n, double scale, bool swap, void *out, uint64_t *clipped);

/* Index of the first NaN or infinite value of x[0..n) (complex samples seen as 2n floats: divide
 * by 2 for the sample), or n when all are finite: one VOLK pass (the sum of squares), value by
 * value only when that is not finite. */
size_t qsdr_first_nonfinite_f32(const float *x, size_t n);

/* ---- RRC pulse shaping (liquid-dsp's filter design; polyphase filtering here) ------------ */
typedef struct qsdr_rrc qsdr_rrc_t;
/* Unit-energy root-raised-cosine pulse: sps samples/symbol (2..64), span symbols each side
 * (1..40, filter length 2*sps*span+1), roll-off beta in (0, 1). The outputs are liquid-dsp's
 * firinterp / firdecim outputs (within float rounding; qa_rrc_vs_liquid), the same bits on every
 * machine and for any split of the stream into calls. */
qsdr_rrc_t *qsdr_rrc_interp_create(unsigned sps, unsigned span, float beta);
qsdr_rrc_t *qsdr_rrc_decim_create(unsigned sps, unsigned span, float beta);
void qsdr_rrc_destroy(qsdr_rrc_t **q);
/* interp: n symbols -> n*sps samples.  decim: n*sps samples -> n symbols (matched filter).
 * A NaN or infinite input is QSDR_ERANGE (it would spread over a filter's length of outputs),
 * logged with its index among all the samples this filter has taken; nothing written, the filter
 * state unchanged. x and y must not overlap. */
int qsdr_rrc_execute(qsdr_rrc_t *q, const qsdr_cf32 *x, size_t n, qsdr_cf32 *y);

/* ---- BER / FER counting ----------------------------------------------------------------- */
typedef struct {
    uint64_t bits, bit_errors, frames, frame_errors;
} qsdr_ber_counts;
typedef struct qsdr_ber qsdr_ber_t;
/* frame_size: bits per frame (>= 1) for FER; skip: leading bits ignored. */
qsdr_ber_t *qsdr_ber_create(size_t frame_size, uint64_t skip);
void qsdr_ber_destroy(qsdr_ber_t **q);
/* Compare n decoded bits with n reference bits (both 0/1; any non-zero counts as 1). */
void qsdr_ber_update(qsdr_ber_t *q, const uint8_t *decoded, const uint8_t *ref, size_t n);
qsdr_ber_counts qsdr_ber_get(const qsdr_ber_t *q);

/* ---- power spectral density (Welch, FFTW) ----------------------------------------------- */
/* Averaged periodograms of windowed, overlapping segments of nfft samples. Bin k of the
 * result is frequency (k - nfft/2) / nfft cycles per sample (DC in the middle) and holds the
 * power in that bin: the bins sum to the mean power of the signal (|x|^2 averaged). */
typedef enum { QSDR_WINDOW_HANN = 0, QSDR_WINDOW_BLACKMAN = 1, QSDR_WINDOW_RECT = 2 } qsdr_window;
typedef struct qsdr_psd qsdr_psd_t;
/* nfft in [16, 1048576]; overlap in [0, 0.95] (fraction of a segment shared with the next).
 * Thread-safe (FFTW planning is serialised inside). NULL (logged) on bad arguments. */
qsdr_psd_t *qsdr_psd_create(size_t nfft, double overlap, qsdr_window window);
void qsdr_psd_destroy(qsdr_psd_t **p);
/* Feed n samples; non-finite samples are an error (QSDR_ERANGE, logged, naming the sample). */
int qsdr_psd_push(qsdr_psd_t *p, const qsdr_cf32 *x, size_t n);
/* Complete segments averaged so far. */
uint64_t qsdr_psd_segments(const qsdr_psd_t *p);
/* Power per bin (nfft values, DC-centred); QSDR_EINVAL if no segment is complete yet. */
int qsdr_psd_get(const qsdr_psd_t *p, double *power);
/* Occupied bandwidth in cycles/sample: the width between the frequencies below which
 * (1 - fraction)/2 and (1 + fraction)/2 of the power lie (fraction 0.99: the 99 % bandwidth). */
double qsdr_psd_occupied_bw(const double *power, size_t nfft, double fraction);

#ifdef __cplusplus
}
#endif
#endif
