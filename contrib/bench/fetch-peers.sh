#!/bin/sh
# fetch-peers.sh [DIR] — download Debian's ngircd and inspircd packages (and
# libident, which ngircd links against) with `apt-get download` and unpack
# them with `dpkg -x` into DIR (default /tmp/havend-bench-peers): nothing is
# installed. Prints the two binary paths as NGIRCD=... and INSPIRCD=...
# lines that run.sh accepts:
#
#   eval "$(contrib/bench/fetch-peers.sh)" && NGIRCD=$NGIRCD INSPIRCD=$INSPIRCD contrib/bench/run.sh
#
# Needs access to the Debian package mirror (apt-get update is run once if
# apt has no package lists yet). ircd-hybrid is left out on purpose: it
# always does reverse-DNS lookups, which would measure the resolver.
set -eu
dir=${1:-/tmp/havend-bench-peers}
mkdir -p "$dir/debs" "$dir/root"
# apt's sandbox user must be able to write there.
chmod 0777 "$dir/debs" 2>/dev/null || true

if ! apt-cache show ngircd >/dev/null 2>&1; then
    echo "fetch-peers: apt has no package lists yet: running apt-get update" >&2
    apt-get update >&2
fi

cd "$dir/debs"
# Only the server packages and the one library ngircd needs that a Debian
# system with OpenSSL/GnuTLS does not already have. inspircd's core binary
# needs only libstdc++; its optional modules' libraries are not fetched.
for pkg in ngircd libident inspircd; do
    if ! ls "${pkg}"_*.deb >/dev/null 2>&1; then
        apt-get download "$pkg" >&2
    fi
done
for deb in ./*.deb; do
    dpkg -x "$deb" "$dir/root"
done

ngircd="$dir/root/usr/sbin/ngircd"
inspircd="$dir/root/usr/sbin/inspircd"
for bin in "$ngircd" "$inspircd"; do
    [ -x "$bin" ] || { echo "fetch-peers: $bin is missing after unpacking" >&2; exit 1; }
done
# Show what each binary still lacks (run.sh adds the unpacked lib dirs to
# LD_LIBRARY_PATH when it starts a peer).
libs=$(find "$dir/root" -type d -name '*-linux-gnu' | tr '\n' ':')
for bin in "$ngircd" "$inspircd"; do
    missing=$(LD_LIBRARY_PATH="$libs" ldd "$bin" 2>/dev/null | grep 'not found' || true)
    [ -z "$missing" ] || echo "fetch-peers: $bin still lacks: $missing" >&2
done
echo "NGIRCD=$ngircd"
echo "INSPIRCD=$inspircd"
