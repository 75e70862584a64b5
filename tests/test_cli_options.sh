#!/usr/bin/env bash
# Every qsdr subcommand: --help prints its usage on stdout and exits 0; a bad option value (not a
# number, trailing text, NaN, out of range, missing) exits 2 naming the option, the allowed range
# and the text given, before any work starts, and never hangs.
set -u
qsdr=$1; src=$2
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
fail() { echo "FAIL: $*"; exit 1; }

for sub in run ber train "train ae" model "model info" "model eval" "model quantize" ctl blocks block; do
    # shellcheck disable=SC2086
    out=$(timeout 10 "$qsdr" $sub --help 2>"$tmp/err"); rc=$?
    [ $rc -eq 0 ] || fail "qsdr $sub --help exited $rc: $(cat "$tmp/err")"
    echo "$out" | grep -q "^usage: qsdr ${sub%% *}" || fail "qsdr $sub --help: no usage on stdout: $out"
done
"$qsdr" -h | grep -q 'qsdr COMMAND --help' || fail "qsdr -h does not point at the per-command help"
# every option a command parses is explained in its --help (names taken from the parser's source)
check_help_lists() { # SOURCE "SUBCOMMAND"
    # shellcheck disable=SC2086
    local help; help=$("$qsdr" $2 --help)
    for o in $(grep -o '"--[a-z][a-z0-9-]*"' "$src/$1" | tr -d '"' | grep -vx -- --help | sort -u); do
        echo "$help" | grep -q -- "^ *$o\b\|[ ,]$o\b" || fail "qsdr $2 --help does not explain $o"
    done
}
check_help_lists apps/qsdr_ber.c ber
check_help_lists apps/qsdr_ae.c "train ae"

fg=$src/flowgraphs/qpsk_onebit.yml
spec=$src/examples/spirals.yml
# expect_bad 'message (grep -F)' args...
expect_bad() {
    local want=$1; shift
    timeout 10 "$qsdr" "$@" >"$tmp/out" 2>"$tmp/err"; rc=$?
    [ $rc -eq 2 ] || fail "qsdr $* exited $rc (expected 2): $(cat "$tmp/err")"
    grep -qF -- "$want" "$tmp/err" || fail "qsdr $*: message lacks '$want': $(cat "$tmp/err")"
    [ ! -s "$tmp/out" ] || fail "qsdr $*: wrote to stdout: $(cat "$tmp/out")"
}
expect_bad "--items expects an integer in [0, 18446744073709551615], got '1e3'" run "$fg" --items 1e3
expect_bad "--seed expects an integer in [0, 18446744073709551615], got '99999999999999999999'" run "$fg" --seed 99999999999999999999
expect_bad "--seconds expects a number in [0.001, 1e+07], got '1e-9'" run "$fg" --seconds 1e-9
expect_bad "--seconds expects a number in [0.001, 1e+07], got 'nan'" run "$fg" --seconds nan
expect_bad "option --seed needs a value" run "$fg" --seed
expect_bad "--drain-timeout expects an integer in [0, 86400], got '-1'" run "$fg" --drain-timeout -1
expect_bad "one block name at a time" blocks adc awgn
expect_bad "--threads expects an integer in [1, 1024], got '0'" ber "$fg" --sweep awgn.ebn0_db=1 --threads 0
expect_bad "--max-seconds expects a number in [0, 1e+09], got ''" ber "$fg" --sweep awgn.ebn0_db=1 --max-seconds ''
expect_bad "--max-frames expects an integer in [0, 18446744073709551615], got '-1'" ber "$fg" --sweep awgn.ebn0_db=1 --max-frames -1
expect_bad "--ber-floor expects a number in [0, 1), got '1'" ber "$fg" --sweep awgn.ebn0_db=1 --ber-floor 1
# a value twice (a typo that would simulate a point twice), more values than allowed (were cut silently)
expect_bad "--sweep 'awgn.ebn0_db=1,2,1.0': the value '1.0' is given twice (as '1')" ber "$fg" --sweep awgn.ebn0_db=1,2,1.0
expect_bad "--sweep 'adc.bits=1,2,1': the value '1' is given twice" ber "$fg" --sweep awgn.ebn0_db=1 --sweep adc.bits=1,2,1
expect_bad "more than 10000 values" ber "$fg" --sweep "awgn.ebn0_db=$(seq -s, 0 0.001 10.001)"
# output paths are checked before the sweep starts, not after hours of simulation
expect_bad "--csv '$tmp/no/such/dir/a.csv': cannot write there: No such file or directory" ber "$fg" --sweep awgn.ebn0_db=1 --csv "$tmp/no/such/dir/a.csv"
expect_bad "--plot '$tmp/no/b.png': cannot write there" ber "$fg" --sweep awgn.ebn0_db=1 --plot "$tmp/no/b.png"
expect_bad "--json '$tmp/no/c.json': cannot write there" ber "$fg" --sweep awgn.ebn0_db=1 --json "$tmp/no/c.json"
expect_bad "--epochs expects an integer in [1, 1000000], got '2x'" train "$spec" --epochs 2x --out "$tmp/t"
expect_bad "--seed expects an integer in [0, 18446744073709551615], got 'abc'" train "$spec" --seed abc --out "$tmp/t"
expect_bad "option --out needs a value" train "$spec" --out
[ ! -e "$tmp/t" ] || fail "a rejected qsdr train created its output directory"
expect_bad "--ebn0 expects a number in [-10, 30], got 'nan'" train ae --bits-per-symbol 2 --oversampling 2 --ebn0 nan
expect_bad "--ebn0 expects a number in [-10, 30], got ''" train ae --bits-per-symbol 2 --oversampling 2 --ebn0 ''
expect_bad "--lr expects a number in [1e-09, 1], got '0'" train ae --bits-per-symbol 2 --oversampling 2 --ebn0 1 --lr 0
expect_bad "--method expects two-step, ste or both, got 'sgd'" train ae --bits-per-symbol 2 --oversampling 2 --ebn0 1 --method sgd
expect_bad "unknown option '--bogus'" train ae --bogus
expect_bad "--calibrate expects an integer in [0, 100000000], got 'many'" model eval "$spec" --calibrate many
expect_bad "--calibrate expects an integer in [1, 100000000], got '0'" model quantize "$spec" "$tmp/q.safetensors" --bits 8 --calibrate 0
expect_bad "--bits expects W or W/A with W, A in 1..8, or float; got '9'" model quantize "$spec" "$tmp/q.safetensors" --bits 9
expect_bad "--bits W[/A] is required" model quantize "$spec" "$tmp/q.safetensors"
expect_bad "unknown option '--bits'" model info "$spec" --bits 2
# a mistyped name gets the near one ("did you mean"), from the same list the command accepts
expect_bad "qsdr: unknown command 'rn' (did you mean 'run'?)" rn
expect_bad "qsdr run: unknown option '--itmes' (did you mean '--items'?)" run "$fg" --itmes 3
expect_bad "qsdr ber: unknown option '--max-frame' (did you mean '--max-frames'?)" ber "$fg" --sweep awgn.ebn0_db=1 --max-frame 64
expect_bad "qsdr train ae: unknown option '--bits-per-symbl' (did you mean '--bits-per-symbol'?)" train ae --bits-per-symbl 2
expect_bad "qsdr train: unknown option '--epoch' (did you mean '--epochs'?)" train "$spec" --epoch 3
expect_bad "qsdr model eval: unknown option or extra argument '--bit' (did you mean '--bits'?)" model eval "$spec" --bit 3
expect_bad "qsdr blocks: unknown option '--markdwn' (did you mean '--markdown'?)" blocks --markdwn
expect_bad "qsdr blocks: unknown block type 'awgm' (did you mean 'awgn'? run" blocks awgm
expect_bad "qsdr block: unknown block type 'addc' (did you mean 'adc'? run" block addc
expect_bad "qsdr ctl: unknown option '--timout' (did you mean '--timeout'?)" ctl tcp://127.0.0.1:9 get adc.bits --timout 5
expect_bad "got 'gte' (did you mean 'get'?)" ctl tcp://127.0.0.1:9 gte adc.bits
expect_bad "qpsk_onebt: no such file, nor a shipped flowgraph of that name" run qpsk_onebt
expect_bad "(did you mean 'qpsk_onebit'? 'qsdr flowgraphs' lists them)" ber qpsk_onebt.yml --sweep awgn.ebn0_db=1
expect_bad "has no block with id 'adcc' (did you mean 'adc'?)" run "$fg" --set adcc.bits=2
expect_bad "unknown parameter 'bit' (did you mean 'bits'? parameters:" run "$fg" --set adc.bit=2
expect_bad "has no variable 'ebn' (did you mean 'ebn0'? use id.param=value" ber "$src/flowgraphs/qpsk_awgn.yml" --sweep ebn=1,2 --max-frames 64
# far from every name: no hint
out=$("$qsdr" run "$fg" --set zzz.bits=2 2>&1); [ $? -eq 2 ] && ! echo "$out" | grep -q "did you mean" || fail "hint for a far name: $out"
# a negative timeout used to mean "wait forever" to zmq_poll: qsdr ctl hung
expect_bad "--timeout expects an integer in [1, 3600000], got '-5'" ctl tcp://127.0.0.1:9 get adc.bits --timeout -5
expect_bad "--curve-server-key expects the 40-character Z85 public key" ctl tcp://127.0.0.1:9 get adc.bits --curve-server-key abc

# GNU style --name=value means --name value, in every command
a=$(timeout 30 "$qsdr" run "$src/flowgraphs/qpsk_awgn.yml" --set awgn.ebn0_db=6 --items 20000 --seed 3 -q 2>&1) || fail "run, spaced options: $a"
b=$(timeout 30 "$qsdr" run "$src/flowgraphs/qpsk_awgn.yml" --set=awgn.ebn0_db=6 --items=20000 --seed=3 -q 2>&1) || fail "run --name=value: $b"
[ "$a" = "$b" ] && echo "$a" | grep -q "BER = " || fail "run --name=value differs from --name value: '$a' / '$b'"
a=$(timeout 60 "$qsdr" ber "$src/flowgraphs/qpsk_awgn.yml" --sweep awgn.ebn0_db=0,4 --max-frames 8 --seed 2 2>/dev/null | awk '!/^#/ { $11 = $12 = ""; print }') || fail "ber, spaced options"
b=$(timeout 60 "$qsdr" ber "$src/flowgraphs/qpsk_awgn.yml" --sweep=awgn.ebn0_db=0,4 --max-frames=8 --seed=2 2>/dev/null | awk '!/^#/ { $11 = $12 = ""; print }') || fail "ber --name=value"
[ "$a" = "$b" ] && [ "$(echo "$a" | grep -c "max frames")" = 2 ] || fail "ber --name=value differs (the rate columns aside): '$a' / '$b'"
timeout 60 "$qsdr" train "$spec" --epochs=1 --out="$tmp/eq" -q >/dev/null 2>&1 && [ "$(wc -l <"$tmp/eq/train.csv")" = 2 ] || fail "train --epochs=1 --out=DIR"
expect_bad "qsdr run: --set expects ID.PARAM=VALUE or VAR=VALUE, got ''" run "$fg" --set=
expect_bad "--items expects an integer in [0, 18446744073709551615], got 'x'" run "$fg" --items=x
expect_bad "qsdr ctl: --timeout expects an integer in [1, 3600000], got '0'" ctl tcp://127.0.0.1:9 get adc.bits --timeout=0
# a flag (an option its --help shows without a value) given =VALUE is an error naming the flag,
# not the flag and a stray argument (the flags are taken from every command's --help)
for sub in run ber train "train ae"; do
    # shellcheck disable=SC2086
    flags=$("$qsdr" $sub --help | sed -n 's/^ *\(--[a-z][a-z0-9-]*\)\(, -[a-z]\)\{0,1\}   .*/\1/p')
    [ -n "$flags" ] || fail "qsdr $sub --help: no flag found (the help format changed?)"
    for o in $flags; do
        # shellcheck disable=SC2086
        expect_bad "qsdr ${sub%% *}: option $o takes no value, got '$o=1'" $sub "$o=1"
    done
done
expect_bad "qsdr blocks: option --markdown takes no value, got '--markdown=yes'" blocks --markdown=yes
echo ok
