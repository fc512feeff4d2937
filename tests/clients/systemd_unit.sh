#!/bin/sh
# The systemd unit meson generates from contrib/systemd/havend.service.in:
#  1. it has the hardening the project promises (checked line by line);
#  2. `systemd-analyze verify` accepts it (no warnings about it at all);
#  3. `systemd-analyze security --offline` rates its exposure at 2.0 or
#     better ("OK");
#  4. where this machine runs systemd as PID 1 and the test runs as root, a
#     copy of it (own name, own config and state directory) is really
#     started, reloaded with `systemctl reload`, and stopped.
# Skipped (77) only when systemd-analyze is not installed.
set -u
build=${HAVEND_BUILDDIR:?HAVEND_BUILDDIR not set}
bin=${HAVEND_BIN:-$build/havend}
src=${HAVEND_SRCDIR:-$(dirname "$0")/../..}
unit=$build/contrib/systemd/havend.service

if ! command -v systemd-analyze >/dev/null 2>&1; then
    echo "SKIP: systemd-analyze is not installed (apt-get install systemd)"
    exit 77
fi

passed=0 failed=0 skipped=0
ok() { passed=$((passed + 1)); echo "ok   $1"; }
fail() { failed=$((failed + 1)); echo "FAIL $1"; }
check() { name=$1; shift; if "$@"; then ok "$name"; else fail "$name"; fi; }
finish() {
    echo "systemd-unit: $passed passed, $failed failed, $skipped skipped"
    [ "$failed" -eq 0 ] && [ "$passed" -gt 0 ]
    exit $?
}

if [ ! -f "$unit" ]; then
    fail "meson generated $unit"
    finish
fi
ok "meson generated the unit"

tmp=$(mktemp -d "${TMPDIR:-/tmp}/havend-unit.XXXXXX")
trap 'rm -rf "$tmp"' EXIT INT TERM

# 1. the promised settings, each as its own line
for line in 'Type=simple' 'DynamicUser=yes' 'StateDirectory=havend' 'ProtectSystem=strict' \
            'ProtectHome=yes' 'PrivateTmp=yes' 'NoNewPrivileges=yes' 'CapabilityBoundingSet=' \
            'RestrictAddressFamilies=AF_INET AF_INET6 AF_UNIX' 'ExecReload=/bin/kill -HUP $MAINPID'; do
    check "unit has: $line" grep -qxF "$line" "$unit"
done
check "ExecStart runs the installed binary on the installed config" \
    grep -Eq '^ExecStart=/.*/havend -c /.*/havend/havend\.conf$' "$unit"
check "no capability is granted (AmbientCapabilities empty)" grep -qx 'AmbientCapabilities=' "$unit"

# 2. verify: ExecStart must name an existing binary, so point the copy at
# this build's binary (the paths in the real unit are the install prefix's)
sed -E "s|^(ExecStart(Pre)?=)[^ ]*/havend |\\1$bin |" "$unit" > "$tmp/havend.service"
out=$(cd "$tmp" && systemd-analyze verify --man=no ./havend.service 2>&1)
rc=$?
mine=$(printf '%s\n' "$out" | grep -F 'havend.service' || true)
check "systemd-analyze verify exits 0" [ "$rc" -eq 0 ]
if [ -n "$mine" ]; then
    printf '%s\n' "$mine"
    fail "systemd-analyze verify prints no warning about the unit"
else
    ok "systemd-analyze verify prints no warning about the unit"
fi

# 3. exposure score (systemd >= 250 has --offline)
if (cd "$tmp" && systemd-analyze security --offline=yes ./havend.service >"$tmp/security" 2>&1); then
    score=$(sed -n 's/.*Overall exposure level for havend.service: \([0-9.]*\).*/\1/p' "$tmp/security")
    echo "     exposure level: $score"
    check "exposure level is 2.0 or better" awk -v s="$score" 'BEGIN { exit !(s != "" && s <= 2.0) }'
else
    skipped=$((skipped + 1))
    echo "SKIP: this systemd-analyze has no 'security --offline' (systemd older than 250)"
fi

# 4. a real start, only under a running systemd and as root
if [ ! -d /run/systemd/system ]; then
    skipped=$((skipped + 1))
    echo "SKIP: no running systemd on this machine (PID 1 is $(cat /proc/1/comm 2>/dev/null)): unit not started"
    finish
fi
if [ "$(id -u)" -ne 0 ]; then
    skipped=$((skipped + 1))
    echo "SKIP: not root: unit not started"
    finish
fi

name=havend-test-$$
# config and state live under the build dir: /tmp is private to the unit and
# /home is hidden from it
work=$build/tests/clients/$name
mkdir -p "$work"
cp -r "$src/conf/." "$work/"
rm -rf "$work/state"
sed -i -E "s/\\bport *= *[0-9]+/port = 0/g" "$work/havend.conf"
printf '\nmodule_path = "%s";\n' "$build/modules" >> "$work/havend.conf"
mkdir -p "$work/state"
sed -E -e "s|^(ExecStart(Pre)?=)[^ ]*/havend -t -c [^ ]*|\\1$bin -t -c $work/havend.conf|" \
       -e "s|^(ExecStart=)[^ ]*/havend -c [^ ]*|\\1$bin -c $work/havend.conf|" \
       -e "s|^StateDirectory=havend|StateDirectory=$name|" \
       -e "s|^BindPaths=.*|BindPaths=%S/$name:$work/state|" \
       "$unit" > "/run/systemd/system/$name.service"
# Test-only adjustments, each said out loud: a build tree under /home or
# /root is hidden by ProtectHome=yes; a sanitizer build needs W+X memory,
# personality() and ptrace-free leak checks off.
case $build in
    /home/*|/root/*)
        echo "     (test copy: ProtectHome=read-only, the build tree is under $build)"
        sed -i 's/^ProtectHome=yes$/ProtectHome=read-only/' "/run/systemd/system/$name.service" ;;
esac
if ldd "$bin" 2>/dev/null | grep -q 'libasan\|libubsan'; then
    echo "     (test copy: sanitizer build: no MemoryDenyWriteExecute, LockPersonality, SystemCallFilter)"
    sed -i -e '/^MemoryDenyWriteExecute=/d' -e '/^LockPersonality=/d' -e '/^SystemCallFilter=/d' \
        -e 's/^\[Service\]$/[Service]\nEnvironment=ASAN_OPTIONS=detect_leaks=0/' \
        "/run/systemd/system/$name.service"
fi
cleanup_unit() {
    systemctl stop "$name.service" >/dev/null 2>&1
    rm -f "/run/systemd/system/$name.service"
    systemctl daemon-reload
    rm -rf "$work" "$tmp" "/var/lib/private/$name" "/var/lib/$name"
}
trap cleanup_unit EXIT INT TERM
systemctl daemon-reload
check "systemctl start $name" systemctl start "$name.service"
sleep 1
check "the unit is active" systemctl is-active --quiet "$name.service"
since=$(date '+%Y-%m-%d %H:%M:%S')
check "journal shows it listening" sh -c "journalctl -u $name.service --no-pager | grep -q 'listening on'"
check "it runs as a dynamic (non-root) user" \
    sh -c "[ \"\$(ps -o uid= -p \$(systemctl show -p MainPID --value $name.service) | tr -d ' ')\" != 0 ]"
check "state was written to the unit's state directory" test -n "$(ls -A "/var/lib/$name" 2>/dev/null)"
check "systemctl reload $name" systemctl reload "$name.service"
sleep 1
check "journal shows the reload" sh -c "journalctl -u $name.service --since '$since' --no-pager | grep -q 'SIGHUP'"
check "still active after reload" systemctl is-active --quiet "$name.service"
check "systemctl stop $name" systemctl stop "$name.service"
finish
