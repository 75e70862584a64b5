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
echo ok
