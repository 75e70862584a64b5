#!/usr/bin/python3
# SPDX-License-Identifier: MIT
# Is any one-bit inner code at L = 2 better than B1 for a turbo decoder fed once (bitwise MI)?
# scripts/bicm_onebit_mi.py answers for named codes and a random search over sign/parity codes;
# this searches ALL 2-bit -> 4-sample real constellations: 16 free amplitudes (4 codewords x 4
# samples, then a one-bit ADC on each sample), average codeword energy m/2 = 1 (Es = 1 per
# QPSK-rate symbol: every sample's energy counts), the labels the codeword indices. It maximises
# the exact bitwise MI (sum over all 16 one-bit output patterns) at B1's own bitwise threshold
# for R = 1/2 and R = 1/3, from many random starts (seeded). BMI of a fixed constellation grows
# with Eb/N0, so if no constellation exceeds m R there, none has a lower threshold than B1.
#   scripts/bicm_onebit_optimize.py [STARTS (default 300)]       (about 20 s)
# Needs python3-numpy and python3-scipy (GNU Radio pulls them in with its recommended packages).
import math
import sys

import numpy as np
from scipy.optimize import minimize
from scipy.special import erfc

sys.path.insert(0, __file__.rsplit("/", 1)[0])
from bicm_onebit_mi import CODES, mi, sigma_of, threshold  # noqa: E402

Z = np.array([[1 if (z >> k) & 1 == 0 else -1 for k in range(4)] for z in range(16)], float)  # output patterns


def bmi(X, sigma):
    """Bitwise MI per group (bits) of constellation X (4 x 4: codeword x sample)."""
    q = 0.5 * erfc(X / sigma / math.sqrt(2))  # P(sample output = -1 | x)
    # P[z, i] = prod_k (z_k = +1 ? 1 - q : q)
    P = np.prod(np.where(Z[:, None, :] > 0, 1 - q[None, :, :], q[None, :, :]), axis=2)
    pz = P.mean(axis=1)
    total = 0.0
    for j in range(2):
        for v in range(2):
            sel = [(i >> j & 1) == v for i in range(4)]
            pb = P[:, sel].sum(axis=1) / 4
            ok = pb > 0
            total += np.sum(pb[ok] * np.log2(pb[ok] / (pz[ok] * 0.5)))
    return total


def normalised(p):
    X = p.reshape(4, 4)
    return X / math.sqrt(np.mean(np.sum(X * X, axis=1)))  # average codeword energy 1


def main():
    starts = int(sys.argv[1]) if len(sys.argv) > 1 else 300
    rng = np.random.default_rng(1)
    B1 = np.hstack([np.array(CODES[0][1], float), np.zeros((4, 2))])  # one sample per symbol: the second sample carries nothing
    print("all 2-bit -> 4-sample one-bit constellations, average energy m/2, exact bitwise MI")
    print("| R | B1's bitwise threshold | BMI/m of B1 there | best BMI/m found | best constellation (rows: codewords) |")
    print("|---|---|---|---|---|")
    for R in (1 / 2, 1 / 3):
        t = threshold(CODES[0][1], R, 1)
        s = sigma_of(t, R, 2)
        b1 = bmi(B1, s)
        assert abs(b1 - mi(CODES[0][1], s)[1]) < 1e-9  # this script's MI equals bicm_onebit_mi.py's
        best, arg, at_b1 = -1.0, None, 0
        for _ in range(starts):
            p0 = rng.normal(size=16) * rng.choice([0.1, 1.0, 3.0], size=16)
            res = minimize(lambda p: -bmi(normalised(p), s), p0, method="L-BFGS-B")
            at_b1 += -res.fun > b1 - 1e-6
            if -res.fun > best:
                best, arg = -res.fun, normalised(res.x)
        print("| %.3f | %.3f dB | %.6f | %.6f (%d of %d starts end there) | %s |" %
              (R, t, b1 / 2, best / 2, at_b1, starts, np.round(arg, 3).tolist()))


if __name__ == "__main__":
    main()
