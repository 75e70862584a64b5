/* SPDX-License-Identifier: MIT */
/* Layer and loss arithmetic, forward and backward, written once for T = float and T = double
 * (the double instantiation exists for finite-difference gradient checks). Included by
 * layers_f32.c / layers_f64.c with T, SFX (name suffix) and GEMM (cblas_sgemm / cblas_dgemm)
 * defined. Shapes follow llm.c: x: (B, F) row-major; images (B, C, H, W); backward functions
 * accumulate (+=) into parameter gradients and overwrite input gradients. */
#include <cblas.h>
#include <math.h>
#include <string.h>

#define NNF_(a, b) a##_##b
#define NNF(name, sfx) NNF_(name, sfx)
#define FN(name) NNF(qsdr_nn_##name, SFX)

/* ---- linear: y = x w^T + b;  x: (B, Fin), w: (Fout, Fin), b: (Fout) or NULL -------------- */
void FN(linear_forward)(T *y, const T *x, const T *w, const T *b, size_t B, size_t Fin, size_t Fout)
{
    GEMM(CblasRowMajor, CblasNoTrans, CblasTrans, (int)B, (int)Fout, (int)Fin, 1, x, (int)Fin, w, (int)Fin, 0, y,
         (int)Fout);
    if (b)
        for (size_t i = 0; i < B; i++)
            for (size_t o = 0; o < Fout; o++) y[i * Fout + o] += b[o];
}

/* dx (may be NULL) = dy w; dw += dy^T x; db += sum_i dy_i */
void FN(linear_backward)(T *dx, T *dw, T *db, const T *dy, const T *x, const T *w, size_t B, size_t Fin,
                         size_t Fout)
{
    if (dw)
        GEMM(CblasRowMajor, CblasTrans, CblasNoTrans, (int)Fout, (int)Fin, (int)B, 1, dy, (int)Fout, x, (int)Fin, 1,
             dw, (int)Fin);
    if (db)
        for (size_t i = 0; i < B; i++)
            for (size_t o = 0; o < Fout; o++) db[o] += dy[i * Fout + o];
    if (dx)
        GEMM(CblasRowMajor, CblasNoTrans, CblasNoTrans, (int)B, (int)Fin, (int)Fout, 1, dy, (int)Fout, w, (int)Fin, 0,
             dx, (int)Fin);
}

/* ---- conv2d via im2col ------------------------------------------------------------------- */
/* cols holds, per sample, a contiguous (K, P) block, K = C*kh*kw, P = Ho*Wo: cols (B, K, P).
 * Per-sample blocks keep each GEMM's operand contiguous (ldb = P): one (K, B*P) matrix with a
 * power-of-two row stride B*P made OpenBLAS ~15 % slower (cache-set conflicts while packing). */
/* The columns of sample b: its (K, P) block of cols. */
static void FN(im2col_sample)(T *cols, const T *x, const qsdr_nn_conv_geom *g, size_t b)
{
    size_t P = g->ho * g->wo, K = g->c * g->kh * g->kw;
    for (size_t c = 0; c < g->c; c++)
        for (size_t ky = 0; ky < g->kh; ky++)
            for (size_t kx = 0; kx < g->kw; kx++) {
                T *dst = cols + (b * K + (c * g->kh + ky) * g->kw + kx) * P;
                /* output columns whose input column lies inside: ox in [lo, hi) */
                size_t lo = 0, hi;
                while (lo < g->wo && lo * g->sx + kx < g->px) lo++;
                for (hi = lo; hi < g->wo && hi * g->sx + kx < g->px + g->w;) hi++;
                if (g->sx == 1 && g->sy == 1 && g->wo == g->w && lo < hi) {
                    /* unit stride, "same" width: output rows [oy0, oy1) are the input rows
                     * shifted by kx - px, so one copy spans them; then the lo / wo - hi
                     * padding columns of each row are zeroed (the copy put a neighbour
                     * row's values there) and rows outside the input are cleared */
                    size_t oy0 = ky < g->py ? g->py - ky : 0, oy1 = g->h + g->py > ky ? g->h + g->py - ky : 0;
                    if (oy1 > g->ho) oy1 = g->ho;
                    if (oy0 >= oy1) {
                        memset(dst, 0, P * sizeof(T));
                        continue;
                    }
                    const T *plane = x + (b * g->c + c) * g->h * g->w;
                    memset(dst, 0, oy0 * g->wo * sizeof(T));
                    memcpy(dst + oy0 * g->wo + lo, plane + (oy0 + ky - g->py) * g->w + lo + kx - g->px,
                           ((oy1 - 1 - oy0) * g->wo + hi - lo) * sizeof(T));
                    for (size_t oy = oy0; oy < oy1; oy++) {
                        for (size_t ox = 0; ox < lo; ox++) dst[oy * g->wo + ox] = 0;
                        for (size_t ox = hi; ox < g->wo; ox++) dst[oy * g->wo + ox] = 0;
                    }
                    memset(dst + oy1 * g->wo, 0, (g->ho - oy1) * g->wo * sizeof(T));
                    continue;
                }
                for (size_t oy = 0; oy < g->ho; oy++) {
                    T *restrict d = dst + oy * g->wo;
                    long iy = (long)(oy * g->sy + ky) - (long)g->py;
                    if (iy < 0 || iy >= (long)g->h) {
                        memset(d, 0, g->wo * sizeof(T));
                        continue;
                    }
                    const T *restrict src = x + ((b * g->c + c) * g->h + (size_t)iy) * g->w + kx - g->px;
                    for (size_t ox = 0; ox < lo; ox++) d[ox] = 0;
                    /* rows are short (Wo values): a loop the compiler vectorises, not a
                     * memcpy call per row, which cost as much as the copy itself */
                    if (g->sx == 1)
                        for (size_t ox = lo; ox < hi; ox++) d[ox] = src[ox];
                    else
                        for (size_t ox = lo; ox < hi; ox++) d[ox] = src[ox * g->sx];
                    for (size_t ox = hi; ox < g->wo; ox++) d[ox] = 0;
                }
            }
}


/* dx += the columns of cols (B, K, P) scattered back to their inputs (dx is not cleared) */
void FN(col2im)(T *dx, const T *cols, const qsdr_nn_conv_geom *g, size_t B)
{
    size_t P = g->ho * g->wo, K = g->c * g->kh * g->kw;
    for (size_t b = 0; b < B; b++)
        for (size_t c = 0; c < g->c; c++)
            for (size_t ky = 0; ky < g->kh; ky++)
                for (size_t kx = 0; kx < g->kw; kx++) {
                    const T *s = cols + (b * K + (c * g->kh + ky) * g->kw + kx) * P;
                    for (size_t oy = 0; oy < g->ho; oy++) {
                        long iy = (long)(oy * g->sy + ky) - (long)g->py;
                        if (iy < 0 || iy >= (long)g->h) continue;
                        T *row = dx + ((b * g->c + c) * g->h + (size_t)iy) * g->w;
                        const T *d = s + oy * g->wo;
                        for (size_t ox = 0; ox < g->wo; ox++) {
                            long ix = (long)(ox * g->sx + kx) - (long)g->px;
                            if (ix >= 0 && ix < (long)g->w) row[ix] += d[ox];
                        }
                    }
                }
}

/* y: (B, Cout, Ho, Wo); cols: (B, K, P), filled from x and kept for the backward pass. */
void FN(conv2d_forward)(T *y, T *cols, const T *x, const T *w, const T *bias, const qsdr_nn_conv_geom *g, size_t B)
{
    size_t K = g->c * g->kh * g->kw, P = g->ho * g->wo, Co = g->cout;
    /* per sample: its columns, then one GEMM straight into y (B, Co, P) while they are still in
     * cache (L2: K*P values); y starts as the bias */
    for (size_t b = 0; b < B; b++) {
        FN(im2col_sample)(cols, x, g, b);
        for (size_t o = 0; o < Co; o++) {
            T bo = bias ? bias[o] : 0, *yo = y + (b * Co + o) * P;
            for (size_t p = 0; p < P; p++) yo[p] = bo;
        }
        GEMM(CblasRowMajor, CblasNoTrans, CblasNoTrans, (int)Co, (int)P, (int)K, 1, w, (int)K, cols + b * K * P, (int)P, 1,
             y + b * Co * P, (int)P);
    }
}

/* cols must still hold im2col(x) from the forward pass; dcols: (K, P) scratch (one sample).
 * dw, db accumulate; dx is overwritten. */
void FN(conv2d_backward)(T *dx, T *dw, T *db, T *dcols, const T *dy, const T *cols, const T *w, const qsdr_nn_conv_geom *g,
                         size_t B)
{
    size_t K = g->c * g->kh * g->kw, P = g->ho * g->wo, Co = g->cout;
    if (db)
        for (size_t o = 0; o < Co; o++) {
            T s = 0;
            for (size_t b = 0; b < B; b++)
                for (size_t p = 0; p < P; p++) s += dy[(b * Co + o) * P + p];
            db[o] += s;
        }
    if (dx) memset(dx, 0, B * g->c * g->h * g->w * sizeof(T));
    for (size_t b = 0; b < B; b++) {
        const T *dyb = dy + b * Co * P; /* (Co, P) */
        if (dw)
            GEMM(CblasRowMajor, CblasNoTrans, CblasTrans, (int)Co, (int)K, (int)P, 1, dyb, (int)P, cols + b * K * P, (int)P, 1, dw,
                 (int)K);
        if (dx) {
            GEMM(CblasRowMajor, CblasTrans, CblasNoTrans, (int)K, (int)P, (int)Co, 1, w, (int)K, dyb, (int)P, 0, dcols, (int)P);
            FN(col2im)(dx + b * g->c * g->h * g->w, dcols, g, 1);
        }
    }
}

/* ---- batch norm over (B, C, S): per channel c, statistics over B*S values ----------------- */
/* train: uses batch statistics, stores xhat (B*C*S) and invstd (C), updates running mean/var
 * with momentum (unbiased variance, as PyTorch); eval: running statistics. */
void FN(bn_forward)(T *y, T *xhat, T *invstd, const T *x, const T *gamma, const T *beta, T *rmean, T *rvar,
                    size_t B, size_t C, size_t S, T eps, T momentum, bool train)
{
    size_t n = B * S;
    for (size_t c = 0; c < C; c++) {
        T mean, var;
        if (train) {
            double s = 0, s2 = 0;
            for (size_t b = 0; b < B; b++)
                for (size_t i = 0; i < S; i++) s += x[(b * C + c) * S + i];
            mean = (T)(s / (double)n);
            for (size_t b = 0; b < B; b++)
                for (size_t i = 0; i < S; i++) {
                    double d = x[(b * C + c) * S + i] - mean;
                    s2 += d * d;
                }
            var = (T)(s2 / (double)n);
            if (rmean) {
                rmean[c] = (1 - momentum) * rmean[c] + momentum * mean;
                rvar[c] = (1 - momentum) * rvar[c] + momentum * (n > 1 ? (T)(s2 / (double)(n - 1)) : var);
            }
        } else {
            mean = rmean[c];
            var = rvar[c];
        }
        T is = (T)1 / (T)sqrt((double)(var + eps));
        invstd[c] = is;
        for (size_t b = 0; b < B; b++)
            for (size_t i = 0; i < S; i++) {
                size_t j = (b * C + c) * S + i;
                T h = (x[j] - mean) * is;
                xhat[j] = h;
                y[j] = gamma[c] * h + beta[c];
            }
    }
}

void FN(bn_backward)(T *dx, T *dgamma, T *dbeta, const T *dy, const T *xhat, const T *invstd, const T *gamma,
                     size_t B, size_t C, size_t S, bool train)
{
    size_t n = B * S;
    for (size_t c = 0; c < C; c++) {
        double sd = 0, sdh = 0;
        for (size_t b = 0; b < B; b++)
            for (size_t i = 0; i < S; i++) {
                size_t j = (b * C + c) * S + i;
                sd += dy[j];
                sdh += dy[j] * xhat[j];
            }
        if (dgamma) dgamma[c] += (T)sdh;
        if (dbeta) dbeta[c] += (T)sd;
        if (!dx) continue;
        T g = gamma[c] * invstd[c];
        for (size_t b = 0; b < B; b++)
            for (size_t i = 0; i < S; i++) {
                size_t j = (b * C + c) * S + i;
                dx[j] = train ? g * (dy[j] - (T)(sd / (double)n) - xhat[j] * (T)(sdh / (double)n)) : g * dy[j];
            }
    }
}

/* ---- element-wise activations: y = f(x); dx = f'(x) dy (from x or y) ------------------------ */
void FN(act_forward)(T *y, const T *x, size_t n, int kind, T a, T b)
{
    switch (kind) {
    case QSDR_NN_ACT_RELU: for (size_t i = 0; i < n; i++) y[i] = x[i] > 0 ? x[i] : 0; break;
    case QSDR_NN_ACT_LEAKY: for (size_t i = 0; i < n; i++) y[i] = x[i] > 0 ? x[i] : a * x[i]; break;
    case QSDR_NN_ACT_TANH: for (size_t i = 0; i < n; i++) y[i] = (T)tanh((double)x[i]); break;
    case QSDR_NN_ACT_SIGMOID:
        for (size_t i = 0; i < n; i++) y[i] = (T)(1.0 / (1.0 + exp(-(double)x[i])));
        break;
    case QSDR_NN_ACT_HARDTANH: for (size_t i = 0; i < n; i++) y[i] = x[i] < a ? a : x[i] > b ? b : x[i]; break;
    case QSDR_NN_ACT_ELU:
        for (size_t i = 0; i < n; i++) y[i] = x[i] > 0 ? x[i] : a * (T)expm1((double)x[i]);
        break;
    }
}

void FN(act_backward)(T *dx, const T *dy, const T *x, const T *y, size_t n, int kind, T a, T b)
{
    switch (kind) {
    case QSDR_NN_ACT_RELU: for (size_t i = 0; i < n; i++) dx[i] = x[i] > 0 ? dy[i] : 0; break;
    case QSDR_NN_ACT_LEAKY: for (size_t i = 0; i < n; i++) dx[i] = x[i] > 0 ? dy[i] : a * dy[i]; break;
    case QSDR_NN_ACT_TANH: for (size_t i = 0; i < n; i++) dx[i] = dy[i] * (1 - y[i] * y[i]); break;
    case QSDR_NN_ACT_SIGMOID: for (size_t i = 0; i < n; i++) dx[i] = dy[i] * y[i] * (1 - y[i]); break;
    case QSDR_NN_ACT_HARDTANH:
        for (size_t i = 0; i < n; i++) dx[i] = (x[i] >= a && x[i] <= b) ? dy[i] : 0;
        break;
    case QSDR_NN_ACT_ELU: for (size_t i = 0; i < n; i++) dx[i] = x[i] > 0 ? dy[i] : dy[i] * (y[i] + a); break;
    }
}

/* ---- pooling over (B, C, H, W) with a kh x kw window and strides, no padding --------------- */
/* max: idx (B*C*Ho*Wo) records the winning input index for the backward pass */
void FN(pool_forward)(T *y, size_t *idx, const T *x, const qsdr_nn_conv_geom *g, size_t B, bool max)
{
    for (size_t bc = 0; bc < B * g->c; bc++)
        for (size_t oy = 0; oy < g->ho; oy++)
            for (size_t ox = 0; ox < g->wo; ox++) {
                size_t o = (bc * g->ho + oy) * g->wo + ox, best = 0;
                T acc = max ? -INFINITY : 0;
                for (size_t ky = 0; ky < g->kh; ky++)
                    for (size_t kx = 0; kx < g->kw; kx++) {
                        size_t j = (bc * g->h + oy * g->sy + ky) * g->w + ox * g->sx + kx;
                        if (max) {
                            if (x[j] > acc || (ky == 0 && kx == 0)) acc = x[j], best = j;
                        } else
                            acc += x[j];
                    }
                y[o] = max ? acc : acc / (T)(g->kh * g->kw);
                if (max) idx[o] = best;
            }
}

void FN(pool_backward)(T *dx, const T *dy, const size_t *idx, const qsdr_nn_conv_geom *g, size_t B, bool max)
{
    memset(dx, 0, B * g->c * g->h * g->w * sizeof(T));
    for (size_t bc = 0; bc < B * g->c; bc++)
        for (size_t oy = 0; oy < g->ho; oy++)
            for (size_t ox = 0; ox < g->wo; ox++) {
                size_t o = (bc * g->ho + oy) * g->wo + ox;
                if (max) {
                    dx[idx[o]] += dy[o];
                    continue;
                }
                T d = dy[o] / (T)(g->kh * g->kw);
                for (size_t ky = 0; ky < g->kh; ky++)
                    for (size_t kx = 0; kx < g->kw; kx++) dx[(bc * g->h + oy * g->sy + ky) * g->w + ox * g->sx + kx] += d;
            }
}

/* ---- per-sample power normalisation: y = x sqrt(E / sum x^2) over F features ------------- */
void FN(powernorm_forward)(T *y, T *gain, const T *x, size_t B, size_t F, T energy)
{
    for (size_t b = 0; b < B; b++) {
        double s = 0;
        for (size_t i = 0; i < F; i++) s += (double)x[b * F + i] * x[b * F + i];
        T g = (T)sqrt((double)energy / (s > 1e-30 ? s : 1e-30));
        gain[b] = g;
        for (size_t i = 0; i < F; i++) y[b * F + i] = x[b * F + i] * g;
    }
}

/* dx_j = g dy_j - (g / S) x_j sum_i dy_i x_i,  S = sum x^2 = E / g^2 */
void FN(powernorm_backward)(T *dx, const T *dy, const T *x, const T *gain, size_t B, size_t F, T energy)
{
    for (size_t b = 0; b < B; b++) {
        double dot = 0;
        for (size_t i = 0; i < F; i++) dot += (double)dy[b * F + i] * x[b * F + i];
        T g = gain[b], S = energy / (g * g);
        for (size_t i = 0; i < F; i++) dx[b * F + i] = g * dy[b * F + i] - (T)(g / S * dot) * x[b * F + i];
    }
}

/* ---- softmax over F per sample --------------------------------------------------------------- */
void FN(softmax_forward)(T *y, const T *x, size_t B, size_t F)
{
    for (size_t b = 0; b < B; b++) {
        const T *xi = x + b * F;
        T mx = xi[0];
        for (size_t i = 1; i < F; i++) mx = xi[i] > mx ? xi[i] : mx;
        double s = 0;
        for (size_t i = 0; i < F; i++) s += exp((double)(xi[i] - mx));
        for (size_t i = 0; i < F; i++) y[b * F + i] = (T)(exp((double)(xi[i] - mx)) / s);
    }
}

void FN(softmax_backward)(T *dx, const T *dy, const T *y, size_t B, size_t F)
{
    for (size_t b = 0; b < B; b++) {
        double d = 0;
        for (size_t i = 0; i < F; i++) d += (double)dy[b * F + i] * y[b * F + i];
        for (size_t i = 0; i < F; i++) dx[b * F + i] = y[b * F + i] * (dy[b * F + i] - (T)d);
    }
}

/* ---- losses: mean over the batch (CE) or over all elements (BCE, MSE); dout = dL/dout ------- */
/* cross-entropy from logits; target[b] is the class index as a number */
T FN(loss_ce)(T *dout, const T *logits, const T *target, size_t B, size_t F)
{
    double L = 0;
    for (size_t b = 0; b < B; b++) {
        const T *z = logits + b * F;
        size_t t = (size_t)target[b];
        T mx = z[0];
        for (size_t i = 1; i < F; i++) mx = z[i] > mx ? z[i] : mx;
        double s = 0;
        for (size_t i = 0; i < F; i++) s += exp((double)(z[i] - mx));
        double lse = log(s) + mx;
        L += lse - z[t];
        if (dout)
            for (size_t i = 0; i < F; i++)
                dout[b * F + i] = (T)((exp((double)z[i] - lse) - (i == t ? 1.0 : 0.0)) / (double)B);
    }
    return (T)(L / (double)B);
}

/* binary cross-entropy with logits z, target in [0, 1]: max(z,0) - z t + log(1 + exp(-|z|)) */
T FN(loss_bce)(T *dout, const T *z, const T *t, size_t B, size_t F)
{
    double L = 0;
    size_t n = B * F;
    for (size_t i = 0; i < n; i++) {
        double zi = z[i];
        L += (zi > 0 ? zi : 0) - zi * t[i] + log1p(exp(-fabs(zi)));
        if (dout) dout[i] = (T)((1.0 / (1.0 + exp(-zi)) - t[i]) / (double)n);
    }
    return (T)(L / (double)n);
}

T FN(loss_mse)(T *dout, const T *y, const T *t, size_t B, size_t F)
{
    double L = 0;
    size_t n = B * F;
    for (size_t i = 0; i < n; i++) {
        double d = (double)y[i] - t[i];
        L += d * d;
        if (dout) dout[i] = (T)(2 * d / (double)n);
    }
    return (T)(L / (double)n);
}

#undef FN
