/* SPDX-License-Identifier: MIT */
/* Radio sample formats: interleaved integer I/Q (cs16, cs8, cu8) <-> cf32, with scaling,
 * rounding, saturation and I/Q swap. */
#include <math.h>
#include <stdint.h>
#include <string.h>

#include <volk/volk.h>

#include "qsdr/common.h"
#include "qsdr/phy.h"
#include "phy/phy_internal.h"

int qsdr_iq_format_parse(const char *name)
{
    if (!name) return -1;
    if (!strcmp(name, "cs16")) return QSDR_IQ_CS16;
    if (!strcmp(name, "cs8")) return QSDR_IQ_CS8;
    if (!strcmp(name, "cu8")) return QSDR_IQ_CU8;
    return -1;
}

size_t qsdr_iq_component_bytes(qsdr_iq_format f) { return f == QSDR_IQ_CS16 ? 2 : 1; }
double qsdr_iq_offset(qsdr_iq_format f) { return f == QSDR_IQ_CU8 ? 127.5 : 0; }
double qsdr_iq_full_scale(qsdr_iq_format f) { return f == QSDR_IQ_CS16 ? 32768 : f == QSDR_IQ_CS8 ? 128 : 127.5; }

void qsdr_iq_to_cf32(qsdr_iq_format f, const void *in, size_t n, double scale, bool swap, qsdr_cf32 *out)
{
    float *o = (float *)out;
    const size_t a = swap ? 1 : 0, b = swap ? 0 : 1; /* where I and Q of the input go */
    if (f == QSDR_IQ_CS16) {
        const unsigned char *p = in; /* little-endian int16, any alignment */
        for (size_t i = 0; i < n; i++) {
            int16_t vi, vq;
            memcpy(&vi, p + 4 * i, 2);
            memcpy(&vq, p + 4 * i + 2, 2);
            o[2 * i + a] = (float)(vi * scale);
            o[2 * i + b] = (float)(vq * scale);
        }
    } else if (f == QSDR_IQ_CS8) {
        const int8_t *p = in;
        for (size_t i = 0; i < n; i++) {
            o[2 * i + a] = (float)(p[2 * i] * scale);
            o[2 * i + b] = (float)(p[2 * i + 1] * scale);
        }
    } else {
        const uint8_t *p = in;
        for (size_t i = 0; i < n; i++) {
            o[2 * i + a] = (float)((p[2 * i] - 127.5) * scale);
            o[2 * i + b] = (float)((p[2 * i + 1] - 127.5) * scale);
        }
    }
}

/* round to nearest, ties to even (as GNU Radio's VOLK conversions), saturate to [lo, hi] */
static inline long quantize(double v, double lo, double hi, uint64_t *clipped)
{
    if (v > hi) {
        (*clipped)++;
        return (long)hi;
    }
    if (v < lo) {
        (*clipped)++;
        return (long)lo;
    }
    return lrint(v);
}

size_t qsdr_first_nonfinite_f32(const float *x, size_t n)
{
    /* the sum of squares (VOLK's dot product: the widest SIMD the CPU has) is finite unless a
       value is not, or the squares overflow (|x| > 1.8e19): only then look value by value */
    float ss = 0;
    if (n) volk_32f_x2_dot_prod_32f(&ss, x, x, (unsigned)n);
    for (size_t i = 0; !isfinite(ss) && i < n; i++)
        if (!isfinite(x[i])) return i;
    return n;
}

int qsdr_cf32_to_iq(qsdr_iq_format f, const qsdr_cf32 *in, size_t n, double scale, bool swap, void *out, uint64_t *clipped)
{
    uint64_t dummy = 0, *c = clipped ? clipped : &dummy;
    const double off = qsdr_iq_offset(f);
    const double lo = f == QSDR_IQ_CS16 ? -32768 : f == QSDR_IQ_CS8 ? -128 : 0;
    const double hi = f == QSDR_IQ_CS16 ? 32767 : f == QSDR_IQ_CS8 ? 127 : 255;
    unsigned char *p = out;
    for (size_t i = 0; i < n; i++) {
        float xi = swap ? in[i].im : in[i].re, xq = swap ? in[i].re : in[i].im;
        if (!isfinite(xi) || !isfinite(xq))
            return qsdr_error(QSDR_ERANGE, "sample %zu of this chunk is not finite (%g, %g)", i, (double)in[i].re, (double)in[i].im);
        long vi = quantize(xi * scale + off, lo, hi, c), vq = quantize(xq * scale + off, lo, hi, c);
        if (f == QSDR_IQ_CS16) {
            int16_t w[2] = {(int16_t)vi, (int16_t)vq};
            memcpy(p + 4 * i, w, 4);
        } else if (f == QSDR_IQ_CS8) {
            p[2 * i] = (unsigned char)(int8_t)vi;
            p[2 * i + 1] = (unsigned char)(int8_t)vq;
        } else {
            p[2 * i] = (unsigned char)vi;
            p[2 * i + 1] = (unsigned char)vq;
        }
    }
    return QSDR_OK;
}
