#!/usr/bin/python3
# SPDX-License-Identifier: MIT
# Is any one-bit inner code at L = 2 better than B1 for a turbo decoder fed once (bitwise MI)?
# scripts/bicm_onebit_mi.py answers for named codes and a random search over sign/parity codes;
# this searches ALL m-bit -> 2m-sample real constellations (QPSK rate, L = 2): 2^m codewords x 2m
# free amplitudes, then a one-bit ADC on each sample, average codeword energy m/2 (Es = 1 per
# QPSK-rate symbol: every sample's energy counts), the labels the codeword indices. It maximises
# the exact bitwise MI (sum over all 2^(2m) one-bit output patterns; analytic gradient, L-BFGS)
# from many random starts (seeded), at B1's own bitwise threshold for R = 1/2 and R = 1/3 and
# at any further Eb/N0 given. BMI of a fixed constellation grows with Eb/N0, so if no
# constellation exceeds m R at B1's threshold, none has a lower threshold than B1. Above the
# threshold (where a finite-length turbo code works) the column "B1 needs" is the Eb/N0 increase
# at which B1's own BMI reaches the best one found: the most an inner code could gain there.
#   scripts/bicm_onebit_optimize.py [--bits M (2)] [--ebn0 DB,DB,...] [STARTS (300)]
#   scripts/bicm_onebit_optimize.py --bits M --tx TX.safetensors [--ebn0 ...]
#     (--tx: no search; the exact bitwise MI of a trained QPSK-rate transmitter's 2^m codewords,
#     read through `build/qsdr block ae_modulator`, against B1's)
#     --bits 2: about 5 s; --bits 4 --ebn0 2,2.5,3,3.5,4 --starts 30: about 1 minute;
#     --bits 6 is 768 free amplitudes: local optima, a search rather than a proof.
# Needs python3-numpy and python3-scipy (GNU Radio pulls them in with its recommended packages).
import argparse
import math
import os
import subprocess
import sys

import numpy as np
from scipy.optimize import minimize
from scipy.special import erfc

sys.path.insert(0, __file__.rsplit("/", 1)[0])
from bicm_onebit_mi import CODES, mi, sigma_of, threshold  # noqa: E402


class Geometry:
    def __init__(self, m):
        self.m, self.n, self.M = m, 2 * m, 1 << m
        self.Z = np.array([[1 if (z >> k) & 1 == 0 else -1 for k in range(self.n)]
                           for z in range(1 << self.n)], float)  # output patterns
        self.bits = np.array([[(i >> j) & 1 for j in range(m)] for i in range(self.M)])
        self.B1 = np.zeros((self.M, self.n))  # bit j alone on sample j, all its energy; the rest silent
        for i in range(self.M):
            for j in range(m):
                self.B1[i, j] = math.sqrt(0.5) * (1 if (i >> j) & 1 == 0 else -1)

    def bmi(self, X, sigma):
        """Bitwise MI per group (bits) of constellation X (codeword x sample) and its gradient."""
        q = 0.5 * erfc(X / sigma / math.sqrt(2))  # P(sample output = -1 | x)
        dq = -np.exp(-0.5 * (X / sigma) ** 2) / (sigma * math.sqrt(2 * math.pi))
        pos = self.Z[:, None, :] > 0
        F = np.maximum(np.where(pos, 1 - q[None], q[None]), 1e-300)  # P(z_k | x_ik)
        P = np.prod(F, axis=2)  # P(z | codeword i)
        pz = P.mean(axis=1)
        total, G = 0.0, np.zeros_like(P)  # G = d BMI / d P
        for j in range(self.m):
            for v in range(2):
                sel = self.bits[:, j] == v
                pb = P[:, sel].sum(axis=1) / self.M
                L = np.zeros_like(pb)
                ok = pb > 0
                L[ok] = np.log2(pb[ok] / (pz[ok] * 0.5))
                total += np.sum(pb * L)
                G[:, sel] += L[:, None] / self.M  # the other terms of the derivative sum to 0 over v
        dF = np.where(pos, -dq[None], dq[None])
        return total, np.einsum("zi,zi,zik->ik", G, P, dF / F)

    def normalised(self, p):
        X = p.reshape(self.M, self.n)
        return X / math.sqrt(np.mean(np.sum(X * X, axis=1)) / (self.m / 2))

    def objective(self, sigma):
        def f(p):
            X0 = p.reshape(self.M, self.n)
            c = math.sqrt(np.mean(np.sum(X0 * X0, axis=1)) / (self.m / 2))
            X = X0 / c
            v, g = self.bmi(X, sigma)
            gp = (g - X * np.sum(g * X) / np.sum(X * X)) / c  # through the energy normalisation
            return -v, -gp.ravel()
        return f


def b1_needs(geo, R, target, at):
    """Eb/N0 change (dB) from `at` at which B1's bitwise MI equals `target` (bits per group):
    positive where target is above B1's value at `at`, negative below."""
    lo, hi = at - 6.0, at + 6.0
    for _ in range(60):
        mid = (lo + hi) / 2
        if geo.bmi(geo.B1, sigma_of(mid, R, 2))[0] >= target: hi = mid
        else: lo = mid
    return 0.0 if abs(hi - at) < 5e-4 else hi - at  # no "-0.000"


def points(extra):
    """(R, Eb/N0, sigma, is B1's threshold) for R = 1/2 and 1/3: B1's threshold, then `extra`."""
    for R in (1 / 2, 1 / 3):
        t = threshold(CODES[0][1], R, 1)
        for eb in [t] + extra:
            yield R, eb, sigma_of(eb, R, 2), eb == t


def evaluate(geo, tx, extra):
    qsdr = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "build", "qsdr")
    bits = bytes((i >> j) & 1 for i in range(geo.M) for j in range(geo.m))  # codeword i: bit j = bit j of i
    run = subprocess.run([qsdr, "block", "ae_modulator", "model=" + tx], input=bits, capture_output=True)
    if run.returncode != 0:
        sys.exit("qsdr block ae_modulator: " + run.stderr.decode().strip())
    X = np.frombuffer(run.stdout, dtype="<f4").astype(float)
    if X.size != geo.M * geo.n:
        sys.exit("%s: %d real samples for %d groups, expected %d (an m = %d, ns L = %d model)"
                 % (tx, X.size, geo.M, geo.M * geo.n, geo.m, geo.m))
    X = X.reshape(geo.M, geo.n)
    print("%s: codewords (rows; I and Q interleaved), average energy %.4f" % (tx, np.mean(np.sum(X * X, axis=1))))
    for row in np.round(X, 3).tolist():
        print("  ", row)
    print("| R | Eb/N0 | BMI/m of B1 | BMI/m of the transmitter | Eb/N0 change B1 needs to match it |")
    print("|---|---|---|---|---|")
    for R, eb, sigma, _ in points(extra):
        b1, v = geo.bmi(geo.B1, sigma)[0], geo.bmi(X, sigma)[0]
        print("| %.3f | %.3f dB | %.6f | %.6f | %+.3f dB |" % (R, eb, b1 / geo.m, v / geo.m, b1_needs(geo, R, v, eb)))


def main():
    ap = argparse.ArgumentParser(description="maximise the bitwise MI of one-bit inner codes at L = 2")
    ap.add_argument("starts", nargs="?", type=int, default=300)
    ap.add_argument("--bits", type=int, default=2, choices=(2, 4, 6))
    ap.add_argument("--ebn0", default="", help="further Eb/N0 points (dB), comma-separated")
    ap.add_argument("--tx", help="a trained transmitter (m bits -> 2m real samples): evaluate it, no search")
    a = ap.parse_args()
    geo = Geometry(a.bits)
    rng = np.random.default_rng(1)
    extra = [float(x) for x in a.ebn0.split(",") if x]
    # self-checks: the m = 2 B1 value equals bicm_onebit_mi.py's; the gradient matches a difference
    s = sigma_of(1.0, 0.5, 2)
    if a.bits == 2:
        assert abs(geo.bmi(geo.B1, s)[0] - mi(CODES[0][1], s)[1]) < 1e-9
    f = geo.objective(s)
    p = rng.normal(size=geo.M * geo.n)
    v, g = f(p)
    for k in range(3):
        pp = p.copy()
        pp[k] += 1e-6
        assert abs((f(pp)[0] - v) / 1e-6 - g[k]) < 1e-4 * max(1.0, abs(g[k])), "gradient check"
    if a.tx:
        return evaluate(geo, a.tx, extra)
    print("all %d-bit -> %d-sample one-bit constellations, average energy m/2, exact bitwise MI, %d starts"
          % (geo.m, geo.n, a.starts))
    print("| R | Eb/N0 | BMI/m of B1 | best BMI/m found | starts ending at B1's value or above | B1 needs |")
    print("|---|---|---|---|---|---|")
    for R, eb, sigma, at_threshold in points(extra):
        f = geo.objective(sigma)
        b1 = geo.bmi(geo.B1, sigma)[0]
        best, arg, at_b1 = -1.0, None, 0
        for _ in range(a.starts):
            p0 = rng.normal(size=geo.M * geo.n) * rng.choice([0.1, 1.0, 3.0], size=geo.M * geo.n)
            res = minimize(f, p0, jac=True, method="L-BFGS-B", options={"maxiter": 5000})
            at_b1 += -res.fun > b1 - 1e-6 * geo.m
            if -res.fun > best:
                best, arg = -res.fun, geo.normalised(res.x)
        label = "%.3f dB%s" % (eb, " (B1's threshold)" if at_threshold else "")
        print("| %.3f | %s | %.6f | %.6f | %d of %d | %+.3f dB |" %
              (R, label, b1 / geo.m, best / geo.m, at_b1, a.starts, b1_needs(geo, R, best, eb)), flush=True)
        if geo.m == 2 or best > b1 + 1e-6:
            print("best constellation (rows: codewords):", np.round(arg, 3).tolist())


if __name__ == "__main__":
    main()
