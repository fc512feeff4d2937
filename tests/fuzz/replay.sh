#!/bin/sh
# Run a libFuzzer binary once over every file in the given directories
# (missing directories are skipped): kept crash inputs and seeds, no fuzzing.
# Usage: replay.sh FUZZ_BINARY DIR...
set -eu
bin=$1
shift
files=""
count=0
for d in "$@"; do
    [ -d "$d" ] || continue
    for f in "$d"/*; do
        [ -f "$f" ] || continue
        count=$((count + 1))
    done
done
if [ "$count" -eq 0 ]; then
    echo "no inputs to replay"
    exit 0
fi
# Pass the files as arguments: libFuzzer then runs each once and exits.
set --  $(for d in "$@"; do [ -d "$d" ] && find "$d" -maxdepth 1 -type f ! -name '.*' | sort; done)
echo "replaying $count inputs through $bin"
exec "$bin" -runs=1 "$@"
