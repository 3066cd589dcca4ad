#!/usr/bin/env bash
# SwiftSBC media-relay benchmark: N concurrent G.711 calls (50 packets/s per direction, 172-byte RTP
# packets) through the SBC's media relay, and the same load through rtpengine (Debian
# rtpengine-daemon, userspace) and optionally minimal C relays (one socket, and prototypes of
# socket layouts for a socket per port), in the same run.
#
# For each N in CALLS and each system in SYSTEMS: set up N calls (SIP through the SBC with
# media/sipcalls.py; NG offer/answer with media/ngctl.py for rtpengine), run media/rtpgen.c at
# 50 pps per stream for STEP_SECONDS (the first WARMUP_SECONDS excluded from loss and latency),
# read the relay's CPU (utime + stime of its PID) around the send window, tear the calls down.
# A step is healthy when loss < MAX_LOSS_PCT (0.1%). Prints a table per system, the highest
# healthy N of each, CPU per 1,000 relayed packets at a common N and the SBC/rtpengine ratio.
# See bench/README.md.
#
# Bounded: every rtpgen/ngctl run is wrapped in `timeout`, sipcalls.py and udprelay bound
# themselves, the whole run is limited to BENCH_TIMEOUT seconds by a watchdog; on exit it stops
# the relays and helpers it started, by their PIDs and no others.
#
# Environment (all optional):
#   SYSTEMS           systems to measure, in order: sbc, rtpengine, udprelay (C, one socket for
#                     everything), portrelay (C, a socket per port like the SBC), the layout
#                     prototypes (C, the SBC's ports, see README "Media socket layouts"):
#                     portrelay-connected (portrelay -c: each socket connect()ed to its peer),
#                     portrelay-gro (portrelay -g: UDP_GRO/UDP_SEGMENT, counts segments per read),
#                     uringrelay (io_uring multishot receive, sends as SQEs; needs liburing-dev,
#                     skipped without it), lookuprelay, lookuprelay-sendto and lookuprelay-uring
#                     (one receive socket for all ports through a BPF sk_lookup program, sends from
#                     the port's socket by sendmmsg per socket / sendto per packet / io_uring SQEs,
#                     one io_uring_enter per batch; skipped when sk_lookup is refused, -uring also
#                     without liburing-dev),
#                     and the SRTP bridging steps sbc-aescm, sbc-gcm, rtpengine-aescm, rtpengine-gcm:
#                     SDES-SRTP (AES_CM_128_HMAC_SHA1_80 / AEAD_AES_128_GCM) on the platform side,
#                     plain RTP on the carrier side (default "sbc rtpengine")
#   CALLS             concurrent-call steps (default "100 200 300 400 500 600 800 1000 1200")
#   STEP_SECONDS      send duration of each step (default 10)
#   WARMUP_SECONDS    first seconds of a step excluded from loss/latency (default 2)
#   PPS / PAYLOAD     packets/s per stream and UDP payload bytes (default 50 / 172)
#   MAX_LOSS_PCT      loss (percent) at or above which a step is unhealthy (default 0.1)
#   MAX_P99_MS        also unhealthy when latency p99 exceeds this many ms (default 20: a relay that
#                     adds more than 20 ms of p99 delay is overloaded for voice; 0 = loss only)
#   STOP_AT_FAIL      1: a system is not stepped further after its first unhealthy step (default 1)
#   SETUP_RATE        SBC call set-up rate, calls/s (default 200); BYE_RATE teardown rate (default 500)
#   SBC_BINARY        use this sbc instead of building `swift build -c release --product sbc`
#   SBC_MEDIA         auto | 1 | 0: write the media section (auto: only if `sbc check-config`
#                     accepts it; otherwise a signalling-only DRY RUN, media not anchored) (default auto)
#   SBC_MEDIA_WORKERS media.workers in the SBC config (default 1)
#   SBC_PORT_MIN/MAX  SBC media port range (default 42000-51999)
#   SBC_LATCHING      media.latching (default signalled)
#   SBC_SOCKET_LAYOUT media.socket_layout: per_port (a socket per port, read on readiness) or lookup
#                     (one receive socket per worker fed by a BPF sk_lookup program; the SBC falls
#                     back to per_port with a warning in its log where the program is refused)
#                     (default per_port)
#   SBC_SEND_BATCHING media.send_batching: auto (io_uring SENDMSG SQEs, one io_uring_enter per
#                     batch, where the kernel allows it; else sendmmsg with a warning) or sendmmsg
#                     (one sendmmsg per source socket of a batch) (default auto)
#   SBC_CODECS        trunk codecs list, empty for none (default "PCMU, PCMA, telephone-event")
#   RTPENGINE_THREADS rtpengine --num-threads (default 1; "default" = rtpengine's own default)
#   PER_CALL_SOCKETS  1: one generator socket per call leg (SDPs advertise port+2i) instead of one
#                     socket per side; costs the generator more (no sendmmsg batching) (default 0)
#   RTPGEN_BATCH      rtpgen sendmmsg/recvmmsg batch (default 16)
#   PIN=1             pin the relay to CPU PIN_RELAY_CPU (0) and rtpgen to PIN_GEN_CPU (1)
#   BENCH_TIMEOUT     hard limit for the whole run, seconds (default 900)
#   BENCH_BLOCK       loopback blocks: the SBC side on 127.0.N.0/24, the peers on 127.0.N+1.0/24 (default 51)
#   KEEP_WORKDIR=1    keep the temp dir (configs, logs, stream files, rtpgen output per step)
#   QUICK=1           a few seconds: SYSTEMS "sbc rtpengine udprelay portrelay uringrelay
#                     lookuprelay-uring", 50 calls for 2 s, p99 not judged (run by ./scripts/test so the
#                     bench cannot rot; the io_uring/sk_lookup relays skip themselves where refused)
# Besides the tables, one machine-readable line per step (the columns of results.tsv):
#   media-step: system=sbc calls=200 up=200 pps_in=20000 loss_pct=0.000 p50_us=80 p99_us=300 cpu_s=1.60 us_per_pkt=8.50 other_pct=3 verdict=ok
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO="$(cd "$HERE/.." && pwd)"
SRC="$HERE/media"

if [ "${QUICK:-0}" = 1 ]; then
    SYSTEMS="${SYSTEMS:-sbc rtpengine udprelay portrelay uringrelay lookuprelay-uring}"; CALLS="${CALLS:-50}"; STEP_SECONDS="${STEP_SECONDS:-2}"
    WARMUP_SECONDS="${WARMUP_SECONDS:-0.5}"; MAX_P99_MS="${MAX_P99_MS:-0}"; BENCH_TIMEOUT="${BENCH_TIMEOUT:-120}"
fi
SYSTEMS="${SYSTEMS:-sbc rtpengine}"
CALLS="${CALLS:-100 200 300 400 500 600 800 1000 1200}"
STEP_SECONDS="${STEP_SECONDS:-10}"
WARMUP_SECONDS="${WARMUP_SECONDS:-2}"
PPS="${PPS:-50}"
PAYLOAD="${PAYLOAD:-172}"
MAX_LOSS_PCT="${MAX_LOSS_PCT:-0.1}"
MAX_P99_MS="${MAX_P99_MS:-20}"
STOP_AT_FAIL="${STOP_AT_FAIL:-1}"
SETUP_RATE="${SETUP_RATE:-200}"
BYE_RATE="${BYE_RATE:-500}"
SBC_MEDIA="${SBC_MEDIA:-auto}"
SBC_MEDIA_WORKERS="${SBC_MEDIA_WORKERS:-1}"
SBC_PORT_MIN="${SBC_PORT_MIN:-42000}"
SBC_PORT_MAX="${SBC_PORT_MAX:-51999}"
SBC_LATCHING="${SBC_LATCHING:-signalled}"
SBC_SOCKET_LAYOUT="${SBC_SOCKET_LAYOUT:-per_port}"
SBC_SEND_BATCHING="${SBC_SEND_BATCHING:-auto}"
SBC_CODECS="${SBC_CODECS-PCMU, PCMA, telephone-event}"
RTPENGINE_THREADS="${RTPENGINE_THREADS:-1}"
PER_CALL_SOCKETS="${PER_CALL_SOCKETS:-0}"
RTPGEN_BATCH="${RTPGEN_BATCH:-16}"
PIN="${PIN:-0}"
PIN_RELAY_CPU="${PIN_RELAY_CPU:-0}"
PIN_GEN_CPU="${PIN_GEN_CPU:-1}"
BENCH_TIMEOUT="${BENCH_TIMEOUT:-900}"
PORT_REUSE_DELAY_S=2
DRAIN_MS=500

# Loopback blocks of this bench only: the SBC on 127.0.51.0/24, the peers on 127.0.52.0/24
# (BENCH_BLOCK=N: 127.0.N and 127.0.N+1; the test suite's quick run uses 53).
S="127.0.${BENCH_BLOCK:-51}"; P="127.0.$((${BENCH_BLOCK:-51} + 1))"
SBC_IP=$S.1; SBC_PLATFORM_PORT=5060; SBC_CARRIER_PORT=5080
PLATFORM_IP=$S.10; CARRIER_IP=$S.11; PEER_PORT=5060
SBC_GEN_A=$S.20:20000; SBC_GEN_B=$S.21:20000
RTPE_IP=$P.1; RTPE_NG="$RTPE_IP:2223"
PEER_GEN_A=$P.20:20000; PEER_GEN_B=$P.21:20000
UDPRELAY_LISTEN=$P.2:20000
PORTRELAY_IP=$P.3; PORTRELAY_BASE=21000
LOOKUPRELAY_IP=$P.4; URINGRELAY_IP=$P.5   # the layout prototypes: same ports as portrelay, own address

die() { echo "media.sh: $*" >&2; exit 1; }
source "$REPO/bench/lib.sh"
[ -r /proc/self/stat ] || die "needs Linux /proc for CPU figures"
command -v gcc >/dev/null || die "gcc not found (needed to build rtpgen and the C relays)"
command -v python3 >/dev/null || die "python3 not found"
PYTHON="$(python3 -c 'import sys; print(sys.executable)')"   # the interpreter itself, not a shim: its PID is the process's
for s in $SYSTEMS; do
    case "$s" in
    sbc | sbc-aescm | sbc-gcm | udprelay | portrelay | portrelay-connected | portrelay-gro | uringrelay | lookuprelay | lookuprelay-sendto | lookuprelay-uring) ;;
    rtpengine | rtpengine-aescm | rtpengine-gcm)
        command -v rtpengine >/dev/null || die "rtpengine not found (apt-get install rtpengine-daemon)" ;;
    *) die "unknown system '$s' in SYSTEMS (sbc, rtpengine, udprelay, portrelay, portrelay-connected, portrelay-gro, uringrelay, lookuprelay, lookuprelay-sendto, lookuprelay-uring, sbc-aescm, sbc-gcm, rtpengine-aescm, rtpengine-gcm)" ;;
    esac
done
if [ "$PIN" = 1 ]; then command -v taskset >/dev/null || die "PIN=1 needs taskset (util-linux)"; fi
CLK_TCK="$(getconf CLK_TCK)"
START_TIME=$SECONDS
has_system() { case " $SYSTEMS " in *" $1 "*) return 0 ;; *) return 1 ;; esac; }
has_family() { # has_family sbc|rtpengine: the system itself or one of its SRTP steps is in SYSTEMS
    has_system "$1" || has_system "$1-aescm" || has_system "$1-gcm"
}
has_srtp() { case " $SYSTEMS " in *-aescm* | *-gcm*) return 0 ;; *) return 1 ;; esac; }
suite_of() { # suite_of SYSTEM: the SRTP suite of an SRTP step, empty for a plain one
    case "$1" in *-aescm) echo AES_CM_128_HMAC_SHA1_80 ;; *-gcm) echo AEAD_AES_128_GCM ;; esac
}

# ---------------------------------------------------------------- binaries
if has_family sbc; then bench_sbc_binary; fi

WORK="$(mktemp -d "${TMPDIR:-/tmp}/swiftsbc-media.XXXXXX")"
mkdir -p "$WORK/state"
command -v pkg-config >/dev/null && pkg-config --exists libsrtp2 || die "libsrtp2 development files not found (apt-get install libsrtp2-dev pkg-config)"
# shellcheck disable=SC2046
gcc -O2 -Wall -pthread -o "$WORK/rtpgen" "$SRC/rtpgen.c" -lm $(pkg-config --cflags --libs libsrtp2)
# shellcheck disable=SC2046
gcc -O2 -Wall -o "$WORK/srtpcost" "$SRC/srtpcost.c" $(pkg-config --cflags --libs libsrtp2)
gcc -O2 -Wall -o "$WORK/udprelay" "$SRC/udprelay.c"
gcc -O2 -Wall -o "$WORK/portrelay" "$SRC/portrelay.c"
drop_system() { # drop_system NAME WHY: not measured in this run, with a clear message (not a failure)
    echo "== $1 skipped: $2"
    SYSTEMS=" $SYSTEMS "; SYSTEMS="${SYSTEMS/ $1 / }"
    # shellcheck disable=SC2086
    SYSTEMS="$(echo $SYSTEMS)"
}
if has_system uringrelay; then
    if ! echo '#include <liburing.h>' | gcc -E - >/dev/null 2>&1; then
        drop_system uringrelay "liburing.h not found (apt-get install liburing-dev)"
    elif ! gcc -O2 -Wall -o "$WORK/uringrelay" "$SRC/uringrelay.c" -luring >"$WORK/uringrelay.build.log" 2>&1; then
        drop_system uringrelay "does not build against this liburing: $(head -3 "$WORK/uringrelay.build.log" | tr '\n' ' ')"
    elif ! out=$(timeout 10 "$WORK/uringrelay" -p -l "$URINGRELAY_IP" -P "$PORTRELAY_BASE" -n 1 -a "$PEER_GEN_A" -b "$PEER_GEN_B" 2>&1); then
        drop_system uringrelay "io_uring refused here: $(echo "$out" | head -2 | tr '\n' ' ')"
    fi
fi
if has_system lookuprelay || has_system lookuprelay-sendto || has_system lookuprelay-uring; then
    # with liburing, the same relay also sends through io_uring (-m uring: lookuprelay-uring)
    if echo '#include <liburing.h>' | gcc -E - >/dev/null 2>&1; then
        gcc -O2 -Wall -DLOOKUPRELAY_URING -o "$WORK/lookuprelay" "$SRC/lookuprelay.c" -luring
    else
        gcc -O2 -Wall -o "$WORK/lookuprelay" "$SRC/lookuprelay.c"
        if has_system lookuprelay-uring; then drop_system lookuprelay-uring "liburing.h not found (apt-get install liburing-dev)"; fi
    fi
    # probe: load the sk_lookup program and attach it (for the bench's address and ports only),
    # then exit; refused (no CAP_BPF/CAP_NET_ADMIN, old kernel) = skipped
    if ! out=$(timeout 10 "$WORK/lookuprelay" -p -l "$LOOKUPRELAY_IP" -P "$PORTRELAY_BASE" -n 1 -a "$PEER_GEN_A" -b "$PEER_GEN_B" 2>&1); then
        for s in lookuprelay lookuprelay-sendto lookuprelay-uring; do
            if has_system "$s"; then drop_system "$s" "BPF sk_lookup refused here: $(echo "$out" | head -2 | tr '\n' ' ')"; fi
        done
    fi
fi

# ---------------------------------------------------------------- process bookkeeping (own PIDs only)
SBC_PID=""; RTPE_PID=""; UDPRELAY_PID=""; PORTRELAY_PID=""; CALLS_PID=""; RTPGEN_PID=""; WATCHDOG_PID=""
cleanup() {
    trap - INT TERM
    stop_pid "$RTPGEN_PID" 2
    stop_pid "$CALLS_PID" 8          # first SIGTERM: it BYEs its calls (second one: it quits)
    stop_pid "$UDPRELAY_PID" 2
    stop_pid "$PORTRELAY_PID" 2     # also the layout prototypes (one at a time, same variable)
    stop_pid "$RTPE_PID" 5
    stop_pid "$SBC_PID" 10
    stop_pid "$WATCHDOG_PID" 1
    if [ -n "${KEEP_WORKDIR:-}" ]; then echo "(work dir kept: $WORK)"; else rm -rf "$WORK"; fi
}
trap cleanup EXIT
trap 'echo "media.sh: interrupted (signal or BENCH_TIMEOUT=${BENCH_TIMEOUT}s reached)" >&2; exit 130' INT TERM
# Watchdog: SIGTERM to this script after BENCH_TIMEOUT; long waits below are `wait`s on background
# jobs, so the trap runs at once.
MAIN_PID=$$
( trap 'kill "$sp" 2>/dev/null; exit 0' TERM; sleep "$BENCH_TIMEOUT" & sp=$!; wait "$sp" && kill -TERM "$MAIN_PID" 2>/dev/null ) &
WATCHDOG_PID=$!

# ---------------------------------------------------------------- helpers
cpu_ticks() { # utime + stime of PID, in clock ticks (fields 14 and 15; strip "pid (comm) " first)
    sed 's/^.*) //' "/proc/$1/stat" | awk '{ print $12 + $13 }'
}
now() { date +%s.%N; }
host_jiffies() { # "busy total" jiffies of the whole host (steal counts as busy: someone else ran)
    awk '/^cpu / { print $2 + $3 + $4 + $7 + $8 + $9, $2 + $3 + $4 + $5 + $6 + $7 + $8 + $9 }' /proc/stat
}
NCPU="$(nproc)"
alive() { [ -n "$1" ] && kill -0 "$1" 2>/dev/null; }
time_left() { echo $((BENCH_TIMEOUT - (SECONDS - START_TIME))); }
pin_cmd() { if [ "$PIN" = 1 ]; then echo "taskset -c $PIN_RELAY_CPU"; fi; }
kv() { # kv FILE KEY: value of "KEY=value" (first match; trailing % stripped)
    sed -n "s/^\(.*[ :]\)\{0,1\}$2=\([^ ]*\).*/\2/p" "$1" 2>/dev/null | head -1 | tr -d '%'
}
bg_wait() { # bg_wait PID: wait for a background job, return its status (interruptible by traps)
    local rc=0; wait "$1" || rc=$?; return $rc
}

# ---------------------------------------------------------------- SBC config (conf/lab.yaml format)
write_sbc_config() { # write_sbc_config FILE with_media(0|1)
    local media="$2" codecs="" zone_media="" platform_srtp=""
    if [ "$media" = 1 ]; then
        zone_media="    media_address: $SBC_IP"
        if [ -n "$SBC_CODECS" ]; then codecs="    codecs: [$SBC_CODECS]"; fi
        # optional: the SRTP steps' offers get SRTP, the plain steps' stay plain; the carrier
        # keeps the default (none), so the SBC bridges SRTP to RTP.
        if has_srtp; then platform_srtp="    srtp: {policy: optional, suites: [AEAD_AES_128_GCM, AES_CM_128_HMAC_SHA1_80]}"; fi
    fi
    {
        cat <<EOF
node:
  name: bench-media
  state_dir: $WORK/state
zones:                      # sip: section left at its RFC 3261 defaults
  - name: platform
    bind: $SBC_IP
    udp_port: $SBC_PLATFORM_PORT
    tcp_port: $SBC_PLATFORM_PORT
$zone_media
  - name: carrier
    bind: $SBC_IP
    udp_port: $SBC_CARRIER_PORT
    tcp_port: $SBC_CARRIER_PORT
$zone_media
EOF
        if [ "$media" = 1 ]; then
            cat <<EOF
media:
  enabled: true
  port_min: $SBC_PORT_MIN
  port_max: $SBC_PORT_MAX
  workers: $SBC_MEDIA_WORKERS
  timeout_s: 600               # no call may time out during a step
  hold_timeout_s: 0
  port_reuse_delay_s: $PORT_REUSE_DELAY_S
  latching: $SBC_LATCHING
  socket_layout: $SBC_SOCKET_LAYOUT
  send_batching: $SBC_SEND_BATCHING
EOF
        fi
        cat <<EOF
trunks:
  - name: platform
    zone: platform
    address: $PLATFORM_IP
    port: $PEER_PORT
    transport: udp
    call_id: preserve
    health: {probe: false}
$codecs
$platform_srtp
  - name: carrier-a
    zone: carrier
    address: $CARRIER_IP
    port: $PEER_PORT
    transport: udp
    call_id: preserve
    passive_failures: 0
    health: {probe: false}
$codecs
trunk_groups:
  - name: pstn-out
    strategy: priority
    members: [carrier-a]
    failover_on: [503, timeout, transport]
routes:
  - name: platform-to-pstn
    from_trunk: platform
    trunk_group: pstn-out
  - name: carriers-to-platform
    from_zone: carrier
    trunk: platform
security:
  unknown_source: reject
shutdown:
  drain_s: 2
logging:
  level: warning
  format: json
EOF
    } | grep -v '^$' >"$1"
}

SBC_MEDIA_MODE=""   # 1 = media section accepted, 0 = signalling-only dry run
prepare_sbc_config() {
    if [ "$SBC_MEDIA" != 0 ]; then
        write_sbc_config "$WORK/sbc.yaml" 1
        if "$SBC_BINARY" check-config "$WORK/sbc.yaml" >"$WORK/check-config.log" 2>&1; then
            SBC_MEDIA_MODE=1; return
        fi
        if [ "$SBC_MEDIA" = 1 ]; then cat "$WORK/check-config.log" >&2; die "sbc rejects the media config (SBC_MEDIA=1)"; fi
        echo "== this sbc rejects the media section:"
        sed 's/^/     /' "$WORK/check-config.log" | head -5
    fi
    write_sbc_config "$WORK/sbc.yaml" 0
    "$SBC_BINARY" check-config "$WORK/sbc.yaml" >"$WORK/check-config.log" 2>&1 ||
        { cat "$WORK/check-config.log" >&2; die "sbc rejects even the signalling-only config"; }
    SBC_MEDIA_MODE=0
    echo "== SBC DRY RUN: signalling only; SDP passes unchanged, so the generator sends to itself and"
    echo "   the SBC figures below are NOT media-relay figures (set SBC_MEDIA=1 to make this an error)"
}

start_sbc() {
    # shellcheck disable=SC2046
    $(pin_cmd) "$SBC_BINARY" run --config "$WORK/sbc.yaml" >>"$WORK/sbc.stdout.log" 2>>"$WORK/sbc.stderr.log" &
    SBC_PID=$!
    local ready=""
    for _ in $(seq 1 20); do
        alive "$SBC_PID" || { tail -20 "$WORK/sbc.stderr.log" >&2; die "sbc exited during startup"; }
        if timeout 10 "$PYTHON" "$SRC/sipcalls.py" --sbc "$SBC_IP:$SBC_PLATFORM_PORT" --platform "$PLATFORM_IP:$PEER_PORT" \
            options --tries 2 >/dev/null 2>&1; then
            ready=1; break
        fi
        sleep 0.5
    done
    [ -n "$ready" ] || { tail -20 "$WORK/sbc.stderr.log" >&2; die "sbc did not answer OPTIONS"; }
    # What the relay runs: a refused sk_lookup or io_uring falls back to per_port / sendmmsg with
    # a warning (the log level here is warning, so the "media relay started" line is not there).
    local layout="$SBC_SOCKET_LAYOUT" sending="$SBC_SEND_BATCHING"
    [ "$sending" = auto ] && sending=io_uring
    if grep -q "socket_layout lookup unavailable" "$WORK/sbc.stderr.log" "$WORK/sbc.stdout.log" 2>/dev/null; then layout="per_port (lookup refused)"; fi
    if grep -q "send_batching io_uring unavailable" "$WORK/sbc.stderr.log" "$WORK/sbc.stdout.log" 2>/dev/null; then sending="sendmmsg (io_uring refused)"; fi
    echo "== sbc ready (pid $SBC_PID, media $([ "$SBC_MEDIA_MODE" = 1 ] && echo "on, workers $SBC_MEDIA_WORKERS, ports $SBC_PORT_MIN-$SBC_PORT_MAX, latching $SBC_LATCHING, socket_layout $layout, send_batching $sending" || echo "OFF: dry run"))"
}

start_rtpengine() {
    local threads=()
    [ "$RTPENGINE_THREADS" != default ] && threads=(--num-threads="$RTPENGINE_THREADS")
    # --config-file=none: not Debian's /etc/rtpengine/rtpengine.conf (it listens on 127.0.0.1);
    # --delete-delay=0: deleted calls free their ports at once (default 30 s would exhaust the range).
    # shellcheck disable=SC2046
    $(pin_cmd) rtpengine --config-file=none --table=-1 --interface="$RTPE_IP" --listen-ng="$RTPE_NG" \
        --port-min=30000 --port-max=39999 --foreground --log-stderr --log-level=4 --delete-delay=0 \
        --timeout=600 "${threads[@]}" >>"$WORK/rtpengine.log" 2>&1 &
    RTPE_PID=$!
    local ready=""
    for _ in $(seq 1 20); do
        alive "$RTPE_PID" || { tail -20 "$WORK/rtpengine.log" >&2; die "rtpengine exited during startup"; }
        if timeout 5 "$PYTHON" "$SRC/ngctl.py" --ng "$RTPE_NG" ping >/dev/null 2>&1; then ready=1; break; fi
        sleep 0.5
    done
    [ -n "$ready" ] || die "rtpengine did not answer NG ping"
    echo "== rtpengine ready (pid $RTPE_PID, $(rtpengine --version 2>&1 | head -1), userspace, num-threads ${RTPENGINE_THREADS})"
}

# ---------------------------------------------------------------- rtpgen around one relay
# run_rtpgen NAME PID STREAMFILE SOCKARGS...: fills RG_* variables
run_rtpgen() {
    local name="$1" pid="$2" streams="$3"; shift 3
    local out="$WORK/$name.rtpgen.out" pin=() rc=0 c0 c1 t0 t1
    [ "$PIN" = 1 ] && pin=(-T "$PIN_GEN_CPU" -X "$PIN_GEN_CPU")
    local src=("$@")
    [ -n "$streams" ] && src+=(-f "$streams")
    local h0 h1
    c0=$(cpu_ticks "$pid"); t0=$(now); h0=$(host_jiffies)
    timeout -k 5 $((STEP_SECONDS + 30)) "$WORK/rtpgen" "${src[@]}" -t "$STEP_SECONDS" -W "$WARMUP_SECONDS" \
        -r "$PPS" -s "$PAYLOAD" -B "$RTPGEN_BATCH" -w "$DRAIN_MS" "${pin[@]}" >"$out" 2>&1 &
    RTPGEN_PID=$!
    bg_wait "$RTPGEN_PID" || rc=$?
    RTPGEN_PID=""
    t1=$(now); h1=$(host_jiffies)
    RG_HOST=$(awk -v a="$h0" -v b="$h1" -v n="$NCPU" 'BEGIN { split(a, x, " "); split(b, y, " ")
        if (y[2] > x[2]) printf "%.0f", 100 * n * (y[1] - x[1]) / (y[2] - x[2]); else print 0 }')
    RG_ALIVE=1; alive "$pid" || RG_ALIVE=0
    c1=$c0; [ "$RG_ALIVE" = 1 ] && c1=$(cpu_ticks "$pid")
    RG_RC=$rc
    RG_LOSS=$(kv "$out" loss_pct); RG_LOST=$(kv "$out" lost); RG_EXPECT=$(kv "$out" expect)
    RG_RXTOTAL=$(kv "$out" rx_total); RG_BAD=$(kv "$out" bad); RG_TXTOTAL=$(kv "$out" tx_total)
    RG_P50=$(kv "$out" p50); RG_P99=$(kv "$out" p99)
    RG_GEN=$(awk '/^gen_cpu/ { gsub(/[^0-9. ]/, " "); split($0, a, " "); printf "%.0f", a[1] + a[2] }' "$out")
    RG_SAT=0; grep -q GENERATOR-SATURATED "$out" && RG_SAT=1
    RG_CPU_S=$(awk -v a="$c0" -v b="$c1" -v hz="$CLK_TCK" 'BEGIN { printf "%.2f", (b - a) / hz }')
    RG_WALL=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.2f", b - a }')
}

# record NAME N UP VERDICT NOTE: print one step line and append it to results.tsv
record() {
    local name="$1" n="$2" up="$3" verdict="$4" note="${5:-}"
    local line
    line=$(awk -v s="$name" -v n="$n" -v up="$up" -v loss="${RG_LOSS:-}" -v lost="${RG_LOST:-}" -v p50="${RG_P50:-}" \
        -v p99="${RG_P99:-}" -v cpu="${RG_CPU_S:-0}" -v wall="${RG_WALL:-1}" -v rx="${RG_RXTOTAL:-0}" -v bad="${RG_BAD:-0}" \
        -v gen="${RG_GEN:-}" -v host="${RG_HOST:-}" -v pps="$PPS" -v v="$verdict" -v note="$note" 'BEGIN {
            relayed = rx - bad
            us = 0; if (relayed > 0) us = cpu * 1e6 / relayed
            core = 0; if (wall > 0) core = 100 * cpu / wall
            if (loss == "") loss = "-"; if (lost == "") lost = "-"; if (p50 == "") p50 = "-"; if (p99 == "") p99 = "-"
            other = "-"; if (host != "" && gen != "") { other = host - core - gen; if (other < 0) other = 0; other = sprintf("%.0f", other) }
            if (gen == "") gen = "-"
            printf "%s\t%d\t%d\t%d\t%s\t%s\t%s\t%s\t%.2f\t%.0f\t%.2f\t%s\t%s\t%s\t%s\n", s, n, up, up * 2 * pps,
                loss, lost, p50, p99, cpu, core, us, gen, other, v, note
        }')
    echo "$line" >>"$WORK/results.tsv"
    echo "$line" | awk -F'\t' '{ note = ""; if ($15 != "") note = "  (" $15 ")"
        printf "%-15s %6s %5s %7s %8s %7s %7s %8s %6s %6s %7s %5s %6s  %s%s\n", $1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, note }'
}

verdict_of() { # verdict_of N UP -> ok | SETUP-FAIL | DIED | NO-DATA | GEN-LIMIT | LOSS | LATENCY
    local n="$1" up="$2"
    if [ "$up" -lt "$n" ]; then echo SETUP-FAIL
    elif [ "$RG_ALIVE" != 1 ]; then echo DIED
    elif [ -z "$RG_LOSS" ]; then echo NO-DATA
    elif [ "$RG_SAT" = 1 ]; then echo GEN-LIMIT
    elif awk -v l="$RG_LOSS" -v m="$MAX_LOSS_PCT" 'BEGIN { exit !(l >= m) }'; then echo LOSS
    elif [ "$MAX_P99_MS" != 0 ] && awk -v p="${RG_P99:-0}" -v m="$MAX_P99_MS" 'BEGIN { exit !(p > m * 1000) }'; then echo LATENCY
    else echo ok
    fi
}

reset_rg() { RG_HOST=""; RG_LOSS=""; RG_LOST=""; RG_P50=""; RG_P99=""; RG_CPU_S=0; RG_WALL=1; RG_RXTOTAL=0; RG_BAD=0; RG_GEN=""; RG_ALIVE=1; RG_SAT=0; }

# ---------------------------------------------------------------- one step per system
step_sbc() { # step_sbc N [SYSTEM] -> verdict on stdout of record; returns 0 if healthy
    local n="$1" name="${2:-sbc}" per=() sock=() srtp=() up=0 verdict note="" maxs
    local tag="$name-$1" suite; suite=$(suite_of "$name")
    reset_rg
    alive "$SBC_PID" || { record "$name" "$n" 0 DIED; return 1; }
    [ "$PER_CALL_SOCKETS" = 1 ] && per=(--per-call-ports) || sock=(-b "$SBC_GEN_A" -b "$SBC_GEN_B")
    [ -n "$suite" ] && srtp=(--srtp "$suite")
    rm -f "$WORK/$tag.ready" "$WORK/$tag.streams"
    maxs=$((n / SETUP_RATE + STEP_SECONDS + 120))
    "$PYTHON" "$SRC/sipcalls.py" --sbc "$SBC_IP:$SBC_PLATFORM_PORT" --platform "$PLATFORM_IP:$PEER_PORT" run \
        --carrier "$CARRIER_IP:$PEER_PORT" --gen-a "$SBC_GEN_A" --gen-b "$SBC_GEN_B" "${per[@]}" "${srtp[@]}" --calls "$n" \
        --rate "$SETUP_RATE" --bye-rate "$BYE_RATE" --max-seconds "$maxs" --streams "$WORK/$tag.streams" \
        --ready "$WORK/$tag.ready" >"$WORK/$tag.sipcalls.log" 2>&1 &
    CALLS_PID=$!
    local waited=0 limit=$(((n / SETUP_RATE + 45) * 5))
    while [ ! -s "$WORK/$tag.ready" ] && alive "$CALLS_PID" && [ "$waited" -lt "$limit" ]; do sleep 0.2; waited=$((waited + 1)); done
    if [ -s "$WORK/$tag.ready" ]; then
        up=$(kv "$WORK/$tag.ready" established)
        if [ "$(kv "$WORK/$tag.ready" anchored)" != yes ]; then
            if [ "$SBC_MEDIA_MODE" = 1 ]; then note="SBC did not rewrite the SDP (anchored=$(kv "$WORK/$tag.ready" anchored))"
            else note="media NOT anchored by the SBC: dry run"; fi
        fi
        if [ "$up" -gt 0 ]; then run_rtpgen "$tag" "$SBC_PID" "$WORK/$tag.streams" "${sock[@]}"; fi
    fi
    if alive "$CALLS_PID"; then kill -USR1 "$CALLS_PID" 2>/dev/null || true; fi
    bg_wait "$CALLS_PID" || true
    CALLS_PID=""
    local td; td=$(grep -h '^sipcalls teardown' "$WORK/$tag.sipcalls.log" || true)
    if [ -n "$td" ] && [ "$(kv "$WORK/$tag.sipcalls.log" bye_failed)" != 0 ]; then note="${note:+$note; }$(kv "$WORK/$tag.sipcalls.log" bye_failed) BYEs failed"; fi
    verdict=$(verdict_of "$n" "${up:-0}")
    [ "$SBC_MEDIA_MODE" = 1 ] && [ "$verdict" = ok ] && case "$note" in *"did not rewrite"*) verdict=NOT-ANCHORED ;; esac
    [ "$SBC_MEDIA_MODE" = 0 ] && [ "$verdict" = ok ] && verdict=dry-run
    record "$name" "$n" "${up:-0}" "$verdict" "$note"
    sleep $((PORT_REUSE_DELAY_S + 1))     # media ports come back after port_reuse_delay_s
    [ "$verdict" = ok ] || [ "$verdict" = dry-run ]
}

step_rtpengine() { # step_rtpengine N [SYSTEM]
    local n="$1" name="${2:-rtpengine}" per=() sock=() srtp=() up=0 verdict
    local tag="$name-$1" suite; suite=$(suite_of "$name")
    reset_rg
    alive "$RTPE_PID" || { record "$name" "$n" 0 DIED; return 1; }
    [ "$PER_CALL_SOCKETS" = 1 ] && per=(--per-call-ports) || sock=(-b "$PEER_GEN_A" -b "$PEER_GEN_B")
    [ -n "$suite" ] && srtp=(--srtp "$suite")
    if timeout 120 "$PYTHON" "$SRC/ngctl.py" --ng "$RTPE_NG" setup "$n" --a "$PEER_GEN_A" --b "$PEER_GEN_B" "${per[@]}" "${srtp[@]}" \
        --streams "$WORK/$tag.streams" --calls "$WORK/$tag.calls" >"$WORK/$tag.ngctl.log" 2>&1; then
        up=$(($(wc -l <"$WORK/$tag.streams") / 2))
        run_rtpgen "$tag" "$RTPE_PID" "$WORK/$tag.streams" "${sock[@]}"
    else
        up=$(($(wc -l <"$WORK/$tag.calls" 2>/dev/null || echo 0) + 0))
    fi
    [ -s "$WORK/$tag.calls" ] && timeout 120 "$PYTHON" "$SRC/ngctl.py" --ng "$RTPE_NG" delete --calls "$WORK/$tag.calls" \
        >>"$WORK/$tag.ngctl.log" 2>&1 || true
    verdict=$(verdict_of "$n" "$up")
    record "$name" "$n" "$up" "$verdict" "$([ -n "$suite" ] && echo "SRTP $suite <-> RTP")"
    sleep 1
    [ "$verdict" = ok ]
}

# The SRTP bridging steps: SDES-SRTP on the platform (A) side, plain RTP on the carrier (B) side.
step_sbc-aescm() { step_sbc "$1" sbc-aescm; }
step_sbc-gcm() { step_sbc "$1" sbc-gcm; }
step_rtpengine-aescm() { step_rtpengine "$1" rtpengine-aescm; }
step_rtpengine-gcm() { step_rtpengine "$1" rtpengine-gcm; }

step_udprelay() {
    local n="$1" tag="udprelay-$1" verdict
    reset_rg
    # shellcheck disable=SC2046
    $(pin_cmd) "$WORK/udprelay" -l "$UDPRELAY_LISTEN" -p "$PEER_GEN_B" -m mmsg -B 64 -t $((STEP_SECONDS + 20)) \
        >"$WORK/$tag.udprelay.log" 2>&1 &
    UDPRELAY_PID=$!
    sleep 0.3
    # 2N streams of 50 pps, all A -> relay -> B: the same packet rate as N two-way calls
    run_rtpgen "$tag" "$UDPRELAY_PID" "" -b "$PEER_GEN_A" -b "$PEER_GEN_B" \
        -S "0:${UDPRELAY_LISTEN%:*}:${UDPRELAY_LISTEN#*:}:$((2 * n))"
    stop_pid "$UDPRELAY_PID" 2; UDPRELAY_PID=""
    verdict=$(verdict_of "$n" "$n")
    record udprelay "$n" "$n" "$verdict" "one socket, recvmmsg/sendmmsg 64"
    [ "$verdict" = ok ]
}

# The C relays with the SBC's ports (portrelay and the socket-layout prototypes): N two-way calls
# as the SBC relays them, the A generator socket sending to each session's A-side port (base + 4i),
# the B generator socket to its B-side port (base + 4i + 2). step_layout SYSTEM N IP NOTE BINARY
# ARGS... The relay prints its counters when stopped; the note gets the one that tells its batching.
step_layout() {
    local name="$1" n="$2" ip="$3" note="$4" bin="$5" tag="$1-$2" verdict k stats
    shift 5
    reset_rg
    # shellcheck disable=SC2046
    $(pin_cmd) "$bin" "$@" -n "$n" -l "$ip" -P "$PORTRELAY_BASE" -a "$PEER_GEN_A" -b "$PEER_GEN_B" \
        -t $((STEP_SECONDS + 20)) >"$WORK/$tag.relay.log" 2>&1 &
    PORTRELAY_PID=$!
    for ((k = 0; k < n; k++)); do
        echo "0 $ip $((PORTRELAY_BASE + 4 * k))"
        echo "1 $ip $((PORTRELAY_BASE + 4 * k + 2))"
    done >"$WORK/$tag.streams"
    sleep 0.3
    run_rtpgen "$tag" "$PORTRELAY_PID" "$WORK/$tag.streams" -b "$PEER_GEN_A" -b "$PEER_GEN_B"
    stop_pid "$PORTRELAY_PID" 2; PORTRELAY_PID=""
    verdict=$(verdict_of "$n" "$n")
    # the relay's own batching figures (printed at exit): packets per read, completions per enter, GRO segments
    stats=$(grep -o 'pkts_per_read=[0-9.]*\|cqes_per_enter=[0-9.]*\|segs_per_read=[0-9.]*\|coalesced_reads=[0-9]*\|pkts_per_send=[0-9.]*' \
        "$WORK/$tag.relay.log" 2>/dev/null | sort -u | tr '\n' ' ' | sed 's/ $//' || true)
    record "$name" "$n" "$n" "$verdict" "$note${stats:+; $stats}"
    [ "$verdict" = ok ]
}

step_portrelay() {
    step_layout portrelay "$1" "$PORTRELAY_IP" "a socket per port, recvmmsg/sendmmsg 32" "$WORK/portrelay"
}
step_portrelay-connected() {
    step_layout portrelay-connected "$1" "$PORTRELAY_IP" "a connected socket per port, sendmmsg 32 without address" "$WORK/portrelay" -c
}
step_portrelay-gro() {
    step_layout portrelay-gro "$1" "$PORTRELAY_IP" "a socket per port, UDP_GRO + UDP_SEGMENT" "$WORK/portrelay" -g
}
step_uringrelay() {
    step_layout uringrelay "$1" "$URINGRELAY_IP" "a socket per port, io_uring multishot recv + SENDMSG SQEs" "$WORK/uringrelay"
}
step_lookuprelay() {
    step_layout lookuprelay "$1" "$LOOKUPRELAY_IP" "one sk_lookup socket, recvmmsg 64, sendmmsg per port socket" "$WORK/lookuprelay" -m mmsg
}
step_lookuprelay-sendto() {
    step_layout lookuprelay-sendto "$1" "$LOOKUPRELAY_IP" "one sk_lookup socket, recvmmsg 64, sendto per packet" "$WORK/lookuprelay" -m sendto
}
step_lookuprelay-uring() {
    step_layout lookuprelay-uring "$1" "$LOOKUPRELAY_IP" "one sk_lookup socket, recvmmsg 64, SENDMSG SQEs, one enter per batch" "$WORK/lookuprelay" -m uring
}

# ---------------------------------------------------------------- run
echo "== work dir $WORK; $(nproc) CPUs, kernel $(uname -r); SBC on $S.0/24, peers on $P.0/24"
echo "== load: $PPS pps per stream per direction, $PAYLOAD-byte payload, ${STEP_SECONDS} s per step (first ${WARMUP_SECONDS} s warm-up), healthy below ${MAX_LOSS_PCT}% loss$([ "$MAX_P99_MS" != 0 ] && echo " and p99 ${MAX_P99_MS} ms"); generator: $([ "$PER_CALL_SOCKETS" = 1 ] && echo "one socket per call leg" || echo "one socket per side"), batch $RTPGEN_BATCH; PIN=$PIN"
if has_family sbc; then prepare_sbc_config; start_sbc; fi
if has_family rtpengine; then start_rtpengine; fi
# libsrtp2's own cost per packet for each SRTP suite and N, measured here before the load with
# as many sessions in use as the relay will have (media/srtpcost.c; with Debian's NSS-backed
# libsrtp2 it grows with the number of calls): what an SRTP<->RTP bridge must add to the plain
# relay's cost at the very least.
declare -A SRTPCOST=()
if has_srtp; then
    for suite in aescm gcm; do
        has_system "sbc-$suite" || has_system "rtpengine-$suite" || continue
        for n in $CALLS; do
            SRTPCOST[$suite:$n]=$(timeout 120 "$WORK/srtpcost" "$(suite_of "x-$suite")" "$n" 100000 "$PAYLOAD" |
                sed -n 's/.*mean_us=\([0-9.]*\).*/\1/p')
        done
        echo "== libsrtp2 alone, $(suite_of "x-$suite"), us per packet by calls: $(for n in $CALLS; do printf '%s:%s ' "$n" "${SRTPCOST[$suite:$n]}"; done)"
    done
fi
: >"$WORK/results.tsv"
printf '\n%-15s %6s %5s %7s %8s %7s %7s %8s %6s %6s %7s %5s %6s  %s\n' system calls up pps_in loss% lost p50_us \
    p99_us cpu_s core% us/pkt gen% other% verdict
active=" $SYSTEMS "
for n in $CALLS; do
    [ -n "${active// /}" ] || break
    for s in $SYSTEMS; do
        case "$active" in *" $s "*) ;; *) continue ;; esac
        need=$((2 * n / SETUP_RATE + STEP_SECONDS + 15))
        if [ "$(time_left)" -lt "$need" ]; then echo "(time budget exhausted, stopping)"; active=" "; break; fi
        if ! "step_$s" "$n" && [ "$STOP_AT_FAIL" = 1 ]; then active="${active/ $s / }"; fi
    done
done

# ---------------------------------------------------------------- tables and summary
echo
for s in $SYSTEMS; do
    grep -q "^$s	" "$WORK/results.tsv" || continue
    echo "== $s"
    printf '   %6s %7s %8s %7s %8s %6s %7s %12s %6s  %s\n' calls pps_in loss% p50_us p99_us core% us/pkt "ms/1k pkts" other% verdict
    awk -F'\t' -v s="$s" '$1 == s { printf "   %6s %7s %8s %7s %8s %6s %7s %12s %6s  %s\n", $2, $4, $5, $7, $8, $10, $11, $11, $13, $14 }' "$WORK/results.tsv"
done

# highest healthy N and the figures there, per system
best() { awk -F'\t' -v s="$1" '$1 == s && $14 == "ok" && $2 > n { n = $2; us = $11; p99 = $8 } END { if (n) printf "%d %.2f %s\n", n, us, p99 }' "$WORK/results.tsv"; }
us_at() { awk -F'\t' -v s="$1" -v n="$2" '$1 == s && $2 == n && $14 == "ok" { printf "%.2f\n", $11 }' "$WORK/results.tsv"; }
measured=""
echo
echo "== media relay summary ($(nproc) CPUs, generator on the same host; $PPS pps x 2 directions per call, $PAYLOAD-byte packets)"
for s in $SYSTEMS; do
    if case "$s" in sbc*) true ;; *) false ;; esac && [ "$SBC_MEDIA_MODE" = 0 ]; then
        echo "   $(printf '%-15s' "$s") : DRY RUN (this sbc does not relay media): no figures"
        continue
    fi
    read -r bn bus bp99 < <(best "$s"; echo) || true
    if [ -n "${bn:-}" ]; then
        measured="$measured $s"
        printf '   %-15s : highest healthy N = %s calls (%s packets/s relayed, p99 %s ms); %s us CPU per packet = %s ms per 1,000 packets there\n' \
            "$s" "$bn" "$((bn * 2 * PPS))" "$(awk -v p="$bp99" 'BEGIN { printf "%.1f", p / 1000 }')" "$bus" "$bus"
        if [ "$MAX_P99_MS" = 0 ] && awk -v p="$bp99" 'BEGIN { exit !(p > 50000) }'; then
            echo "               (p99 above 50 ms there: packets queue in the relay's sockets, saturated or starved of CPU; MAX_P99_MS=50 makes that unhealthy)"
        fi
        if ! awk -F'\t' -v s="$s" '$1 == s && $14 != "ok" { bad = 1 } END { exit !bad }' "$WORK/results.tsv"; then
            echo "               (no unhealthy step: the real maximum lies above the last step run; raise CALLS)"
        fi
    else
        echo "   $(printf '%-15s' "$s") : no healthy step"
    fi
done
# common N: the highest N at which every measured system was healthy
common=""
if [ -n "$measured" ]; then
    for n in $CALLS; do
        all=1
        for s in $measured; do [ -n "$(us_at "$s" "$n")" ] || all=0; done
        [ "$all" = 1 ] && common=$n
    done
fi
if [ -n "$common" ]; then
    echo "   at a common N = $common calls ($((common * 2 * PPS)) packets/s), CPU per 1,000 relayed packets:"
    for s in $measured; do printf '     %-15s %6s ms  (%s us/packet)\n' "$s" "$(us_at "$s" "$common")" "$(us_at "$s" "$common")"; done
    ratio() { awk -v a="$(us_at "$1" "$common")" -v b="$(us_at "$2" "$common")" 'BEGIN { if (b > 0) printf "%.2f", a / b }'; }
    measured_has() { case " $measured " in *" $1 "*) return 0 ;; *) return 1 ;; esac; }
    if measured_has sbc && measured_has rtpengine; then
        echo "   SBC / rtpengine CPU per packet: $(ratio sbc rtpengine)x   (rtpengine reference: ~13-14 us/packet)"
        read -r sn _ < <(best sbc; echo) || true
        read -r rn _ < <(best rtpengine; echo) || true
        awk -v a="$sn" -v b="$rn" 'BEGIN { printf "   SBC / rtpengine highest healthy N: %.2fx (%d vs %d calls)\n", a / b, a, b }'
    fi
    if measured_has sbc && measured_has udprelay; then
        echo "   SBC / minimal C relay (udprelay) CPU per packet: $(ratio sbc udprelay)x   (reference: ~4.1 us/packet)"
    fi
    if measured_has sbc && measured_has portrelay; then
        echo "   SBC / C relay with the SBC's socket layout (portrelay) CPU per packet: $(ratio sbc portrelay)x"
    fi
    if measured_has portrelay && measured_has udprelay; then
        echo "   portrelay / udprelay CPU per packet: $(ratio portrelay udprelay)x   (what a socket per port costs in the kernel)"
    fi
    if measured_has rtpengine && measured_has udprelay; then
        echo "   rtpengine / udprelay CPU per packet: $(ratio rtpengine udprelay)x"
    fi
    # the socket-layout prototypes against the two references (README "Media socket layouts")
    for s in portrelay-connected portrelay-gro uringrelay lookuprelay lookuprelay-sendto lookuprelay-uring; do
        measured_has "$s" || continue
        line="   $s CPU per packet:"
        measured_has udprelay && line="$line $(ratio "$s" udprelay)x udprelay"
        measured_has portrelay && line="$line, $(ratio "$s" portrelay)x portrelay"
        measured_has sbc && line="$line, $(ratio "$s" sbc)x sbc"
        echo "$line"
    done
    # SRTP <-> RTP bridging (issue 10's targets): against rtpengine doing the same bridging, and
    # against the plain relay plus libsrtp2's own cost per packet.
    for suite in aescm gcm; do
        measured_has "sbc-$suite" || continue
        cost=${SRTPCOST[$suite:$common]:-0}
        if measured_has "rtpengine-$suite"; then
            echo "   SBC / rtpengine CPU per packet, SRTP $(suite_of "sbc-$suite") <-> RTP: $(ratio "sbc-$suite" "rtpengine-$suite")x   (target: at most 0.6x)"
            if measured_has rtpengine; then
                awk -v srtp="$(us_at "rtpengine-$suite" "$common")" -v plain="$(us_at rtpengine "$common")" 'BEGIN {
                    printf "     (rtpengine: %.2f us/packet = plain %.2f + %.2f; its SRTP is its own, on OpenSSL, not libsrtp2)\n", srtp, plain, srtp - plain
                }'
            fi
        fi
        if measured_has sbc; then
            awk -v srtp="$(us_at "sbc-$suite" "$common")" -v plain="$(us_at sbc "$common")" -v lib="$cost" -v name="$(suite_of "sbc-$suite")" 'BEGIN {
                limit = (plain + lib) * 1.10
                printf "   SBC SRTP %s <-> RTP: %.2f us/packet = plain %.2f + %.2f; libsrtp2 alone (as many calls) %.2f; target (plain + libsrtp2) x 1.10 = %.2f: %s\n",
                    name, srtp, plain, srtp - plain, lib, limit, srtp <= limit ? "met" : "NOT met"
            }'
        fi
    done
elif [ -n "$measured" ]; then
    echo "   no N at which every system was healthy: no ratio"
fi
busy=$(awk -F'\t' '$13 != "-" && $13 + 0 > 15 { n++ } END { print n + 0 }' "$WORK/results.tsv")
if [ "$busy" -gt 0 ]; then
    echo "   WARNING: $busy step(s) ran while other processes used more than 15% of a core (column other%):"
    echo "   the host was not quiet; loss, latency and maxima of those steps are unreliable (CPU per packet less so)"
fi
echo "   (us/pkt = relay CPU (user+sys, all threads) over the rtpgen run / packets delivered to the sink;"
echo "    ms per 1,000 packets is the same number. p50/p99 include the generator's batching, see README)"
awk -F'\t' '{ printf "media-step: system=%s calls=%s up=%s pps_in=%s loss_pct=%s p50_us=%s p99_us=%s cpu_s=%s us_per_pkt=%s other_pct=%s verdict=%s\n",
    $1, $2, $3, $4, $5, $7, $8, $9, $11, $13, $14 }' "$WORK/results.tsv"
exit 0
