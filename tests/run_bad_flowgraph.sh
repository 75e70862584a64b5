#!/usr/bin/env bash
# A bad flowgraph must exit with code 2 and print the message in its "# expect:" lines,
# which must also name the file and line ("# line: N" when given).
set -u
qsdr=$1; f=$2
# a bad flowgraph taken for a good one would run (often forever): 30 s is far more than loading takes
out=$(timeout 30 "$qsdr" run "$f" --quiet 2>&1 >/dev/null); rc=$?
name=$(basename "$f")
if [ $rc -eq 124 ]; then echo "FAIL $name: accepted and still running after 30 s (expected exit code 2)"; exit 1; fi
if [ $rc -ne 2 ]; then echo "FAIL $name: exit code $rc, expected 2"; echo "$out"; exit 1; fi
fail=0
while IFS= read -r want; do
  case "$out" in *"$want"*) ;; *) echo "FAIL $name: message lacks: $want"; fail=1 ;; esac
done < <(sed -n 's/^# expect: //p' "$f")
line=$(sed -n 's/^# line: //p' "$f")
if [ -n "$line" ]; then
  case "$out" in *"$name:$line"*) ;; *) echo "FAIL $name: message does not name $name:$line"; fail=1 ;; esac
fi
echo "$out"
[ $fail -eq 0 ] && echo "ok: $name"
exit $fail
