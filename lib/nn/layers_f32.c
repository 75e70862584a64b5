/* SPDX-License-Identifier: MIT */
/* Single-precision instantiation of the layer arithmetic (the one models run on). */
#include "nn/nn_internal.h"
#define T float
#define SFX f32
#define GEMM cblas_sgemm
#include "nn/layers_impl.h"
