/* SPDX-License-Identifier: MIT */
/* The built-in block table (one entry per block source file in blocks/). */
#include "qsdr/block.h"

extern const qsdr_block_desc qsdr_block_adc, qsdr_block_cf32_to_iq, qsdr_block_iq_to_cf32, qsdr_block_ae_decoder, qsdr_block_ae_modulator, qsdr_block_blind_demapper, qsdr_block_constellation_sink, qsdr_block_onebit_llr, qsdr_block_awgn, qsdr_block_ber, qsdr_block_copy, qsdr_block_demapper,
    qsdr_block_file_sink, qsdr_block_file_source, qsdr_block_hard_decision, qsdr_block_head, qsdr_block_mapper,
    qsdr_block_null_sink, qsdr_block_null_source, qsdr_block_probe, qsdr_block_random_source, qsdr_block_rrc_decim,
    qsdr_block_rrc_interp, qsdr_block_slicer, qsdr_block_spectrum_sink, qsdr_block_tag_debug, qsdr_block_turbo_decoder, qsdr_block_turbo_encoder, qsdr_block_vector_sink, qsdr_block_vector_source, qsdr_block_zmq_sink, qsdr_block_zmq_source;

const qsdr_block_desc *const qsdr_builtin_blocks[] = {
    &qsdr_block_adc,          &qsdr_block_ae_decoder,   &qsdr_block_ae_modulator,  &qsdr_block_awgn,
    &qsdr_block_ber,          &qsdr_block_blind_demapper, &qsdr_block_cf32_to_iq, &qsdr_block_constellation_sink, &qsdr_block_copy,
    &qsdr_block_demapper,     &qsdr_block_file_sink,    &qsdr_block_file_source,   &qsdr_block_hard_decision,
    &qsdr_block_head,         &qsdr_block_iq_to_cf32, &qsdr_block_mapper,       &qsdr_block_null_sink,     &qsdr_block_null_source,   &qsdr_block_onebit_llr,
    &qsdr_block_probe,        &qsdr_block_random_source, &qsdr_block_rrc_decim,    &qsdr_block_rrc_interp,
    &qsdr_block_slicer,       &qsdr_block_spectrum_sink, &qsdr_block_tag_debug, &qsdr_block_turbo_decoder, &qsdr_block_turbo_encoder, &qsdr_block_vector_sink,  &qsdr_block_vector_source, &qsdr_block_zmq_sink, &qsdr_block_zmq_source, NULL,
};
