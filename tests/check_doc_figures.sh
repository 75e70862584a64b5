#!/usr/bin/env bash
# Every `qsdr ber ... --csv docs/figures/NAME.csv` command in docs/ber.md's shell blocks is run
# again and must reproduce the committed CSV's counts (curve, point, Eb/N0, frames, bits, bit
# and frame errors): a figure whose numbers the code no longer gives fails here, not in a
# reader's hands. Timing columns are not compared.
set -u
qsdr=$1; src=$2
cd "$src" || exit 1
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
status=0; n=0
# the commands, continuation lines joined, one per line
awk '/^```sh/{on=1; next} /^```/{on=0; cur=""; next}
     on { line=$0; if (sub(/\\[ \t]*$/, "", line)) { cur = cur line; next } cur = cur line; print cur; cur="" }' docs/ber.md |
  grep -E '^qsdr ber .*--csv docs/figures/[A-Za-z0-9_]+\.csv' > "$tmp/cmds"
while IFS= read -r cmd; do
  csv=$(grep -oE -- '--csv docs/figures/[A-Za-z0-9_]+\.csv' <<<"$cmd" | cut -d' ' -f2)
  name=$(basename "$csv")
  # run it with the output CSV in the temporary folder and no plot
  args=$(sed -E -e 's/^qsdr //' -e 's/--plot [^ ]+//' -e "s#--csv docs/figures/#--csv $tmp/#" <<<"$cmd")
  # shellcheck disable=SC2086  # the documented command's words, as a shell would split them
  if ! "$qsdr" $args > "$tmp/out" 2>&1; then
    echo "FAIL: '$cmd' exits non-zero:"; tail -5 "$tmp/out"; status=1; continue
  fi
  n=$((n + 1))
  if ! diff <(cut -d, -f1-9 "$csv") <(cut -d, -f1-9 "$tmp/$name") > "$tmp/diff"; then
    echo "FAIL: $csv is not what its command in docs/ber.md gives now (regenerate it with that command):"
    head -10 "$tmp/diff"; status=1
  fi
done < "$tmp/cmds"
[ "$n" -ge 3 ] || { echo "FAIL: found $n figure commands in docs/ber.md, expected 3"; status=1; }
[ $status -eq 0 ] && echo "ok: $n figure CSVs reproduced"
exit $status
