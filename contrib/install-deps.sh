#!/bin/sh
# Install what havend needs to build (and, with --test, to run its tests)
# from Debian's packages. Installs only what is missing.
set -eu
pkgs="meson ninja-build pkg-config gcc libc6-dev libevent-dev libssl-dev libconfig-dev openssl"
if [ "${1:-}" = "--test" ]; then
    pkgs="$pkgs libcriterion-dev python3 python3-irc valgrind"
    # libFuzzer for the fuzz targets (contrib/fuzz.sh, tests/fuzz/)
    pkgs="$pkgs clang libclang-rt-dev"
    # real clients (tests/clients/), the systemd unit check (systemd-analyze,
    # and systemd-nspawn to start it under a real systemd), man page rendering
    pkgs="$pkgs irssi tmux weechat-headless limnoria ii systemd systemd-container groff-base"
    # Node.js and npm for irc-framework, unless a Node.js with npm is
    # already there (NodeSource's nodejs bundles npm; Debian's npm conflicts)
    if ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; then
        pkgs="$pkgs nodejs npm"
    fi
fi
missing=""
for p in $pkgs; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" || missing="$missing $p"
done
[ -z "$missing" ] && exit 0
SUDO=""
[ "$(id -u)" -ne 0 ] && SUDO="sudo"
echo "installing:$missing"
$SUDO apt-get update -q
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -q $missing
