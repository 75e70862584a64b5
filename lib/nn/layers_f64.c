/* SPDX-License-Identifier: MIT */
/* Double-precision instantiation of the layer arithmetic, for finite-difference gradient checks. */
#include "nn/nn_internal.h"
#define T double
#define SFX f64
#define GEMM cblas_dgemm
#include "nn/layers_impl.h"
