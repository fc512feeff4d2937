#!/bin/sh
# The systemd unit meson generates from contrib/systemd/havend.service.in:
#  1. it has the hardening the project promises (checked line by line);
#  2. `systemd-analyze verify` accepts it (no warnings about it at all);
#  3. `systemd-analyze security --offline` rates its exposure at 2.0 or
#     better ("OK");
#  4. as root, a copy of it (own name, own config and state directory) is
#     really started, checked (unprivileged, no capabilities, a client gets
#     in, state lands in /var/lib/<name>), reloaded with `systemctl reload`
#     and stopped: under this machine's systemd if it runs one, otherwise
#     under its systemd booted in a throwaway systemd-nspawn container.
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

# 4. a real start, reload and stop under a real systemd: the machine's own
# (when systemd is PID 1), or else the machine's systemd booted in a
# throwaway container (systemd-nspawn --volatile=yes: an empty tmpfs root
# with this machine's /usr; no network, nothing downloaded). Root only.
if [ "$(id -u)" -ne 0 ]; then
    skipped=$((skipped + 1))
    echo "SKIP: not root: unit not started under systemd"
    finish
fi
mode=
if [ -d /run/systemd/system ]; then
    mode=host
elif command -v systemd-nspawn >/dev/null 2>&1 && [ -x /usr/lib/systemd/systemd ]; then
    mode=nspawn
else
    skipped=$((skipped + 1))
    echo "SKIP: no running systemd (PID 1 is $(cat /proc/1/comm 2>/dev/null)) and no systemd-nspawn" \
         "(apt-get install systemd-container): unit not started"
    finish
fi

name=havend-test-$$
# config and state live under the build dir
work=$build/tests/clients/$name
rm -rf "$work"
mkdir -p "$work/out" "$work/conf"
# Paths as the unit sees them: the real ones under this machine's systemd;
# in the container, fixed mount points (so a build tree under /tmp, which
# the unit's private /tmp would hide, or under /home still works).
if [ "$mode" = host ]; then
    case "$bin $work" in
        /tmp/*|/var/tmp/*|*" /tmp/"*|*" /var/tmp/"*)
            skipped=$((skipped + 1))
            echo "SKIP: the build tree is under /tmp, which the unit's private /tmp hides: unit not started"
            rm -rf "$work"
            finish ;;
    esac
    cbin=$bin cmods=$build/modules cwork=$work
else
    cbin=/srv/havend-test/havend cmods=/srv/havend-test/modules cwork=/srv/havend-test/work
fi
cp -r "$src/conf/." "$work/conf/"
rm -rf "$work/conf/state"
mkdir -p "$work/conf/state"
sed -i -E "s/\\bport *= *[0-9]+/port = 0/g" "$work/conf/havend.conf"
printf '\nmodule_path = "%s";\n' "$cmods" >> "$work/conf/havend.conf"
copy=$work/$name.service
sed -E -e "s|^(ExecStart(Pre)?=)[^ ]*/havend -t -c [^ ]*|\\1$cbin -t -c $cwork/conf/havend.conf|" \
       -e "s|^(ExecStart=)[^ ]*/havend -c [^ ]*|\\1$cbin -c $cwork/conf/havend.conf|" \
       -e "s|^StateDirectory=havend|StateDirectory=$name|" \
       -e "s|^BindPaths=.*|BindPaths=%S/$name:$cwork/conf/state|" \
       "$unit" > "$copy"
# Test-only adjustments, each said out loud: a build tree under /home or
# /root is hidden by ProtectHome=yes; a sanitizer build needs W+X memory,
# personality() and ptrace-free leak checks off.
case $cwork in
    /home/*|/root/*)
        echo "     (test copy: ProtectHome=read-only, the build tree is under $build)"
        sed -i 's/^ProtectHome=yes$/ProtectHome=read-only/' "$copy" ;;
esac
if ldd "$bin" 2>/dev/null | grep -q 'libasan\|libubsan'; then
    echo "     (test copy: sanitizer build: no MemoryDenyWriteExecute, LockPersonality, SystemCallFilter)"
    sed -i -e '/^MemoryDenyWriteExecute=/d' -e '/^LockPersonality=/d' -e '/^SystemCallFilter=/d' \
        -e 's/^\[Service\]$/[Service]\nEnvironment=ASAN_OPTIONS=detect_leaks=0/' "$copy"
fi

# The probe: runs where systemd is, writes ok/FAIL lines.
cat > "$work/probe.sh" <<'PROBE'
#!/bin/bash
name=$1
exec >"$2" 2>&1
ok() { echo "ok   $1"; }
fail() { echo "FAIL $1"; }
check() { n=$1; shift; if "$@"; then ok "$n"; else fail "$n"; fi; }
journal() { journalctl -u "$name.service" --no-pager -o cat 2>/dev/null; }
systemctl daemon-reload
check "systemctl start $name" systemctl start "$name.service"
for _ in $(seq 100); do journal | grep -q 'started as' && break; sleep 0.1; done
check "the unit is active" systemctl is-active --quiet "$name.service"
pid=$(systemctl show -p MainPID --value "$name.service")
status=$(cat "/proc/$pid/status" 2>/dev/null)
uid=$(sed -n 's/^Uid:[[:space:]]*\([0-9]*\).*/\1/p' <<<"$status")   # (no awk: /etc/alternatives is empty in the container)
check "it runs as a dynamic unprivileged user (uid $uid)" test -n "$uid" -a "$uid" != 0
check "with no capabilities (CapEff 0)" grep -qE '^CapEff:[[:space:]]+0+$' <<<"$status"
check "and no new privileges" grep -qE '^NoNewPrivs:[[:space:]]+1$' <<<"$status"
port=$(journal | sed -n 's/.*listening on 127\.0\.0\.1 port \([0-9]*\)$/\1/p' | tail -1)
check "the journal shows it listening (port $port)" test -n "$port"
reply=$( (exec 3<>"/dev/tcp/127.0.0.1/$port" && printf 'NICK sam\r\nUSER sam 0 * :Sam\r\n' >&3 &&
          timeout 3 cat <&3) 2>&1)
check "a client gets the welcome (001)" grep -q ' 001 ' <<<"$reply"
check "state went to the unit's state directory (/var/lib/$name)" test -s "/var/lib/$name/ban_token.secret"
check "systemctl reload $name" systemctl reload "$name.service"
for _ in $(seq 50); do journal | grep -q 'configuration reloaded' && break; sleep 0.1; done
check "the journal shows the configuration reloaded" bash -c "journalctl -u $name.service -o cat | grep -q 'configuration reloaded'"
check "still active after the reload" systemctl is-active --quiet "$name.service"
check "systemctl stop $name" systemctl stop "$name.service"
check "it shut down cleanly" bash -c "journalctl -u $name.service -o cat | grep -q 'shut down'"
journal | grep -q 'started as' || journal | tail -20
echo PROBE-DONE
PROBE
chmod 755 "$work/probe.sh"

if [ "$mode" = host ]; then
    cleanup_unit() {
        systemctl stop "$name.service" >/dev/null 2>&1
        rm -f "/run/systemd/system/$name.service"
        systemctl daemon-reload
        rm -rf "$work" "$tmp" "/var/lib/private/$name" "/var/lib/$name"
    }
    trap cleanup_unit EXIT INT TERM
    echo "     under this machine's systemd"
    cp "$copy" "/run/systemd/system/$name.service"
    "$work/probe.sh" "$name" "$work/out/result"
else
    trap 'rm -rf "$work" "$tmp"' EXIT INT TERM
    echo "     under systemd $(systemctl --version | sed -n '1s/^systemd \([0-9]*\).*/\1/p')," \
         "booted in a throwaway systemd-nspawn container"
    printf '%s\n' '[Unit]' 'Description=havend unit test probe' 'After=basic.target' '[Service]' 'Type=oneshot' \
        "ExecStart=$cwork/probe.sh $name $cwork/out/result" \
        'ExecStopPost=/usr/bin/systemctl --no-block poweroff' > "$work/probe.service"
    timeout 120 systemd-nspawn --quiet --boot --directory=/ --volatile=yes --register=no --keep-unit \
        --private-network --console=pipe --machine="$name" \
        --bind-ro="$bin:$cbin" --bind-ro="$build/modules:$cmods" --bind="$work:$cwork" \
        --bind-ro="$copy:/etc/systemd/system/$name.service" \
        --bind-ro="$work/probe.service:/etc/systemd/system/havend-probe.service" \
        systemd.firstboot=off systemd.wants=havend-probe.service >"$work/out/boot.log" 2>&1 </dev/null
    rc=$?
    if [ ! -s "$work/out/result" ]; then
        tail -30 "$work/out/boot.log"
        fail "the container booted and ran the probe (systemd-nspawn exit $rc)"
        finish
    fi
fi
grep -v '^PROBE-DONE$' "$work/out/result"
passed=$((passed + $(grep -c '^ok ' "$work/out/result")))
failed=$((failed + $(grep -c '^FAIL ' "$work/out/result")))
check "the probe ran to the end" grep -qx 'PROBE-DONE' "$work/out/result"
finish
