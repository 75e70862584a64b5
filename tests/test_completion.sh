#!/usr/bin/env bash
# bash completion (apps/qsdr-completion.bash) as bash calls it: COMP_WORDS/COMP_CWORD in,
# COMPREPLY out, for commands, options (from each command's --help), shipped flowgraph names,
# block types, model subcommands, ctl verbs, option values and files.
set -u
qsdr=$1; src=$2
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
fail() { echo "FAIL: $*"; exit 1; }
# shellcheck source=../apps/qsdr-completion.bash
source "$src/apps/qsdr-completion.bash"
complete -p qsdr >/dev/null 2>&1 || fail "no completion registered for qsdr"
comp() { # words... (the last one is the word being completed): prints COMPREPLY sorted, one per line
    COMP_WORDS=("$qsdr" "$@"); COMP_CWORD=$#
    _qsdr
    printf '%s\n' "${COMPREPLY[@]}" | sort
}
want() { # expected-lines words...
    local exp=$1; shift
    local got; got=$(comp "$@")
    [ "$got" = "$exp" ] || fail "completing '$*': got [$got], expected [$exp]"
}
want $'ber\nblock\nblocks' b
want "run" r
want $'--sweep' ber x.yml --swe
want $'--max-frames\n--max-seconds' ber x.yml --max-
want "--markdown" blocks --mark
want "--bits-per-symbol" train ae --bits-p
want "--epochs" train spec.yml --ep
want $'info' model in
want $'--calibrate' model eval f.yml --cal
want $'serial' run x.yml --scheduler se
want $'awgn' blocks awg
want $'turbo_decoder\nturbo_encoder' block turbo_
want $'qpsk_onebit' run qpsk_one
want $'ae_onebit\nae_qam16_onebit' ber ae_
want $'set\nstats' ctl tcp://127.0.0.1:5560 s
want "" run x.yml --set awg   # a value: nothing is guessed
# files where a path goes: after --csv, and as the flowgraph
mkdir -p "$tmp/d" && touch "$tmp/d/my_graph.yml" "$tmp/d/out.csv"
want "$tmp/d/my_graph.yml" run "$tmp/d/my_"
want "$tmp/d/out.csv" ber x.yml --csv "$tmp/d/ou"
echo "completion: ok"
