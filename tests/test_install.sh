#!/usr/bin/env bash
# Install into a temporary prefix, then build a user program with pkg-config and with
# find_package(qsdr), and run both.
set -eu
build=$1; srcdir=$2
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
cmake --install "$build" --prefix "$tmp/prefix" >/dev/null
libdir=$(ls -d "$tmp"/prefix/lib* | head -1)
export PKG_CONFIG_PATH=$libdir/pkgconfig
export LD_LIBRARY_PATH=$libdir
# shared, via pkg-config
cc -o "$tmp/user_pc" "$srcdir/user.c" $(pkg-config --cflags --libs qsdr)
"$tmp/user_pc" | grep -q 'BER = ' || { echo "FAIL: pkg-config build did not run"; exit 1; }
# libqsdr.a linked statically, its dependencies shared (Debian ships no static libzmq chain)
cc -o "$tmp/user_static" "$srcdir/user.c" $(pkg-config --cflags qsdr) "$libdir/libqsdr.a" \
   $(pkg-config --libs volk yaml-0.1 libzmq libcjson openblas fftw3f) -lliquid -lpthread -lm -ldl
env -u LD_LIBRARY_PATH "$tmp/user_static" | grep -q 'BER = ' || { echo "FAIL: static build did not run"; exit 1; }
# CMake package
cmake -S "$srcdir" -B "$tmp/ub" -DCMAKE_PREFIX_PATH="$tmp/prefix" >/dev/null
cmake --build "$tmp/ub" >/dev/null
"$tmp/ub/user_cmake" | grep -q 'BER = ' || { echo "FAIL: find_package build did not run"; exit 1; }
# the installed qsdr command finds its library
"$tmp/prefix/bin/qsdr" version
# ... and its shipped flowgraphs and models under share/qsdr (not the source tree), by name,
# from any directory; the autoencoder flowgraph finds the installed models beside it
data=$tmp/prefix/share/qsdr
for f in flowgraphs/ae_onebit.yml models/ae_qpsk_L2/rx.safetensors models/README.md examples/spirals.yml; do
  [ -f "$data/$f" ] || { echo "FAIL: $data/$f not installed"; exit 1; }
done
[ -f "$tmp/prefix/share/doc/qsdr/flagship.md" ] && [ -f "$tmp/prefix/share/doc/qsdr/README.md" ] \
  || { echo "FAIL: documentation not installed"; exit 1; }
# bash completion where bash-completion looks (share/bash-completion/completions/qsdr), working
# against the installed qsdr: it lists the installed flowgraphs
comp=$tmp/prefix/share/bash-completion/completions/qsdr
[ -f "$comp" ] || { echo "FAIL: bash completion not installed"; exit 1; }
got=$(bash -c 'source "$1"; COMP_WORDS=("$2" run b1_); COMP_CWORD=2; _qsdr; echo "${COMPREPLY[*]}"' _ "$comp" "$tmp/prefix/bin/qsdr")
[ "$got" = "b1_turbo_qpsk_onebit" ] || { echo "FAIL: installed completion of 'qsdr run b1_': '$got'"; exit 1; }
list=$(cd "$tmp" && "$tmp/prefix/bin/qsdr" flowgraphs)
echo "$list" | head -1 | grep -qx "# $data/flowgraphs" || { echo "FAIL: qsdr flowgraphs lists: $(echo "$list" | head -1)"; exit 1; }
echo "$list" | grep -q '^b1_turbo_qpsk_onebit ' || { echo "FAIL: b1 not listed"; exit 1; }
out=$(cd "$tmp" && "$tmp/prefix/bin/qsdr" run ae_onebit --set K=40 --set frames=20 --scheduler serial 2>&1) \
  || { echo "FAIL: installed ae_onebit did not run: $out"; exit 1; }
echo "$out" | grep -q "is the shipped flowgraph $data/flowgraphs/ae_onebit.yml" || { echo "FAIL: not the installed flowgraph: $out"; exit 1; }
echo "$out" | grep -q 'bits=800 ' || { echo "FAIL: no BER count: $out"; exit 1; }
set +e
out=$(cd "$tmp" && "$tmp/prefix/bin/qsdr" run no_such_flowgraph 2>&1); rc=$?
set -e
[ $rc = 2 ] && echo "$out" | grep -q "nor a shipped flowgraph of that name in $data/flowgraphs" \
  || { echo "FAIL: unknown name: rc $rc: $out"; exit 1; }
echo ok
