#!/usr/bin/python3
# SPDX-License-Identifier: MIT
# GNU Radio baseline for bench/runtime: null source -> head -> 10 x copy -> null sink (gr_complex),
# the chain the issue names. Prints the best Msamples/s of 3 runs on one line.
import sys
import time

from gnuradio import blocks, gr

N = int(sys.argv[1]) if len(sys.argv) > 1 else 100_000_000


def run_once():
    tb = gr.top_block()
    src = blocks.null_source(gr.sizeof_gr_complex)
    head = blocks.head(gr.sizeof_gr_complex, N)
    copies = [blocks.copy(gr.sizeof_gr_complex) for _ in range(10)]
    snk = blocks.null_sink(gr.sizeof_gr_complex)
    tb.connect(src, head, *copies, snk)
    t0 = time.perf_counter()
    tb.run()
    return N / (time.perf_counter() - t0) / 1e6


print("%.1f" % max(run_once() for _ in range(3)))
