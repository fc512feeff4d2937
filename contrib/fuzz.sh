#!/bin/sh
# Build the libFuzzer targets with clang into build-fuzz and fuzz each one.
#
#   contrib/fuzz.sh [SECONDS] [TARGET...]
#
# SECONDS per target (default 60; CI uses 20), TARGET among parse, config,
# dispatch (default: all). Each run starts from the seeds in
# tests/fuzz/corpus/<target>/ plus what earlier runs found (kept in
# build-fuzz/corpus/<target>/, outside the source tree) and uses
# FUZZ_JOBS parallel processes (libFuzzer's -fork; default 1). A crash,
# leak or timeout input is written to tests/fuzz/crashes/<target>/ and the
# script fails.
# After fixing the bug, move that file to tests/fuzz/regressions/<target>/:
# the replay tests (meson test --suite fuzz, and tests/unit/
# test_fuzz_regressions.c in every normal build) then run it forever after.
#
# A long run (see docs/hardening.md):  FUZZ_JOBS=4 contrib/fuzz.sh 3600
set -eu
cd "$(dirname "$0")/.."
secs=${1:-60}
[ $# -gt 0 ] && shift
targets=${*:-parse config dispatch}
builddir=${FUZZ_BUILDDIR:-build-fuzz}
jobs=${FUZZ_JOBS:-1}
fork=""
[ "$jobs" -gt 1 ] && fork="-fork=$jobs"

if [ ! -f "$builddir/build.ninja" ]; then
    CC=clang meson setup "$builddir" -Dfuzz=true -Dbuildtype=debugoptimized >/dev/null
fi
for t in $targets; do
    ninja -C "$builddir" "tests/fuzz/fuzz_$t" >/dev/null
done

# Largest input per target: one line with tags for the parser, whole
# sessions (including over-long lines) for dispatch, a config file.
max_len() {
    case $1 in
        parse) echo 8800 ;;
        dispatch) echo 12000 ;;
        *) echo 20000 ;;
    esac
}

status=0
for t in $targets; do
    corpus="$builddir/corpus/$t"
    crashes="tests/fuzz/crashes/$t"
    mkdir -p "$corpus" "$crashes"
    dict=tests/fuzz/irc.dict
    [ "$t" = config ] && dict=tests/fuzz/config.dict
    before=$(find "$crashes" -type f | wc -l)
    rc=0
    echo "fuzzing $t for ${secs}s"
    # ASan leak checks stay on (config loading and teardown must not leak);
    # UBSan findings abort so libFuzzer keeps the input.
    if ! ASAN_OPTIONS="abort_on_error=1:detect_leaks=1" UBSAN_OPTIONS="halt_on_error=1:print_stacktrace=1" \
        "$builddir/tests/fuzz/fuzz_$t" -max_total_time="$secs" -max_len="$(max_len "$t")" -timeout=10 \
        -rss_limit_mb=2048 -dict="$dict" -print_final_stats=1 $fork \
        -artifact_prefix="$crashes/" "$corpus" "tests/fuzz/corpus/$t" >"$builddir/fuzz-$t.log" 2>&1; then
        rc=1
    fi
    after=$(find "$crashes" -type f | wc -l)
    if [ "$after" -gt "$before" ] || [ "$rc" -ne 0 ]; then
        echo "fuzz_$t FAILED: new inputs in $crashes/ (log: $builddir/fuzz-$t.log)"
        grep -E "ERROR|fuzz oracle|runtime error|SUMMARY" "$builddir/fuzz-$t.log" | head -20 || true
        status=1
    else
        grep -E "^(stat::number_of_executed_units|Done)" "$builddir/fuzz-$t.log" | tail -1 || true
    fi
done
exit $status
