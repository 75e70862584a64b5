#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# docs/results.md must be what scripts/flagship-results makes of the code and models as they are
# now: the script is rerun in a private copy of the tree (the working tree is never touched) and
# its docs/results.md must equal the committed one, and every CSV of docs/figures/flagship/ must
# have the same counts (all columns but the timing ones, mbps and seconds). PNGs are not compared.
# In the default suite (about a minute on 2 cores: the whole study).
#   tests/check_results.sh QSDR_BINARY SOURCE_DIR
set -u
qsdr=$1; src=$2
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
# what the study reads (scripts, flowgraphs, models) and writes (docs/)
cp -R "$src/scripts" "$src/flowgraphs" "$src/models" "$src/docs" "$tmp/" || { echo "FAIL: cannot copy $src"; exit 1; }
rm -f "$tmp"/docs/figures/flagship/*.csv "$tmp/docs/results.md" # so that what is no longer written shows
(cd "$tmp" && QSDR=$qsdr scripts/flagship-results) >"$tmp/.results.log" 2>&1 ||
  { cat "$tmp/.results.log"; echo "FAIL: scripts/flagship-results failed"; exit 1; }
status=0
diff -u "$src/docs/results.md" "$tmp/docs/results.md" || { echo "FAIL: docs/results.md differs from what scripts/flagship-results writes now"; status=1; }
. "$(dirname "$0")/compare_csv_dir.sh"
compare_csv_dir "$src/docs/figures/flagship" "$tmp/docs/figures/flagship" docs/figures/flagship
n=$csv_compared
[ $status -eq 0 ] && echo "ok: docs/results.md and $n CSVs reproduced"
exit $status
