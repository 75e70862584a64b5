#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Live bit-width switching of the neural decoder on a running flagship chain: qsdr ctl switches
# ae_rx.bits 8 -> 2 -> 8 and the ber block reports one segment per setting.
set -u
qsdr=$1; src=$2
tmp=$(mktemp -d)
pid=
cleanup() { [ -n "$pid" ] && kill "$pid" 2>/dev/null; rm -rf "$tmp"; }
trap cleanup EXIT
fail() { echo "FAIL: $*"; exit 1; }
ep="ipc://$tmp/ctl"
cd "$src"
"$qsdr" run flowgraphs/ae_onebit.yml --set rx=rx_multibit_w8 --set rate=1/2 --set K=1024 --set ebn0=3 --set frames=100000000 \
    --control "$ep" >"$tmp/out" 2>"$tmp/err" & pid=$!
for i in $(seq 100); do "$qsdr" ctl "$ep" get ae_rx.bits --timeout 200 >/dev/null 2>&1 && break; sleep 0.1; done
[ "$("$qsdr" ctl "$ep" get ae_rx.bits)" = '{"ok":true,"get":"ae_rx.bits","value":"-1"}' ] || fail "get bits"
sleep 1
"$qsdr" ctl "$ep" set ae_rx.bits 2 | grep -q '"ok":true' || fail "set 2"
sleep 1
"$qsdr" ctl "$ep" stats | grep -q '"ae_rx":{[^}]*"bits":2' || fail "decoder not at 2 bits: $("$qsdr" ctl "$ep" stats)"
"$qsdr" ctl "$ep" set ae_rx.bits 8 | grep -q '"ok":true' || fail "set 8"
sleep 1
# the float transmitter is not switched to a bit-width it was not trained for; the stream goes on
out=$("$qsdr" ctl "$ep" set ae_tx.bits 2); [ $? -eq 1 ] && echo "$out" | grep -q 'trained for float only, not for 2 bits' ||
    fail "untrained bit-width accepted: $out"
"$qsdr" ctl "$ep" stats | grep -q '"ae_tx":{[^}]*"bits":0' || fail "transmitter changed: $("$qsdr" ctl "$ep" stats)"
out=$("$qsdr" ctl "$ep" set ae_rx.bits 9); [ $? -eq 1 ] && echo "$out" | grep -q 'out of range' || fail "bits 9 accepted: $out"
kill -INT $pid; wait $pid; rc=$?
pid=
[ $rc -eq 0 ] || fail "exit $rc: $(cat "$tmp/err")"
grep -q "^qsdr warning: live change refused: .*block 'ae_tx' (ae_modulator): .*trained for float only, not for 2 bits" "$tmp/err" &&
    ! grep -q "^qsdr error" "$tmp/err" || fail "the block's refusal is not a warning in the run's log: $(cat "$tmp/err")"
grep -q "ber: segment 1 \[bits 0, [0-9]*) (start): BER = " "$tmp/out" || fail "segment 1: $(cat "$tmp/out")"
grep -q "ber: segment 2 \[bits [0-9]*, [0-9]*) after bits=2: BER = " "$tmp/out" || fail "segment 2: $(cat "$tmp/out")"
grep -q "ber: segment 3 \[bits [0-9]*, [0-9]*) after bits=8: BER = " "$tmp/out" || fail "segment 3: $(cat "$tmp/out")"
cat "$tmp/out"
echo "ae live switching: ok"
