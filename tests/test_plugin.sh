#!/usr/bin/env bash
# The example plugin loads from QSDR_PLUGIN_PATH, is listed by `qsdr blocks`, and runs.
set -u
qsdr=$1; dir=$2; yml=$3
fail() { echo "FAIL: $*"; exit 1; }
out=$("$qsdr" run "$yml" --quiet 2>&1) && fail "without QSDR_PLUGIN_PATH the flowgraph should not load: $out"
case "$out" in *"unknown block type 'plugin_gain'"*) ;; *) fail "unexpected message: $out" ;; esac
export QSDR_PLUGIN_PATH=/nonexistent:$dir
"$qsdr" blocks | grep -q '^plugin_gain ' || fail "plugin block not listed by qsdr blocks"
"$qsdr" blocks plugin_gain | grep -q 'gain' || fail "qsdr blocks plugin_gain shows no parameter"
out=$("$qsdr" run "$yml" --quiet 2>&1) || fail "run failed: $out"
echo "$out"
# (1.5 + 2.5 - 1 + 4) * 3 / 4 = 5.25
echo "$out" | grep -q 'probe: count=4 mean=5.25 ' || fail "unexpected probe output"
echo ok
