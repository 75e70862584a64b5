#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# The training tests' accuracy and BER bounds under every OpenBLAS sgemm kernel this CPU can run
# (Debian's OpenBLAS picks one per CPU at load time; OPENBLAS_CORETYPE forces another). Their
# last-bit differences grow through training into other weights, so a bound set on one machine
# can fail on another (nn_cli's 8-bit PTQ bound passed under SkylakeX and failed under Zen):
# here every bound holds under each. x86-64 only (exit 77, skipped, elsewhere).
set -u
tests=$1
[ "$(uname -m)" = x86_64 ] || { echo "not x86-64: skipped"; exit 77; }
flags=$(grep -m1 '^flags' /proc/cpuinfo)
has() { for f in "$@"; do [[ " $flags " == *" $f "* ]] || return 1; done; }
kernels=()
has sse4_2 && kernels+=(Nehalem)
has avx && kernels+=(Sandybridge)
has avx2 fma && kernels+=(Haswell)
has avx512f avx512bw avx512dq avx512vl && kernels+=(SkylakeX)
fail=0
for k in "${kernels[@]}"; do
    out=$(OPENBLAS_CORETYPE=$k OPENBLAS_VERBOSE=2 "$tests" nn_train_spirals nn_qat_bits nn_qat_lsq_sign ae_train_small_reaches_target nn_train_epoch_report nn_train_calibration \
          ae_tx_quantized 2>&1)
    rc=$?
    core=$(echo "$out" | sed -n 's/^Core: //p' | head -1)
    if [ "$rc" -ne 0 ]; then
        echo "FAIL under OpenBLAS kernel $k (core $core):"; echo "$out" | grep -E 'FAIL|accuracy|raw BER' ; fail=1
    else
        echo "ok: $k (OpenBLAS core $core): $(echo "$out" | tail -1)"
    fi
done
exit $fail
