#!/bin/sh
# smoke.sh HAVEND IRCBENCH — prove the load generator works (meson test
# "bench-smoke"): start havend on 127.0.0.1 port 0 with lifted limits, read
# the port from its log, run tiny connect, fanout and privmsg scenarios, and
# check that messages were delivered and nobody was disconnected. Not a
# timed test: no performance number is asserted. Bounded: about 10 s.
set -eu
havend=$1
ircbench=$2
tmp=$(mktemp -d "${TMPDIR:-/tmp}/havend-bench-smoke.XXXXXX")
pid=
cleanup() {
    if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then
        kill -KILL "$pid" 2>/dev/null || true
    fi
    [ -n "${HAVEND_KEEP_TMP:-}" ] || rm -rf "$tmp"
}
trap cleanup EXIT INT TERM
fail() {
    echo "bench-smoke: FAIL: $*" >&2
    echo "--- havend log:" >&2
    tail -n 40 "$tmp/havend.log" >&2 || true
    exit 1
}

mkdir "$tmp/state"
cat > "$tmp/havend.conf" <<EOF
server = { name = "bench.havend.test"; sid = "9BS"; state_dir = "$tmp/state"; };
listen = ( { address = "127.0.0.1"; port = 0; } );
classes = ( { name = "default"; max_clients = 1000; sendq = 4194304; recvq = 65536;
  flood = { burst = 100000; rate = 100000; }; per_token = 0; throttle = { count = 0; }; } );
log = { level = "info"; };
EOF

# The server gets its own sanitizer settings, as in the integration suites.
if [ -n "${HAVEND_SERVER_ASAN_OPTIONS:-}" ]; then
    ASAN_OPTIONS=$HAVEND_SERVER_ASAN_OPTIONS "$havend" -c "$tmp/havend.conf" > "$tmp/havend.log" 2>&1 &
else
    "$havend" -c "$tmp/havend.conf" > "$tmp/havend.log" 2>&1 &
fi
pid=$!

port=
i=0
while [ $i -lt 200 ]; do          # 10 s
    port=$(sed -n 's/.*listening on 127\.0\.0\.1 port \([0-9][0-9]*\)$/\1/p' "$tmp/havend.log" | head -n 1)
    [ -n "$port" ] && break
    kill -0 "$pid" 2>/dev/null || fail "havend exited before listening"
    sleep 0.05
    i=$((i + 1))
done
[ -n "$port" ] || fail "havend did not log its port within 10 s"
echo "bench-smoke: havend pid $pid on port $port"

# run NAME ARGS...: one scenario; exit status 0 or 1 (a rung missed its
# target) is fine here, 2 or more is a generator error.
run() {
    name=$1
    shift
    rc=0
    "$ircbench" --port "$port" --pid "$pid" --label smoke --timeout 10 "$@" > "$tmp/$name.json" || rc=$?
    [ $rc -le 1 ] || fail "$name: ircbench exited with $rc"
    cat "$tmp/$name.json"
    grep -q '"aborted":false' "$tmp/$name.json" || fail "$name: no complete JSON object"
    if grep -o '"disconnects":[0-9]*' "$tmp/$name.json" | grep -qv '"disconnects":0$'; then
        fail "$name: clients were disconnected"
    fi
}

run connect --scenario connect -n 50 -c 10
grep -q '"registered":50,' "$tmp/connect.json" || fail "connect: not all 50 clients registered"

run fanout --scenario fanout -m 20 -s 5 -r 5 --duration 2 --drain 1 --settle 0.3
grep -q '"delivered":[1-9]' "$tmp/fanout.json" || fail "fanout: nothing was delivered"
grep -q '"members":20,' "$tmp/fanout.json" || fail "fanout: not all 20 members joined"

run privmsg --scenario privmsg -p 5 -r 5 --duration 1 --drain 1 --settle 0.3
grep -q '"delivered":[1-9]' "$tmp/privmsg.json" || fail "privmsg: nothing was delivered"

kill -TERM "$pid"
i=0
while kill -0 "$pid" 2>/dev/null && [ $i -lt 200 ]; do
    sleep 0.05
    i=$((i + 1))
done
kill -0 "$pid" 2>/dev/null && fail "havend did not exit within 10 s of SIGTERM"
st=0
wait "$pid" || st=$?
pid=
if grep -Eq 'ERROR: (Address|Leak)Sanitizer|runtime error:' "$tmp/havend.log"; then
    fail "havend's log shows a sanitizer report"
fi
[ $st -eq 0 ] || fail "havend exited with status $st"
echo "bench-smoke: ok"
