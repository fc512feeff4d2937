#!/bin/sh
# Build the libFuzzer targets with clang into build-fuzz and fuzz each one.
#
#   contrib/fuzz.sh [SECONDS] [TARGET...]
#
# SECONDS per target (default 60; CI uses 20), TARGET among parse, config,
# dispatch, dispatch_modules (default: all); FUZZ_PARALLEL targets run at
# once (default 1). Each run starts from the seeds in
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
targets=${*:-parse config dispatch dispatch_modules}
builddir=${FUZZ_BUILDDIR:-build-fuzz}
jobs=${FUZZ_JOBS:-1}
parallel=${FUZZ_PARALLEL:-1}
fork=""
[ "$jobs" -gt 1 ] && fork="-fork=$jobs"

# Everything built here (the modules fuzz_dispatch_modules loads too) gets
# ASan, UBSan and edge coverage; the fuzz targets and the core they link
# get libFuzzer's full instrumentation (tests/fuzz/meson.build).
if [ ! -f "$builddir/build.ninja" ]; then
    CC=clang meson setup "$builddir" -Dfuzz=true -Dbuildtype=debugoptimized -Db_sanitize=address,undefined \
        -Db_lundef=false -Dc_args=-fsanitize-coverage=inline-8bit-counters,pc-table >/dev/null
fi
for t in $targets; do
    ninja -C "$builddir" "tests/fuzz/fuzz_$t" >/dev/null
    if [ "$t" = dispatch_modules ]; then   # the modules it dlopen()s
        ninja -C "$builddir" $(ninja -C "$builddir" -t targets all | sed -n 's/^\(modules\/[a-z_]*\.so\):.*/\1/p') >/dev/null
    fi
done

# Largest input per target: one line with tags for the parser, whole
# sessions (including over-long lines) for dispatch, a config file.
max_len() {
    case $1 in
        parse) echo 8800 ;;
        dispatch*) echo 12000 ;;
        *) echo 20000 ;;
    esac
}

# FUZZ_SEED fixes libFuzzer's random seed, so a CI run explores the same
# inputs every time (a slower machine a prefix of them) and its verdict does
# not depend on luck; unset, every run explores afresh.
seed=""
[ -n "${FUZZ_SEED:-}" ] && seed="-seed=$FUZZ_SEED"

# Fuzz one target; its verdict goes to $builddir/fuzz-$t.rc (0 = clean).
fuzz_one() {
    t=$1
    corpus="$builddir/corpus/$t"
    crashes="tests/fuzz/crashes/$t"
    mkdir -p "$corpus" "$crashes"
    dict=tests/fuzz/irc.dict
    [ "$t" = config ] && dict=tests/fuzz/config.dict
    seeds="tests/fuzz/corpus/$t"
    [ "$t" = dispatch_modules ] && seeds="$seeds tests/fuzz/corpus/dispatch"
    before=$(find "$crashes" -type f | wc -l)
    rc=0
    # ASan leak checks stay on (config loading and teardown must not leak);
    # UBSan findings abort so libFuzzer keeps the input.
    # shellcheck disable=SC2086
    if ! ASAN_OPTIONS="abort_on_error=1:detect_leaks=1" UBSAN_OPTIONS="halt_on_error=1:print_stacktrace=1" \
        "$builddir/tests/fuzz/fuzz_$t" -max_total_time="$secs" -max_len="$(max_len "$t")" -timeout=10 \
        -rss_limit_mb=2048 -dict="$dict" -print_final_stats=1 $fork $seed \
        -artifact_prefix="$crashes/" "$corpus" $seeds >"$builddir/fuzz-$t.log" 2>&1; then
        rc=1
    fi
    after=$(find "$crashes" -type f | wc -l)
    [ "$after" -gt "$before" ] && rc=1
    echo "$rc" >"$builddir/fuzz-$t.rc"
}

# FUZZ_PARALLEL targets at a time (CI: 2, one per core).
running=0
for t in $targets; do
    echo "fuzzing $t for ${secs}s"
    fuzz_one "$t" &
    running=$((running + 1))
    if [ "$running" -ge "$parallel" ]; then
        wait
        running=0
    fi
done
wait

status=0
for t in $targets; do
    if [ "$(cat "$builddir/fuzz-$t.rc" 2>/dev/null)" != 0 ]; then
        echo "fuzz_$t FAILED: see tests/fuzz/crashes/$t/ (log: $builddir/fuzz-$t.log)"
        grep -E "ERROR|fuzz oracle|runtime error|SUMMARY" "$builddir/fuzz-$t.log" | head -20 || true
        status=1
    else
        echo "fuzz_$t: $(grep -E "^stat::number_of_executed_units" "$builddir/fuzz-$t.log" | tail -1 || true)"
    fi
done
exit $status
