#!/usr/bin/env bash
# docs/blocks.md must equal `qsdr blocks --markdown` (regenerate: make docs), and every source
# tree path the README and docs/ name (flowgraphs/x.yml, scripts/x, models/x, docs/x.md, ...)
# must exist, so a renamed or removed file cannot leave the docs pointing at nothing; and
# docs/testing.md's count of mutants must be the number tests/mutants/mutants.txt lists.
set -u
qsdr=$1; src=$2
status=0
if ! diff -u "$src/docs/blocks.md" <(env -u QSDR_PLUGIN_PATH "$qsdr" blocks --markdown); then
  echo "FAIL: docs/blocks.md is out of date; run 'make docs'"; status=1
fi
cd "$src" || exit 1
# paths under build/ are build outputs; bench/NAME is the benchmark built from bench/NAME.c;
# upper-case words are placeholders (blocks/NAME.c)
while IFS=: read -r file path; do
  path=${path%%[.,)]}; path=${path%.}
  case $path in build/*|*[A-Z][A-Z][A-Z]*) continue ;; esac
  [ -e "$path" ] || [ -e "$path.c" ] || { echo "FAIL: $file names $path, which does not exist"; status=1; }
done < <(grep -oE '(build/)?\b(flowgraphs|scripts|models|bench|docs|examples|tests|include|lib|blocks|apps|cmake)/[A-Za-z0-9_./-]*[A-Za-z0-9_]' \
           README.md docs/*.md models/README.md /dev/null | sort -u)
# docs/testing.md quotes how many mutants tests/mutants/mutants.txt lists
n=$(grep -cvE '^[[:space:]]*(#|$)' tests/mutants/mutants.txt)
grep -q "Of the $n listed" docs/testing.md ||
  { echo "FAIL: docs/testing.md does not say 'Of the $n listed' (tests/mutants/mutants.txt lists $n mutants)"; status=1; }
[ $status -eq 0 ] && echo ok
exit $status
