# SPDX-License-Identifier: MIT
# One-command set-up: `make run` and `make test` install what is missing, configure, build.
BUILD ?= build
ASAN_BUILD ?= build-asan
JOBS ?= $(shell nproc 2>/dev/null || echo 2)
CTEST_ARGS ?= -LE long

.PHONY: all deps configure build run results test test-long mutation test-sanitize test-thread coverage fuzz bench docs install clean

all: build

deps:
	@scripts/install-deps

configure: deps
	@cmake -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=Release >/dev/null

build: configure
	@cmake --build $(BUILD) -j$(JOBS)

# The flagship job on embedded defaults: a short BER sweep of turbo + autoencoder + one-bit ADC
# against turbo + QPSK + one-bit ADC, with the plot (run/flagship.png).
run: build
	QSDR=$(BUILD)/qsdr scripts/flagship-run

# docs/results.md and docs/figures/flagship/ (about 1 minute on 2 cores).
results: build
	QSDR=$(BUILD)/qsdr scripts/flagship-results

test: build
	cd $(BUILD) && ctest -j$(JOBS) --output-on-failure $(CTEST_ARGS)

# Opt-in: every mutant in tests/mutants/mutants.txt must be killed by its tests (a private
# copy of the tree is built; about 12 minutes on 2 cores). MUTANTS="name ..." runs some.
mutation: deps
	scripts/mutation-check $(MUTANTS)

# Opt-in long runs (long BER sweeps, training): ctest label "long".
test-long: build
	cd $(BUILD) && ctest -j$(JOBS) --output-on-failure -L long

# The test suite built with AddressSanitizer + UndefinedBehaviorSanitizer.
test-sanitize: deps
	@cmake -S . -B $(ASAN_BUILD) -DCMAKE_BUILD_TYPE=RelWithDebInfo -DQSDR_SANITIZE=ON -DQSDR_BUILD_BENCH=OFF >/dev/null
	@cmake --build $(ASAN_BUILD) -j$(JOBS)
	cd $(ASAN_BUILD) && ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
		ctest -j$(JOBS) --output-on-failure $(CTEST_ARGS)

# The test suite built with ThreadSanitizer. tests/tsan.supp silences races TSan reports inside
# libzmq and OpenBLAS, whose own threads synchronise in ways it cannot see (uninstrumented
# libraries). Left out: ae_tx_quantized (single-threaded training, 7 minutes under TSan) and
# results_current (the whole study: 19 minutes under TSan, no report; its threads are those of qsdr
# ber, which ber_sim_* and ber_cli run under TSan).
TSAN_BUILD ?= build-tsan
test-thread: deps
	@cmake -S . -B $(TSAN_BUILD) -DCMAKE_BUILD_TYPE=RelWithDebInfo -DQSDR_TSAN=ON -DQSDR_BUILD_BENCH=OFF >/dev/null
	@cmake --build $(TSAN_BUILD) -j$(JOBS)
	cd $(TSAN_BUILD) && TSAN_OPTIONS="halt_on_error=1 second_deadlock_stack=1 suppressions=$(CURDIR)/tests/tsan.supp" \
		ctest -j$(JOBS) --output-on-failure $(CTEST_ARGS) -E '^(ae_tx_quantized|results_current)$$'

# Line coverage of the default test run (gcov, which comes with gcc): a row per source file of
# lib/, blocks/ and apps/, least covered first; `scripts/coverage-report build-cov --lines FILE`
# lists the lines no test ran. install_and_link is left out: it links the installed static
# library into a program built without gcov.
COV_BUILD ?= build-cov
coverage: deps
	@cmake -S . -B $(COV_BUILD) -DCMAKE_BUILD_TYPE=RelWithDebInfo -DQSDR_COVERAGE=ON -DQSDR_BUILD_BENCH=OFF >/dev/null
	@cmake --build $(COV_BUILD) -j$(JOBS)
	@find $(COV_BUILD) -name '*.gcda' -delete
	@cd $(COV_BUILD) && ctest -j$(JOBS) $(CTEST_ARGS) -E '^install_and_link$$' > ctest.log 2>&1; rc=$$?; \
		grep -E 'tests passed|\*\*\*' ctest.log; cd $(CURDIR) && scripts/coverage-report $(COV_BUILD) && exit $$rc

# Coverage-guided fuzzing (clang's libFuzzer + ASan/UBSan) of every parser of untrusted input,
# FUZZ_SECONDS per target, then random qsdr command lines on the sanitized build for as long
# (docs/testing.md). `make test` replays seeded mutations of the same corpora and 300 seeded
# command lines without clang (tests fuzz_smoke_*).
FUZZ_BUILD ?= build-fuzz
FUZZ_SECONDS ?= 60
fuzz:
	@QSDR_DEPS_EXTRA="clang $${QSDR_DEPS_EXTRA:-}" scripts/install-deps
	@CC=clang cmake -S . -B $(FUZZ_BUILD) -DCMAKE_BUILD_TYPE=RelWithDebInfo -DQSDR_FUZZ=ON -DQSDR_BUILD_BENCH=OFF >/dev/null
	@cmake --build $(FUZZ_BUILD) -j$(JOBS) --target libfuzzer_flowgraph libfuzzer_model libfuzzer_spec libfuzzer_zmq libfuzzer_control qsdr_cli
	scripts/fuzz $(FUZZ_BUILD) $(FUZZ_SECONDS)
	tests/fuzz/fuzz_cli.py $(FUZZ_BUILD)/qsdr . --seconds $(FUZZ_SECONDS) --seed $$(date +%s)

# The GNU Radio baseline is measured in the same run (GNU Radio is installed for it).
bench: build
	@scripts/install-deps --with-gnuradio
	@gr=$$(/usr/bin/python3 bench/gnuradio_chain.py 2>/dev/null || echo 0); \
	$(BUILD)/bench/bench_runtime --gnuradio-msps $$gr
	@echo
	$(BUILD)/bench/bench_turbo
	@echo
	$(BUILD)/bench/bench_kernels
	@echo
	OPENBLAS_NUM_THREADS=1 $(BUILD)/bench/bench_nn
	@echo
	OPENBLAS_NUM_THREADS=1 $(BUILD)/bench/bench_chain
	@echo
	bench/zmq.sh $(BUILD)/qsdr

# Regenerate docs/blocks.md from the block descriptors.
docs: build
	env -u QSDR_PLUGIN_PATH $(BUILD)/qsdr blocks --markdown > docs/blocks.md

install: build
	cmake --install $(BUILD)

clean:
	rm -rf $(BUILD) $(ASAN_BUILD) $(COV_BUILD)
