/* SPDX-License-Identifier: MIT */
/* Fixed-point (int16, saturating) max-log-MAP turbo decoder core, V_LANES frames in lock-step
 * (one frame per lane: inter-frame vectorisation). Included once per instruction set by
 * turbo_fast.c with these macros defined:
 *   VT                 vector of V_LANES int16 lanes
 *   V_SET1(x) V_LOAD(p) V_STORE(p, v)
 *   V_ADDS(a, b) V_SUBS(a, b)   saturating add / subtract
 *   V_MAX(a, b) V_MIN(a, b) V_SRAI(a, n)   (arithmetic shift right)
 *   V_LTZ_MASK(v, out) writes 1 per lane where v < 0 (out: uint8_t[V_LANES])
 *   FAST_FN(name)      mangles the function name with the ISA suffix
 *   V_MINV             the lane type's minimum (-32768 / -128)
 *   V_INIT_NEG         metric of the impossible start states (-16384 / -64)
 *   V_EXT_CLIP         extrinsic clip before scaling (4095 / 63)
 * Every lane runs the same integer operations in every variant: results are bit-exact.
 *
 * Data: all arrays are [t][lane] (one VT per trellis step), int16:
 *  sys1/par1/sys2/par2: K+3 steps (info + tail); la/le/app: K; ckpt: ceil(K/32) x 8 states;
 *  win: 32 x 8 states. */

#ifndef FAST_FN
#error "define FAST_FN before including turbo_fast_core.h"
#endif



/* Forward step t: a (8 state vectors, normalised to max 0) -> a at t + 1. */
static inline void FAST_FN(fwd_step)(VT *a, VT lx, VT lp)
{
    const VT zero = V_SET1(0);
    VT g[4] = {V_ADDS(lx, lp), lx, lp, zero}; /* index 2c + z */
    VT an[8], m = V_SET1(V_MINV);
#pragma GCC unroll 8
    for (int ns = 0; ns < 8; ns++) {
        VT x0 = V_ADDS(a[qsdr_tf_pred_s[ns][0]], g[qsdr_tf_pred_cz[ns][0]]);
        VT x1 = V_ADDS(a[qsdr_tf_pred_s[ns][1]], g[qsdr_tf_pred_cz[ns][1]]);
        an[ns] = V_MAX(x0, x1);
        m = V_MAX(m, an[ns]);
    }
#pragma GCC unroll 8
    for (int s = 0; s < 8; s++) a[s] = V_SUBS(an[s], m);
}

/* Backward step t: bn (metrics at t + 1) -> metrics at t, normalised to max 0. With al (the
 * forward metrics at t) it also gives the best path metrics for input 0 and 1 (m0, m1). */
static inline void FAST_FN(bwd_step)(VT *bn, VT lx, VT lp, const VT *al, VT *m0, VT *m1)
{
    VT g[4] = {V_ADDS(lx, lp), lx, lp, V_SET1(0)}; /* index 2c + z */
    VT b[8], m = V_SET1(V_MINV);
#pragma GCC unroll 8
    for (int s = 0; s < 8; s++) {
        VT v0 = V_ADDS(g[qsdr_tf_cz[s][0]], bn[qsdr_tf_next[s][0]]);
        VT v1 = V_ADDS(g[qsdr_tf_cz[s][1]], bn[qsdr_tf_next[s][1]]);
        b[s] = V_MAX(v0, v1);
        m = V_MAX(m, b[s]);
        if (al) {
            VT as = V_LOAD(&al[s]);
            *m0 = V_MAX(*m0, V_ADDS(as, v0));
            *m1 = V_MAX(*m1, V_ADDS(as, v1));
        }
    }
#pragma GCC unroll 8
    for (int s = 0; s < 8; s++) bn[s] = V_SUBS(b[s], m);
}

/* One max-log BCJR pass. Branch metric with the constant shift that makes it non-negative:
 * gamma(c, z) = [c == 0] (Ls + La) + [z == 0] Lp, so APP = m0 - m1 exactly.
 * Memory: the forward metrics are kept only every QSDR_TF_WIN steps (ckpt) and recomputed
 * window by window during the backward pass (into win), identically, so the working set stays
 * in L1 whatever K and the lane count. */
#define QSDR_TF_WIN 32
static void FAST_FN(bcjr)(size_t k, const VT *sys, const VT *par, const VT *la, VT *ckpt, VT *win, VT *app, VT *le)
{
    const VT neg = V_SET1(V_INIT_NEG), zero = V_SET1(0);
    VT a[8], bn[8];
    for (int s = 0; s < 8; s++) a[s] = s ? neg : zero;
    for (size_t t = 0; t < k; t++) {
        if (t % QSDR_TF_WIN == 0)
            for (int s = 0; s < 8; s++) V_STORE(&ckpt[(t / QSDR_TF_WIN) * 8 + (size_t)s], a[s]);
        FAST_FN(fwd_step)(a, V_ADDS(V_LOAD(&sys[t]), V_LOAD(&la[t])), V_LOAD(&par[t]));
    }
    /* backward over the 3 tail steps (no output) */
    for (int s = 0; s < 8; s++) bn[s] = s ? neg : zero;
    for (size_t t = k + 3; t-- > k;) FAST_FN(bwd_step)(bn, V_LOAD(&sys[t]), V_LOAD(&par[t]), NULL, NULL, NULL);
    /* windows from the last to the first: recompute alpha, then backward with the APP */
    size_t nwin = (k + QSDR_TF_WIN - 1) / QSDR_TF_WIN;
    for (size_t w = nwin; w-- > 0;) {
        size_t t0 = w * QSDR_TF_WIN, t1 = t0 + QSDR_TF_WIN < k ? t0 + QSDR_TF_WIN : k;
        for (int s = 0; s < 8; s++) a[s] = V_LOAD(&ckpt[w * 8 + (size_t)s]);
        for (size_t t = t0; t < t1; t++) {
            for (int s = 0; s < 8; s++) V_STORE(&win[(t - t0) * 8 + (size_t)s], a[s]);
            if (t + 1 < t1) FAST_FN(fwd_step)(a, V_ADDS(V_LOAD(&sys[t]), V_LOAD(&la[t])), V_LOAD(&par[t]));
        }
        for (size_t t = t1; t-- > t0;) {
            VT ls = V_LOAD(&sys[t]), m0 = V_SET1(V_MINV), m1 = V_SET1(V_MINV);
            FAST_FN(bwd_step)(bn, V_ADDS(ls, V_LOAD(&la[t])), V_LOAD(&par[t]), &win[(t - t0) * 8], &m0, &m1);
            VT ap = V_SUBS(m0, m1);
            V_STORE(&app[t], ap);
            V_STORE(&le[t], V_SUBS(V_SUBS(ap, ls), V_LOAD(&la[t])));
        }
    }
}

/* Extrinsic -> a-priori for the other decoder: clamp to +-V_EXT_CLIP, scale by 0.75 = x - x/4. */
static inline VT FAST_FN(scale_ext)(VT e)
{
    e = V_MIN(V_MAX(e, V_SET1(-V_EXT_CLIP)), V_SET1(V_EXT_CLIP));
    return V_SUBS(e, V_SRAI(e, 2));
}

/* Decode one batch: q->s1..q->p2 hold the quantized channel LLRs. Writes hard decisions
 * (lane-major: hard[i * V_LANES + lane]). */
static void FAST_FN(decode)(qsdr_turbo_fast_t *q, uint8_t *hard)
{
    const size_t k = q->k;
    VT *s1 = q->buf, *p1 = s1 + (k + 3), *s2 = p1 + (k + 3), *p2 = s2 + (k + 3);
    VT *la1 = p2 + (k + 3), *la2 = la1 + k, *le = la2 + k, *app = le + k, *ckpt = app + k;
    VT *win = ckpt + ((k + QSDR_TF_WIN - 1) / QSDR_TF_WIN) * 8;
    for (size_t i = 0; i < k; i++) V_STORE(&la1[i], V_SET1(0));
    for (unsigned it = 0; it < q->iterations; it++) {
        FAST_FN(bcjr)(k, s1, p1, la1, ckpt, win, app, le);
        for (size_t i = 0; i < k; i++) V_STORE(&la2[i], FAST_FN(scale_ext)(V_LOAD(&le[q->pi[i]])));
        FAST_FN(bcjr)(k, s2, p2, la2, ckpt, win, app, le);
        for (size_t i = 0; i < k; i++) V_STORE(&la1[q->pi[i]], FAST_FN(scale_ext)(V_LOAD(&le[i])));
        if (q->stop != QSDR_TURBO_STOP_NONE) { /* each lane keeps the decisions it stopped at */
            for (size_t i = 0; i < k; i++) V_LTZ_MASK(V_LOAD(&app[i]), &q->cur[(size_t)q->pi[i] * V_LANES]);
            if (qsdr_tf_stop_check(q, it + 1)) return;
        }
    }
    if (q->stop == QSDR_TURBO_STOP_NONE)
        for (size_t i = 0; i < k; i++) V_LTZ_MASK(V_LOAD(&app[i]), &hard[(size_t)q->pi[i] * V_LANES]);
}
