#!/usr/bin/env bash
# Smoke test of bench/exp_bicm_id: runs, writes its CSV, bad options exit 2, and 8 demapper
# rounds of the [3,2] parity code end with fewer bit errors than round 1 (plain BICM) at 2.6 dB,
# R = 1/2, K = 1024, 10 frames, seed 1 (round 1 is far above the BICM threshold of 2.25 dB).
set -u
x=$1
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
fail() { echo "FAIL: $*"; exit 1; }
"$x" --bogus 1 >/dev/null 2>&1; [ $? -eq 2 ] || fail "bad option should exit 2"
"$x" --k 1000 >/dev/null 2>&1; [ $? -eq 2 ] || fail "K = 1000 (not an LTE size) should exit 2"
"$x" --code p32 --rate 1/2 --k 1024 --ebn0 2.6:0.2:2.6 --outer 8 --inner 4 --ext-scale 0.5 --frames 10 \
    --min-frame-errors 100 --csv "$tmp/p.csv" >"$tmp/out" || fail "run: $(cat "$tmp/out")"
[ "$(wc -l <"$tmp/p.csv")" -eq 9 ] || fail "CSV should have a header and 8 rows: $(cat "$tmp/p.csv")"
e1=$(awk -F, '$5 == 1 {print $7}' "$tmp/p.csv"); e8=$(awk -F, '$5 == 8 {print $7}' "$tmp/p.csv")
echo "bit errors after round 1: $e1, after round 8: $e8"
[ "$e1" -gt 0 ] && [ "$e8" -lt "$e1" ] || fail "iterative demapping did not help: $e1 -> $e8"
echo "exp_bicm_id: ok"
