#!/usr/bin/env bash
# run.sh — benchmark havend (bare config and shipped default config) and,
# when given their paths, ngircd and inspircd, on this machine, over
# 127.0.0.1 only. Each server runs pinned to one core (taskset -c 0), the
# load generator on the other (taskset -c 1); every scenario gets a freshly
# started server. Prints a comparison table with ratios against the best
# peer and writes every JSON result line to a results file.
#
#   contrib/bench/run.sh [--peers] [--quick] [--servers LIST] [--scenarios LIST]
#                        [--ngircd PATH] [--inspircd PATH] [--out FILE]
#                        [--no-build] [--keep] [--configs-only DIR]
#   contrib/bench/run.sh --table FILE.tsv   (print an earlier run's table again)
#
# --peers fetches Debian's ngircd and inspircd first (fetch-peers.sh), so
# on a fresh machine `contrib/bench/run.sh --peers` is the whole comparison
# (the build dependencies are installed when meson is missing).
#
# Environment (defaults are the issue's sizes; --quick shrinks them):
#   NGIRCD, INSPIRCD       peer binaries (see fetch-peers.sh)
#   BUILD_DIR              havend release build [build-bench]
#   CONNECT_N, CONNECT_C   clients, and the list of in-flight counts [10000, "10 100"]
#   IDLE_N, IDLE_K         clients and channels [10000, 10]
#   FANOUT_M, FANOUT_S, FANOUT_LADDER   [1000, 100, "0.5,1,2,4,8,16,32,64"]
#   PRIVMSG_P, PRIVMSG_LADDER           [1000, "1,4,16,64"]
#   DURATION, DRAIN, SETTLE             seconds per rung, after, before [10, 2, 1]
#   CONNECT_TIMEOUT        seconds a connect run may take; slower servers
#                          report the rate of what registered by then [60]
#   SETUP_TIMEOUT          seconds to connect and join for the other scenarios [300]
#   SENDQ                  bytes a client may have queued, every server [8388608]
#   SETUP_C, SETUP_C_NGIRCD  registrations in flight while setting up idle,
#                          fanout and privmsg [100; 10 for ngircd]
#   SERVER_CPU, GEN_CPU    cores to pin to [0, 1]
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)

quick=0
build=1
keep=0
servers=""
peers=0
table_only=""
scenarios="connect idle fanout privmsg"
out=""
configs_only=""
NGIRCD=${NGIRCD:-}
INSPIRCD=${INSPIRCD:-}

usage() {
    awk 'NR > 1 && /^#/ { sub(/^# ?/, ""); print; next } NR > 1 { exit }' "$0"
}

# ------------------------------------------------------------ table

# One row per (scenario, metric), one column per server, then for each
# havend config its ratio to the best peer (best = highest, or lowest where
# lower is better; a ratio > 1 means havend is ahead either way).
print_table() { # summary.tsv
    awk -F'\t' -v servers="$servers" '
    BEGIN { ns = split(servers, S, " ") }
    {
        key = $2 " | " $3
        if (!(key in seen)) { seen[key] = 1; order[++nk] = key; better[key] = $6 }
        val[key, $1] = $4
    }
    function fmt(v) { return v == "" ? "-" : (v >= 100 ? sprintf("%.0f", v) : sprintf("%.3g", v)) }
    END {
        np = 0; nh = 0
        for (i = 1; i <= ns; i++) if (S[i] ~ /^havend/) H[++nh] = S[i]; else P[++np] = S[i]
        hdr = sprintf("%-60s", "scenario | metric")
        for (i = 1; i <= ns; i++) hdr = hdr sprintf(" %14s", S[i])
        if (np) for (i = 1; i <= nh; i++) hdr = hdr sprintf(" %14s", substr(H[i], 8) "/peer")
        print hdr
        for (k = 1; k <= nk; k++) {
            key = order[k]
            row = sprintf("%-60s", key (better[key] == "lo" ? " (lower=better)" : ""))
            for (i = 1; i <= ns; i++) row = row sprintf(" %14s", fmt(val[key, S[i]]))
            best = ""
            for (i = 1; i <= np; i++) {
                v = val[key, P[i]]
                if (v == "") continue
                if (best == "" || (better[key] == "hi" ? v + 0 > best + 0 : v + 0 < best + 0)) best = v
            }
            if (np) for (i = 1; i <= nh; i++) {
                v = val[key, H[i]]
                r = "-"
                if (v != "" && best != "") {
                    if (better[key] == "hi" && best + 0 > 0) r = sprintf("x%.2f", v / best)
                    else if (better[key] == "lo" && v + 0 > 0) r = sprintf("x%.2f", best / v)
                }
                row = row sprintf(" %14s", r)
            }
            print row
        }
    }
' "$1"
}

while [ $# -gt 0 ]; do
    case $1 in
        --quick) quick=1 ;;
        --peers) peers=1 ;;
        --table) table_only=$2; shift ;;
        --servers) servers=$2; shift ;;
        --scenarios) scenarios=$2; shift ;;
        --ngircd) NGIRCD=$2; shift ;;
        --inspircd) INSPIRCD=$2; shift ;;
        --out) out=$2; shift ;;
        --no-build) build=0 ;;
        --keep) keep=1 ;;
        --configs-only) configs_only=$2; shift ;;
        -h|--help) usage; exit 0 ;;
        *) echo "run.sh: unknown argument $1" >&2; usage >&2; exit 2 ;;
    esac
    shift
done

if [ $quick = 1 ]; then
    : "${CONNECT_N:=2000}" "${IDLE_N:=1000}" "${FANOUT_M:=200}" "${FANOUT_S:=20}"
    : "${FANOUT_LADDER:=2,16}" "${PRIVMSG_P:=200}" "${PRIVMSG_LADDER:=16}"
    : "${DURATION:=2}" "${DRAIN:=1}" "${SETTLE:=0.5}" "${CONNECT_TIMEOUT:=10}" "${SETUP_TIMEOUT:=60}"
fi
: "${CONNECT_N:=10000}" "${CONNECT_C:=10 100}" "${IDLE_N:=10000}" "${IDLE_K:=10}"
: "${FANOUT_M:=1000}" "${FANOUT_S:=100}" "${FANOUT_LADDER:=0.5,1,2,4,8,16,32,64}"
: "${PRIVMSG_P:=1000}" "${PRIVMSG_LADDER:=1,4,16,64}"
: "${DURATION:=10}" "${DRAIN:=2}" "${SETTLE:=1}" "${SENDQ:=8388608}"
: "${CONNECT_TIMEOUT:=60}" "${SETUP_TIMEOUT:=300}"
: "${SERVER_CPU:=0}" "${GEN_CPU:=1}"
BUILD_DIR=${BUILD_DIR:-$root/build-bench}

if [ -n "$table_only" ]; then   # the table of an earlier run's .tsv
    [ -n "$servers" ] || servers=$(cut -f1 "$table_only" | awk '!seen[$0]++' | paste -sd' ')
    print_table "$table_only"
    exit 0
fi
if [ $peers = 1 ]; then
    eval "$("$root/contrib/bench/fetch-peers.sh")"
fi
if [ -z "$servers" ]; then
    servers="havend-bare havend-default"
    [ -n "$NGIRCD" ] && servers="$servers ngircd"
    [ -n "$INSPIRCD" ] && servers="$servers inspircd"
fi

# ------------------------------------------------------------ configs

# The topic rooms of the shipped config: the channels that exist there
# (its topics module lets only staff create others).
default_channels() {
    sed -n 's/^[[:space:]]*channel = "\(#[^"]*\)";.*/\1/p' "$root/conf/havend.conf" | paste -sd, -
}

# Lifted limits shared by both havend configs.
havend_common() { # port
    cat <<EOF
listen = ( { address = "127.0.0.1"; port = $1; } );
classes = ( {
  name = "default";
  max_clients = 20000;
  sendq = $SENDQ;
  recvq = 65536;
  flood = { mode = "fakelag"; burst = 1000000; rate = 1000000; };
  per_token = 0;
  throttle = { count = 0; };
} );
EOF
}

# havend, bare: no modules, no MOTD, warnings only in the log.
conf_havend_bare() { # dir port
    mkdir -p "$1/state"
    cat > "$1/havend.conf" <<EOF
# havend bench config: bare (no modules), limits lifted
server = { name = "bench.havend.local"; sid = "0BN"; description = "bench"; state_dir = "state"; };
log = { level = "warn"; };
modules = [ ];
limits = { max_clients = 0; };
$(havend_common "$2")
EOF
}

# Rewrite a libconfig file, replacing settings: each line of the overrides
# file is "path<TAB>text", path "name" (top level) or "group.name" (one level
# down). A setting found is replaced in place (from its first line to where
# its brackets balance and a ';' ends it); one not found is added at the end
# of its group (only if the group exists: a module's group with the module
# gone would not validate) or of the file.
conf_rewrite() { # src overrides > dst
    awk -v ov="$2" '
        BEGIN {
            FS = "\n"
            while ((getline l < ov) > 0) {
                t = index(l, "\t")
                if (t == 0) continue
                p = substr(l, 1, t - 1)
                want[p] = substr(l, t + 1)
                order[++n] = p
            }
        }
        # the line without strings and comments, for bracket counting
        function bare(s) {
            gsub(/"([^"\\]|\\.)*"/, "", s)
            sub(/(#|\/\/).*/, "", s)
            return s
        }
        function opens(s) { return gsub(/[({[]/, "", s) }
        function closes(s) { return gsub(/[)}\]]/, "", s) }
        function ends(s) { return s ~ /;[ \t]*$/ }
        {
            b = bare($0)
            if (skip) {
                depth += opens(b) - closes(b)
                if (depth <= 0 && ends(b)) skip = 0
                next
            }
            path = ""
            if (gdepth == 0 && $0 ~ /^[a-z_]+[ \t]*=/) {
                name = $0; sub(/[ \t]*=.*/, "", name)
                path = name; group = name
            } else if (gdepth == 1 && $0 ~ /^[ \t]+[a-z_]+[ \t]*=/) {
                name = $0; sub(/^[ \t]+/, "", name); sub(/[ \t]*=.*/, "", name)
                path = group "." name
            }
            if (path != "" && (path in want) && !done[path]) {
                print (gdepth ? "  " : "") want[path] "   # bench override"
                done[path] = 1
                depth = opens(b) - closes(b)
                skip = !(depth <= 0 && ends(b))
                next
            }
            after = gdepth + opens(b) - closes(b)
            if (gdepth > 0 && after == 0) {
                # leaving a top-level group: add its overrides not seen
                for (i = 1; i <= n; i++)
                    if (index(order[i], group ".") == 1 && !done[order[i]]) {
                        print "  " want[order[i]] "   # bench override"
                        done[order[i]] = 1
                    }
            }
            gdepth = after
            print
        }
        END {
            for (i = 1; i <= n; i++)
                if (order[i] !~ /\./ && !done[order[i]])
                    print want[order[i]] "   # bench override"
        }
    ' "$1"
}

# What the default config must lift for benchmarking: the core class limits,
# the server-wide client limit, and the modules' own flood controls (moderation: per-user channel flood
# mutes and join-flood channel locks). Everything else stays as shipped.
default_overrides() { # port
    printf '%s\t%s\n' \
        listen "listen = ( { address = \"127.0.0.1\"; port = $1; } );" \
        classes "$(havend_common "$1" | sed -n '/^classes/,$p' | tr '\n' ' ')" \
        log 'log = { level = "info"; };' \
        limits.max_clients 'max_clients = 0;' \
        moderation.flood 'flood = { repeat = 0; messages = 0; mentions = 0; };' \
        moderation.join_flood 'join_flood = { joins = 0; };'
}

# havend, default: a copy of conf/ (so @include, the MOTD and word lists
# resolve) whose havend.conf is the shipped one with default_overrides
# applied (listen, classes and log replaced; module flood limits off).
conf_havend_default() { # dir port
    mkdir -p "$1"
    (cd "$root/conf" && tar --exclude=./state -cf - .) | (cd "$1" && tar -xf -)
    default_overrides "$2" > "$1/overrides.tsv"
    conf_rewrite "$root/conf/havend.conf" "$1/overrides.tsv" > "$1/havend.conf"
}

# ngircd: no DNS, ident or PAM; no per-IP or connection limits; penalties
# (its flood throttling) off with MaxPenaltyTime = 0.
conf_ngircd() { # dir port
    mkdir -p "$1"
    cat > "$1/ngircd.conf" <<EOF
[Global]
	Name = bench.ngircd.local
	Info = bench
	Listen = 127.0.0.1
	Ports = $2
	MotdFile = $1/ngircd.motd
[Limits]
	MaxConnections = 0
	MaxConnectionsIP = 0
	MaxJoins = 0
	MaxNickLength = 30
	MaxPenaltyTime = 0
	PingTimeout = 120
	PongTimeout = 60
[Options]
	DNS = no
	Ident = no
	PAM = no
	RequireAuthPing = no
	ConnectIPv6 = no
	OperCanUseMode = yes
[Operator]
	Name = bench
	Password = bench
EOF
    : > "$1/ngircd.motd"
}

# inspircd: no hostname lookups or ident, no clone limits, flood control
# (penalty threshold and command rate) effectively off, big sendq.
conf_inspircd() { # dir port moduledir
    mkdir -p "$1/data" "$1/logs" "$1/run"
    cat > "$1/inspircd.conf" <<EOF
<config format="xml">
<server name="bench.inspircd.local" description="bench" network="BenchNet" id="0IB">
<admin name="bench" nick="bench" email="bench@bench.local">
<bind address="127.0.0.1" port="$2" type="clients">
<connect name="main" allow="*" timeout="60" pingfreq="120"
         hardsendq="$SENDQ" softsendq="$SENDQ" recvq="65536"
         threshold="1000000" commandrate="1000000000" fakelag="yes"
         localmax="100000" globalmax="100000" limit="100000" maxconnwarn="no"
         maxchans="100" useident="no" resolvehostnames="no">
<path configdir="$1" datadir="$1/data" logdir="$1/logs" moduledir="$3" runtimedir="$1/run">
<pid file="$1/run/inspircd.pid">
<performance softlimit="20000" somaxconn="4096" netbuffersize="65536" clonesonconnect="no" quietbursts="yes">
<security maxtargets="20">
<limits maxnick="30" maxchan="64" maxmodes="20" maxident="11" maxhost="64" maxquit="255" maxtopic="307" maxkick="255" maxreal="128" maxaway="200">
<channels users="100" opers="100">
<log method="file" type="* -USERINPUT -USEROUTPUT" level="default" target="$1/logs/ircd.log">
EOF
}

# The peer's unpacked library dirs (fetch-peers.sh layout), for LD_LIBRARY_PATH.
peer_libs() { # binary
    local prefix
    prefix=$(cd "$(dirname "$1")/../.." && pwd)
    find "$prefix/usr/lib" "$prefix/lib" -maxdepth 1 -type d -name '*-linux-gnu' 2>/dev/null | paste -sd: -
}

# --configs-only DIR: write each server's bench config under DIR and stop.
if [ -n "$configs_only" ]; then
    SENDQ=${SENDQ:-8388608}
    conf_havend_bare "$configs_only/havend-bare" 6667
    conf_havend_default "$configs_only/havend-default" 6667
    conf_ngircd "$configs_only/ngircd" 6667
    conf_inspircd "$configs_only/inspircd" 6667 /usr/lib/inspircd/modules
    find "$configs_only" -name '*.conf' | sort
    exit 0
fi

# ------------------------------------------------------------ build

if [ $build = 1 ]; then
    command -v meson >/dev/null 2>&1 || "$root/contrib/install-deps.sh" >&2
    if [ ! -f "$BUILD_DIR/build.ninja" ]; then
        meson setup "$BUILD_DIR" --buildtype=release >&2
    fi
    ninja -C "$BUILD_DIR" >&2
fi
HAVEND=$BUILD_DIR/havend
IRCBENCH=$BUILD_DIR/contrib/bench/ircbench
for f in "$HAVEND" "$IRCBENCH"; do
    [ -x "$f" ] || { echo "run.sh: $f is missing (build first, or drop --no-build)" >&2; exit 1; }
done

stamp=$(date -u +%Y%m%dT%H%M%SZ)
out=${out:-$BUILD_DIR/bench-$stamp.jsonl}
: > "$out"
summary=${out%.jsonl}.tsv
cmdlog=${out%.jsonl}.commands
: > "$summary"
: > "$cmdlog"
tmp=$(mktemp -d /tmp/havend-bench.XXXXXX)
spid=""

cleanup() {
    if [ -n "$spid" ] && kill -0 "$spid" 2>/dev/null; then
        kill -KILL "$spid" 2>/dev/null || true
    fi
    if [ $keep = 0 ]; then rm -rf "$tmp"; else echo "run.sh: kept $tmp" >&2; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

pin_server=(taskset -c "$SERVER_CPU")
pin_gen=(taskset -c "$GEN_CPU")
if [ "$(nproc)" -lt 2 ] || ! command -v taskset >/dev/null; then
    echo "run.sh: warning: fewer than 2 cores or no taskset: running unpinned" >&2
    pin_server=()
    pin_gen=()
fi

log() { echo "run.sh: $*" >&2; }

# Record and run a command (the commands file is what README calls "the
# exact commands").
logcmd() { printf '%q ' "$@" >> "$cmdlog"; echo >> "$cmdlog"; }

# ------------------------------------------------------------ servers

# Start server kind $1 in a fresh dir; sets spid, sdir and port. Returns
# non-zero (after showing the server's log) if it did not come up.
start_server() { # kind
    local kind=$1 dir
    dir=$(mktemp -d "$tmp/$kind.XXXX")
    port=$("$IRCBENCH" --free-port)
    case $kind in
        havend-bare|havend-default)
            "conf_${kind//-/_}" "$dir" "$port"
            if ! "$HAVEND" -t -c "$dir/havend.conf" > "$dir/server.log" 2>&1; then
                echo "run.sh: $kind: the bench config does not validate:" >&2
                cat "$dir/server.log" >&2
                return 1
            fi
            logcmd "${pin_server[@]}" "$HAVEND" -c "$dir/havend.conf"
            "${pin_server[@]}" "$HAVEND" -c "$dir/havend.conf" > "$dir/server.log" 2>&1 &
            ;;
        ngircd)
            conf_ngircd "$dir" "$port"
            logcmd env LD_LIBRARY_PATH="$(peer_libs "$NGIRCD")" "${pin_server[@]}" "$NGIRCD" -n -f "$dir/ngircd.conf"
            env LD_LIBRARY_PATH="$(peer_libs "$NGIRCD")" "${pin_server[@]}" "$NGIRCD" -n -f "$dir/ngircd.conf" \
                > "$dir/server.log" 2>&1 &
            ;;
        inspircd)
            local moddir
            moddir=$(cd "$(dirname "$INSPIRCD")/../.." && pwd)/usr/lib/inspircd/modules
            conf_inspircd "$dir" "$port" "$moddir"
            logcmd "${pin_server[@]}" "$INSPIRCD" --config="$dir/inspircd.conf" --nofork --runasroot
            "${pin_server[@]}" "$INSPIRCD" --config="$dir/inspircd.conf" --nofork --runasroot \
                > "$dir/server.log" 2>&1 &
            ;;
        *) echo "run.sh: unknown server $kind" >&2; exit 2 ;;
    esac
    spid=$!
    sdir=$dir
    if ! "$IRCBENCH" --port "$port" --wait-port --timeout 20 || ! kill -0 "$spid" 2>/dev/null; then
        echo "run.sh: $kind did not start; its log:" >&2
        tail -n 30 "$dir/server.log" >&2
        stop_server
        return 1
    fi
}

# SIGTERM, 10 s to exit, then SIGKILL.
stop_server() {
    [ -n "$spid" ] || return 0
    kill -TERM "$spid" 2>/dev/null || true
    for _ in $(seq 100); do
        kill -0 "$spid" 2>/dev/null || break
        sleep 0.1
    done
    kill -KILL "$spid" 2>/dev/null || true
    wait "$spid" 2>/dev/null || true
    spid=""
}

# Registrations in flight while setting up idle, fanout and privmsg (not
# what those measure): ngircd listens with a backlog of 10, and more in
# flight leaves some handshakes stuck for a minute (dropped final ACKs).
setup_c() { # kind
    if [ "$1" = ngircd ]; then echo "${SETUP_C_NGIRCD:-10}"; else echo "${SETUP_C:-100}"; fi
}

# Run the generator against the running server; the JSON line goes to $out.
bench() { # kind args...
    local kind=$1 rc=0 line
    shift
    local chans=()
    if [ "$kind" = havend-default ]; then chans=(--channels "$(default_channels)"); fi
    local cmd=("${pin_gen[@]}" "$IRCBENCH" --port "$port" --pid "$spid" --label "$kind" --summary "$summary"
               --duration "$DURATION" --drain "$DRAIN" --settle "$SETTLE" "${chans[@]}" "$@")
    logcmd "${cmd[@]}"
    line=$("${cmd[@]}") || rc=$?
    if [ -n "$line" ]; then echo "$line" >> "$out"; fi
    if [ $rc -ge 2 ]; then log "$kind: ircbench failed (exit $rc)"; fi
    if ! kill -0 "$spid" 2>/dev/null; then
        log "$kind: the server died during the run; its log:"
        tail -n 20 "$sdir/server.log" >&2
    fi
}

# ------------------------------------------------------------ run

failed=""
log "servers: $servers; scenarios: $scenarios; results: $out"
for kind in $servers; do
    case $kind in
        ngircd) [ -n "$NGIRCD" ] || { log "ngircd: no path given (NGIRCD= or --ngircd)"; continue; } ;;
        inspircd) [ -n "$INSPIRCD" ] || { log "inspircd: no path given (INSPIRCD= or --inspircd)"; continue; } ;;
    esac
    for sc in $scenarios; do
        case $sc in
            connect)
                for c in $CONNECT_C; do
                    start_server "$kind" || { failed="$failed $kind/$sc"; continue; }
                    bench "$kind" --scenario connect -n "$CONNECT_N" -c "$c" --timeout "$CONNECT_TIMEOUT"
                    stop_server
                done
                ;;
            idle)
                start_server "$kind" || { failed="$failed $kind/$sc"; continue; }
                bench "$kind" --scenario idle -n "$IDLE_N" -k "$IDLE_K" -c "$(setup_c "$kind")" --timeout "$SETUP_TIMEOUT"
                stop_server
                ;;
            fanout)
                start_server "$kind" || { failed="$failed $kind/$sc"; continue; }
                bench "$kind" --scenario fanout -m "$FANOUT_M" -s "$FANOUT_S" --ladder "$FANOUT_LADDER" -c "$(setup_c "$kind")" \
                    --timeout "$SETUP_TIMEOUT"
                stop_server
                ;;
            privmsg)
                start_server "$kind" || { failed="$failed $kind/$sc"; continue; }
                bench "$kind" --scenario privmsg -p "$PRIVMSG_P" --ladder "$PRIVMSG_LADDER" -c "$(setup_c "$kind")" \
                    --timeout "$SETUP_TIMEOUT"
                stop_server
                ;;
            *) log "unknown scenario $sc"; exit 2 ;;
        esac
    done
done

print_table "$summary" | tee "${out%.jsonl}.table"
log "JSON lines: $out; table: ${out%.jsonl}.table; commands: $cmdlog"
if [ -n "$failed" ]; then
    log "could not start the server for:$failed"
    exit 1
fi
