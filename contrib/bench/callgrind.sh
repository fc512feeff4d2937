#!/usr/bin/env bash
# callgrind.sh — instructions per connection in the connect scenario,
# counted by valgrind's callgrind (repeatable on a busy machine, unlike
# wall-clock rates). For each config (havend-bare, havend-default, as
# run.sh writes them) it starts havend under callgrind, zeroes the counts
# once the server listens, registers N clients with ircbench (C in
# flight), waits until the server has closed them all, dumps the counts
# and prints the total per connection and the inclusive cost per
# connection of the main pieces (accept, registration, welcome burst,
# close). Everything happens on 127.0.0.1 and ends by itself.
#
#   contrib/bench/callgrind.sh [BUILD_DIR]      (default: build-bench)
#
# Environment: N (2000), C (10), CONFIGS ("havend-bare havend-default"),
# OUT (directory for the callgrind.out files, default a temp dir that is
# kept: open them with callgrind_annotate --inclusive=yes).
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
build=${1:-$root/build-bench}
N=${N:-2000}
C=${C:-10}
CONFIGS=${CONFIGS:-"havend-bare havend-default"}
havend=$build/havend
ircbench=$build/contrib/bench/ircbench
for f in "$havend" "$ircbench"; do
    [ -x "$f" ] || { echo "callgrind.sh: $f is missing (build first)" >&2; exit 1; }
done
command -v valgrind >/dev/null || { echo "callgrind.sh: valgrind is not installed" >&2; exit 1; }
out=${OUT:-$(mktemp -d /tmp/havend-callgrind.XXXXXX)}
mkdir -p "$out"
"$here/run.sh" --configs-only "$out/conf" > /dev/null

pid=""
cleanup() {
    if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then
        kill -KILL "$pid" 2>/dev/null || true
    fi
}
trap cleanup EXIT

# Open file descriptors of the server (to see when it closed everyone).
nfds() { ls "/proc/$1/fd" | wc -l; }

for kind in $CONFIGS; do
    conf=$out/conf/$kind/havend.conf
    port=$("$ircbench" --free-port)
    sed -i "s/port = [0-9]*;/port = $port;/" "$conf"
    valgrind --tool=callgrind --callgrind-out-file="$out/$kind.%p" "$havend" -c "$conf" \
        > "$out/$kind.log" 2>&1 &
    pid=$!
    "$ircbench" --port "$port" --wait-port --timeout 120 > /dev/null
    sleep 1
    fd0=$(nfds "$pid")
    callgrind_control -z "$pid" > /dev/null 2>&1
    "$ircbench" --port "$port" --scenario connect -n "$N" -c "$C" --timeout 600 --quiet \
        > "$out/$kind.json" || true
    for _ in $(seq 1200); do
        [ "$(nfds "$pid")" -le "$fd0" ] && break
        sleep 0.5
    done
    callgrind_control -d "$pid" > /dev/null 2>&1
    kill -TERM "$pid"
    wait "$pid" || true
    pid=""
    file=$(ls -t "$out/$kind".*.1 | head -n 1)
    registered=$(sed -n 's/.*"registered":\([0-9]*\).*/\1/p' "$out/$kind.json")
    echo "== $kind: $registered registrations (C=$C), $file"
    callgrind_annotate --inclusive=yes --threshold=100 "$file" 2>/dev/null | awk -v n="$registered" '
        /PROGRAM TOTALS/ { gsub(",", "", $1); printf "  %-28s %9d\n", "total per connection", $1 / n }
        /:(conn_accept|bantoken_compute|client_new_local|registration_try_complete|send_welcome|send_motd|send_lusers|send_isupport|hooks_notify|conn_send_crlf|reaper_cb|cmd_quit) / {
            v = $1; gsub(",", "", v); f = $0; sub(/ \[.*/, "", f); sub(/.*:/, "", f)
            if (!(f in seen)) { seen[f] = 1; printf "  %-28s %9d\n", f, v / n }
        }'
done
echo "callgrind.sh: profiles kept in $out"
