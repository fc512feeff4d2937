#!/bin/sh
# Scan havend's TLS listener with Debian's sslscan and fail if it offers
# anything but TLS 1.2+ with forward-secret AEAD ciphers; then check that
# REHASH (SIGHUP) reloads the certificate.
#
#   contrib/tls-scan.sh            (BUILDDIR=build by default; built if needed)
#
# The server runs on loopback with a copy of conf/havend.conf, the
# documented default config, changed in two ways only: free ports (found by
# a first start on port 0) and no per-address throttle, since a scanner
# opens hundreds of connections from one address. sslscan is
# installed with apt-get when missing. Exit status 0 means the scan passed.
set -eu
cd "$(dirname "$0")/.."
builddir=${BUILDDIR:-build}

if [ ! -f "$builddir/build.ninja" ]; then
    meson setup "$builddir" >/dev/null
fi
ninja -C "$builddir" >/dev/null
if ! command -v sslscan >/dev/null 2>&1; then
    SUDO=""
    [ "$(id -u)" -ne 0 ] && SUDO="sudo"
    echo "installing sslscan"
    $SUDO apt-get update -q >/dev/null
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -q sslscan >/dev/null
fi

tmp=$(mktemp -d "${TMPDIR:-/tmp}/havend-tls-scan-XXXXXX")
pid=""
cleanup() {
    [ -n "$pid" ] && kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null
    rm -rf "$tmp"
}
trap cleanup EXIT INT TERM

# The default config, on free ports, without the per-address throttle.
cp -r conf/. "$tmp/"
rm -rf "$tmp/state"
sed -i -e 's/port = 6667;/port = 0;/' -e 's/port = 6697;/port = 0;/' "$tmp/havend.conf"
if grep -q '^ *per_token = ' "$tmp/havend.conf"; then
    sed -i -e 's/^\( *per_token = \)[0-9]*;/\10;/' -e 's/^\( *count = \)[0-9]*;/\10;/' "$tmp/havend.conf"
else
    sed -i 's/^\( *max_clients = [0-9]*;\)/\1 per_token = 0; throttle = { count = 0; period = 60; };/' \
        "$tmp/havend.conf"
fi
grep -q 'per_token = 0;' "$tmp/havend.conf" || { echo "tls-scan: cannot adapt conf/havend.conf"; exit 2; }

# Start havend and learn the TLS port from its log.
start() {
    "$builddir/havend" -c "$tmp/havend.conf" >"$tmp/havend.log" 2>&1 &
    pid=$!
    port=""
    for _ in $(seq 100); do
        port=$(sed -n 's/.*listening on 127\.0\.0\.1 port \([0-9]*\) (tls).*/\1/p' "$tmp/havend.log" | tail -1)
        [ -n "$port" ] && return 0
        kill -0 "$pid" 2>/dev/null || break
        sleep 0.1
    done
    echo "tls-scan: havend did not start:"
    cat "$tmp/havend.log"
    exit 2
}
# Pin the ports it found, so that REHASH keeps the same listener (and
# must swap its certificate in place): restart on those ports.
start
plain=$(sed -n 's/.*listening on 127\.0\.0\.1 port \([0-9]*\)$/\1/p' "$tmp/havend.log" | head -1)
kill "$pid" && wait "$pid" 2>/dev/null || true
sed -i -e "0,/port = 0;/s//port = $plain;/" -e "0,/port = 0;/s//port = $port;/" "$tmp/havend.conf"
start
echo "scanning 127.0.0.1:$port (TLS listener of the default config)"
# sslscan can die of SIGPIPE when a server closes mid-test: ignore it.
(trap '' PIPE; sslscan --no-colour "127.0.0.1:$port") >"$tmp/scan.txt" 2>&1 || true
cat "$tmp/scan.txt"

fail=0
bad() {
    echo "FAIL: $*"
    fail=1
}
grep -Eq '^(SSLv2|SSLv3|TLSv1\.0|TLSv1\.1) +enabled' "$tmp/scan.txt" && bad "a protocol older than TLS 1.2 is enabled"
grep -Eq '^TLSv1\.2 +enabled' "$tmp/scan.txt" || bad "TLS 1.2 is not enabled"
grep -Eq '^TLSv1\.3 +enabled' "$tmp/scan.txt" || bad "TLS 1.3 is not enabled"
ciphers=$(grep -E '^(Preferred|Accepted) ' "$tmp/scan.txt" || true)
[ -n "$ciphers" ] || bad "no cipher could be listed"
# TLS 1.2 suites must be forward secret ((EC)DHE) and AEAD (GCM or
# ChaCha20); nothing weak at any version; at least 128-bit keys.
echo "$ciphers" | grep -E 'TLSv1\.2' | grep -Ev ' (ECDHE|DHE)-[A-Z0-9-]*(GCM|CHACHA20)' \
    | sed 's/^/  /' | grep . && bad "a TLS 1.2 cipher without forward secrecy or AEAD is accepted"
echo "$ciphers" | grep -Ei 'RC4|DES|NULL|EXP|anon|ADH|AECDH|MD5|PSK|SRP|IDEA|SEED' \
    | sed 's/^/  /' | grep . && bad "a weak cipher is accepted"
echo "$ciphers" | awk '{ if ($3 + 0 < 128) { print "  " $0; found = 1 } } END { exit !found }' \
    && bad "a cipher with fewer than 128 bits is accepted"
grep -Eq 'TLSv1\.[0-3] vulnerable to heartbleed' "$tmp/scan.txt" && bad "vulnerable to heartbleed"
grep -Eiq '^Compression enabled' "$tmp/scan.txt" && bad "TLS compression is enabled"
grep -Eiq '^Insecure session renegotiation' "$tmp/scan.txt" && bad "insecure renegotiation is supported"
grep -Eiq 'Signature Algorithm: *(md5|sha1)' "$tmp/scan.txt" && bad "the certificate is signed with MD5 or SHA-1"

# REHASH reloads the certificate: replace it, SIGHUP, and compare.
fingerprint() {
    echo | openssl s_client -connect "127.0.0.1:$port" 2>/dev/null | openssl x509 -noout -fingerprint -sha256
}
before=$(fingerprint)
rm -f "$tmp/state/tls/cert.pem" "$tmp/state/tls/key.pem"   # regenerated on reload
kill -HUP "$pid"
after=""
for _ in $(seq 50); do
    grep -q 'configuration reloaded' "$tmp/havend.log" && after=$(fingerprint) && break
    sleep 0.1
done
if [ -n "$before" ] && [ -n "$after" ] && [ "$before" != "$after" ]; then
    echo "REHASH: the new certificate is served ($after)"
else
    bad "the certificate was not reloaded on REHASH (before: $before; after: $after)"
fi

if [ "$fail" -ne 0 ]; then
    echo "tls-scan: FAILED"
    exit 1
fi
echo "tls-scan: passed (TLS 1.2+ only, forward-secret AEAD ciphers, certificate reloaded on REHASH)"
