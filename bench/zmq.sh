#!/usr/bin/env bash
# bench/zmq: cf32 PUSH -> PULL between two processes over tcp loopback, best of 3:
#   qsdr zmq_sink -> qsdr zmq_source, and GNU Radio push_sink -> qsdr zmq_source (GNU Radio's
#   sending rate, the baseline) measured in the same run. (GNU Radio push_sink -> GNU Radio
#   pull_source stalled on the development machine with Debian's 3.10.5; see docs/zmq.md.)
set -u
qsdr=${1:-build/qsdr}
N=${N:-20000000}
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
best() { sort -g | tail -1; }
rx_yml() {
  cat > "$tmp/rx.yml" <<YML
blocks:
  - {id: z, type: zmq_source, params: {address: "tcp://127.0.0.1:$1", expected_items: $N, timeout: 30}}
  - {id: k, type: null_sink}
connections: [z -> k]
YML
}
timed_rx() { # prints Msamples/s of a qsdr receive of N items
  local t0=$(date +%s.%N)
  timeout 120 "$qsdr" run "$tmp/rx.yml" -q || { echo 0; return; }
  local t1=$(date +%s.%N)
  echo "$N / ($t1 - $t0) / 1000000" | bc -l
}
qsdr_once() {
  cat > "$tmp/tx.yml" <<YML
blocks:
  - {id: s, type: null_source}
  - {id: h, type: head, params: {n: $N}}
  - {id: z, type: zmq_sink, params: {address: "tcp://127.0.0.1:$1", linger_ms: 60000}}
connections: [s -> h, h -> z]
YML
  rx_yml "$1"
  "$qsdr" run "$tmp/tx.yml" -q & local tx=$!
  timed_rx
  wait $tx
}
gr_once() {
  rx_yml "$1"
  /usr/bin/python3 -c "
import time
from gnuradio import blocks, gr, zeromq
tb = gr.top_block()
tb.connect(blocks.null_source(gr.sizeof_gr_complex), blocks.head(gr.sizeof_gr_complex, $N),
           zeromq.push_sink(gr.sizeof_gr_complex, 1, 'tcp://127.0.0.1:$1', 100, False, -1))
tb.run(); time.sleep(60)" & local tx=$!
  timed_rx
  kill $tx 2>/dev/null; wait $tx 2>/dev/null
}
port=$((9000 + RANDOM % 500))
q=$(for i in 1 2 3; do qsdr_once $((port + i)); done | best)
g=
if /usr/bin/python3 -c "from gnuradio import zeromq" 2>/dev/null; then
  g=$(for i in 1 2 3; do gr_once $((port + 10 + i)); done | best)
fi
printf 'qsdr bench/zmq: cf32 PUSH -> PULL over tcp loopback, %s items, two processes, best of 3\n\n' "$N"
printf '%-46s %12s %9s\n' "transfer" "Msamples/s" "ratio"
if [ -n "$g" ] && [ "$(echo "$g > 0" | bc)" = 1 ]; then
  printf '%-46s %12.1f %8.2fx\n' "qsdr zmq_sink -> qsdr zmq_source" "$q" "$(echo "$q / $g" | bc -l)"
  printf '%-46s %12.1f %9s\n' "GNU Radio push_sink -> qsdr zmq_source" "$g" "1.00x"
else
  printf '%-46s %12.1f %9s\n' "qsdr zmq_sink -> qsdr zmq_source" "$q" "-"
  echo "(no GNU Radio baseline)"
fi
echo "target: at least GNU Radio's rate"
