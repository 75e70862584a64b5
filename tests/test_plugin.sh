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
# only *.so files are loaded: docs/plugins.md builds and loads in the plugin's source directory
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
cp "$dir"/*.so "$tmp/" && printf 'all:\n' >"$tmp/Makefile" && printf 'int x;\n' >"$tmp/my_block.c" && : >"$tmp/notes.so.txt"
out=$(QSDR_PLUGIN_PATH=$tmp "$qsdr" blocks 2>&1) || fail "plugin directory with sources: $out"
echo "$out" | grep -q '^plugin_gain ' && ! echo "$out" | grep -q "plugin '" || fail "plugin directory with sources: $out"
# a plugin that flips the LLRs' sign: the BER meter says the bits look inverted (BER 0.99)
printf 'blocks:\n  - {id: src, type: random_source}\n  - {id: map, type: mapper, params: {modulation: qpsk}}\n  - {id: awgn, type: awgn, params: {ebn0_db: 5}}\n  - {id: demap, type: demapper, params: {modulation: qpsk}}\n  - {id: neg, type: plugin_gain, params: {gain: -1}}\n  - {id: dec, type: hard_decision}\n  - {id: ber, type: ber, params: {max_bits: 100000}}\nconnections: [src -> map, map -> awgn, awgn -> demap, demap -> neg, neg -> dec, dec -> ber.in, src -> ber.ref]\n' >"$tmp/inv.yml"
out=$("$qsdr" run "$tmp/inv.yml" 2>&1) || fail "inverted run: $out"
echo "$out" | grep -q "block 'ber' (ber): BER 0.99[0-9]*: more bits wrong than right: they are probably inverted" || fail "inverted bits not said: $out"
echo ok
