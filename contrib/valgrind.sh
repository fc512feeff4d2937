#!/bin/sh
# Run the integration suites with every server they start under valgrind
# (memcheck), on a debug build without sanitizers in its own build directory
# (valgrind and ASan do not mix). See docs/hardening.md.
#
#   contrib/valgrind.sh                  # every integration suite
#   contrib/valgrind.sh test_limits      # only the named suites
#
# A test fails when its server's valgrind report shows any error: the
# harness reads each server's log (stderr) and fails on "ERROR SUMMARY: N"
# with N > 0 (memcheck errors, and definite or indirect leaks, which
# --errors-for-leak-kinds makes errors), invalid reads or writes, and lost
# blocks; a server a test runs to its end exits with valgrind's error code
# (99) instead of its own. Valgrind is slow: every wait in the harness and
# every test's time limit (Criterion's and meson's) is stretched by
# VALGRIND_SCALE (default 10). Exit status 0 means every test passed clean.
#
# Environment: BUILDDIR (default build-vg), VALGRIND_SCALE, JOBS (suites run
# at once, default 2; each suite runs one test at a time), VALGRIND_OPTS
# (more valgrind options, e.g. --track-origins=yes).
set -eu
cd "$(dirname "$0")/.."
builddir=${BUILDDIR:-build-vg}
scale=${VALGRIND_SCALE:-10}
jobs=${JOBS:-2}
command -v valgrind >/dev/null 2>&1 || contrib/install-deps.sh --test
if [ ! -f "$builddir/build.ninja" ]; then
    meson setup "$builddir" --buildtype=debug -Db_sanitize=none
fi
ninja -C "$builddir" -j "$jobs"

export HAVEND_WRAPPER="valgrind --leak-check=full --errors-for-leak-kinds=definite,indirect --error-exitcode=99 --num-callers=40 ${VALGRIND_OPTS:-}"
export HAVEND_TIME_SCALE="$scale"
export CRITERION_JOBS=1
unset ASAN_OPTIONS HAVEND_SERVER_ASAN_OPTIONS UBSAN_OPTIONS
valgrind --version
[ $# -gt 0 ] || set -- --suite integ
start=$(date +%s)
status=0
meson test -C "$builddir" --print-errorlogs --num-processes "$jobs" --timeout-multiplier "$scale" "$@" || status=$?
echo "valgrind run: $(( ($(date +%s) - start) / 60 )) min, exit status $status" \
     "(log: $builddir/meson-logs/testlog.txt)"
exit "$status"
