#!/bin/sh
# `meson install` of this build into a scratch DESTDIR, checked like a
# packager would: the binary, the modules, the default config with its MOTD
# and word lists, the man pages (rendered without warnings) and the systemd
# unit are where the prefix says; then the installed binary checks and runs
# the installed config (its module_path pointed at the installed modules,
# since the DESTDIR is not the prefix), and a client gets the welcome and
# the Guide's greeting from it.
set -u
build=${HAVEND_BUILDDIR:?HAVEND_BUILDDIR not set}

passed=0 failed=0 skipped=0
ok() { passed=$((passed + 1)); echo "ok   $1"; }
fail() { failed=$((failed + 1)); echo "FAIL $1"; }
check() { name=$1; shift; if "$@"; then ok "$name"; else fail "$name"; fi; }
finish() {
    echo "meson-install: $passed passed, $failed failed, $skipped skipped"
    [ "$failed" -eq 0 ] && [ "$passed" -gt 0 ]
    exit $?
}

tmp=$(mktemp -d "${TMPDIR:-/tmp}/havend-install.XXXXXX")
pid=
cleanup() {
    [ -n "$pid" ] && kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null
    rm -rf "$tmp"
}
trap cleanup EXIT INT TERM
dest=$tmp/dest

if ! meson install -C "$build" --no-rebuild --destdir "$dest" >"$tmp/install.log" 2>&1; then
    cat "$tmp/install.log"
    fail "meson install --destdir"
    finish
fi
ok "meson install --destdir"

opt() {  # the value of one meson option of this build
    meson introspect "$build" --buildoptions |
        /usr/bin/python3 -c "import json,sys; print([o['value'] for o in json.load(sys.stdin) if o['name']=='$1'][0])"
}
prefix=$(opt prefix)
abs() { case $1 in /*) echo "$1" ;; *) echo "$prefix/$1" ;; esac; }
bindir=$(abs "$(opt bindir)")
libdir=$(abs "$(opt libdir)")
sysconfdir=$(abs "$(opt sysconfdir)")
mandir=$(abs "$(opt mandir)")
echo "     prefix $prefix: bin $bindir, lib $libdir, etc $sysconfdir, man $mandir"

bin=$dest$bindir/havend
etc=$dest$sysconfdir/havend
mods=$dest$libdir/havend/modules
check "binary in bindir" test -x "$bin"
check "default config in sysconfdir/havend" test -f "$etc/havend.conf"
check "MOTD beside it" test -f "$etc/motd.txt"
src=${HAVEND_SRCDIR:-$(dirname "$0")/../..}
for w in "$src"/conf/words/*; do
    [ -e "$w" ] || continue
    check "word list $(basename "$w") in sysconfdir/havend/words" test -f "$etc/words/$(basename "$w")"
done
loaded=$(sed -n 's/^modules *= *\[\(.*\)\];.*/\1/p' "$etc/havend.conf" | tr -d '",')
for m in $loaded; do
    check "module $m (loaded by the default config) in libdir/havend/modules" test -f "$mods/$m.so"
done
check "havend(8) in mandir/man8" test -f "$dest$mandir/man8/havend.8"
check "havend.conf(5) in mandir/man5" test -f "$dest$mandir/man5/havend.conf.5"
check "systemd unit in <prefix>/lib/systemd/system" test -f "$dest$prefix/lib/systemd/system/havend.service"
check "man pages and unit have every @placeholder@ filled" \
    sh -c "! grep -l '@[A-Z]*@' '$dest$mandir/man8/havend.8' '$dest$mandir/man5/havend.conf.5' \
           '$dest$prefix/lib/systemd/system/havend.service'"
check "the unit runs the installed binary on the installed config" \
    grep -qx "ExecStart=$bindir/havend -c $sysconfdir/havend/havend.conf" "$dest$prefix/lib/systemd/system/havend.service"

if command -v groff >/dev/null 2>&1; then
    for page in man8/havend.8 man5/havend.conf.5; do
        warn=$(groff -man -Tutf8 -ww -z "$dest$mandir/$page" 2>&1)
        check "$page renders without warnings" [ -z "$warn" ]
        [ -n "$warn" ] && printf '%s\n' "$warn"
    done
else
    skipped=$((skipped + 1))
    echo "SKIP: groff is not installed: man pages not rendered"
fi

# The installed binary on the installed config. The DESTDIR is not the
# prefix, so point module_path at the installed modules; listen on port 0.
cp -r "$etc" "$tmp/etc"
conf=$tmp/etc/havend.conf
sed -i -E 's/\bport *= *[0-9]+/port = 0/g' "$conf"
printf '\nmodule_path = "%s";\n' "$mods" >> "$conf"
out=$("$bin" -t -c "$conf" 2>&1)
rc=$?
check "installed binary: havend -t accepts the installed config" [ "$rc" -eq 0 ]
[ "$rc" -eq 0 ] || printf '%s\n' "$out"
check "installed binary: --version" sh -c "'$bin' --version | grep -q '^havend '"

"$bin" -c "$conf" >"$tmp/log" 2>&1 &
pid=$!
i=0
while [ $i -lt 100 ] && ! grep -q 'started as' "$tmp/log"; do sleep 0.1; i=$((i + 1)); done
port=$(sed -n 's/.*listening on 127\.0\.0\.1 port \([0-9]*\)$/\1/p' "$tmp/log" | head -1)
if [ -z "$port" ]; then
    cat "$tmp/log"
    fail "installed binary starts on the installed config"
    finish
fi
ok "installed binary starts on the installed config (port $port)"
check "it generated its state beside the config" test -d "$tmp/etc/state"
/usr/bin/python3 - "$port" >"$tmp/client" 2>&1 <<'EOF'
import socket, sys, time
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=10)
s.sendall(b"NICK sam\r\nUSER sam 0 * :Sam\r\n")
buf, deadline = b"", time.monotonic() + 10
while time.monotonic() < deadline and b"/msg Guide TOPICS" not in buf:
    try:
        chunk = s.recv(65536)
    except socket.timeout:
        break
    if not chunk:
        break
    buf += chunk
print(buf.decode("utf-8", "replace"))
s.sendall(b"QUIT :bye\r\n")
EOF
check "a client gets the welcome (001)" grep -q ' 001 ' "$tmp/client"
if grep -q '"topics"' "$etc/havend.conf"; then
    check "a client gets the Guide's greeting" grep -q 'NOTICE .*/msg Guide TOPICS' "$tmp/client"
fi
kill "$pid"
wait "$pid"
check "SIGTERM: clean exit" [ $? -eq 0 ]
pid=
finish
