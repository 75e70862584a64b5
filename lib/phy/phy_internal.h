/* SPDX-License-Identifier: MIT */
/* PHY internals: CPU feature detection and kernel variant selection (shared with tests). */
#ifndef QSDR_PHY_INTERNAL_H
#define QSDR_PHY_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>

enum {
    QSDR_CPU_AVX2 = 1u << 0,
    QSDR_CPU_AVX512 = 1u << 1,      /* F, DQ, VL, BW */
    QSDR_CPU_AVX512VNNI = 1u << 2,  /* vpdpbusd */
    QSDR_CPU_VPOPCNTDQ = 1u << 3,   /* AVX-512 vpopcntq */
    QSDR_CPU_POPCNT = 1u << 4
};

typedef struct {
    const char *name;
    void (*fn)(void);
    unsigned needs;  /* QSDR_CPU_* bits */
    const void *ops; /* or a table of entry points (kernel families with a pack step, lib/nn) */
} qsdr_k_variant;

/* CPU features of this machine (QSDR_CPU_* bits). */
unsigned qsdr_cpu_features(void);
/* Whether this machine can run variant v. */
bool qsdr_k_supported(const qsdr_k_variant *v);
/* First supported variant of a NULL-terminated table (best first), unless QSDR_SIMD names
 * another supported one ("generic", "avx2", ...). */
const qsdr_k_variant *qsdr_k_select(const qsdr_k_variant *table);
/* The variant of a table with this name ("generic": the plain C reference), or NULL. */
const qsdr_k_variant *qsdr_k_find(const qsdr_k_variant *table, const char *name);
/* The Gaussian kernel's table (for the QA test). */
const qsdr_k_variant *qsdr_k_normal_variants(void);

#endif
