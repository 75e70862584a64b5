#!/usr/bin/python3
# SPDX-License-Identifier: MIT
# One-bit inner codes at L = 2 (QPSK rate: 2 coded bits per symbol period, 4 one-bit real
# samples per 2 bits) against one-bit QPSK at 1 sample/symbol (B1). For each inner code it
# prints the Eb/N0 at which the outer code of rate R could work in principle:
#   - bitwise (BICM) mutual information, sum_j I(c_j; z) = m R: what a turbo decoder fed with
#     the inner decoder's bit LLRs once (no iterations between the two) can use;
#   - symbol mutual information I(c_1..c_m; z) = m R: what joint or iterative (BICM-ID)
#     decoding could use at best.
# Exact sums over all 2^n one-bit outputs (no sampling); Eb counts every transmitted sample.
# Then a random search over 2-bit -> 4-sample codes whose samples are +-sqrt(w_k) times a bit,
# the other bit or their product, with random energy splits w (seed 1): the best bitwise MI
# found against B1's. Used in docs/flagship.md ("Why the QPSK-rate autoencoder equals B1").
import itertools, math, random

Q = lambda x: 0.5 * math.erfc(x / math.sqrt(2))


def joint(X, sigma):
    """P(z | codeword) for every one-bit output pattern z (tuple of +-1) and codeword."""
    n = len(X[0])
    zs = list(itertools.product([1, -1], repeat=n))
    q = [[Q(x / sigma) for x in cw] for cw in X]  # P(z_k = -1 | x_k)
    P = [[math.prod((1 - q[i][k]) if z[k] > 0 else q[i][k] for k in range(n)) for i in range(len(X))] for z in zs]
    return P


def mi(X, sigma):
    """(symbol MI, bitwise MI) in bits per group; X lists 2^m codewords, index bits = message."""
    M = len(X)
    m = M.bit_length() - 1
    P = joint(X, sigma)
    sym = bw = 0.0
    for row in P:
        pz = sum(row) / M
        for p in row:
            if p > 0: sym += p / M * math.log2(p / pz)
        for j in range(m):
            for v in (0, 1):
                pb = sum(row[i] for i in range(M) if (i >> j & 1) == v) / M
                if pb > 0: bw += pb * math.log2(pb / (pz * 0.5))
    return sym, bw


def sigma_of(ebn0_db, R, m):
    """Noise std per real sample: the group carries energy m/2 (Es = 1 per QPSK-rate symbol)."""
    eb = (m / 2) / (R * m)
    return math.sqrt(eb / 10 ** (ebn0_db / 10) / 2)


def threshold(X, R, which):
    m = len(X).bit_length() - 1
    lo, hi = -4.0, 14.0
    for _ in range(40):
        mid = (lo + hi) / 2
        if mi(X, sigma_of(mid, R, m))[which] / m >= R: hi = mid
        else: lo = mid
    return hi


def linear(G):
    """+-1 codewords of the binary linear code with generator rows G, energy m/2 per codeword."""
    k, n = len(G), len(G[0])
    a = math.sqrt((k / 2) / n)
    out = []
    for i in range(1 << k):
        c = [sum((i >> r & 1) * G[r][col] for r in range(k)) % 2 for col in range(n)]
        out.append([a * (1 - 2 * b) for b in c])
    return out


H74 = [[1, 0, 0, 0, 1, 1, 0], [0, 1, 0, 0, 1, 0, 1], [0, 0, 1, 0, 0, 1, 1], [0, 0, 0, 1, 1, 1, 1]]
CODES = [
    ("B1: one bit per real sample (QPSK, 1 sample/symbol)", linear([[1, 0], [0, 1]])),
    ("repetition: each bit on 2 samples", linear([[1, 0, 1, 0], [0, 1, 0, 1]])),
    ("[3,2] single parity (b1, b2, b1^b2)", linear([[1, 0, 1], [0, 1, 1]])),
    ("[7,4] Hamming", linear(H74)),
    ("[8,4] extended Hamming (4 bits -> 2 symbol periods x L = 2)", linear([r + [sum(r) % 2] for r in H74])),
]

if __name__ == "__main__":
    print("Eb/N0 (dB) at which MI / m equals the outer code rate R (lower is better)\n")
    print("| inner code | R = 1/3 bitwise | R = 1/3 symbol | R = 1/2 bitwise | R = 1/2 symbol |")
    print("|---|---|---|---|---|")
    for name, X in CODES:
        t = [threshold(X, R, w) for R in (1 / 3, 1 / 2) for w in (1, 0)]
        print("| %s | %.2f | %.2f | %.2f | %.2f |" % (name, *t))
    print()
    random.seed(1)
    funcs = [lambda b: 1 - 2 * (b & 1), lambda b: 1 - 2 * (b >> 1 & 1), lambda b: (1 - 2 * (b & 1)) * (1 - 2 * (b >> 1 & 1))]
    for ebn0 in (1.77, 2.0):
        s = sigma_of(ebn0, 0.5, 2)
        best, arg = 0.0, None
        for fs in itertools.product(range(3), repeat=4):
            for _ in range(20):
                w = [random.random() ** 2 for _ in range(4)]
                tot = sum(w)
                X = [[math.sqrt(w[k] / tot) * funcs[fs[k]](b) for k in range(4)] for b in range(4)]
                v = mi(X, s)[1]
                if v > best: best, arg = v, (fs, [round(x / tot, 3) for x in w])
        print("R = 1/2, Eb/N0 %.2f dB: bitwise MI per group: B1 %.4f, best of the search %.4f %s" %
              (ebn0, mi(CODES[0][1], s)[1], best, arg))
