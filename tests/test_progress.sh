#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Progress on a terminal, quiet when piped: `qsdr run` shows rate and an ETA, and a block's result
# line never lands glued to the end of the progress line; `qsdr ber` rows start their own lines.
# `script` gives the commands a terminal. (The ETA from block budgets such as ber's max_bits:
# unit test flowgraph_progress.)
set -u
qsdr=$1; src=$2
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
fail() { echo "FAIL: $*"; exit 1; }
command -v script >/dev/null || { echo "SKIP: no script(1)"; exit 0; }
fg=$src/flowgraphs/qpsk_onebit.yml
# --seconds 1.5: at least one progress tick (one a second) on any machine
script -qec "'$qsdr' run '$fg' --set ber.max_bits=1000000000000000 --seconds 1.5" /dev/null > "$tmp/tty" || fail "qsdr run on a terminal failed: $(cat "$tmp/tty")"
lines=$(tr '\r' '\n' < "$tmp/tty" | sed 's/\x1b\[K//g')
echo "$lines" | grep -q 'items at sinks .* Mitems/s  ETA  *[0-9.]* s$' || fail "no progress line with an ETA: $lines"
echo "$lines" | grep -q '^ber: BER = ' || fail "the ber line does not start a line (glued to the progress?): $lines"
# the rate is the items at the sinks over the elapsed time, in millions per second
echo "$lines" | grep 'items at sinks' | awk '{ el = $1; n = $3; r = $7; if (el > 0.5 && (r - n / el / 1e6 > 0.1 * r + 0.01 || n / el / 1e6 - r > 0.1 * r + 0.01)) exit 1 }' ||
    fail "Mitems/s is not items / elapsed: $lines"
# the ETA is whichever end comes first: --seconds 1.5 here, not the ber budget's 10^15 bits
echo "$lines" | grep -o 'ETA  *[0-9.]* s$' | awk '{ if ($2 > 1.5) exit 1 }' || fail "ETA beyond the --seconds limit: $lines"
# piped: no progress at all
"$qsdr" run "$fg" --set ber.max_bits=1000000000000000 --seconds 1.5 > "$tmp/out" 2> "$tmp/err" || fail "qsdr run piped failed"
grep -q $'\r\\|ETA' "$tmp/err" && fail "progress written to a pipe: $(cat "$tmp/err")"
grep -q '^ber: BER = ' "$tmp/out" || fail "no ber line when piped"
# qsdr ber: progress between rows, each row on its own line
script -qec "'$qsdr' ber '$fg' --sweep awgn.ebn0_db=2,4 --min-frame-errors 0 --max-frames 3000" /dev/null > "$tmp/tty" || fail "qsdr ber on a terminal failed"
lines=$(tr '\r' '\n' < "$tmp/tty" | sed 's/\x1b\[K//g')
[ "$(echo "$lines" | grep -c '^-  *[24]  .* max frames$')" -eq 2 ] || fail "qsdr ber rows not on their own lines: $lines"
echo ok
