#!/usr/bin/env bash
# spectrum_sink and constellation_sink as a user runs them (flowgraphs/onebit_spectrum.yml):
# CSV and PNG/SVG files, the printed occupied bandwidths (against raised-cosine theory), the
# frequency axis (a tone, a symmetric spectrum), determinism, and their errors: bad
# plot names and CSV paths (exit 2), NaN samples, too few samples and a failing gnuplot (exit 1).
set -u
qsdr=$1; src=$2
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
fail() { echo "FAIL: $*"; exit 1; }
fg=$src/flowgraphs/onebit_spectrum.yml

out=$("$qsdr" run "$fg" -q --set out="$tmp/a" 2>"$tmp/err") || fail "onebit_spectrum: $(cat "$tmp/err")"
for f in a_tx_psd.csv a_tx_psd.png a_adc_psd.csv a_adc_psd.png a_rx_const.csv a_rx_const.png; do
    [ -s "$tmp/$f" ] || fail "missing $f"
done
for f in a_tx_psd.png a_adc_psd.png a_rx_const.png; do
    [ "$(od -An -tx1 -N4 "$tmp/$f" | tr -d ' ')" = "89504e47" ] || fail "$f is not a PNG"
done
[ "$(grep -vc '^#' "$tmp/a_tx_psd.csv")" -eq 513 ] || fail "tx PSD CSV: expected a header and 512 bins"
[ "$(grep -vc '^#' "$tmp/a_rx_const.csv")" -eq 4001 ] || fail "constellation CSV: expected a header and 4000 points"
# RRC roll-off 0.35: 99 % of the power within 1..1.35 symbol rates; the one-bit ADC spreads it
tx=$(echo "$out" | sed -n 's/^tx_psd: .*bandwidth \([0-9.]*\) symbol rates/\1/p')
adc=$(echo "$out" | sed -n 's/^adc_psd: .*bandwidth \([0-9.]*\) symbol rates/\1/p')
awk -v t="$tx" -v a="$adc" 'BEGIN { exit !(t > 1.0 && t < 1.35 && a > 2 * t) }' || fail "occupied bandwidths tx '$tx', adc '$adc': $out"
# tighter: the RRC signal's PSD is the raised-cosine spectrum; its 99 % bandwidth at roll-off
# 0.35 is 1.1667 symbol rates (integrated here); the Welch estimate must give it within 1 %
awk -v t="$tx" 'BEGIN { b = 0.35; pi = atan2(0, -1); df = 1e-5; tot = 0
  for (f = 0; tot < 0.495; f += df) { x = f + df / 2
    p = x <= (1 - b) / 2 ? 1 : (x >= (1 + b) / 2 ? 0 : 0.5 * (1 + cos(pi / b * (x - (1 - b) / 2)))); tot += p * df }
  exit !(t > 0.99 * 2 * f && t < 1.01 * 2 * f) }' || fail "tx 99 % bandwidth $tx, raised-cosine theory 1.1667"
# the frequency axis: nfft 512 bins from -sps/2 (4 samples per symbol) in steps of sps/512, the
# spectrum of the real-symmetric pulse symmetric about 0 (bins +-k within 0.5 dB)
awk -F, 'BEGIN { n = 0 } !/^#/ && $1 != "freq" { f[n] = $1; d[n] = $2; n++ }
  END { if (n != 512 || f[0] != -2 || f[256] != 0 || f[511] != 1.9921875) exit 1
        for (k = 1; k < 160; k++) if (d[256 + k] - d[256 - k] > 0.5 || d[256 - k] - d[256 + k] > 0.5) exit 1 }' "$tmp/a_tx_psd.csv" ||
    fail "tx PSD frequency axis or symmetry: $(sed -n 2,4p "$tmp/a_tx_psd.csv")"
# a complex tone at +0.25 cycles/sample peaks at +0.25 (not at -0.25: the axis' orientation)
python3 -c '
import math, struct, sys
sys.stdout.buffer.write(b"".join(struct.pack("<ff", math.cos(math.pi * n / 2), math.sin(math.pi * n / 2)) for n in range(4096)))' > "$tmp/tone.cf32"
cat > "$tmp/tone.yml" <<YML
blocks:
  - {id: src, type: file_source, params: {path: "$tmp/tone.cf32"}}
  - {id: psd, type: spectrum_sink, params: {nfft: 64, csv: "$tmp/tone.csv", print: false}}
connections: [src -> psd]
YML
"$qsdr" run "$tmp/tone.yml" -q >/dev/null 2>"$tmp/err" || fail "tone: $(cat "$tmp/err")"
peak=$(awk -F, '!/^#/ && $1 != "freq" && (m == "" || $2 > m) { m = $2; f = $1 } END { print f }' "$tmp/tone.csv")
[ "$peak" = "0.25" ] || fail "a tone at +0.25 cycles/sample peaks at '$peak'"
echo "$out" | grep -q '^rx_const: 4000 points' || fail "constellation summary: $out"
# same seed, same files; threaded and serial schedulers agree
"$qsdr" run "$fg" -q --set out="$tmp/b" --scheduler serial >/dev/null 2>&1 || fail "serial run"
for f in tx_psd.csv adc_psd.csv rx_const.csv; do cmp -s "$tmp/a_$f" "$tmp/b_$f" || fail "$f differs between runs/schedulers"; done
# a unit with a quote (user text inside the plot script)
"$qsdr" run "$fg" -q --set out="$tmp/c" --set tx_psd.plot="$tmp/c.svg" --set tx_psd.unit="sym'bols" >/dev/null 2>"$tmp/err" || fail "svg plot: $(cat "$tmp/err")"
grep -q '<svg' "$tmp/c.svg" || fail "not an SVG"

# qsdr ber runs the flowgraph once per unit of frames: the sinks' files and summaries are off
mkdir "$tmp/ber" && (cd "$tmp/ber" && "$qsdr" ber "$fg" --sweep awgn.ebn0_db=0,4 --max-frames 100 -q >"$tmp/ber.out" 2>&1) || fail "qsdr ber: $(cat "$tmp/ber.out")"
[ -z "$(ls "$tmp/ber")" ] || fail "qsdr ber left sink outputs: $(ls "$tmp/ber")"
grep -qE "^(tx_psd|adc_psd|rx_const):" "$tmp/ber.out" && fail "qsdr ber printed sink summaries: $(cat "$tmp/ber.out")"
# the flowgraph's titles then draw nothing, on purpose: no warning; a title with no plot warns
grep -q "applies only with" "$tmp/ber.out" && fail "qsdr ber warned about the titles of the plots it blanked: $(cat "$tmp/ber.out")"
"$qsdr" run "$fg" -q --set out="$tmp/e" --set tx_psd.plot= >/dev/null 2>"$tmp/err" || fail "plot blanked: $(cat "$tmp/err")"
grep -q "applies only with" "$tmp/err" && fail "a plot blanked with --set warned about its title: $(cat "$tmp/err")"
sed 's/plot: "${out}_tx_psd.png",//' "$fg" > "$tmp/notplot.yml"
"$qsdr" run "$tmp/notplot.yml" -q --set out="$tmp/e" >/dev/null 2>"$tmp/err" || fail "title without plot: $(cat "$tmp/err")"
grep -q "block 'tx_psd' (spectrum_sink): parameter 'title' (.*) applies only with plot" "$tmp/err" || fail "a title with no plot went unsaid: $(cat "$tmp/err")"

expect() { # expect RC 'message' args...   ($QPATH: the PATH qsdr gets)
    local want_rc=$1 want=$2; shift 2
    PATH=${QPATH:-$PATH} "$qsdr" "$@" >/dev/null 2>"$tmp/err"; rc=$?
    [ $rc -eq "$want_rc" ] || fail "qsdr $* exited $rc, expected $want_rc: $(cat "$tmp/err")"
    grep -qF -- "$want" "$tmp/err" || fail "qsdr $*: message lacks '$want': $(cat "$tmp/err")"
}
expect 2 "parameter 'plot': '$tmp/x.jpg' must end in .png or .svg" run "$fg" -q --set out="$tmp/d" --set tx_psd.plot="$tmp/x.jpg"
expect 2 "parameter 'csv': cannot open '$tmp/no/such/dir.csv'" run "$fg" -q --set out="$tmp/d" --set rx_const.csv="$tmp/no/such/dir.csv"
expect 2 "parameter 'plot': cannot create '$tmp/no/p.png'" run "$fg" -q --set out="$tmp/d" --set adc_psd.plot="$tmp/no/p.png"
expect 2 "out of range" run "$fg" -q --set out="$tmp/d" --set tx_psd.nfft=8
expect 2 "parameter 'title': at most 500 characters" run "$fg" -q --set out="$tmp/d" --set tx_psd.title="$(head -c 501 /dev/zero | tr '\0' t)"
# a line break cannot stand in a gnuplot string: refused when the flowgraph loads, not after the run
expect 2 "parameter 'title': at most 500 characters, no line breaks" run "$fg" -q --set out="$tmp/d" --set "tx_psd.title=$(printf 'a\nb')"
expect 2 "parameter 'unit': at most 63 characters, no line breaks" run "$fg" -q --set out="$tmp/d" --set "tx_psd.unit=$(printf 'a\tb')"
expect 2 "parameter 'plot': at most 4000 characters, no line breaks" run "$fg" -q --set out="$tmp/d" --set "tx_psd.plot=$tmp/$(printf 'a\nb').png"
# NaN samples, too few samples for one segment, no gnuplot: runtime failures (exit 1)
printf '\x00\x00\x00\x3f\x00\x00\xc0\x7f%.0s' $(seq 40) > "$tmp/nan.cf32"
head -c 800 /dev/zero > "$tmp/zero.cf32"
cat > "$tmp/s.yml" <<YML
variables: { in: "$tmp/zero.cf32" }
blocks:
  - {id: src, type: file_source, params: {path: "\${in}"}}
  - {id: psd, type: spectrum_sink, params: {nfft: 16, plot: "$tmp/s.png"}}
connections: [src -> psd]
YML
expect 1 "not finite" run "$tmp/s.yml" -q --set in="$tmp/nan.cf32"
cat > "$tmp/c.yml" <<YML
blocks:
  - {id: src, type: file_source, params: {path: "$tmp/nan.cf32"}}
  - {id: con, type: constellation_sink, params: {plot: "$tmp/c.png"}}
connections: [src -> con]
YML
expect 1 "constellation: sample 0 is not finite" run "$tmp/c.yml" -q
expect 1 "fewer than nfft = 1024 samples" run "$tmp/s.yml" -q --set psd.nfft=1024
QPATH=/nonexistent expect 1 "block 'psd' (spectrum_sink) failed at the end of the stream" run "$tmp/s.yml" -q
# a unit without a sample rate names nothing (the axis is in cycles/sample): said, the run goes on
expect 0 "parameter 'unit' (--set psd.unit=baud) applies only with sample_rate (without it the axis is in cycles/sample): ignored" \
    run "$tmp/s.yml" -q --set psd.unit=baud
[ ! -e "$tmp/d_tx_psd.png" ] || fail "a rejected flowgraph left a plot file"
echo ok
