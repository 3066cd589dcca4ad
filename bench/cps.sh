#!/usr/bin/env bash
# Calls-per-second benchmark, SwiftSBC and Kamailio in the same run: SIPp UAC (platform) ->
# server -> SIPp UAS (carrier A, or carrier A answering 503 then carrier B).
#
# At each rate of RATES, each server of SERVERS in turn gets the same SIPp load; a server is
# stepped up until more than 0.1% of the calls of a step fail or the rate is not sustained. Prints
# every server's highest healthy rate and CPU per call (all its processes and threads, user +
# system), the SBC / Kamailio ratios of both from the same run, the SBC's peak RSS and
# (optionally) its RSS per established call. Signalling only: the SBC's media anchoring is off.
# With TRANSPORTS="udp tls" (the default) the steps run over UDP, then over TLS (SIPp has no TLS,
# so SIPp speaks TCP over one socket to a local stunnel that holds one TLS connection to the server:
# connection reuse, as a platform does), and the TLS/UDP ratio of CPU per call is printed.
# Kamailio is the ../shared/peers/ stateful proxy with dispatcher failover, from our own copy in
# bench/peers/kamailio/, run with its default shared-memory allocator (`kamailio`) and with
# `-x tlsf` (`kamailio-tlsf`, Kamailio at its best). See bench/README.md.
#
# Bounded: every SIPp run is wrapped in `timeout`, every wait loop is bounded in count, the whole
# run in BENCH_TIMEOUT seconds (checked before each step); it stops by itself and only ever signals
# the PIDs it started (Kamailio's children included: they are recorded when it has started).
#
# Environment (all optional):
#   SBC_BINARY      use this sbc instead of building `swift build -c release --product sbc`
#   SERVERS         servers to measure, in this order at each rate: sbc, kamailio (default
#                   allocator), kamailio-tlsf (-x tlsf) (default "sbc kamailio kamailio-tlsf")
#   BENCH_BLOCK     loopback block N: the run uses 127.0.N.0/24 (default 77)
#   RATES           space-separated call rates to try (default "250 500 1000 1500 2000 2500 3000 3500 4000 5000 6000 8000")
#   STEP_SECONDS    seconds of calls per step: calls = rate x STEP_SECONDS (default 5)
#   STEP_PAUSE      seconds between steps, for SIPp timewaits and transactions to drain (default 2)
#   CALL_MS         hold time of the short calls, ms between ACK and BYE (default 0)
#   MAX_FAIL_PCT    failed-call percentage above which a step is unhealthy (default 0.1)
#   MIN_SUSTAIN_PCT achieved/attempted rate below which a step is unhealthy (default 95)
#   HOLD_CALLS      calls held up at once for the SBC's RSS-per-call step, 0 to skip (default 2000)
#   HOLD_RATE       rate at which those calls are set up (default 500)
#   BENCH_TIMEOUT   hard limit for the whole run, seconds (default 900)
#   KEEP_WORKDIR=1  keep the temp dir (configs, logs, SIPp stats)
#   FAILOVER=1      carrier A answers every INVITE with 503, so every call fails over to carrier B
#                   (Kamailio: dispatcher set 1); the SBC is restarted after each of its steps so
#                   that its own failover latency (503 in -> INVITE out, p50/p99, logged when it
#                   stops) is printed per rate
#   TRANSPORTS      platform transports to step through, in order (default "udp tls"; tls needs
#                   stunnel4, and for Kamailio its tls module: Debian kamailio-tls-modules)
#   KAMAILIO_CHILDREN  Kamailio's -n, UDP (and TCP) worker processes (default 4)
#   QUICK=1         a few seconds per server: one 100 calls/s step of 2 s per transport, servers
#                   "sbc kamailio-tlsf", no hold step (run by ./scripts/test so the bench cannot rot)
#
# Machine-readable lines (key=value; the same figures as the tables):
#   cps-step: server=sbc transport=udp rate=500 achieved=498 calls=2500 failed=0 fail_pct=0.000 cpu_s=0.81 us_per_call=325 verdict=ok
#   cps: server=sbc transport=udp best_rate=2500 achieved=2490 us_per_call=310
#   cps-ratio: transport=udp peer=kamailio-tlsf common_rate=2500 cpu_ratio=1.10 cpu_ratio_min=1.02 cpu_ratio_max=1.23 rate_ratio=0.80
#   cps-failover: server=sbc transport=udp rate=1000 failovers=5000 p50_us=150 p99_us=966 max_us=2000   (FAILOVER=1)
#   cps-hold: server=sbc calls=2000 rate=500 completed=2000 rss_before_kb=30000 rss_peak_kb=60000 kb_per_call=15.00 rss_up_kb=58000 kb_per_call_up=14.00
#   cps-hold-rss: 0.0:30000,0.5:31200,...   (the hold step's VmRSS samples: seconds:kB)
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO="$(cd "$HERE/.." && pwd)"
SCEN="$HERE/scenarios"
KAM_SRC="$HERE/peers/kamailio"

BLOCK="${BENCH_BLOCK:-77}"
if [ "${QUICK:-0}" = 1 ]; then
    RATES="${RATES:-100}"; STEP_SECONDS="${STEP_SECONDS:-2}"; HOLD_CALLS="${HOLD_CALLS:-0}"
    SERVERS="${SERVERS:-sbc kamailio-tlsf}"; STEP_PAUSE="${STEP_PAUSE:-0.5}"
    MIN_SUSTAIN_PCT="${MIN_SUSTAIN_PCT:-80}"   # a 2 s step of a debug build on a busy host: mechanics, not figures
fi
SERVERS="${SERVERS:-sbc kamailio kamailio-tlsf}"
RATES="${RATES:-250 500 1000 1500 2000 2500 3000 3500 4000 5000 6000 8000}"
TRANSPORTS="${TRANSPORTS:-udp tls}"
STEP_SECONDS="${STEP_SECONDS:-5}"
STEP_PAUSE="${STEP_PAUSE:-2}"
CALL_MS="${CALL_MS:-0}"
MAX_FAIL_PCT="${MAX_FAIL_PCT:-0.1}"
MIN_SUSTAIN_PCT="${MIN_SUSTAIN_PCT:-95}"
HOLD_CALLS="${HOLD_CALLS:-2000}"
HOLD_RATE="${HOLD_RATE:-500}"
BENCH_TIMEOUT="${BENCH_TIMEOUT:-900}"
KAMAILIO_CHILDREN="${KAMAILIO_CHILDREN:-4}"
FAILOVER="${FAILOVER:-0}"
BUFF=4194304

# Addresses: server k (sbc 0, kamailio 1, kamailio-tlsf 2) listens on .(1+k), its carriers A and B
# are .(11+10k) and .(12+10k); the platform (SIPp UAC, and stunnel's outgoing side) is .10.
SBC_IP="127.0.$BLOCK.1"; SBC_PLATFORM_PORT=5060; SBC_CARRIER_PORT=5080; TLS_PORT=5061
PLATFORM_IP="127.0.$BLOCK.10"; PEER_PORT=5060
STUNNEL_BASE_PORT=5070   # on the platform address, + k: SIPp's TCP goes in here, TLS comes out to server k
declare -A SRV_INDEX=([sbc]=0 [kamailio]=1 [kamailio-tlsf]=2)
declare -A SRV_IP SRV_PID CARRIER_A CARRIER_B
for s in $SERVERS; do
    k="${SRV_INDEX[$s]:-}"
    [ -n "$k" ] || { echo "cps.sh: unknown server '$s' in SERVERS (sbc, kamailio, kamailio-tlsf)" >&2; exit 1; }
    SRV_IP[$s]="127.0.$BLOCK.$((1 + k))"; CARRIER_A[$s]="127.0.$BLOCK.$((11 + 10 * k))"; CARRIER_B[$s]="127.0.$BLOCK.$((12 + 10 * k))"
    SRV_PID[$s]=""
done

die() { echo "cps.sh: $*" >&2; exit 1; }
source "$REPO/bench/lib.sh"
has() { case " $1 " in *" $2 "*) return 0 ;; *) return 1 ;; esac; }
has_kamailio() { has "$SERVERS" kamailio || has "$SERVERS" kamailio-tlsf; }
command -v sipp >/dev/null || die "sipp not found on PATH (Debian package sip-tester)"
if has "$TRANSPORTS" tls; then command -v stunnel4 >/dev/null || die "stunnel4 not found (Debian package stunnel4), or set TRANSPORTS=udp"; fi
if has_kamailio; then command -v kamailio >/dev/null || die "kamailio not found (Debian packages kamailio, kamailio-tls-modules), or set SERVERS=sbc"; fi
[ -r /proc/self/stat ] || die "needs Linux /proc for CPU and RSS figures"
CLK_TCK="$(getconf CLK_TCK)"
START_TIME=$SECONDS

# ---------------------------------------------------------------- binary
if has "$SERVERS" sbc; then bench_sbc_binary; fi

WORK="$(mktemp -d "${TMPDIR:-/tmp}/swiftsbc-cps.XXXXXX")"
mkdir -p "$WORK/state"
"$REPO/scripts/tls-certs" "$WORK/tls" >/dev/null

# ---------------------------------------------------------------- process bookkeeping (own PIDs only)
UAS_PIDS=""; STUNNEL_PID=""
cleanup() {
    local pid s
    for pid in $UAS_PIDS $STUNNEL_PID; do stop_pid "$pid" 3; done
    for s in $SERVERS; do stop_server "$s"; done
    if [ -n "${KEEP_WORKDIR:-}" ]; then echo "(work dir kept: $WORK)"; else rm -rf "$WORK"; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# ---------------------------------------------------------------- SBC config (conf/lab.yaml format)
cat > "$WORK/sbc.yaml" <<EOF
node:
  name: bench-sbc
  state_dir: $WORK/state
sip:
  t1_ms: 500
  t2_ms: 4000
  t4_ms: 5000
  max_message_bytes: 65535
  max_forwards: 70
  unknown_methods: reject
  tcp_idle_timeout_s: 300
zones:
  - name: platform
    bind: $SBC_IP
    udp_port: $SBC_PLATFORM_PORT
    tcp_port: $SBC_PLATFORM_PORT
    tls_port: $TLS_PORT
    tls: {certificate: $WORK/tls/sbc-chain.pem, key: $WORK/tls/sbc.key}
  - name: carrier
    bind: $SBC_IP
    udp_port: $SBC_CARRIER_PORT
    tcp_port: $SBC_CARRIER_PORT
trunks:
  - name: platform
    zone: platform
    address: $PLATFORM_IP
    port: $PEER_PORT
    transport: udp
    call_id: preserve
  - name: carrier-a
    zone: carrier
    address: ${CARRIER_A[sbc]:-127.0.$BLOCK.11}
    port: $PEER_PORT
    transport: udp
    call_id: preserve
    passive_failures: 0      # passive health off: in FAILOVER mode every call must fail over
  - name: carrier-b
    zone: carrier
    address: ${CARRIER_B[sbc]:-127.0.$BLOCK.12}
    port: $PEER_PORT
    transport: udp
    call_id: preserve
trunk_groups:
  - name: pstn-out
    strategy: priority
    members: [carrier-a, carrier-b]
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
media:
  enabled: false     # signalling only (bench/media.sh measures the relay)
shutdown:
  drain_s: 2
logging:
  level: notice      # per-call info lines off; the SBC's own summaries (failover latency) kept
  format: json
EOF

# ---------------------------------------------------------------- helpers
proc_kb() { # proc_kb PID VmRSS|VmHWM
    awk -v k="$2:" '$1 == k { print $2 }' "/proc/$1/status"
}
now() { date +%s.%N; }
alive() { [ -n "$1" ] && kill -0 "$1" 2>/dev/null; }
time_left() { echo $((BENCH_TIMEOUT - (SECONDS - START_TIME))); }

# last-row value of a SIPp -trace_stat CSV column
stat_col() { # stat_col FILE COLUMN
    [ -s "$1" ] || { echo 0; return; }
    awk -F';' -v c="$2" 'NR == 1 { for (i = 1; i <= NF; i++) if ($i == c) col = i; next }
                         { v = $col } END { print (v == "" ? 0 : v) + 0 }' "$1"
}

# One OPTIONS from the platform address to IP:PORT, 200 expected.
options_ok() { # options_ok IP PORT
    timeout 3 sipp -sf "$SCEN/options.xml" -i "$PLATFORM_IP" -p "$PEER_PORT" -t u1 -nostdin -m 1 \
        -recv_timeout 500 -timeout 2s "$1:$2" >/dev/null 2>&1
}

# ---------------------------------------------------------------- peers
start_uas() { # start_uas IP NAME SCENARIO
    sipp -sf "$SCEN/$3" -i "$1" -p "$PEER_PORT" -mi "$1" -t u1 -aa -nostdin -buff_size "$BUFF" \
        -trace_err -error_file "$WORK/$2.errors.log" >"$WORK/$2.out" 2>&1 &
    UAS_PIDS="$UAS_PIDS $!"
}
echo "== work dir $WORK, loopback block 127.0.$BLOCK.0/24, servers: $SERVERS$([ "$FAILOVER" = 1 ] && echo ", FAILOVER (carrier A answers 503)")"
for s in $SERVERS; do
    uas=uas.xml; [ "$s" = sbc ] || uas=uas_proxy.xml   # behind Kamailio: tolerates its workers reordering ACK and BYE
    if [ "$FAILOVER" = 1 ]; then start_uas "${CARRIER_A[$s]}" "$s-carrier-a" uas_503.xml; else start_uas "${CARRIER_A[$s]}" "$s-carrier-a" "$uas"; fi
    start_uas "${CARRIER_B[$s]}" "$s-carrier-b" "$uas"
done
sleep 0.5

# ---------------------------------------------------------------- servers
# wait_ready SERVER PORT LOG: until SERVER answers OPTIONS on PORT (10 s at most), or dies
wait_ready() {
    local s="$1" port="$2" log="$3"
    for _ in $(seq 1 20); do
        alive "${SRV_PID[$s]}" || { tail -20 "$log" >&2; die "$s exited during startup"; }
        options_ok "${SRV_IP[$s]}" "$port" && return 0
        sleep 0.5
    done
    tail -20 "$log" >&2
    die "$s did not answer OPTIONS within 10 s"
}

SBC_RUNS=0
start_sbc() { # a fresh SBC, ready when it answers OPTIONS; its log is sbc-N.stderr.log
    SBC_RUNS=$((SBC_RUNS + 1))
    SBC_LOG="$WORK/sbc-$SBC_RUNS.stderr.log"
    "$SBC_BINARY" run --config "$WORK/sbc.yaml" >>"$WORK/sbc.stdout.log" 2>>"$SBC_LOG" &
    SRV_PID[sbc]=$!
    wait_ready sbc "$SBC_PLATFORM_PORT" "$SBC_LOG"
    [ "$SBC_RUNS" -gt 1 ] || echo "== sbc ready (pid ${SRV_PID[sbc]}, RSS $(proc_kb "${SRV_PID[sbc]}" VmRSS) kB, $SBC_BINARY)"
}

# Kamailio: our copy of the ../shared/peers set-up, its @...@ placeholders filled in for this
# block, in a run folder of its own per variant.
start_kamailio() { # start_kamailio kamailio|kamailio-tlsf
    local s="$1" run="$WORK/$1" args=(-DD -E -n "$KAMAILIO_CHILDREN" -m 1024 -M 16) allocator="default allocator"
    mkdir -p "$run"
    sed -e "s|@RUN_DIR@|$run|g" -e "s|@LISTEN_IP@|${SRV_IP[$s]}|g" "$KAM_SRC/kamailio.cfg" >"$run/kamailio.cfg"
    sed -e "s|@CARRIER_A@|${CARRIER_A[$s]}:$PEER_PORT|g" -e "s|@CARRIER_B@|${CARRIER_B[$s]}:$PEER_PORT|g" \
        "$KAM_SRC/dispatcher.list" >"$run/dispatcher.list"
    sed -e "s|@TLS_DIR@|$WORK/tls|g" "$KAM_SRC/tls.cfg" >"$run/tls.cfg"
    if [ "$s" = kamailio-tlsf ]; then args+=(-x tlsf); allocator="-x tlsf"; fi
    if [ "$FAILOVER" = 1 ]; then args+=(-A FAILOVER); fi
    if has "$TRANSPORTS" tls; then args+=(-A WITH_TLS); fi
    kamailio -c "${args[@]}" -f "$run/kamailio.cfg" >"$run/check.log" 2>&1 || {
        tail -20 "$run/check.log" >&2
        has "$TRANSPORTS" tls && die "kamailio rejects its config (TLS needs Debian's kamailio-tls-modules; or TRANSPORTS=udp)"
        die "kamailio rejects its config"
    }
    kamailio "${args[@]}" -f "$run/kamailio.cfg" >"$run/kamailio.log" 2>&1 &
    SRV_PID[$s]=$!
    wait_ready "$s" "$PEER_PORT" "$run/kamailio.log"
    echo "== $s ready (pid ${SRV_PID[$s]} and $(bench_child_pids "${SRV_PID[$s]}" | wc -l) children, $(kamailio -v 2>&1 | head -1 | sed 's/^version: //'), -n $KAMAILIO_CHILDREN, $allocator)"
}

start_server() { if [ "$1" = sbc ]; then start_sbc; else start_kamailio "$1"; fi; }
# Kamailio's main process stops its children; any it left behind (it was killed) are stopped too,
# by the PIDs read before, and only while they still run our own config.
stop_server() {
    local s="$1" pid="${SRV_PID[$1]:-}" children="" child
    SRV_PID[$s]=""
    [ -n "$pid" ] || return 0
    [ "$s" = sbc ] || children=$(bench_child_pids "$pid")
    stop_pid "$pid" 10
    for child in $children; do
        grep -qF "$WORK/$s/kamailio.cfg" "/proc/$child/cmdline" 2>/dev/null && stop_pid "$child" 1
    done
    return 0
}
server_alive() { alive "${SRV_PID[$1]}"; }

# SBC peak RSS over the rate steps (across restarts in FAILOVER mode)
HWM_MAX=0
note_sbc_hwm() { local h; h=$(proc_kb "${SRV_PID[sbc]}" VmHWM 2>/dev/null || echo 0); [ "${h:-0}" -gt "$HWM_MAX" ] && HWM_MAX=$h; return 0; }

for s in $SERVERS; do start_server "$s"; done

# ---------------------------------------------------------------- TLS front for SIPp
# One stunnel (client mode), a service per server: it takes SIPp's TCP on the platform address
# (port STUNNEL_BASE_PORT + k) and holds one TLS connection to server k from that same address, so
# the SBC attributes the calls to the platform trunk. Every server presents the lab's sbc.lab cert.
start_stunnel() {
    local s
    {
        printf 'foreground = yes\npid =\ndebug = 3\noutput = %s\n' "$WORK/stunnel.log"
        for s in $SERVERS; do
            printf '[%s]\nclient = yes\naccept = %s:%s\nconnect = %s:%s\nlocal = %s\nCAfile = %s\nverifyChain = yes\ncheckHost = sbc.lab\n' \
                "$s" "$PLATFORM_IP" "$((STUNNEL_BASE_PORT + SRV_INDEX[$s]))" "${SRV_IP[$s]}" "$TLS_PORT" "$PLATFORM_IP" "$WORK/tls/ca.pem"
        done
    } >"$WORK/stunnel.conf"
    stunnel4 "$WORK/stunnel.conf" >"$WORK/stunnel.out" 2>&1 &
    STUNNEL_PID=$!
    for s in $SERVERS; do
        for _ in $(seq 1 20); do
            ss -ltn "src $PLATFORM_IP:$((STUNNEL_BASE_PORT + SRV_INDEX[$s]))" 2>/dev/null | grep -q LISTEN && continue 2
            sleep 0.1
        done
        cat "$WORK/stunnel.out" "$WORK/stunnel.log" >&2 2>/dev/null || true
        die "stunnel did not listen for $s on $PLATFORM_IP:$((STUNNEL_BASE_PORT + SRV_INDEX[$s]))"
    done
}

# ---------------------------------------------------------------- one step
declare -A BEST_RATE BEST_US BEST_ACHIEVED STEP_US FAILOVER_LAT
# SBC, FAILOVER mode: the SBC logs its failover latency summary when it stops; a restart after each
# step gives the figure per rate.
sbc_failover_latency() { # sbc_failover_latency TRANSPORT RATE: restarts the SBC, prints the cps-failover line
    local log="$SBC_LOG" line failovers lat
    note_sbc_hwm
    stop_server sbc
    line=$(grep -h '"failover latency"' "$log" | tail -1 || true)
    failovers=$(sed -n 's/.*"failovers":"\([0-9]*\)".*/\1/p' <<<"$line")
    lat=$(sed -n 's/.*"latency":"\([^"]*\)".*/\1/p' <<<"$line")
    FAILOVER_LAT[$1:$2]="${lat:-not logged}"
    awk -v t="$1" -v r="$2" -v n="${failovers:-0}" -v l="$lat" 'BEGIN {
        split(l, a, /[ ,]+/); p50 = p99 = mx = "-"
        for (i = 1; i < length(a); i++) { if (a[i] == "p50") p50 = a[i + 1]; if (a[i] == "p99") p99 = a[i + 1]; if (a[i] == "max") mx = a[i + 1] }
        printf "cps-failover: server=sbc transport=%s rate=%s failovers=%s p50_us=%s p99_us=%s max_us=%s\n", t, r, n, p50, p99, mx }'
    start_sbc
}

# step SERVER TRANSPORT RATE N: one SIPp run against SERVER; prints the step's row and its
# cps-step line; returns 0 if healthy.
step() {
    local s="$1" transport="$2" rate="$3" n="$4" target sipp_transport calls budget stat cpu0 t0 rc t1 cpu1 ok failed
    local achieved fail_pct cpu_s us verdict tag="$2-$1-step$4-$3"
    case "$transport" in
        udp) sipp_transport=u1; target="${SRV_IP[$s]}:$PEER_PORT" ;;
        tls) sipp_transport=t1; target="$PLATFORM_IP:$((STUNNEL_BASE_PORT + SRV_INDEX[$s]))" ;;
    esac
    calls=$((rate * STEP_SECONDS))
    budget=$((STEP_SECONDS * 4 + 30))
    stat="$WORK/$tag.csv"
    cpu0=$(bench_tree_ticks "${SRV_PID[$s]}"); t0=$(now)
    rc=0
    timeout -k 5 "$budget" sipp -sf "$SCEN/uac.xml" -i "$PLATFORM_IP" -p "$PEER_PORT" -mi "$PLATFORM_IP" \
        -t "$sipp_transport" -nostdin -buff_size "$BUFF" -s +15551230000 -r "$rate" -m "$calls" \
        -l $((rate * 3 + 100)) -d "$CALL_MS" -recv_timeout 8000 -timeout "$((budget - 5))s" \
        -trace_stat -stf "$stat" -fd 1 -trace_err -error_file "$WORK/$tag.errors.log" \
        "$target" >"$WORK/$tag.out" 2>&1 || rc=$?
    t1=$(now)
    if ! server_alive "$s"; then
        printf '%-14s %8s %9s %8s %7s %8s %9s %9s %s\n' "$s" "$rate" - "$calls" - - - - DIED
        echo "cps-step: server=$s transport=$transport rate=$rate calls=$calls verdict=DIED"
        return 1
    fi
    cpu1=$(bench_tree_ticks "${SRV_PID[$s]}")
    ok=$(stat_col "$stat" "SuccessfulCall(C)")
    failed=$(stat_col "$stat" "FailedCall(C)")
    read -r achieved fail_pct cpu_s us verdict < <(awk -v ok="$ok" -v f="$failed" -v n="$calls" \
        -v t0="$t0" -v t1="$t1" -v hold="$CALL_MS" -v c0="$cpu0" -v c1="$cpu1" -v hz="$CLK_TCK" \
        -v maxf="$MAX_FAIL_PCT" -v sus="$MIN_SUSTAIN_PCT" -v rate="$rate" -v rc="$rc" 'BEGIN {
            wall = t1 - t0 - hold / 1000; if (wall <= 0) wall = 0.001
            achieved = ok / wall
            lost = n - ok; if (lost < f) lost = f           # calls never created or never completed count as failed
            fail_pct = 100 * lost / n
            cpu = (c1 - c0) / hz
            us = ok > 0 ? cpu * 1e6 / ok : 0
            healthy = (fail_pct <= maxf) && (achieved >= rate * sus / 100) && (rc == 0 || rc == 1)
            printf "%.0f %.3f %.2f %.0f %s\n", achieved, fail_pct, cpu, us, healthy ? "ok" : "UNHEALTHY"
        }')
    printf '%-14s %8s %9s %8s %7s %8s %9s %9s %s\n' "$s" "$rate" "$achieved" "$calls" "$((calls - ok))" "$fail_pct" "$cpu_s" "$us" "$verdict"
    echo "cps-step: server=$s transport=$transport rate=$rate achieved=$achieved calls=$calls failed=$((calls - ok)) fail_pct=$fail_pct cpu_s=$cpu_s us_per_call=$us verdict=$verdict"
    if [ "$s" = sbc ] && [ "$FAILOVER" = 1 ]; then sbc_failover_latency "$transport" "$rate"; fi
    [ "$verdict" = ok ] || return 1
    BEST_RATE[$s:$transport]=$rate; BEST_US[$s:$transport]=$us; BEST_ACHIEVED[$s:$transport]=$achieved
    STEP_US[$s:$transport:$rate]=$us
}

# run_transport TRANSPORT: steps the rate up, every server at each rate in turn, until each has
# had an unhealthy step.
run_transport() {
    local transport="$1" active=" $SERVERS " rate s n=0
    [ "$transport" = tls ] && start_stunnel
    for s in $SERVERS; do BEST_RATE[$s:$transport]=0; BEST_US[$s:$transport]=""; BEST_ACHIEVED[$s:$transport]=""; done
    echo
    echo "== platform over $transport"
    printf '%-14s %8s %9s %8s %7s %8s %9s %9s %s\n' server rate achieved calls failed "fail%" cpu_s "us/call" verdict
    for rate in $RATES; do
        [ -n "${active// /}" ] || break
        n=$((n + 1))
        for s in $SERVERS; do
            has "$active" "$s" || continue
            if [ "$(time_left)" -lt $((STEP_SECONDS * 4 + 30)) ]; then echo "(time budget exhausted, stopping)"; active=" "; break; fi
            if ! server_alive "$s"; then echo "$s died"; active="${active/ $s / }"; continue; fi
            step "$s" "$transport" "$rate" "$n" || active="${active/ $s / }"
            sleep "$STEP_PAUSE" # let transactions (timer K/J) and SIPp timewaits drain between steps
        done
    done
    for s in $SERVERS; do
        echo "cps: server=$s transport=$transport best_rate=${BEST_RATE[$s:$transport]} achieved=${BEST_ACHIEVED[$s:$transport]:-0} us_per_call=${BEST_US[$s:$transport]:-0}"
    done
    if [ "$transport" = tls ]; then stop_pid "$STUNNEL_PID" 3; STUNNEL_PID=""; fi
}

for transport in $TRANSPORTS; do
    case "$transport" in udp | tls) run_transport "$transport" ;; *) die "unknown transport $transport (udp or tls)" ;; esac
done

# ---------------------------------------------------------------- SBC RSS per established call
rss_per_call=""
if has "$SERVERS" sbc && [ "$HOLD_CALLS" -gt 0 ] && server_alive sbc; then
    hold_ms=$(( (HOLD_CALLS * 1000 / HOLD_RATE) + 5000 ))
    budget=$(( hold_ms / 1000 * 2 + 30 ))
    if [ "$(time_left)" -ge "$budget" ]; then
        # A fresh SBC: the rate steps leave tens of thousands of transactions in their RFC 3261
        # wait states (Timers J, L, M: 32 s) and a grown heap that would hide the per-call cost.
        note_sbc_hwm
        stop_server sbc
        start_sbc
        sleep 1
        rss0=$(proc_kb "${SRV_PID[sbc]}" VmRSS)
        echo
        echo "== holding $HOLD_CALLS calls through the SBC (set up at $HOLD_RATE cps, each held ${hold_ms} ms)"
        timeout -k 5 "$budget" sipp -sf "$SCEN/uac.xml" -i "$PLATFORM_IP" -p "$PEER_PORT" -mi "$PLATFORM_IP" -t u1 \
            -nostdin -buff_size "$BUFF" -s +15551230000 -r "$HOLD_RATE" -m "$HOLD_CALLS" -l $((HOLD_CALLS + 10)) \
            -d "$hold_ms" -recv_timeout 8000 -timeout "$((budget - 5))s" \
            -trace_stat -stf "$WORK/hold.csv" -fd 1 "$SBC_IP:$SBC_PLATFORM_PORT" >"$WORK/hold.out" 2>&1 &
        hold_pid=$!
        peak=$rss0; t_hold=$(now)
        for _ in $(seq 1 $((budget * 2 + 20))); do   # bounded: the SIPp run itself is under `timeout`
            alive "$hold_pid" || break
            server_alive sbc || break
            r=$(proc_kb "${SRV_PID[sbc]}" VmRSS); [ "${r:-0}" -gt "$peak" ] && peak=$r
            echo "$(awk -v a="$t_hold" -v b="$(now)" 'BEGIN { printf "%.1f", b - a }') $r" >>"$WORK/hold-rss.txt"
            sleep 0.5
        done
        wait "$hold_pid" 2>/dev/null || true
        held_ok=$(stat_col "$WORK/hold.csv" "SuccessfulCall(C)")
        rss_per_call=$(awk -v a="$rss0" -v b="$peak" -v k="$HOLD_CALLS" 'BEGIN { printf "%.2f", (b - a) / k }')
        # The peak often comes with the BYEs (their transactions); the highest sample before the
        # first BYE (hold_ms after the first INVITE, less a sample) is the established calls alone.
        peak_up=$(awk -v lim="$hold_ms" '$1 * 1000 <= lim - 500 && $2 > m { m = $2 } END { print m + 0 }' "$WORK/hold-rss.txt")
        rss_per_call_up=$(awk -v a="$rss0" -v b="$peak_up" -v k="$HOLD_CALLS" 'BEGIN { printf "%.2f", (b - a) / k }')
        echo "   RSS before ${rss0} kB, peak while held ${peak} kB (${peak_up} kB before the first BYE), completed ${held_ok}/${HOLD_CALLS}"
        echo "   => ${rss_per_call} kB per established call (${rss_per_call_up} kB before the first BYE)"
        [ "$held_ok" -lt "$HOLD_CALLS" ] && echo "   (warning: not every held call completed; the figure is approximate)"
        echo "cps-hold: server=sbc calls=$HOLD_CALLS rate=$HOLD_RATE completed=$held_ok rss_before_kb=$rss0 rss_peak_kb=$peak kb_per_call=$rss_per_call rss_up_kb=$peak_up kb_per_call_up=$rss_per_call_up"
        # the RSS samples, for bench/report's plot: seconds since the first INVITE, VmRSS in kB
        echo "cps-hold-rss: $(tr ' \n' ':,' <"$WORK/hold-rss.txt" | sed 's/,$//')"
    else
        echo "(time budget exhausted, skipping the RSS-per-call step)"
    fi
fi

# ---------------------------------------------------------------- summary
has "$SERVERS" sbc && server_alive sbc && [ -z "$rss_per_call" ] && note_sbc_hwm
echo
echo "== CPS summary ($(nproc) CPUs, SIPp on the same host; $([ "$FAILOVER" = 1 ] && echo "every call fails over: carrier A answers 503" || echo "plain calls"))"
# ratio_line TRANSPORT PEER: SBC / PEER, CPU per call at the highest rate both were healthy at
# (and its range over every such rate) and highest healthy rate.
ratio_line() {
    local t="$1" p="$2" rate common="" lo="" hi="" r
    for rate in $RATES; do
        [ -n "${STEP_US[sbc:$t:$rate]:-}" ] && [ -n "${STEP_US[$p:$t:$rate]:-}" ] || continue
        r=$(awk -v a="${STEP_US[sbc:$t:$rate]}" -v b="${STEP_US[$p:$t:$rate]}" 'BEGIN { if (b > 0) printf "%.2f", a / b }')
        [ -n "$r" ] || continue
        common=$rate
        if [ -z "$lo" ] || awk -v a="$r" -v b="$lo" 'BEGIN { exit !(a < b) }'; then lo=$r; fi
        if [ -z "$hi" ] || awk -v a="$r" -v b="$hi" 'BEGIN { exit !(a > b) }'; then hi=$r; fi
    done
    local cpu="-" rr="-"
    [ -n "$common" ] && cpu=$(awk -v a="${STEP_US[sbc:$t:$common]}" -v b="${STEP_US[$p:$t:$common]}" 'BEGIN { printf "%.2f", a / b }')
    [ "${BEST_RATE[$p:$t]}" -gt 0 ] && rr=$(awk -v a="${BEST_RATE[sbc:$t]}" -v b="${BEST_RATE[$p:$t]}" 'BEGIN { printf "%.2f", a / b }')
    if [ -n "$common" ]; then
        printf '     SBC / %-14s: CPU per call %sx at %s calls/s (%s-%sx over the rates both were healthy at; target <= 0.8x), highest healthy rate %sx (target >= 1.25x)\n' \
            "$p" "$cpu" "$common" "$lo" "$hi" "$rr"
    else
        printf '     SBC / %-14s: no rate at which both were healthy; highest healthy rate %sx\n' "$p" "$rr"
    fi
    echo "cps-ratio: transport=$t peer=$p common_rate=${common:-0} cpu_ratio=$cpu cpu_ratio_min=${lo:--} cpu_ratio_max=${hi:--} rate_ratio=$rr"
}
for t in $TRANSPORTS; do
    echo "   platform over $t:"
    for s in $SERVERS; do
        if [ "${BEST_RATE[$s:$t]}" -gt 0 ]; then
            printf '     %-20s: highest healthy rate %s calls/s (%s achieved), CPU per call there %s us\n' \
                "$s" "${BEST_RATE[$s:$t]}" "${BEST_ACHIEVED[$s:$t]}" "${BEST_US[$s:$t]}"
        else
            printf '     %-20s: no healthy step (rerun with KEEP_WORKDIR=1 and see %s)\n' "$s" "$WORK"
        fi
    done
    if has "$SERVERS" sbc && [ "${BEST_RATE[sbc:$t]}" -gt 0 ]; then
        for p in kamailio kamailio-tlsf; do has "$SERVERS" "$p" && ratio_line "$t" "$p"; done
    fi
done
if has "$TRANSPORTS" udp && has "$TRANSPORTS" tls; then
    for s in $SERVERS; do
        [ -n "${BEST_US[$s:udp]:-}" ] && [ -n "${BEST_US[$s:tls]:-}" ] || continue
        echo "   $s over TLS (one reused connection): highest healthy ${BEST_RATE[$s:tls]} calls/s, ${BEST_US[$s:tls]} us/call" \
            "= $(awk -v t="${BEST_US[$s:tls]}" -v u="${BEST_US[$s:udp]}" 'BEGIN { printf "%.2f", t / u }')x UDP's ${BEST_US[$s:udp]} us" \
            "(at each transport's highest healthy rate$([ "$s" = sbc ] && echo "; target <= 1.3x"))"
    done
fi
if ! has_kamailio; then
    echo "   (no Kamailio in SERVERS; ../shared/peers/README.md measured it at ~450 us per call, 2,500 calls/s healthy)"
fi
if has "$SERVERS" sbc; then
    echo "   SBC peak RSS (VmHWM)  : ${HWM_MAX} kB over the rate steps (transactions linger 32 s per RFC 3261)"
    [ -n "$rss_per_call" ] && echo "   SBC RSS per established call: $rss_per_call kB"
    if [ "$FAILOVER" = 1 ]; then
        echo "   SBC failover latency (its own, 503 in -> INVITE out), per rate:"
        for t in $TRANSPORTS; do
            for rate in $RATES; do
                [ -n "${FAILOVER_LAT[$t:$rate]:-}" ] && echo "     $t $rate calls/s: ${FAILOVER_LAT[$t:$rate]}"
            done
        done
    fi
fi
exit 0
