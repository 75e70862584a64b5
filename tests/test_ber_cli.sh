#!/usr/bin/env bash
# qsdr ber as a user runs it: table, CSV and JSON schema, plot file, thread-count independence,
# resume, bad sweep specifications and parameters (exit 2 with a message).
set -u
qsdr=$1; src=$2
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
fail() { echo "FAIL: $*"; exit 1; }
fg=$src/flowgraphs/qpsk_onebit.yml

out=$("$qsdr" ber "$fg" --sweep awgn.ebn0_db=0:2:8 --csv "$tmp/a.csv" --json "$tmp/a.json" --plot "$tmp/a.png" \
      --ref theory:qpsk --threads 1 -q 2>&1) || fail "qsdr ber failed: $out"
echo "$out" | grep -q '^# flowgraph: ' || fail "no configuration header"
echo "$out" | grep -q '^# seed: 1 ' || fail "header lacks the seed"
[ "$(echo "$out" | grep -c 'frame errors$')" -eq 5 ] || fail "expected 5 table rows: $out"
head -1 "$tmp/a.csv" | grep -q '^curve,param,x,ebn0_db,esn0_db,frames,bits,bit_errors,frame_errors,ber,fer,ber_lo95,ber_hi95' \
  || fail "CSV header: $(head -1 "$tmp/a.csv")"
[ "$(wc -l < "$tmp/a.csv")" -eq 6 ] || fail "CSV rows"
for key in '"flowgraph"' '"sweep"' '"seed"' '"frames_per_unit"' '"stop_rules"' '"points"' '"bit_errors"' '"ber_lo95"' '"units"'; do
  grep -q "$key" "$tmp/a.json" || fail "JSON lacks $key"
done
# every rate and 95 % interval in the CSV and the JSON follows from the point's own counts
# (Wilson score interval, z = 1.959964: bits for BER, frames for FER)
/usr/bin/python3 - "$tmp/a.csv" "$tmp/a.json" <<'PY' || fail "CSV/JSON rates and intervals do not follow from the counts"
import csv, json, math, sys
def wilson(k, n, z=1.959963984540054):
    p, z2 = k / n, z * z
    c, h = (p + z2 / (2 * n)) / (1 + z2 / n), z / (1 + z2 / n) * math.sqrt(p * (1 - p) / n + z2 / (4 * n * n))
    return max(0.0, c - h), min(1.0, c + h)
def near(a, b): return abs(a - b) <= 2e-6 * abs(b) + 1e-12
bad = []
rows = list(csv.DictReader(open(sys.argv[1])))
for r in rows:
    k = {f: int(r[f]) for f in ("frames", "bits", "bit_errors", "frame_errors")}
    want = {"ber": k["bit_errors"] / k["bits"], "fer": k["frame_errors"] / k["frames"]}
    want["ber_lo95"], want["ber_hi95"] = wilson(k["bit_errors"], k["bits"])
    want["fer_lo95"], want["fer_hi95"] = wilson(k["frame_errors"], k["frames"])
    bad += ["csv x=%s %s: %s, want %.7g" % (r["x"], f, r[f], v) for f, v in want.items() if not near(float(r[f]), v)]
pts = json.load(open(sys.argv[2]))["points"]
for p in pts:
    want = {"ber": p["bit_errors"] / p["bits"], "fer": p["frame_errors"] / p["frames"]}
    want["ber_lo95"], want["ber_hi95"] = wilson(p["bit_errors"], p["bits"])
    bad += ["json x=%s %s: %s, want %.7g" % (p["x"], f, p[f], v) for f, v in want.items() if not near(p[f], v)]
if len(rows) != 5 or len(pts) != 5 or bad: sys.exit("\n".join(bad) or "rows %d, points %d" % (len(rows), len(pts)))
PY
[ "$(od -An -tx1 -N4 "$tmp/a.png" | tr -d ' ')" = "89504e47" ] || fail "plot is not a PNG"
"$qsdr" ber "$fg" --sweep awgn.ebn0_db=0:2:4 --plot "$tmp/a.svg" -q >/dev/null 2>&1 || fail "svg plot"
grep -q '<svg' "$tmp/a.svg" || fail "plot is not an SVG"
# paths with quotes and shell syntax reach gnuplot intact (and nothing is executed); temporary
# files go to $TMPDIR
odd="$tmp/it's \$(touch $tmp/pwned) 'x'"
mkdir -p "$odd" "$tmp/t'mp"
TMPDIR="$tmp/t'mp" "$qsdr" ber "$fg" --sweep awgn.ebn0_db=0:2:4 --max-frames 8 --plot "$odd/b's.svg" -q >/dev/null 2>"$tmp/err" || fail "plot path with quotes: $(cat "$tmp/err")"
grep -q '<svg' "$odd/b's.svg" || fail "plot with quotes in its path missing"
[ ! -e "$tmp/pwned" ] || fail "a plot path ran a shell command"
[ -z "$(ls "$tmp/t'mp")" ] || fail "temporary plot files left in TMPDIR: $(ls "$tmp/t'mp")"

# same counts on 1 and 3 threads (the CSV minus the timing columns)
"$qsdr" ber "$fg" --sweep awgn.ebn0_db=0:2:8 --csv "$tmp/b.csv" --threads 3 -q >/dev/null || fail "3 threads"
cut -d, -f1-15 "$tmp/a.csv" > "$tmp/a.cut"; cut -d, -f1-15 "$tmp/b.csv" > "$tmp/b.cut"
cmp -s "$tmp/a.cut" "$tmp/b.cut" || fail "1 and 3 threads differ: $(diff "$tmp/a.cut" "$tmp/b.cut")"

# --max-frames 300 (5 units of 64) on 1 and on 16 threads: rounds shorter than the thread count
"$qsdr" ber "$fg" --sweep awgn.ebn0_db=2,6 --min-frame-errors 0 --max-frames 300 --csv "$tmp/m1.csv" --threads 1 -q >/dev/null || fail "max-frames, 1 thread"
"$qsdr" ber "$fg" --sweep awgn.ebn0_db=2,6 --min-frame-errors 0 --max-frames 300 --csv "$tmp/m16.csv" --threads 16 -q >/dev/null || fail "max-frames, 16 threads"
[ "$(cut -d, -f1-15 "$tmp/m1.csv")" = "$(cut -d, -f1-15 "$tmp/m16.csv")" ] || fail "max-frames: 1 and 16 threads differ"
grep -q ',320,' "$tmp/m16.csv" || fail "max-frames 300 should end at 320 frames (5 units): $(cat "$tmp/m16.csv")"

# --at-ber: each curve's crossing, log-BER interpolated between the CSV's own points around it
# (recomputed here with awk), the difference to the first curve, the kinds of no-crossing, the
# JSON and a plot
out=$("$qsdr" ber "$src/flowgraphs/qpsk_rrc_onebit.yml" --sweep awgn.ebn0_db=0:2:10 --sweep adc.bits=1,3 --max-frames 256 \
      --at-ber 1e-3,0.45,1e-12 --csv "$tmp/x.csv" --json "$tmp/x.json" --plot "$tmp/x.png" -q 2>&1) || fail "--at-ber run: $out"
for b in 1 3; do
  want=$(awk -F, -v b=$b 'NR > 1 && $1 == b { x[n] = $3; y[n] = $10; n++ }
    END { for (i = 0; i + 1 < n; i++) if (y[i] >= 1e-3 && 1e-3 > y[i + 1] && y[i + 1] > 0) {
            l0 = log(y[i]) / log(10); l1 = log(y[i + 1]) / log(10)
            printf "%.4g", x[i] + (l0 + 3) / (l0 - l1) * (x[i + 1] - x[i]); exit } }' "$tmp/x.csv")
  [ -n "$want" ] || fail "--at-ber: curve $b does not cross 1e-3 in: $(cat "$tmp/x.csv")"
  echo "$out" | grep -q "^# at BER 1e-03, adc.bits=$b: awgn.ebn0_db = $want (log-BER interpolated between " ||
    fail "--at-ber curve $b: expected $want: $out"
done
x1=$(echo "$out" | sed -n 's/^# at BER 1e-03, adc.bits=1: awgn.ebn0_db = \([0-9.]*\) .*/\1/p')
x3=$(echo "$out" | sed -n 's/^# at BER 1e-03, adc.bits=3: awgn.ebn0_db = \([0-9.]*\) .*/\1/p')
d=$(echo "$out" | sed -n 's/^# at BER 1e-03, adc.bits=3: .*; \([-+][0-9.e-]*\) against adc.bits=1$/\1/p')
awk -v a="$x1" -v b="$x3" -v d="$d" 'BEGIN { exit !(d != "" && d < 0 && (b - a - d)^2 < 1e-6) }' ||
    fail "--at-ber difference: $x1 $x3 '$d': $out"
echo "$out" | grep -q "^# at BER 0.45, adc.bits=1: BER already below it at the first point, awgn.ebn0_db = 0 (BER " || fail "--at-ber below: $out"
echo "$out" | grep -q "^# at BER 1e-12, adc.bits=3: not reached (lowest BER .*, at awgn.ebn0_db = " || fail "--at-ber not reached: $out"
/usr/bin/python3 - "$tmp/x.json" "$x1" <<'PY' || fail "--at-ber JSON"
import json, sys
a = json.load(open(sys.argv[1]))["at_ber"]
assert len(a) == 6, a
r = a[0]
assert r["target_ber"] == 1e-3 and r["curve"] == "1" and r["result"] == "interpolated" and r["x_lo"] <= r["x"] <= r["x_hi"], r
assert abs(r["x"] - float(sys.argv[2])) < 1e-3 * abs(r["x"]), r
assert [x["result"] for x in a[2:]] == ["below_first_point", "below_first_point", "not_reached", "not_reached"], a
assert a[4]["x"] is None
PY
[ -s "$tmp/x.png" ] || fail "--at-ber plot"
# --at-fer: the FER curve's crossing, from the CSV's fer column; JSON at_fer
out=$("$qsdr" ber "$fg" --sweep awgn.ebn0_db=6:1:11 --max-frames 640 --at-fer 0.1 --json "$tmp/f.json" --csv "$tmp/f.csv" -q 2>&1) ||
    fail "--at-fer run: $out"
want=$(awk -F, 'NR > 1 { x[n] = $3; y[n] = $11; e[n] = $9; n++ }
  END { for (i = 0; i + 1 < n; i++) if (y[i] >= 0.1 && 0.1 > y[i + 1] && y[i + 1] > 0) {
          l0 = log(y[i]) / log(10); l1 = log(y[i + 1]) / log(10)
          printf "%.4g (log-FER interpolated between %s [%s frame errors] and %s [%s])", x[i] + (l0 + 1) / (l0 - l1) * (x[i + 1] - x[i]), x[i], e[i], x[i + 1], e[i + 1]; exit } }' "$tmp/f.csv")
[ -n "$want" ] || fail "--at-fer: the FER does not cross 0.1 in: $(cat "$tmp/f.csv")"
echo "$out" | grep -qF "# at FER 1e-01: awgn.ebn0_db = $want" || fail "--at-fer: expected '$want': $out"
grep -q '"at_fer"' "$tmp/f.json" && grep -q '"target_fer":[[:space:]]*0.1' "$tmp/f.json" && ! grep -q '"at_ber"' "$tmp/f.json" || fail "--at-fer JSON"
# no errors at the point past the crossing: between, no number
out=$("$qsdr" ber "$fg" --sweep awgn.ebn0_db=4,14 --max-frames 64 --at-ber 1e-4 -q 2>&1) || fail "--at-ber between: $out"
echo "$out" | grep -q "^# at BER 1e-04: awgn.ebn0_db between 4 and 14 (no bit errors at 14: " || fail "--at-ber between: $out"

# a curve per value of a second --sweep (RRC chain, where the ADC's bits matter): table, CSV
# rows per curve (the curve column holds the value), JSON, plot; same counts on 1 and 3 threads;
# more ADC bits, fewer errors
rfg=$src/flowgraphs/qpsk_rrc_onebit.yml
"$qsdr" ber "$rfg" --sweep awgn.ebn0_db=4,8 --sweep adc.bits=1,3 --max-frames 128 --csv "$tmp/cv1.csv" --json "$tmp/cv.json" \
    --plot "$tmp/cv.png" --threads 1 >"$tmp/cv.out" 2>&1 || fail "curve sweep: $(cat "$tmp/cv.out")"
"$qsdr" ber "$rfg" --sweep awgn.ebn0_db=4,8 --sweep adc.bits=1,3 --max-frames 128 --csv "$tmp/cv3.csv" --threads 3 -q >/dev/null 2>&1 ||
    fail "curve sweep, 3 threads"
[ "$(cut -d, -f1-15 "$tmp/cv1.csv")" = "$(cut -d, -f1-15 "$tmp/cv3.csv")" ] || fail "curve sweep: 1 and 3 threads differ"
[ "$(cut -d, -f1,3 "$tmp/cv1.csv" | tr '\n' ' ')" = "curve,x 1,4 1,8 3,4 3,8 " ] || fail "curve sweep CSV rows: $(cat "$tmp/cv1.csv")"
grep -q '^adc.bits=3 ' "$tmp/cv.out" || fail "curve sweep table: $(cat "$tmp/cv.out")"
grep -q '"curves":[[:space:]]*"adc.bits=1,3"' "$tmp/cv.json" && grep -q '"curve":[[:space:]]*"3"' "$tmp/cv.json" || fail "curve sweep JSON"
[ -s "$tmp/cv.png" ] || fail "curve sweep plot"
awk -F, 'NR > 1 { e[$1 "," $3] = $8 } END { exit !(e["3,8"] < e["1,8"] && e["3,4"] < e["1,4"]) }' "$tmp/cv1.csv" ||
    fail "3-bit ADC not better than 1-bit: $(cat "$tmp/cv1.csv")"
# every curve draws the same bits and noise (common random numbers): a curve's points have the
# counts of the same points run alone with --set (they were seeded by the curve value)
"$qsdr" ber "$rfg" --sweep awgn.ebn0_db=4,8 --set adc.bits=3 --max-frames 128 --csv "$tmp/cvs.csv" -q >/dev/null 2>&1 ||
    fail "adc.bits=3 alone"
[ "$(grep '^3,' "$tmp/cv1.csv" | cut -d, -f3-9)" = "$(tail -n +2 "$tmp/cvs.csv" | cut -d, -f3-9)" ] ||
    fail "curve adc.bits=3 differs from the same points run with --set: $(cat "$tmp/cv1.csv" "$tmp/cvs.csv")"
head -1 "$tmp/cv1.csv" | grep -q ',stop,curve_param$' && grep -q '^3,awgn.ebn0_db,8,.*,adc.bits$' "$tmp/cv1.csv" &&
    tail -n +2 "$tmp/cvs.csv" | grep -q ',$' || fail "curve_param column: $(cat "$tmp/cv1.csv" "$tmp/cvs.csv")"
grep -q '"seed_scheme":[[:space:]]*2' "$tmp/cv.json" || fail "JSON lacks seed_scheme 2"
# a curve sweep's JSON from before that change cannot be resumed (its counts would mix)
sed 's/"seed_scheme":[[:space:]]*2,*//' "$tmp/cv.json" > "$tmp/cvold.json"
out=$("$qsdr" ber "$rfg" --sweep awgn.ebn0_db=4,8 --sweep adc.bits=1,3 --max-frames 256 --resume "$tmp/cvold.json" -q 2>&1); rc=$?
[ $rc -ne 0 ] && echo "$out" | grep -q "older qsdr that seeded each curve by its value" || fail "old curve JSON resumed: exit $rc: $out"
"$qsdr" ber "$rfg" --sweep awgn.ebn0_db=4,8 --sweep adc.bits=1,3 --max-frames 128 --resume "$tmp/cv.json" -q >/dev/null 2>&1 ||
    fail "resuming a current curve JSON"

# the flowgraph's own seed (options: seed) is the default, as in qsdr run; --seed overrides it
sed 's/^variables:/options:\n  seed: 5\nvariables:/' "$fg" > "$tmp/seed5.yml"
grep -q "^  seed: 5" "$tmp/seed5.yml" || fail "could not add options: seed to $fg"
"$qsdr" ber "$tmp/seed5.yml" --sweep awgn.ebn0_db=2 --max-frames 64 --csv "$tmp/s5.csv" >"$tmp/s5.out" 2>&1 || fail "seed 5: $(cat "$tmp/s5.out")"
"$qsdr" ber "$fg" --sweep awgn.ebn0_db=2 --max-frames 64 --seed 5 --csv "$tmp/s5b.csv" -q >/dev/null 2>&1 || fail "--seed 5"
"$qsdr" ber "$tmp/seed5.yml" --sweep awgn.ebn0_db=2 --max-frames 64 --seed 1 --csv "$tmp/s1.csv" -q >/dev/null 2>&1 || fail "--seed 1"
grep -q '^# seed: 5 ' "$tmp/s5.out" || fail "the flowgraph's seed is not the default: $(grep seed "$tmp/s5.out")"
[ "$(cut -d, -f1-15 "$tmp/s5.csv")" = "$(cut -d, -f1-15 "$tmp/s5b.csv")" ] || fail "options: seed 5 and --seed 5 differ"
[ "$(cut -d, -f1-15 "$tmp/s5.csv")" != "$(cut -d, -f1-15 "$tmp/s1.csv")" ] || fail "--seed 1 did not override options: seed 5"

# --max-seconds ends a point that no count rule would end soon (error-free at 12 dB): the stop
# column says so, and the frames counted so far are kept
"$qsdr" ber "$fg" --sweep awgn.ebn0_db=12 --max-seconds 0.5 --max-frames 1000000000 --csv "$tmp/ms.csv" --threads 2 -q >/dev/null 2>&1 ||
    fail "--max-seconds"
awk -F, 'NR == 2 { exit !($18 == "max seconds" && $6 > 0) } END { exit NR != 2 }' "$tmp/ms.csv" || fail "--max-seconds: $(cat "$tmp/ms.csv")"

# a point's counts do not depend on the other points of the sweep
"$qsdr" ber "$fg" --sweep awgn.ebn0_db=4 --csv "$tmp/c.csv" -q >/dev/null || fail "single point"
[ "$(cut -d, -f1-15 "$tmp/c.csv" | tail -1)" = "$(grep '^,awgn.ebn0_db,4,' "$tmp/a.cut")" ] || fail "point 4 dB differs between sweeps"
# ... also where START + i x STEP is not the typed number (0 + 3 x 0.1 = 0.30000000000000004):
# range points are the doubles of their decimals, so 0.3 typed alone gives the same counts
"$qsdr" ber "$fg" --sweep awgn.ebn0_db=0:0.1:0.3 --max-frames 8 --csv "$tmp/d.csv" -q >/dev/null || fail "range 0:0.1:0.3"
"$qsdr" ber "$fg" --sweep awgn.ebn0_db=0.3 --max-frames 8 --csv "$tmp/e.csv" -q >/dev/null || fail "single point 0.3"
d=$(cut -d, -f1-15 "$tmp/d.csv" | grep '^,awgn.ebn0_db,0.3,'); e=$(cut -d, -f1-15 "$tmp/e.csv" | tail -1)
[ -n "$d" ] && [ "$d" = "$e" ] || fail "point 0.3 of 0:0.1:0.3 ($d) differs from 0.3 alone ($e)"
h=$("$qsdr" ber "$fg" --sweep awgn.ebn0_db=1.6:0.2:1.8 --max-frames 8 2>&1 | grep 'awgn (awgn)')
echo "$h" | grep -q 'ebn0_db=1.6 ' || fail "header shows the sweep value as more digits than typed: $h"

# MPI: 1 rank, 2 ranks and no MPI give the same counts (when built with MPI)
if "$qsdr" version | grep -q 'MPI: yes' && command -v mpirun >/dev/null; then
  export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 OMPI_MCA_rmaps_base_oversubscribe=1
  export ASAN_OPTIONS="${ASAN_OPTIONS:-}:detect_leaks=0" # Open MPI keeps its allocations at exit
  for np in 1 2; do
    mpirun -np $np "$qsdr" ber "$fg" --sweep awgn.ebn0_db=0:2:8 --threads 1 --csv "$tmp/m$np.csv" -q >/dev/null 2>"$tmp/err" \
      || fail "mpirun -np $np: $(cat "$tmp/err")"
    cut -d, -f1-15 "$tmp/m$np.csv" > "$tmp/m$np.cut"
    cmp -s "$tmp/a.cut" "$tmp/m$np.cut" || fail "MPI with $np ranks differs: $(diff "$tmp/a.cut" "$tmp/m$np.cut")"
  done
  # per-point units (a frame-size sweep) over 2 ranks
  mpirun -np 2 "$qsdr" ber "$src/flowgraphs/b1_turbo_qpsk_onebit.yml" --sweep K=40,1024 --set ebn0=3 --max-frames 3000 --threads 1 \
      --csv "$tmp/mk2.csv" -q >/dev/null 2>"$tmp/err" || fail "mpirun K sweep: $(cat "$tmp/err")"
  "$qsdr" ber "$src/flowgraphs/b1_turbo_qpsk_onebit.yml" --sweep K=40,1024 --set ebn0=3 --max-frames 3000 --threads 1 \
      --csv "$tmp/mk1.csv" -q >/dev/null || fail "K sweep"
  [ "$(cut -d, -f1-15 "$tmp/mk1.csv")" = "$(cut -d, -f1-15 "$tmp/mk2.csv")" ] || fail "K sweep: 1 and 2 ranks differ"
  echo "MPI: 1 and 2 ranks match"
else
  echo "MPI: not built or no mpirun; skipped"
fi

# Ctrl-C: the sweep ends after the current round with the counts so far written (exit 1); a
# second Ctrl-C ends the process at once
"$qsdr" ber "$fg" --sweep awgn.ebn0_db=6:1:7 --min-frame-errors 0 --max-frames 1000000000 --threads 1 --json "$tmp/i.json" >/dev/null 2>"$tmp/err" &
pid=$!; sleep 1; kill -INT $pid
for i in $(seq 100); do kill -0 $pid 2>/dev/null || break; sleep 0.1; done
kill -0 $pid 2>/dev/null && { kill -9 $pid; fail "Ctrl-C did not end qsdr ber within 10 s"; }
wait $pid; rc=$?
[ $rc -eq 1 ] || fail "interrupted sweep: exit $rc, expected 1"
grep -q 'stopping after the current round' "$tmp/err" || fail "first Ctrl-C not acknowledged: $(cat "$tmp/err")"
grep -q '"frames"' "$tmp/i.json" || fail "no JSON with the counts so far after Ctrl-C"
# a slow round (one unit of a very slow flowgraph) and two Ctrl-C: gone at once
"$qsdr" ber "$fg" --sweep awgn.ebn0_db=6 --min-frame-errors 0 --max-frames 1000000000 --threads 1 --set ber.frame_size=100000000 -q >/dev/null 2>&1 &
pid=$!; sleep 1; kill -INT $pid; sleep 0.2; kill -INT $pid
for i in $(seq 30); do kill -0 $pid 2>/dev/null || break; sleep 0.1; done
kill -0 $pid 2>/dev/null && { kill -9 $pid; fail "a second Ctrl-C did not end qsdr ber within 3 s"; }
wait $pid; rc=$?
[ $rc -eq 130 ] || fail "second Ctrl-C: exit $rc, expected 130 (SIGINT)"

# resume: 256 frames, then resumed to 512, equals a fresh run to 512
"$qsdr" ber "$fg" --sweep awgn.ebn0_db=6:1:7 --min-frame-errors 0 --max-frames 256 --json "$tmp/r.json" -q >/dev/null || fail "resume part 1"
"$qsdr" ber "$fg" --sweep awgn.ebn0_db=6:1:7 --min-frame-errors 0 --max-frames 512 --resume "$tmp/r.json" --csv "$tmp/r.csv" -q >/dev/null \
  || fail "resume part 2"
"$qsdr" ber "$fg" --sweep awgn.ebn0_db=6:1:7 --min-frame-errors 0 --max-frames 512 --csv "$tmp/f.csv" -q >/dev/null || fail "fresh run"
cut -d, -f1-15 "$tmp/r.csv" > "$tmp/r.cut"; cut -d, -f1-15 "$tmp/f.csv" > "$tmp/f.cut"
cmp -s "$tmp/r.cut" "$tmp/f.cut" || fail "resumed counts differ from a fresh run: $(diff "$tmp/r.cut" "$tmp/f.cut")"
"$qsdr" ber "$fg" --sweep awgn.ebn0_db=5:1:7 --max-frames 512 --resume "$tmp/r.json" -q >/dev/null 2>"$tmp/err"
[ $? -eq 2 ] && grep -q "'sweep' was" "$tmp/err" || fail "resume with another sweep should exit 2: $(cat "$tmp/err")"
# ... with another seed (other noise: the counts would not continue those in the file)
"$qsdr" ber "$fg" --sweep awgn.ebn0_db=6:1:7 --min-frame-errors 0 --max-frames 512 --seed 5 --resume "$tmp/r.json" -q >/dev/null 2>"$tmp/err"
[ $? -eq 2 ] && grep -q "'seed' was '1', this run has '5'" "$tmp/err" || fail "resume with another seed should exit 2: $(cat "$tmp/err")"
# ... and a file whose frames per unit (the unit the frames are counted and seeded in) differ
sed '0,/"frames_per_unit":[[:space:]]*[0-9]*/s//"frames_per_unit": 12345/' "$tmp/r.json" >"$tmp/fpu.json"
cmp -s "$tmp/r.json" "$tmp/fpu.json" && fail "the frames_per_unit edit changed nothing"
"$qsdr" ber "$fg" --sweep awgn.ebn0_db=6:1:7 --min-frame-errors 0 --max-frames 512 --resume "$tmp/fpu.json" -q >/dev/null 2>"$tmp/err"
[ $? -eq 2 ] && grep -q "frames per unit differ" "$tmp/err" || fail "resume with other frames per unit should exit 2: $(cat "$tmp/err")"
# a corrupt resume file: counts no integer holds, errors above the bits counted, a huge index
for edit in 's/"bit_errors":[[:space:]]*[0-9]*/"bit_errors": 1e300/' 's/"bit_errors":[[:space:]]*[0-9]*/"bit_errors": 1e12/' \
            's/"point_index":[[:space:]]*0/"point_index": -1e300/'; do
  sed "$edit" "$tmp/r.json" >"$tmp/bad.json"
  cmp -s "$tmp/r.json" "$tmp/bad.json" && fail "resume edit '$edit' changed nothing"
  "$qsdr" ber "$fg" --sweep awgn.ebn0_db=6:1:7 --min-frame-errors 0 --max-frames 512 --resume "$tmp/bad.json" -q >/dev/null 2>"$tmp/err"
  [ $? -eq 2 ] && grep -q "out of range" "$tmp/err" || fail "resume from a corrupt file ($edit) should exit 2: $(cat "$tmp/err")"
done

# bad input: exit 2 and a message naming the problem
check_bad() { # expected-text args...
  local want=$1; shift
  "$qsdr" ber "$@" >/dev/null 2>"$tmp/err"; local rc=$?
  [ $rc -eq 2 ] || fail "qsdr ber $*: exit $rc, expected 2"
  grep -q -- "$want" "$tmp/err" || fail "qsdr ber $*: message lacks '$want': $(cat "$tmp/err")"
}
check_bad "expected NAME=START:STEP:STOP" "$fg" --sweep awgn.ebn0_db
check_bad "--at-ber expects BER values in (0, 0.5), comma-separated, got '0.5'" "$fg" --sweep awgn.ebn0_db=1 --at-ber 0.5
check_bad "--at-ber expects BER values in (0, 0.5), comma-separated, got '1e-4,x'" "$fg" --sweep awgn.ebn0_db=1 --at-ber 1e-4,x
check_bad "--at-ber expects BER values in (0, 0.5), comma-separated, got 'nan'" "$fg" --sweep awgn.ebn0_db=1 --at-ber nan
check_bad "--at-ber and --at-fer: at most 8 values in all" "$fg" --sweep awgn.ebn0_db=1 --at-ber 1e-1,1e-2,1e-3,1e-4,1e-5 --at-fer 1e-6,1e-7,1e-8,1e-9
check_bad "--at-fer expects FER values in (0, 1), comma-separated, got '1'" "$fg" --sweep awgn.ebn0_db=1 --at-fer 1
printf 'a;b\n1;2\n' >"$tmp/noref.csv" # a reference with no x,ber rows drew nothing, silently
check_bad "no x,ber rows" "$fg" --sweep awgn.ebn0_db=1 --ref "$tmp/noref.csv"
check_bad "cannot go from" "$fg" --sweep awgn.ebn0_db=0:-1:3
check_bad "cannot go from" "$fg" --sweep awgn.ebn0_db=0:0:3
check_bad "is not a finite number" "$fg" --sweep awgn.ebn0_db=1,x,3
check_bad "unknown parameter 'ebno'" "$fg" --sweep awgn.ebno=0:1:2
check_bad "no block with id 'awg'" "$fg" --sweep awg.ebn0_db=0:1:2
check_bad "out of range" "$fg" --sweep awgn.ebn0_db=0:100:200
check_bad "no --sweep given" "$fg"
check_bad "--threads expects" "$fg" --sweep awgn.ebn0_db=0:1:2 --threads 0
check_bad "must end in .png or .svg" "$fg" --sweep awgn.ebn0_db=0:1:2 --plot out.jpg
check_bad "no line breaks or control characters" "$fg" --sweep awgn.ebn0_db=0:1:2 --plot "$(printf 'a\nb.png')"
check_bad "theory curves are" "$fg" --sweep awgn.ebn0_db=0:1:2 --ref theory:ofdm
# an output over another output, the flowgraph or an input: refused before the run (not destroyed at its end)
cp "$fg" "$tmp/fgcopy.yml"; printf '1 0.1\n' > "$tmp/ref1.csv"
check_bad "--csv '$tmp/s.csv' and --json '$tmp/./s.csv' are the same file" "$fg" --sweep awgn.ebn0_db=1 --max-frames 1 --csv "$tmp/s.csv" --json "$tmp/./s.csv"
check_bad "and the flowgraph '$tmp/fgcopy.yml' are the same file" "$tmp/fgcopy.yml" --sweep awgn.ebn0_db=1 --max-frames 1 --json "$tmp/fgcopy.yml"
check_bad "--csv '$tmp/ref1.csv' is the --ref file" "$fg" --sweep awgn.ebn0_db=1 --max-frames 1 --csv "$tmp/ref1.csv" --ref "$tmp/ref1.csv"
cmp -s "$fg" "$tmp/fgcopy.yml" && [ "$(cat "$tmp/ref1.csv")" = "1 0.1" ] || fail "a refused output touched its file"
check_bad "both --sweep options name 'awgn.ebn0_db'" "$fg" --sweep awgn.ebn0_db=1 --sweep awgn.ebn0_db=2
# ZeroMQ blocks cannot run in parallel units (a bound address, a live stream): said, not "Address already in use"
check_bad "block 'rx' (zmq_source) streams over ZeroMQ, but a sweep runs the flowgraph once per unit of frames" "$src/flowgraphs/zmq_rx_onebit.yml" --sweep awgn.ebn0_db=1 --max-frames 1
check_bad "no stop rule" "$fg" --sweep awgn.ebn0_db=0:1:2 --min-frame-errors 0
cat > "$tmp/nober.yml" <<YML
blocks:
  - {id: src, type: null_source}
  - {id: awgn, type: awgn}
  - {id: out, type: null_sink}
connections: [src -> awgn, awgn -> out]
YML
check_bad "exactly one 'ber' block" "$tmp/nober.yml" --sweep awgn.ebn0_db=0:1:2
check_bad "theory curves are drawn against Eb/N0 or Es/N0; the sweep is 'adc.bits'" "$fg" --sweep adc.bits=1,2 --ref theory:qpsk

# an Es/N0 sweep of a flowgraph that sets ebn0_db: the command line wins (said once, not under -q);
# the CSV gives both, Eb/N0 = Es/N0 - 10 log10(2) for uncoded QPSK, and the BER follows
# Q(sqrt(Es/N0)) (statistical: >= 100 frame errors of 64k bits, tolerance 5 %)
qfg=$src/flowgraphs/qpsk_awgn.yml
"$qsdr" ber "$qfg" --sweep awgn.esn0_db=3,6 --csv "$tmp/es.csv" --ref theory:qpsk --plot "$tmp/es.svg" --threads 1 >"$tmp/es.out" 2>"$tmp/es.err" ||
    fail "Es/N0 sweep: $(cat "$tmp/es.err")"
[ "$(grep -c 'overrides ebn0_db from' "$tmp/es.err")" -eq 1 ] || fail "the override is not said once: $(cat "$tmp/es.err")"
grep -q '>s</tspan><tspan[^>]*>/N</tspan>' "$tmp/es.svg" || fail "Es/N0 plot axis"  # E_s/N_0 in gnuplot's SVG
/usr/bin/python3 - "$tmp/es.csv" <<'PY' || fail "Es/N0 sweep CSV: $(cat "$tmp/es.csv")"
import csv, math, sys
for r in csv.DictReader(open(sys.argv[1])):
    es = float(r["x"])
    assert abs(float(r["esn0_db"]) - es) < 1e-9, r
    assert abs(float(r["ebn0_db"]) - (es - 10 * math.log10(2))) < 1e-9, r
    q = 0.5 * math.erfc(math.sqrt(10 ** (es / 10)) / math.sqrt(2))
    assert abs(float(r["ber"]) / q - 1) < 0.05, (r["ber"], q)
PY
"$qsdr" ber "$qfg" --sweep awgn.esn0_db=3 --max-frames 64 -q >/dev/null 2>"$tmp/es.err" || fail "Es/N0 sweep -q"
[ ! -s "$tmp/es.err" ] || fail "-q printed: $(cat "$tmp/es.err")"
check_bad "the sweep sets ebn0 = 1, but the channel 'awgn' uses ebn0_db = -0.0103" "$qfg" --sweep ebn0=1,2 --set awgn.esn0_db=3
check_bad "set either 'ebn0_db' (--set awgn.ebn0_db=3) or 'esn0_db' (--sweep awgn.esn0_db=3), not both" "$qfg" --sweep awgn.esn0_db=3 --set awgn.ebn0_db=3
# messages about a swept parameter name the option the user typed, not --set
check_bad "--sweep awgn.foo=1: block 'awgn' (awgn): unknown parameter 'foo'" "$qfg" --sweep awgn.foo=1:1:2
check_bad "--sweep 'adc.bits=1': $qfg has no block with id 'adc'" "$qfg" --sweep awgn.ebn0_db=0:2:4 --sweep adc.bits=1,2
check_bad "--sweep 'K=1': $qfg has no variable 'K'" "$qfg" --sweep K=1,2
check_bad "--set awgn.foo=2: block 'awgn' (awgn): unknown parameter 'foo'" "$qfg" --sweep awgn.ebn0_db=1 --set awgn.foo=2
# a sweep of something else: Eb/N0 and Es/N0 as the awgn block used them, in table, CSV and JSON
"$qsdr" ber "$fg" --sweep adc.bits=1,2 --set awgn.ebn0_db=4 --max-frames 64 --csv "$tmp/o.csv" --json "$tmp/o.json" --plot "$tmp/o.svg" -q >"$tmp/o.out" ||
    fail "adc.bits sweep"
grep -q '>0</tspan><tspan[^>]*> = 4 dB (E</tspan>' "$tmp/o.svg" || fail "adc.bits sweep plot title lacks the Eb/N0"
grep -q "nan" "$tmp/o.out" "$tmp/o.csv" && fail "nan in the results: $(cat "$tmp/o.out" "$tmp/o.csv")"
[ "$(cut -d, -f3-5 "$tmp/o.csv" | tail -n +2 | tr '\n' ' ')" = "1,4,7.010299957 2,4,7.010299957 " ] || fail "adc.bits sweep CSV: $(cat "$tmp/o.csv")"
grep -q '"ebn0_db":	4,' "$tmp/o.json" || fail "JSON lacks ebn0_db: $(cat "$tmp/o.json")"
grep -q '^# curve  *adc.bits  *Eb/N0  *Es/N0  *frames' "$tmp/o.out" && grep -q '^-  *1  *4.000  *7.010  *64 ' "$tmp/o.out" ||
    fail "adc.bits sweep table lacks Eb/N0 and Es/N0: $(cat "$tmp/o.out")"
grep -q '^# curve  *awgn.esn0_db  *Eb/N0  *frames' "$tmp/es.out" && grep -q '^-  *3  *-0.010  *[0-9][0-9]* ' "$tmp/es.out" ||
    fail "Es/N0 sweep table lacks Eb/N0: $(cat "$tmp/es.out")"

# a sweep of the frame size (the variable K): each point's unit follows its frame size (it was
# fixed by the first point's: 'a unit counted 384 frames instead of 64'); same counts on 1 and 3
# threads; the JSON resumes
bfg=$src/flowgraphs/b1_turbo_qpsk_onebit.yml
for t in 1 3; do
    "$qsdr" ber "$bfg" --sweep K=40,1024 --set ebn0=3 --max-frames 64 --csv "$tmp/k$t.csv" --json "$tmp/k$t.json" --threads $t >"$tmp/k.out" 2>&1 ||
        fail "K sweep, $t threads: $(cat "$tmp/k.out")"
done
grep -q "the frame size varies with the sweep" "$tmp/k.out" || fail "K sweep header: $(cat "$tmp/k.out")"
[ "$(cut -d, -f1-15 "$tmp/k1.csv")" = "$(cut -d, -f1-15 "$tmp/k3.csv")" ] || fail "K sweep: 1 and 3 threads differ"
[ "$(grep -o '"frames_per_unit":	[0-9]*' "$tmp/k1.json" | tr -d '\t' | tr '\n' ' ')" = '"frames_per_unit":1639 "frames_per_unit":1639 "frames_per_unit":64 ' ] ||
    fail "K sweep units: $(grep frames_per_unit "$tmp/k1.json")"
"$qsdr" ber "$bfg" --sweep K=40,1024 --set ebn0=3 --max-frames 64 --resume "$tmp/k1.json" --csv "$tmp/k4.csv" >"$tmp/k.out" 2>&1 ||
    fail "K sweep resume: $(cat "$tmp/k.out")"
[ "$(cut -d, -f1-15 "$tmp/k1.csv")" = "$(cut -d, -f1-15 "$tmp/k4.csv")" ] || fail "K sweep resume changed the counts"
sed 's/"frames_per_unit":	64,/"frames_per_unit":	65,/' "$tmp/k1.json" > "$tmp/k5.json"
"$qsdr" ber "$bfg" --sweep K=40,1024 --set ebn0=3 --max-frames 64 --resume "$tmp/k5.json" >"$tmp/k.out" 2>&1 && fail "resume with other units accepted"
grep -q "point 1 of curve 0 had 65 frames per unit, this run has 64" "$tmp/k.out" || fail "resume units message: $(cat "$tmp/k.out")"
echo ok
