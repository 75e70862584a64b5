/* SPDX-License-Identifier: MIT */
/* Run-time CPU feature detection and kernel variant selection (QSDR_SIMD overrides). */
#include <stdlib.h>
#include <string.h>

#include "phy_internal.h"
#include "qsdr/common.h"

unsigned qsdr_cpu_features(void)
{
    unsigned f = 0;
#if defined(__x86_64__) || defined(__i386__)
    __builtin_cpu_init();
    if (__builtin_cpu_supports("avx2")) f |= QSDR_CPU_AVX2;
    if (__builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512dq") && __builtin_cpu_supports("avx512vl") &&
        __builtin_cpu_supports("avx512bw"))
        f |= QSDR_CPU_AVX512;
    if ((f & QSDR_CPU_AVX512) && __builtin_cpu_supports("avx512vnni")) f |= QSDR_CPU_AVX512VNNI;
    if ((f & QSDR_CPU_AVX512) && __builtin_cpu_supports("avx512vpopcntdq")) f |= QSDR_CPU_VPOPCNTDQ;
    if (__builtin_cpu_supports("popcnt")) f |= QSDR_CPU_POPCNT;
#endif
    return f;
}

bool qsdr_k_supported(const qsdr_k_variant *v) { return (v->needs & ~qsdr_cpu_features()) == 0; }

const qsdr_k_variant *qsdr_k_find(const qsdr_k_variant *table, const char *name)
{
    for (const qsdr_k_variant *v = table; v->name; v++)
        if (!strcmp(v->name, name)) return v;
    return NULL;
}

const qsdr_k_variant *qsdr_k_select(const qsdr_k_variant *table)
{
    const char *want = getenv("QSDR_SIMD");
    const qsdr_k_variant *best = NULL;
    for (const qsdr_k_variant *v = table; v->name; v++) {
        if (!qsdr_k_supported(v)) continue;
        if (!best) best = v;
        if (want && !strcmp(want, v->name)) return v;
    }
    if (want && *want && best && strcmp(want, best->name))
        qsdr_warn("QSDR_SIMD=%s is not available for this kernel on this CPU; using %s", want, best->name);
    return best;
}
