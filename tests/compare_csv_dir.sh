# SPDX-License-Identifier: MIT
# Sourced by tests/check_results.sh and tests/check_experiment.sh: a folder of committed CSVs
# against the same folder written again by the command that made it.
#   compare_csv_dir COMMITTED_DIR NEW_DIR LABEL [SKIP_PREFIX]
# Every committed CSV must be written again and be the same: byte for byte, or, where its header
# has timing columns (mbps, seconds), the same in every other column. CSVs named SKIP_PREFIX*
# are only required to exist. A CSV written but not committed fails too. Sets status=1 on a
# failure (leaves it alone otherwise) and csv_compared to the number of CSVs compared.

csv_counts() { # every column but mbps and seconds, by name
  awk -F, 'NR == 1 { for (i = 1; i <= NF; i++) if ($i != "mbps" && $i != "seconds") keep[i] = 1 }
           { s = ""; for (i = 1; i <= NF; i++) if (i in keep) s = s $i ","; print s }' "$1"
}

compare_csv_dir() {
  local old=$1 new=$2 label=$3 skip=${4:-} f b
  csv_compared=0
  for f in "$old"/*.csv; do
    b=$(basename "$f")
    [ -f "$new/$b" ] || { echo "FAIL: $label/$b is no longer written"; status=1; continue; }
    [ -n "$skip" ] && case $b in "$skip"*) continue ;; esac
    csv_compared=$((csv_compared + 1))
    if head -1 "$f" | grep -qE '(^|,)(mbps|seconds)(,|$)'; then
      diff <(csv_counts "$f") <(csv_counts "$new/$b") >/dev/null || { echo "FAIL: $label/$b: the counts differ"; status=1; }
    else
      cmp -s "$f" "$new/$b" || { echo "FAIL: $label/$b differs:"; diff "$f" "$new/$b" | head -20; status=1; }
    fi
  done
  for f in "$new"/*.csv; do
    [ -f "$old/$(basename "$f")" ] || { echo "FAIL: $label/$(basename "$f") is written but not committed"; status=1; }
  done
}
