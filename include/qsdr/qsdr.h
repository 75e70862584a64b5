/* SPDX-License-Identifier: MIT */
/* Umbrella header for qsdr. */
#ifndef QSDR_QSDR_H
#define QSDR_QSDR_H
#include "qsdr/common.h"
#include "qsdr/block.h"
#include "qsdr/flowgraph.h"
#include "qsdr/rng.h"
#include "qsdr/phy.h"
#include "qsdr/fec.h"
#include "qsdr/sim.h"
#include "qsdr/io.h"
#include "qsdr/nn.h"
#include "qsdr/ae.h"
#endif
