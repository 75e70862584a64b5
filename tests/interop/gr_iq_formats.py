#!/usr/bin/python3
# SPDX-License-Identifier: MIT
# qsdr's radio-format blocks against GNU Radio's own converters, bit for bit:
#   cf32_to_iq format=cs16 / cs8   ==  blocks.complex_to_interleaved_short / _char (scale 32768 / 128)
#   iq_to_cf32 format=cs16 / cs8   ==  blocks.interleaved_short_to_complex / interleaved_char_to_complex
# on a seeded random signal with ties (k + 0.5 after scaling), values beyond full scale and zeros.
# usage: gr_iq_formats.py QSDR TMPDIR      (exit 0 = equal; prints what differs otherwise)
import subprocess
import sys

import numpy as np
from gnuradio import blocks, gr

qsdr, tmp = sys.argv[1], sys.argv[2]


def run_gr(src, conv, sink):
    tb = gr.top_block()
    tb.connect(src, conv, sink)
    tb.run()
    return sink.data()


def run_qsdr(args, data, out_dtype):
    p = subprocess.run([qsdr, "block"] + args, input=data.tobytes(), capture_output=True)
    if p.returncode:
        sys.exit("qsdr block %s failed: %s" % (" ".join(args), p.stderr.decode()))
    return np.frombuffer(p.stdout, out_dtype)


rng = np.random.default_rng(7)
status = 0
for fmt, fs, dtype, to_int, to_cf in [
    ("cs16", 32768.0, np.int16, blocks.complex_to_interleaved_short, blocks.interleaved_short_to_complex),
    ("cs8", 128.0, np.int8, blocks.complex_to_interleaved_char, blocks.interleaved_char_to_complex),
]:
    n = 20000
    comp = rng.normal(0, 0.4, 2 * n)
    comp[: 2000] = (np.round(rng.uniform(-fs, fs, 2000)) + 0.5) / fs  # exact ties after scaling
    comp[2000:2100] = rng.choice([-3.0, 3.0], 100)  # beyond full scale: saturation
    comp[2100:2200] = 0
    x = comp.astype(np.float32).view(np.complex64)
    sink = blocks.vector_sink_s() if fmt == "cs16" else blocks.vector_sink_b()
    raw = run_gr(blocks.vector_source_c(x.tolist()), to_int(False, fs), sink)
    want = np.array(raw, np.int16) if fmt == "cs16" else np.array(raw, np.uint8).view(np.int8)  # GNU Radio's bytes are 0..255
    got = run_qsdr(["cf32_to_iq", "format=" + fmt], x, dtype)
    if not np.array_equal(want, got):
        i = int(np.flatnonzero(want != got)[0])
        print("cf32 -> %s differs from GNU Radio at component %d: %r -> GNU Radio %d, qsdr %d" % (fmt, i, comp[i], want[i], got[i]))
        status = 1
    if fmt == "cs16":
        back_gr = np.array(run_gr(blocks.vector_source_s(got.astype(int).tolist()), to_cf(False, False, fs), blocks.vector_sink_c()), np.complex64)
    else:
        back_gr = np.array(run_gr(blocks.vector_source_b(got.view(np.uint8).astype(int).tolist()), to_cf(False, fs), blocks.vector_sink_c()), np.complex64)
    back = run_qsdr(["iq_to_cf32", "format=" + fmt], got, np.complex64)
    if not np.array_equal(back_gr, back):
        i = int(np.flatnonzero(back_gr != back)[0])
        print("%s -> cf32 differs from GNU Radio at sample %d: GNU Radio %r, qsdr %r" % (fmt, i, back_gr[i], back[i]))
        status = 1
    print("%s: %d samples, both directions %s" % (fmt, n, "equal to GNU Radio" if not status else "DIFFER"))
sys.exit(status)
