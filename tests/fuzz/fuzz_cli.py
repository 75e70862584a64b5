#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Seeded random command lines for every qsdr subcommand: options from each command's own set
mixed with hostile values (empty, NaN, huge, negative, malformed ranges, quotes, missing files).

Every run must end with exit status 0, 1 or 2, without a signal, a sanitizer report or a hang.
Real work is kept short by appended limits (--items, --max-frames, --epochs 1, --steps 3).
Same seed, same command lines.

  fuzz_cli.py QSDR SOURCE_DIR [--runs N | --seconds S] [--seed K] [--timeout T]
"""
import argparse
import os
import random
import subprocess
import sys
import tempfile
import time


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("qsdr")
    ap.add_argument("src")
    ap.add_argument("--runs", type=int, default=0)
    ap.add_argument("--seconds", type=float, default=0)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--timeout", type=float, default=60)
    a = ap.parse_args()
    if not a.runs and not a.seconds:
        a.runs = 200
    src = os.path.abspath(a.src)
    qsdr = os.path.abspath(a.qsdr)
    work = tempfile.mkdtemp(prefix="qsdr-fuzz-cli-")
    vals = ["", "0", "1", "-1", "2", "8", "9", "nan", "inf", "-inf", "1e308", "1e-9", "0x10",
            "99999999999999999999999", "abc", " 1", "1 ", "1/2", "3/2", "1/0", "0:1:2", "0:0.5:1",
            "2:-1:0", "0:1e-300:1", "1,2", ",", ":", "=", "a=b", "awgn.ebn0_db=1", "awgn.ebn0_db=0:1:1",
            "x.y=", "%s%n", '"', "\\", "{", '{"get":1}', '{"set":"adc.bits","value":"2"}', "float", "4/8",
            "8/", "two-step", "ste", "both", "serial", "threaded", "tcp://127.0.0.1:9",
            "ipc://" + work + "/ctl", "/dev/null", "/nonexistent", work + "/out.png", work + "/out.csv",
            src + "/flowgraphs/qpsk_onebit.yml", src + "/flowgraphs/ae_onebit.yml",
            src + "/examples/spirals.yml", src + "/models/ae_qpsk_L2/rx.safetensors",
            src + "/tests/models/bad/header_len_huge.safetensors", "adc", "awgn", "bits=2", "bits=",
            "-", "--", "-h", "theory:qpsk", "theory:nope"]
    opts = {
        "run": ["--set", "-s", "--items", "--seed", "--seconds", "--scheduler", "--quiet", "--control",
                "--control-allow-remote", "--control-curve-secret"],
        "ber": ["--sweep", "--set", "--seed", "--threads", "--min-frame-errors", "--max-frames",
                "--max-seconds", "--ber-floor", "--csv", "--json", "--plot", "--ref", "--resume", "--quiet"],
        "train": ["--out", "--epochs", "--seed", "--bits", "--checkpoint-every", "--quiet"],
        "train ae": ["--bits-per-symbol", "--oversampling", "--symbols", "--ebn0", "--code-rate", "--method",
                     "--steps", "--qat-steps", "--batch", "--seed", "--lr", "--out", "--quiet"],
        "model info": [], "model eval": ["--bits", "--calibrate"], "model quantize": ["--bits", "--calibrate"],
        "ctl": ["--timeout", "--curve-server-key", "get", "set", "list", "stats", "json", "keygen"],
        "blocks": ["--markdown"], "block": [], "version": [], "flowgraphs": [],
    }
    # appended last, so they win over a random earlier value of the same option
    limits = {
        "run": ["--items", "2000"], "ber": ["--max-frames", "2", "--threads", "1"],
        "train": ["--epochs", "1", "--out", work + "/tr"],
        "train ae": ["--steps", "3", "--qat-steps", "0", "--batch", "8", "--out", work + "/ae"],
        "ctl": ["--timeout", "50"],
    }
    rng = random.Random(a.seed)
    env = dict(os.environ, QSDR_PLUGIN_PATH="")
    env.setdefault("ASAN_OPTIONS", "detect_leaks=1")
    end = time.time() + a.seconds if a.seconds else None
    n = bad = 0
    while (n < a.runs) if a.runs else (time.time() < end):
        sub = rng.choice(sorted(opts))
        args = sub.split()
        for _ in range(rng.randint(0, 6)):
            if opts[sub] and rng.random() < 0.5:
                args.append(rng.choice(opts[sub]))
            else:
                args.append(rng.choice(vals))
        args += limits.get(sub, [])
        n += 1
        try:
            p = subprocess.run([qsdr] + args, capture_output=True, timeout=a.timeout, cwd=work,
                               stdin=subprocess.DEVNULL, env=env)
        except subprocess.TimeoutExpired:
            bad += 1
            print("HANG (> %g s): qsdr %r" % (a.timeout, args), flush=True)
            continue
        err = p.stderr.decode(errors="replace")
        if p.returncode not in (0, 1, 2) or "Sanitizer" in err or "runtime error" in err:
            bad += 1
            print("FAIL (exit %d): qsdr %r\n%s" % (p.returncode, args, err[-1500:]), flush=True)
    subprocess.run(["rm", "-rf", work])
    print("fuzz_cli: %d command lines, seed %d, %d failures" % (n, a.seed, bad))
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
