/* SPDX-License-Identifier: MIT */
/* Eb/N0 accounting and uncoded BER theory. */
#include <math.h>

#include "qsdr/phy.h"

double qsdr_noise_var_from_esn0(double esn0_db, double sps, double sample_power)
{
    if (!isfinite(esn0_db) || !(sps >= 1) || !(sample_power > 0)) return -1;
    double es = sample_power * sps;
    return es / pow(10.0, esn0_db / 10.0);
}

double qsdr_noise_var_from_ebn0(double ebn0_db, double bps, double rate, double sps, double sample_power)
{
    if (!isfinite(ebn0_db) || !(bps >= 1) || !(rate > 0 && rate <= 1) || !(sps >= 1) || !(sample_power > 0)) return -1;
    double es = sample_power * sps;
    double eb = es / (bps * rate);
    return eb / pow(10.0, ebn0_db / 10.0);
}

static double qfunc(double x) { return 0.5 * erfc(x / sqrt(2.0)); }

double qsdr_ber_bpsk_theory(double ebn0_db) { return qfunc(sqrt(2.0 * pow(10.0, ebn0_db / 10.0))); }

/* Exact BER of Gray-coded square M-QAM (K. Cho, D. Yoon, IEEE Trans. Commun. 50(7), 2002). */
double qsdr_ber_qam_theory(unsigned m, double ebn0_db)
{
    if (m == 2) return qsdr_ber_bpsk_theory(ebn0_db);
    double sm = sqrt((double)m);
    double k = log2((double)m);
    double g = pow(10.0, ebn0_db / 10.0);
    double total = 0;
    int nbits = (int)log2(sm);
    for (int kk = 1; kk <= nbits; kk++) {
        double pk = 0;
        int imax = (int)((1.0 - pow(2.0, -kk)) * sm) - 1;
        for (int i = 0; i <= imax; i++) {
            double w = pow(-1.0, floor(i * pow(2.0, kk - 1) / sm)) *
                       (pow(2.0, kk - 1) - floor(i * pow(2.0, kk - 1) / sm + 0.5));
            pk += w * erfc((2 * i + 1) * sqrt(3.0 * k * g / (2.0 * (m - 1))));
        }
        total += pk / sm;
    }
    return total / (double)nbits;
}
