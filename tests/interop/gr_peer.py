#!/usr/bin/python3
# SPDX-License-Identifier: MIT
# The GNU Radio 3.10 side of qsdr's ZeroMQ interoperability tests (run with Debian's
# /usr/bin/python3, which has the gnuradio modules).
#   gr_peer.py tx PATTERN ADDRESS N [--tags] [--repeat SECONDS] [--key KEY]
#       send a cf32 ramp x[i] = i - i*1j (i < N) through a push/pub/rep sink; with --repeat the
#       ramp (period N) repeats for SECONDS (for PUB, which drops what is sent before anyone
#       subscribes); --key: pub's key frame before each message
#   gr_peer.py ramp N OUT      write the ramp raw (cf32) to OUT
#   gr_peer.py garbage ADDRESS push three bad messages (13 bytes; 12 bytes; 16 bytes without a
#       tag header) then a good header-prefixed message of 4 ramp items, with pyzmq
#   gr_peer.py contiguous FILE N   check FILE holds N consecutive items of the ramp (any start)
#   gr_peer.py repdrop ADDRESS N   a REP peer (pyzmq) that dies on the first request without
#       answering, comes back on the same address and serves N ramp items on request
#   gr_peer.py sc16tx ADDRESS N RAW   push N interleaved int16 I/Q pairs (GNU Radio short, vlen 2:
#       every int16 value, extremes included) and write them raw to RAW
#   gr_peer.py sc16rx ADDRESS N RAW   pull N int16 I/Q pairs (short, vlen 2) and write them raw
#   gr_peer.py rx PATTERN ADDRESS N OUT [--tags] [--timeout S] [--key KEY]
#       receive N items from a pull/sub/req source, write them raw to OUT and the tags to
#       OUT.tags ("offset key value" per line); exit 1 on timeout; --key: sub's subscription
import struct
import sys
import time

import pmt
from gnuradio import blocks, gr, zeromq


def ramp(n):
    return [complex(i, -i) for i in range(n)]


def tx(pattern, addr, n, tags, repeat, key):
    tb = gr.top_block()
    tl = []
    if tags:
        tl = [gr.tag_utils.python_to_tag((0, pmt.intern("rx_time"), pmt.make_tuple(pmt.from_uint64(1700000000), pmt.from_double(0.25)), pmt.PMT_F)),
              gr.tag_utils.python_to_tag((0, pmt.intern("rx_rate"), pmt.from_double(1e6), pmt.PMT_F)),
              gr.tag_utils.python_to_tag((3, pmt.intern("rx_freq"), pmt.from_double(2.4e9), pmt.PMT_F)),
              gr.tag_utils.python_to_tag((7, pmt.intern("burst"), pmt.intern("start"), pmt.PMT_F)),
              gr.tag_utils.python_to_tag((9, pmt.intern("count"), pmt.from_long(42), pmt.PMT_F))]
    src = blocks.vector_source_c(ramp(n), repeat > 0, 1, tl)
    if pattern == "pub":
        sink = zeromq.pub_sink(gr.sizeof_gr_complex, 1, addr, 100, tags, -1, key)
    else:
        sink = {"push": zeromq.push_sink, "rep": zeromq.rep_sink}[pattern](gr.sizeof_gr_complex, 1, addr, 100, tags, -1)
    if repeat > 0:
        thr = blocks.throttle(gr.sizeof_gr_complex, 2e6)
        tb.connect(src, thr, sink)
        tb.start()
        time.sleep(repeat)
        tb.stop()
        tb.wait()
    else:
        tb.connect(src, sink)
        tb.run()
        time.sleep(1.0)  # let the socket deliver the tail (linger)


def rx(pattern, addr, n, out, tags, timeout, key):
    tb = gr.top_block()
    if pattern == "sub":
        src = zeromq.sub_source(gr.sizeof_gr_complex, 1, addr, 100, tags, -1, key)
    else:
        src = {"pull": zeromq.pull_source, "req": zeromq.req_source}[pattern](gr.sizeof_gr_complex, 1, addr, 100, tags, -1)
    head = blocks.head(gr.sizeof_gr_complex, n)
    snk = blocks.vector_sink_c()
    tb.connect(src, head, snk)
    tb.start()
    t0 = time.time()
    while len(snk.data()) < n and time.time() - t0 < timeout:
        time.sleep(0.02)
    tb.stop()
    tb.wait()
    data = snk.data()
    with open(out, "wb") as f:
        for z in data:
            f.write(struct.pack("<ff", z.real, z.imag))
    with open(out + ".tags", "w") as f:
        for t in snk.tags():
            v = t.value
            if pmt.is_tuple(v):
                txt = "%d+%.17g" % (pmt.to_uint64(pmt.tuple_ref(v, 0)), pmt.to_double(pmt.tuple_ref(v, 1)))
            elif pmt.is_symbol(v):
                txt = pmt.symbol_to_string(v)
            elif pmt.is_integer(v):
                txt = str(pmt.to_long(v))
            elif pmt.is_real(v):
                txt = "%.17g" % pmt.to_double(v)
            else:
                txt = str(v)
            f.write("%d %s %s\n" % (t.offset, pmt.symbol_to_string(t.key), txt))
    if len(data) < n:
        print("gr_peer rx: got %d of %d items before the timeout" % (len(data), n), file=sys.stderr)
        sys.exit(1)


def write_ramp(n, out):
    with open(out, "wb") as f:
        for i in range(n):
            f.write(struct.pack("<ff", i, -i))


def raw_push(addr, send):
    """a plain pyzmq PUSH socket bound to addr (no GNU Radio): send(zmq, socket) writes what a
    test needs, then the socket lingers so everything is delivered"""
    import zmq
    ctx = zmq.Context()
    s = ctx.socket(zmq.PUSH)
    s.setsockopt(zmq.LINGER, 2000)
    s.bind(addr)
    time.sleep(0.5)
    send(zmq, s)
    time.sleep(1.0)
    s.close()
    ctx.term()


def garbage(addr):
    def send(zmq, s):
        s.send(b"\x00" * 13)                      # not a tag header, too short
        s.send(b"\xf0\x5f\x01" + b"\x00" * 9)     # truncated header
        s.send(b"\x12\x34" + b"\x00" * 14)        # wrong magic
        hdr = struct.pack("<HBQQ", 0x5FF0, 1, 0, 0)
        s.send(hdr + b"".join(struct.pack("<ff", i, -i) for i in range(4)))
    raw_push(addr, send)


def badsize(addr):
    """12-byte message (not a whole cf32 item), then 2 good items; no tag headers."""
    def send(zmq, s):
        s.send(b"\x00" * 12)
        s.send(struct.pack("<ffff", 0, 0, 1, -1))
    raw_push(addr, send)


def oversize(addr):
    """an 8192-byte message (above a 4096-byte max_message), then 2 good items"""
    def send(zmq, s):
        s.send(b"\x00" * 8192)
        time.sleep(1.0)  # the receiver drops us and reconnects
        s.setsockopt(zmq.SNDTIMEO, 10000)  # no receiver again within 10 s: fail, don't hang
        try:
            s.send(struct.pack("<ffff", 0, 0, 1, -1))
        except zmq.Again:
            print("oversize: the receiver did not connect again within 10 s", file=sys.stderr)
            sys.exit(1)
    raw_push(addr, send)


def repdrop(addr, n):
    import zmq
    ctx = zmq.Context()
    s = ctx.socket(zmq.REP)
    s.setsockopt(zmq.LINGER, 0)
    s.bind(addr)
    s.recv()  # the first request is never answered: the peer dies
    s.close()
    time.sleep(0.3)
    s = ctx.socket(zmq.REP)
    s.setsockopt(zmq.LINGER, 2000)
    s.setsockopt(zmq.RCVTIMEO, 20000)
    s.bind(addr)
    sent = 0
    while sent < n:
        try:
            req = s.recv()
        except zmq.Again:
            print("repdrop: no request again within 20 s (after %d items)" % sent, file=sys.stderr)
            sys.exit(1)
        k = min(struct.unpack("<I", req[:4])[0], n - sent)
        s.send(b"".join(struct.pack("<ff", i, -i) for i in range(sent, sent + k)))
        sent += k
    time.sleep(1.0)
    s.close()
    ctx.term()


def sc16_pattern(n):
    """2n int16 values covering the whole range: -32768, 32767 and everything between"""
    return [((k * 7919) % 65536) - 32768 for k in range(2 * n)]


def sc16tx(addr, n, raw):
    data = sc16_pattern(n)
    with open(raw, "wb") as f:
        f.write(struct.pack("<%dh" % len(data), *data))
    tb = gr.top_block()
    src = blocks.vector_source_s(data, False, 2)
    snk = zeromq.push_sink(gr.sizeof_short * 2, 1, addr, 100, False, -1)
    tb.connect(src, snk)
    tb.run()
    time.sleep(1.0)


def sc16rx(addr, n, raw, timeout=20):
    tb = gr.top_block()
    src = zeromq.pull_source(gr.sizeof_short * 2, 1, addr, 100, False, -1)
    head = blocks.head(gr.sizeof_short * 2, n)
    snk = blocks.vector_sink_s(2)
    tb.connect(src, head, snk)
    tb.start()
    t0 = time.time()
    while len(snk.data()) < 2 * n and time.time() - t0 < timeout:
        time.sleep(0.02)
    tb.stop()
    tb.wait()
    d = snk.data()
    with open(raw, "wb") as f:
        f.write(struct.pack("<%dh" % len(d), *d))
    if len(d) < 2 * n:
        print("gr_peer sc16rx: got %d of %d items before the timeout" % (len(d) // 2, n), file=sys.stderr)
        sys.exit(1)


def contiguous(path, n):
    data = open(path, "rb").read()
    v = struct.unpack("<%df" % (len(data) // 4), data)
    z = [(v[2 * i], v[2 * i + 1]) for i in range(len(v) // 2)]
    if len(z) != n:
        print("contiguous: %d items, expected %d" % (len(z), n), file=sys.stderr)
        sys.exit(1)
    for i in range(1, n):
        a, b = z[i - 1], z[i]
        if not ((b[0] == a[0] + 1 or b[0] == 0) and b[1] == -b[0]):
            print("contiguous: item %d is %s after %s" % (i, b, a), file=sys.stderr)
            sys.exit(1)


def main():
    a = sys.argv[1:]
    if a[0] == "ramp":
        return write_ramp(int(a[1]), a[2])
    if a[0] == "garbage":
        return garbage(a[1])
    if a[0] == "badsize":
        return badsize(a[1])
    if a[0] == "oversize":
        return oversize(a[1])
    if a[0] == "contiguous":
        return contiguous(a[1], int(a[2]))
    if a[0] == "repdrop":
        return repdrop(a[1], int(a[2]))
    if a[0] == "sc16tx":
        return sc16tx(a[1], int(a[2]), a[3])
    if a[0] == "sc16rx":
        return sc16rx(a[1], int(a[2]), a[3])
    tags = "--tags" in a
    repeat = float(a[a.index("--repeat") + 1]) if "--repeat" in a else 0
    timeout = float(a[a.index("--timeout") + 1]) if "--timeout" in a else 20
    key = a[a.index("--key") + 1] if "--key" in a else ""
    if a[0] == "tx":
        tx(a[1], a[2], int(a[3]), tags, repeat, key)
    else:
        rx(a[1], a[2], int(a[3]), a[4], tags, timeout, key)


main()
