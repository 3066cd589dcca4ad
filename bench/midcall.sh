#!/usr/bin/env bash
# SwiftSBC mid-call failover benchmark: N answered critical calls (+1999...) with RTP both ways,
# then carrier A's media stops on every call at once. After the media timeout the SBC must move
# every call to carrier B without the platform noticing. Reports how many calls survive, the audio
# gap the platform hears (p50/p99/max), the SBC's own reaction time (trigger -> new INVITE handed
# to the kernel) and, with a second run where the group's `mid_call_failover.max_rate` paces the
# new INVITEs, what pacing costs in gap and buys in INVITE spread. See bench/README.md.
#
# SIPp plays the signalling (bench/scenarios/uac_midcall.xml for the platform, uas_midcall.xml
# for carriers A and B); midcall/midcall_media.py plays everybody's RTP (one process, one socket
# per party) and measures what reaches the platform. Everything runs on 127.0.70.0/24.
#
# Bounded: every SIPp and Python run is wrapped in `timeout`, every wait loop is bounded in count,
# a watchdog ends the whole run after BENCH_TIMEOUT; on exit it stops the SBC, SIPp and the media
# tool it started, by their PIDs and no others.
#
# Environment (all optional):
#   N               critical calls per run (default 500; QUICK: 5)
#   QUICK=1         a handful of calls and short timers: the same figures in a few seconds
#   SBC_BINARY      use this sbc instead of building `swift build -c release --product sbc`
#   MAX_RATE        max_rate (new INVITEs/s) of the paced run (default 100; QUICK: 10)
#   RUNS            max_rate of each run, in order, 0 = unpaced (default "0 $MAX_RATE")
#   SETUP_RATE      calls/s at which the platform sets the calls up (default 200; QUICK: 50)
#   PPS             RTP packets/s per stream and direction (default 50)
#   MEDIA_TIMEOUT   media.timeout_s of the SBC (default 4, the lab's; QUICK: 2)
#   WARMUP          seconds of two-way RTP on every call before carrier A stops (default 2; QUICK: 0.5)
#   GRACE           seconds after the media timeout (+ pacing) to wait for carrier B's RTP on
#                   every call before counting (default 4; QUICK: 1.5)
#   SBC_MEDIA_WORKERS media.workers (default 1)
#   SBC_PORT_MIN/MAX  SBC relay ports (default 22000-29999; a call needs 6: platform, A and B pairs)
#   BENCH_BLOCK     loopback block: 127.0.BENCH_BLOCK.0/24 (default 70)
#   BENCH_TIMEOUT   hard limit for the whole run, seconds (default 600; QUICK: 120)
#   KEEP_WORKDIR=1  keep the temp dir (configs, SBC logs, SIPp logs and stats, media tool output)
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO="$(cd "$HERE/.." && pwd)"
SCEN="$HERE/scenarios"
TOOL="$HERE/midcall/midcall_media.py"

QUICK="${QUICK:-0}"
if [ "$QUICK" = 1 ]; then
    N="${N:-5}"; MAX_RATE="${MAX_RATE:-10}"; SETUP_RATE="${SETUP_RATE:-50}"; MEDIA_TIMEOUT="${MEDIA_TIMEOUT:-2}"
    WARMUP="${WARMUP:-0.5}"; GRACE="${GRACE:-1.5}"; FLOW_BUDGET=1; BENCH_TIMEOUT="${BENCH_TIMEOUT:-120}"
else
    N="${N:-500}"; MAX_RATE="${MAX_RATE:-100}"; SETUP_RATE="${SETUP_RATE:-200}"; MEDIA_TIMEOUT="${MEDIA_TIMEOUT:-4}"
    WARMUP="${WARMUP:-2}"; GRACE="${GRACE:-4}"; FLOW_BUDGET=3; BENCH_TIMEOUT="${BENCH_TIMEOUT:-600}"
fi
RUNS="${RUNS:-0 $MAX_RATE}"
PPS="${PPS:-50}"
SBC_MEDIA_WORKERS="${SBC_MEDIA_WORKERS:-1}"
SBC_PORT_MIN="${SBC_PORT_MIN:-22000}"
SBC_PORT_MAX="${SBC_PORT_MAX:-29999}"
BLOCK="${BENCH_BLOCK:-70}"
BUFF=4194304
SERVICE="+19995550000"              # a critical line: the lab's route prefix +1999
ADMIN_TOKEN="bench-midcall-token"

SBC_IP="127.0.$BLOCK.1"; SBC_PLATFORM_PORT=5060; SBC_CARRIER_PORT=5080; ADMIN_PORT=8080
PLATFORM_IP="127.0.$BLOCK.10"; CARRIER_A_IP="127.0.$BLOCK.11"; CARRIER_B_IP="127.0.$BLOCK.12"; PEER_PORT=5060
MEDIA_P="127.0.$BLOCK.20:30000"; MEDIA_A="127.0.$BLOCK.21:30000"; MEDIA_B="127.0.$BLOCK.22:30000"

die() { echo "midcall.sh: $*" >&2; exit 1; }
source "$REPO/bench/lib.sh"
command -v sipp >/dev/null || die "sipp not found on PATH (Debian package sip-tester)"
command -v python3 >/dev/null || die "python3 not found"
command -v sha256sum >/dev/null || die "sha256sum not found (coreutils)"
PYTHON="$(python3 -c 'import sys; print(sys.executable)')"   # the interpreter itself: its PID is the process's
case "$N" in '' | *[!0-9]*) die "N must be a whole number, got '$N'" ;; esac
[ "$N" -ge 1 ] || die "N must be at least 1"
for r in $RUNS; do case "$r" in *[!0-9]*) die "RUNS must list whole numbers (max_rate per run), got '$r'" ;; esac; done
ports=$((SBC_PORT_MAX - SBC_PORT_MIN + 1))
[ $((6 * N)) -le "$ports" ] || die "N=$N calls need $((6 * N)) relay ports, SBC_PORT_MIN-MAX gives $ports"
START_TIME=$SECONDS

# ---------------------------------------------------------------- binary
bench_sbc_binary

WORK="$(mktemp -d "${TMPDIR:-/tmp}/swiftsbc-midcall.XXXXXX")"

# ---------------------------------------------------------------- process bookkeeping (own PIDs only)
SBC_PID=""; UAS_A_PID=""; UAS_B_PID=""; UAC_PID=""; MEDIA_PID=""; WATCHDOG_PID=""
stop_run_processes() {
    stop_pid "$UAC_PID" 3; UAC_PID=""
    stop_pid "$MEDIA_PID" 3; MEDIA_PID=""
    stop_pid "$UAS_A_PID" 3; UAS_A_PID=""
    stop_pid "$UAS_B_PID" 3; UAS_B_PID=""
    stop_pid "$SBC_PID" 10; SBC_PID=""
}
cleanup() {
    trap - INT TERM
    stop_run_processes
    stop_pid "$WATCHDOG_PID" 1
    if [ -n "${KEEP_WORKDIR:-}" ]; then echo "(work dir kept: $WORK)"; else rm -rf "$WORK"; fi
}
trap cleanup EXIT
trap 'echo "midcall.sh: interrupted (signal or BENCH_TIMEOUT=${BENCH_TIMEOUT}s reached)" >&2; exit 130' INT TERM
MAIN_PID=$$
( trap 'kill "$sp" 2>/dev/null; exit 0' TERM; sleep "$BENCH_TIMEOUT" & sp=$!; wait "$sp" && kill -TERM "$MAIN_PID" 2>/dev/null ) &
WATCHDOG_PID=$!

alive() { [ -n "$1" ] && kill -0 "$1" 2>/dev/null; }
time_left() { echo $((BENCH_TIMEOUT - (SECONDS - START_TIME))); }
kv() { # kv FILE KEY: value of "KEY=value" (first match)
    sed -n "s/^\(.*[ :]\)\{0,1\}$2=\([^ ]*\).*/\2/p" "$1" 2>/dev/null | head -1
}
stat_col() { # stat_col FILE COLUMN: last-row value of a SIPp -trace_stat CSV column
    [ -s "$1" ] || { echo 0; return; }
    awk -F';' -v c="$2" 'NR == 1 { for (i = 1; i <= NF; i++) if ($i == c) col = i; next }
                         { v = $col } END { print (v == "" ? 0 : v) + 0 }' "$1"
}
calc() { awk "BEGIN { x = $*; print x }"; }

# ---------------------------------------------------------------- SBC config (conf/lab.yaml format)
write_config() { # write_config FILE MAX_RATE STATE_DIR
    cat >"$1" <<EOF
# bench/midcall.sh: the lab's critical-line routing on 127.0.$BLOCK.0/24, max_rate $2.
node:
  name: bench-midcall
  state_dir: $3
zones:
  - name: platform
    bind: $SBC_IP
    udp_port: $SBC_PLATFORM_PORT
    tcp_port: $SBC_PLATFORM_PORT
    media_address: $SBC_IP
  - name: carrier
    bind: $SBC_IP
    udp_port: $SBC_CARRIER_PORT
    tcp_port: $SBC_CARRIER_PORT
    media_address: $SBC_IP
media:
  enabled: true
  port_min: $SBC_PORT_MIN
  port_max: $SBC_PORT_MAX
  workers: $SBC_MEDIA_WORKERS
  timeout_s: $MEDIA_TIMEOUT
  hold_timeout_s: 0
  port_reuse_delay_s: 1
  latching: signalled
trunks:
  - name: platform
    zone: platform
    address: $PLATFORM_IP
    port: $PEER_PORT
    transport: udp
    call_id: preserve
    health: {probe: false}
  - name: carrier-a
    zone: carrier
    address: $CARRIER_A_IP
    port: $PEER_PORT
    transport: udp
    call_id: preserve
    passive_failures: 0
    health: {probe: false}
  - name: carrier-b
    zone: carrier
    address: $CARRIER_B_IP
    port: $PEER_PORT
    transport: udp
    call_id: preserve
    passive_failures: 0
    health: {probe: false}
trunk_groups:
  - name: pstn-out
    strategy: priority
    members: [carrier-a, carrier-b]
    failover_on: [503, 408, timeout, transport]
    mid_call_failover: {on_reinvite_failure: true, reinvite_timeout_ms: 8000, on_media_timeout: true, on_transport_loss: true, icmp_errors: 3, keepalive_interval_s: 0, max_mid_call_failovers: 2, max_rate: $2}
routes:
  - name: critical-lines
    from_trunk: platform
    request_user_prefix: "+1999"
    critical: true
    trunk_group: pstn-out
  - name: platform-to-pstn
    from_trunk: platform
    trunk_group: pstn-out
  - name: carriers-to-platform
    from_zone: carrier
    trunk: platform
admin:
  listen: $SBC_IP:$ADMIN_PORT
  tokens:
    - {name: bench, sha256: $(printf %s "$ADMIN_TOKEN" | sha256sum | cut -d' ' -f1), scopes: ["*"]}
security:
  unknown_source: reject
shutdown:
  drain_s: 2
logging:
  level: notice      # per-call info lines off; per-failover warnings and the SBC's summaries kept
  format: json
EOF
}

# ---------------------------------------------------------------- peers and SBC
start_uas() { # start_uas IP MEDIA NAME DIR PIDVAR: a SIPp carrier whose answers name MEDIA
    timeout -k 5 "$(time_left)" sipp -sf "$SCEN/uas_midcall.xml" -i "$1" -p "$PEER_PORT" -mi "$1" -t u1 -aa -nostdin \
        -buff_size "$BUFF" -key gen_ip "${2%:*}" -key gen_port "${2#*:}" \
        -trace_stat -stf "$4/$3.csv" -fd 1 -trace_err -error_file "$4/$3.errors.log" >"$4/$3.out" 2>&1 &
    printf -v "$5" %s "$!"
}
start_sbc() { # start_sbc DIR
    "$SBC_BINARY" run --config "$1/sbc.yaml" >>"$1/sbc.stdout.log" 2>>"$1/sbc.stderr.log" &
    SBC_PID=$!
    local ready="" i
    for i in $(seq 1 20); do
        alive "$SBC_PID" || { tail -20 "$1/sbc.stderr.log" >&2; die "sbc exited during startup"; }
        if timeout 3 sipp -sf "$SCEN/options.xml" -i "$PLATFORM_IP" -p "$PEER_PORT" -t u1 -nostdin -m 1 \
            -recv_timeout 500 -timeout 2s "$SBC_IP:$SBC_PLATFORM_PORT" >/dev/null 2>&1; then
            ready=1; break
        fi
        sleep 0.5
    done
    [ -n "$ready" ] || { tail -20 "$1/sbc.stderr.log" >&2; die "sbc did not answer OPTIONS within 10 s"; }
}

# ---------------------------------------------------------------- one run
# run_once LABEL MAX_RATE: sets up N calls, stops carrier A's RTP, measures; appends one
# "midcall: ..." line to $WORK/results.txt and prints the run's figures.
run_once() {
    local label="$1" rate="$2" dir="$WORK/$1"
    mkdir -p "$dir/state"
    write_config "$dir/sbc.yaml" "$rate" "$dir/state"
    if ! "$SBC_BINARY" check-config "$dir/sbc.yaml" >"$dir/check-config.log" 2>&1; then
        sed 's/^/   /' "$dir/check-config.log" | head -10 >&2
        die "this sbc rejects the mid-call failover config (critical route, mid_call_failover)"
    fi
    local pace_s hold_s setup_s budget
    pace_s=$(calc "$rate > 0 ? $N / $rate : 0")
    setup_s=$(calc "$N / $SETUP_RATE * 1.5 + 1")
    # The platform hangs up `hold_s` after each call's answer: after set-up, A's RTP reaching the
    # platform, warm-up, the media timeout, pacing and the grace for B, with a margin.
    hold_s=$(calc "int($setup_s + $FLOW_BUDGET + $WARMUP + $MEDIA_TIMEOUT + $pace_s + $GRACE + 1.5 + 0.999)")
    budget=$(calc "int($setup_s + $hold_s + 40)")
    [ "$(time_left)" -ge "$budget" ] || die "not enough of BENCH_TIMEOUT left for run '$label' (needs ${budget} s)"

    echo
    echo "== run '$label': $N critical calls, max_rate $([ "$rate" = 0 ] && echo "0 (unpaced)" || echo "$rate/s"), media timeout ${MEDIA_TIMEOUT} s, $PPS pps each way, calls held ${hold_s} s"
    start_uas "$CARRIER_A_IP" "$MEDIA_A" carrier-a "$dir" UAS_A_PID
    start_uas "$CARRIER_B_IP" "$MEDIA_B" carrier-b "$dir" UAS_B_PID
    sleep 0.3
    alive "$UAS_A_PID" && alive "$UAS_B_PID" || { cat "$dir"/carrier-*.out >&2; die "a SIPp carrier did not start"; }
    start_sbc "$dir"

    timeout -k 5 "$budget" "$PYTHON" "$TOOL" run --platform "$MEDIA_P" --carrier-a "$MEDIA_A" --carrier-b "$MEDIA_B" \
        --calls-log "$dir/calls.log" --calls "$N" --pps "$PPS" --setup-timeout "$setup_s" --flow-timeout "$FLOW_BUDGET" \
        --warmup "$WARMUP" --media-timeout "$MEDIA_TIMEOUT" --pace-seconds "$pace_s" --grace "$GRACE" \
        --report-by "$(calc "$hold_s - 1")" --max-seconds "$budget" --result "$dir/media.result" \
        >"$dir/media.out" 2>&1 &
    MEDIA_PID=$!
    timeout -k 5 "$budget" sipp -sf "$SCEN/uac_midcall.xml" -i "$PLATFORM_IP" -p "$PEER_PORT" -mi "$PLATFORM_IP" -t u1 \
        -nostdin -buff_size "$BUFF" -s "$SERVICE" -r "$SETUP_RATE" -m "$N" -l $((N + 10)) -d $((hold_s * 1000)) \
        -recv_timeout 10000 -timeout "$((budget - 5))s" -key gen_ip "${MEDIA_P%:*}" -key gen_port "${MEDIA_P#*:}" \
        -trace_logs -log_file "$dir/calls.log" -trace_stat -stf "$dir/platform.csv" -fd 1 \
        -trace_err -error_file "$dir/platform.errors.log" "$SBC_IP:$SBC_PLATFORM_PORT" >"$dir/platform.out" 2>&1 &
    UAC_PID=$!

    # The media tool reports before the first BYE; the platform's SIPp ends after the last.
    local i
    for ((i = 0; i < budget * 10; i++)); do
        [ -s "$dir/media.result" ] && break
        alive "$MEDIA_PID" || break
        sleep 0.1
    done
    for ((i = 0; i < budget * 10; i++)); do alive "$UAC_PID" || break; sleep 0.1; done
    wait "$UAC_PID" 2>/dev/null || true
    UAC_PID=""
    timeout 15 "$PYTHON" "$TOOL" metrics --url "http://$SBC_IP:$ADMIN_PORT/metrics" --token "$ADMIN_TOKEN" \
        >"$dir/metrics.txt" 2>&1 || true
    stop_run_processes                  # the SBC logs its reaction summary as it stops

    # ---- figures
    local res="$dir/media.result" met="$dir/metrics.txt" ok failed log_reaction reaction_p99 reaction_src
    [ -s "$res" ] || { tail -5 "$dir/media.out" >&2; die "the media tool reported nothing for run '$label'"; }
    ok=$(stat_col "$dir/platform.csv" "SuccessfulCall(C)")
    failed=$(stat_col "$dir/platform.csv" "FailedCall(C)")
    log_reaction=$(grep -h '"mid-call failover reaction"' "$dir/sbc.stderr.log" | tail -1 |
        sed -n 's/.*"reaction":"\([^"]*\)".*/\1/p')
    # the SBC's exact p99 from its log summary ("p50 X us, p99 Y us, max Z us over K samples"),
    # else the /metrics histogram's interpolated p99
    reaction_p99=$(echo "$log_reaction" | sed -n 's/.*p99 \([0-9]*\) us.*/\1/p' | awk 'NF { printf "%.2f", $1 / 1000 }')
    reaction_src="log"
    if [ -z "$reaction_p99" ]; then reaction_p99=$(kv "$met" reaction_p99_ms); reaction_src="histogram"; fi
    [ -n "$reaction_p99" ] || reaction_p99="-"
    local line
    line="midcall: run=$label max_rate=$rate calls=$N established=$(kv "$res" established) survived=$ok failed=$failed"
    line="$line b_audio=$(kv "$res" b_audio) same_port=$(kv "$res" same_port) gap_p50_ms=$(kv "$res" gap_p50_ms)"
    line="$line gap_p99_ms=$(kv "$res" gap_p99_ms) gap_max_ms=$(kv "$res" gap_max_ms) reaction_p99_ms=$reaction_p99"
    line="$line called_first_ms=$(kv "$res" called_first_ms) called_last_ms=$(kv "$res" called_last_ms)"
    line="$line called_spread_ms=$(kv "$res" called_spread_ms) pps=$(kv "$res" pps_p) sbc_gap_mean_ms=$(kv "$met" gap_mean_ms)"
    line="$line sbc_failovers=$(kv "$met" failovers) sbc_failures=$(kv "$met" failures)"
    echo "$line" >>"$WORK/results.txt"

    echo "   survived        : $ok/$N calls (the platform got no BYE from the SBC and its own BYE was answered; $failed failed)"
    echo "   carrier B audio : $(kv "$res" b_audio)/$(kv "$res" a_flowing) calls heard B on the platform, $(kv "$res" same_port) of them on the port they already used"
    echo "   audio gap       : p50 $(kv "$res" gap_p50_ms) ms, p99 $(kv "$res" gap_p99_ms) ms, max $(kv "$res" gap_max_ms) ms (the platform's last packet from A -> first from B)"
    echo "   B called        : $(kv "$res" called_first_ms) ms (first) to $(kv "$res" called_last_ms) ms (last) after A stopped; spread $(kv "$res" called_spread_ms) ms"
    echo "   SBC reaction    : p99 $reaction_p99 ms ($reaction_src)${log_reaction:+; log: $log_reaction}"
    echo "   SBC /metrics    : failovers $(kv "$met" failovers), failures $(kv "$met" failures); reaction p50/p99 $(kv "$met" reaction_p50_ms)/$(kv "$met" reaction_p99_ms) ms;" \
        "audio gap mean $(kv "$met" gap_mean_ms) ms, p50/p99 $(kv "$met" gap_p50_ms)/$(kv "$met" gap_p99_ms) ms (histograms: p50/p99 interpolated within buckets)"
    if awk -v a="$(kv "$res" pps_p)" -v p="$PPS" 'BEGIN { exit !(a < 0.9 * p) }'; then
        echo "   (the media tool sent $(kv "$res" pps_p) of $PPS packets/s per stream: the host is short of CPU, times above are coarser)"
    fi
    if [ "$(kv "$res" established)" != "$N" ]; then echo "   (only $(kv "$res" established) of $N calls were set up: see $dir/platform.errors.log)"; fi
    if grep -q '^sbc_metrics error' "$met" 2>/dev/null; then echo "   (/metrics: $(cat "$met"))"; fi
    echo "$line"
}

# ---------------------------------------------------------------- main
echo "== midcall.sh: work dir $WORK, $(nproc) CPUs, loopback 127.0.$BLOCK.0/24, sbc $SBC_BINARY$([ "$QUICK" = 1 ] && echo ", QUICK")"
: >"$WORK/results.txt"
for rate in $RUNS; do
    if [ "$rate" = 0 ]; then label=unpaced; else label="paced-$rate"; fi
    run_once "$label" "$rate"
done

# ---------------------------------------------------------------- summary
echo
echo "== mid-call failover summary: $N critical calls per run, carrier A's RTP stopped on all at once, media timeout ${MEDIA_TIMEOUT} s"
printf '   %-12s %9s %9s %8s %9s %8s %8s %8s %11s %12s\n' run max_rate survived b_audio same_port gap_p50 gap_p99 gap_max "B_spread" reaction_p99
while read -r line; do
    f() { echo "$line" | sed -n "s/.* $1=\([^ ]*\).*/\1/p"; }
    printf '   %-12s %9s %9s %8s %9s %8s %8s %8s %11s %12s\n' "$(f run)" "$(f max_rate)" "$(f survived)/$N" "$(f b_audio)" \
        "$(f same_port)" "$(f gap_p50_ms) ms" "$(f gap_p99_ms) ms" "$(f gap_max_ms) ms" "$(f called_spread_ms) ms" "$(f reaction_p99_ms) ms"
done <"$WORK/results.txt"
unpaced=$(grep -m1 ' max_rate=0 ' "$WORK/results.txt" || true)
paced=$(grep -v ' max_rate=0 ' "$WORK/results.txt" | head -1 || true)
if [ -n "$unpaced" ] && [ -n "$paced" ]; then
    g() { echo "$1" | sed -n "s/.* $2=\([^ ]*\).*/\1/p"; }
    echo "   pacing effect (max_rate $(g "$paced" max_rate)/s vs unpaced): gap p99 $(g "$unpaced" gap_p99_ms) -> $(g "$paced" gap_p99_ms) ms," \
        "INVITEs to carrier B spread over $(g "$unpaced" called_spread_ms) -> $(g "$paced" called_spread_ms) ms," \
        "SBC reaction p99 $(g "$unpaced" reaction_p99_ms) -> $(g "$paced" reaction_p99_ms) ms"
fi
exit 0
