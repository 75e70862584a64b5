#!/usr/bin/env bash
# Smoke test of bench/exp_conv_outer: bad options exit 2; the encoder and the Viterbi decoder
# agree at both rates (soft QPSK at 8 dB: no errors in 200 frames of K = 1024); at 4.5 dB, 200
# frames, seed 1, soft decisions make fewer bit errors than one-bit ones (measured: soft ~5e-6,
# one-bit ~2e-3); the CSV has a header and a row per point.
set -u
x=$1
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
fail() { echo "FAIL: $*"; exit 1; }
"$x" --bogus 1 >/dev/null 2>&1; [ $? -eq 2 ] || fail "bad option should exit 2"
"$x" --inner ae >/dev/null 2>&1; [ $? -eq 2 ] || fail "ae without --tx/--rx should exit 2"
"$x" --inner soft --ebn0 8:1:8 --frames 200 --csv "$tmp/hi.csv" >"$tmp/out" || fail "run: $(cat "$tmp/out")"
[ "$(awk -F, 'NR == 2 {print $7}' "$tmp/hi.csv")" = 0 ] || fail "soft QPSK at 8 dB should decode without errors: $(cat "$tmp/hi.csv")"
"$x" --inner soft --rate 1/3 --ebn0 8:1:8 --frames 200 --csv "$tmp/hi3.csv" >/dev/null || fail "rate 1/3 run"
[ "$(awk -F, 'NR == 2 {print $7}' "$tmp/hi3.csv")" = 0 ] || fail "rate 1/3 at 8 dB should decode without errors: $(cat "$tmp/hi3.csv")"
"$x" --rate 2/3 >/dev/null 2>&1; [ $? -eq 2 ] || fail "rate 2/3 (not offered) should exit 2"
"$x" --inner soft --ebn0 4.5:1:4.5 --frames 200 --min-frame-errors 1000 --csv "$tmp/s.csv" >/dev/null || fail "soft run"
"$x" --inner b1 --ebn0 4.5:1:4.5 --frames 200 --min-frame-errors 1000 --csv "$tmp/b.csv" >/dev/null || fail "b1 run"
es=$(awk -F, 'NR == 2 {print $7}' "$tmp/s.csv"); eb=$(awk -F, 'NR == 2 {print $7}' "$tmp/b.csv")
echo "bit errors at 4.5 dB: soft $es, one-bit $eb"
[ "$eb" -gt 100 ] && [ "$es" -lt "$eb" ] || fail "soft decisions should beat one-bit ones: $es vs $eb"
[ "$(wc -l <"$tmp/s.csv")" -eq 2 ] || fail "CSV should have a header and 1 row"
echo "exp_conv_outer: ok"
