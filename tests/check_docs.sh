#!/usr/bin/env bash
# docs/blocks.md must equal `qsdr blocks --markdown` (regenerate: make docs).
set -u
qsdr=$1; src=$2
if ! diff -u "$src/docs/blocks.md" <(env -u QSDR_PLUGIN_PATH "$qsdr" blocks --markdown); then
  echo "FAIL: docs/blocks.md is out of date; run 'make docs'"; exit 1
fi
echo ok
