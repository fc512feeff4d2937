#!/bin/sh
# Install what is missing, build havend with AddressSanitizer and
# UndefinedBehaviorSanitizer, and run every test suite.
set -eu
cd "$(dirname "$0")/.."
contrib/install-deps.sh --test
builddir=${BUILDDIR:-build-test}
if [ ! -f "$builddir/build.ninja" ]; then
    meson setup "$builddir" -Db_sanitize=address,undefined -Db_lundef=false
fi
ninja -C "$builddir"
# Sanitizer reports fail the run. The server is checked for leaks too (the
# integration harness fails a test whose server log shows any report); the
# test programs themselves are not (their clients live until exit).
export ASAN_OPTIONS="detect_leaks=0:abort_on_error=1"
export HAVEND_SERVER_ASAN_OPTIONS="detect_leaks=1:abort_on_error=1"
export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1"
meson test -C "$builddir" --print-errorlogs --num-processes 2
# Then a short fuzz run (clang + libFuzzer, docs/hardening.md): 20 s per
# target, two at a time, with a fixed seed so the verdict is reproducible
# (long runs with fresh seeds: contrib/fuzz.sh 3600); a crash input lands in
# tests/fuzz/crashes/ and fails the run. FUZZ_SECONDS=0 skips it.
if [ "${FUZZ_SECONDS:-20}" -gt 0 ]; then
    FUZZ_SEED=${FUZZ_SEED:-1} FUZZ_PARALLEL=${FUZZ_PARALLEL:-2} contrib/fuzz.sh "${FUZZ_SECONDS:-20}"
fi
