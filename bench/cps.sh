#!/usr/bin/env bash
# SwiftSBC calls-per-second benchmark: SIPp UAC (platform) -> sbc -> SIPp UAS (carrier A).
#
# Steps the UAC rate up until more than 0.1% of the calls of a step fail or the rate is not
# sustained, then prints the highest healthy CPS, the SBC's CPU cost per call there, its peak RSS
# and (optionally) its RSS per established call. See bench/README.md.
#
# Bounded: every SIPp run is wrapped in `timeout`, the whole run in BENCH_TIMEOUT seconds; it stops
# by itself and only ever signals the PIDs it started.
#
# Environment (all optional):
#   SBC_BINARY      use this sbc instead of building `swift build -c release --product sbc`
#   BENCH_BLOCK     loopback block N: the run uses 127.0.N.0/24 (default 77)
#   RATES           space-separated call rates to try (default "250 500 1000 1500 2000 2500 3000 3500 4000 5000 6000 8000")
#   STEP_SECONDS    seconds of calls per step: calls = rate x STEP_SECONDS (default 5)
#   CALL_MS         hold time of the short calls, ms between ACK and BYE (default 0)
#   MAX_FAIL_PCT    failed-call percentage above which a step is unhealthy (default 0.1)
#   MIN_SUSTAIN_PCT achieved/attempted rate below which a step is unhealthy (default 95)
#   HOLD_CALLS      calls held up at once for the RSS-per-call step, 0 to skip (default 2000)
#   HOLD_RATE       rate at which those calls are set up (default 500)
#   BENCH_TIMEOUT   hard limit for the whole run, seconds (default 900)
#   KEEP_WORKDIR=1  keep the temp dir (config, logs, SIPp stats)
#   FAILOVER=1      carrier A answers every INVITE with 503, so every call fails over to carrier B;
#                   the SBC's own failover latency (503 in -> INVITE out, p50/p99) is printed at the end
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO="$(cd "$HERE/.." && pwd)"
SCEN="$HERE/scenarios"

BLOCK="${BENCH_BLOCK:-77}"
RATES="${RATES:-250 500 1000 1500 2000 2500 3000 3500 4000 5000 6000 8000}"
STEP_SECONDS="${STEP_SECONDS:-5}"
CALL_MS="${CALL_MS:-0}"
MAX_FAIL_PCT="${MAX_FAIL_PCT:-0.1}"
MIN_SUSTAIN_PCT="${MIN_SUSTAIN_PCT:-95}"
HOLD_CALLS="${HOLD_CALLS:-2000}"
HOLD_RATE="${HOLD_RATE:-500}"
BENCH_TIMEOUT="${BENCH_TIMEOUT:-900}"
BUFF=4194304

SBC_IP="127.0.$BLOCK.1"; SBC_PLATFORM_PORT=5060; SBC_CARRIER_PORT=5080
PLATFORM_IP="127.0.$BLOCK.10"; CARRIER_A_IP="127.0.$BLOCK.11"; CARRIER_B_IP="127.0.$BLOCK.12"
PEER_PORT=5060

die() { echo "cps.sh: $*" >&2; exit 1; }
source "$REPO/bench/lib.sh"
command -v sipp >/dev/null || die "sipp not found on PATH (Debian package sip-tester)"
[ -r /proc/self/stat ] || die "needs Linux /proc for CPU and RSS figures"
CLK_TCK="$(getconf CLK_TCK)"
START_TIME=$SECONDS

# ---------------------------------------------------------------- binary
bench_sbc_binary

WORK="$(mktemp -d "${TMPDIR:-/tmp}/swiftsbc-cps.XXXXXX")"
mkdir -p "$WORK/state"

# ---------------------------------------------------------------- process bookkeeping (own PIDs only)
SBC_PID=""; UAS_PIDS=""
cleanup() {
    local pid
    for pid in $UAS_PIDS; do stop_pid "$pid" 3; done
    [ -n "$SBC_PID" ] && stop_pid "$SBC_PID" 10
    if [ -n "${KEEP_WORKDIR:-}" ]; then echo "(work dir kept: $WORK)"; else rm -rf "$WORK"; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# ---------------------------------------------------------------- config (conf/lab.yaml format)
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
    address: $CARRIER_A_IP
    port: $PEER_PORT
    transport: udp
    call_id: preserve
    passive_failures: 0      # passive health off: in FAILOVER mode every call must fail over
  - name: carrier-b
    zone: carrier
    address: $CARRIER_B_IP
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
shutdown:
  drain_s: 2
logging:
  level: notice      # per-call info lines off; the SBC's own summaries (failover latency) kept
  format: json
EOF

# ---------------------------------------------------------------- /proc helpers
cpu_ticks() { # utime + stime of PID, in clock ticks (fields 14 and 15; strip "pid (comm) " first)
    sed 's/^.*) //' "/proc/$1/stat" | awk '{ print $12 + $13 }'
}
proc_kb() { # proc_kb PID VmRSS|VmHWM
    awk -v k="$2:" '$1 == k { print $2 }' "/proc/$1/status"
}
now() { date +%s.%N; }
sbc_alive() { kill -0 "$SBC_PID" 2>/dev/null; }
time_left() { echo $((BENCH_TIMEOUT - (SECONDS - START_TIME))); }

# last-row value of a SIPp -trace_stat CSV column
stat_col() { # stat_col FILE COLUMN
    [ -s "$1" ] || { echo 0; return; }
    awk -F';' -v c="$2" 'NR == 1 { for (i = 1; i <= NF; i++) if ($i == c) col = i; next }
                         { v = $col } END { print (v == "" ? 0 : v) + 0 }' "$1"
}

# ---------------------------------------------------------------- peers and SBC
start_uas() { # start_uas IP NAME [SCENARIO]
    sipp -sf "$SCEN/${3:-uas.xml}" -i "$1" -p "$PEER_PORT" -mi "$1" -t u1 -aa -nostdin -buff_size "$BUFF" \
        -trace_err -error_file "$WORK/$2.errors.log" >"$WORK/$2.out" 2>&1 &
    UAS_PIDS="$UAS_PIDS $!"
}
echo "== work dir $WORK, loopback block 127.0.$BLOCK.0/24, sbc $SBC_BINARY"
if [ "${FAILOVER:-0}" = 1 ]; then start_uas "$CARRIER_A_IP" carrier-a uas_503.xml; else start_uas "$CARRIER_A_IP" carrier-a; fi
start_uas "$CARRIER_B_IP" carrier-b
sleep 0.5

# Starts a fresh SBC and waits until it answers OPTIONS (sets SBC_PID).
start_sbc() {
    "$SBC_BINARY" run --config "$WORK/sbc.yaml" >>"$WORK/sbc.stdout.log" 2>>"$WORK/sbc.stderr.log" &
    SBC_PID=$!
    local ready=""
    for _ in $(seq 1 20); do
        sbc_alive || { tail -20 "$WORK/sbc.stderr.log" >&2; die "sbc exited during startup"; }
        if timeout 3 sipp -sf "$SCEN/options.xml" -i "$PLATFORM_IP" -p "$PEER_PORT" -t u1 -nostdin -m 1 \
            -recv_timeout 500 -timeout 2s "$SBC_IP:$SBC_PLATFORM_PORT" >/dev/null 2>&1; then
            ready=1; break
        fi
        sleep 0.5
    done
    [ -n "$ready" ] || { tail -20 "$WORK/sbc.stderr.log" >&2; die "sbc did not answer OPTIONS within 10 s"; }
    echo "== sbc ready (pid $SBC_PID, RSS $(proc_kb "$SBC_PID" VmRSS) kB)"
}
start_sbc

# ---------------------------------------------------------------- rate steps
printf '\n%8s %9s %8s %7s %8s %9s %9s %s\n' "rate" "achieved" "calls" "failed" "fail%" "sbc_cpu_s" "us/call" "verdict"
best_rate=0; best_us=""; best_achieved=""
step=0
for rate in $RATES; do
    step=$((step + 1))
    calls=$((rate * STEP_SECONDS))
    budget=$((STEP_SECONDS * 4 + 30))
    if [ "$(time_left)" -lt "$budget" ]; then echo "(time budget exhausted, stopping)"; break; fi
    sbc_alive || { echo "sbc died"; break; }
    stat="$WORK/step$step-$rate.csv"
    cpu0=$(cpu_ticks "$SBC_PID"); t0=$(now)
    rc=0
    timeout -k 5 "$budget" sipp -sf "$SCEN/uac.xml" -i "$PLATFORM_IP" -p "$PEER_PORT" -mi "$PLATFORM_IP" -t u1 \
        -nostdin -buff_size "$BUFF" -s +15551230000 -r "$rate" -m "$calls" -l $((rate * 3 + 100)) \
        -d "$CALL_MS" -recv_timeout 8000 -timeout "$((budget - 5))s" \
        -trace_stat -stf "$stat" -fd 1 -trace_err -error_file "$WORK/step$step-$rate.errors.log" \
        "$SBC_IP:$SBC_PLATFORM_PORT" >"$WORK/step$step-$rate.out" 2>&1 || rc=$?
    t1=$(now)
    if ! sbc_alive; then echo "sbc died during the $rate cps step"; break; fi
    cpu1=$(cpu_ticks "$SBC_PID")
    ok=$(stat_col "$stat" "SuccessfulCall(C)")
    failed=$(stat_col "$stat" "FailedCall(C)")
    created=$(stat_col "$stat" "OutgoingCall(C)")
    read -r achieved fail_pct cpu_s us verdict < <(awk -v ok="$ok" -v f="$failed" -v n="$calls" -v cr="$created" \
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
    printf '%8s %9s %8s %7s %8s %9s %9s %s\n' "$rate" "$achieved" "$calls" "$((calls - ok))" "$fail_pct" "$cpu_s" "$us" "$verdict"
    if [ "$verdict" != "ok" ]; then break; fi
    best_rate=$rate; best_us=$us; best_achieved=$achieved
    sleep 2 # let transactions (timer K/J) and SIPp timewaits drain between steps
done

# ---------------------------------------------------------------- RSS per established call
rss_per_call=""; hwm_rates=""
if [ "$HOLD_CALLS" -gt 0 ] && sbc_alive; then
    hold_ms=$(( (HOLD_CALLS * 1000 / HOLD_RATE) + 5000 ))
    budget=$(( hold_ms / 1000 * 2 + 30 ))
    if [ "$(time_left)" -ge "$budget" ]; then
        # A fresh SBC: the rate steps leave tens of thousands of transactions in their RFC 3261
        # wait states (Timers J, L, M: 32 s) and a grown heap that would hide the per-call cost.
        hwm_rates=$(proc_kb "$SBC_PID" VmHWM)
        stop_pid "$SBC_PID" 10
        start_sbc
        sleep 1
        rss0=$(proc_kb "$SBC_PID" VmRSS)
        echo
        echo "== holding $HOLD_CALLS calls (set up at $HOLD_RATE cps, each held ${hold_ms} ms)"
        timeout -k 5 "$budget" sipp -sf "$SCEN/uac.xml" -i "$PLATFORM_IP" -p "$PEER_PORT" -mi "$PLATFORM_IP" -t u1 \
            -nostdin -buff_size "$BUFF" -s +15551230000 -r "$HOLD_RATE" -m "$HOLD_CALLS" -l $((HOLD_CALLS + 10)) \
            -d "$hold_ms" -recv_timeout 8000 -timeout "$((budget - 5))s" \
            -trace_stat -stf "$WORK/hold.csv" -fd 1 "$SBC_IP:$SBC_PLATFORM_PORT" >"$WORK/hold.out" 2>&1 &
        hold_pid=$!
        peak=$rss0
        while kill -0 "$hold_pid" 2>/dev/null; do
            sbc_alive || break
            r=$(proc_kb "$SBC_PID" VmRSS); [ "${r:-0}" -gt "$peak" ] && peak=$r
            sleep 0.5
        done
        wait "$hold_pid" 2>/dev/null || true
        held_ok=$(stat_col "$WORK/hold.csv" "SuccessfulCall(C)")
        rss_per_call=$(awk -v a="$rss0" -v b="$peak" -v k="$HOLD_CALLS" 'BEGIN { printf "%.2f", (b - a) / k }')
        echo "   RSS before ${rss0} kB, peak while held ${peak} kB, completed ${held_ok}/${HOLD_CALLS}"
        echo "   => ${rss_per_call} kB per established call"
        [ "$held_ok" -lt "$HOLD_CALLS" ] && echo "   (warning: not every held call completed; the figure is approximate)"
    else
        echo "(time budget exhausted, skipping the RSS-per-call step)"
    fi
fi

# ---------------------------------------------------------------- summary
hwm="${hwm_rates:-}"; [ -z "$hwm" ] && sbc_alive && hwm=$(proc_kb "$SBC_PID" VmHWM)
echo
echo "== SwiftSBC CPS summary ($(nproc) CPUs, SIPp on the same host)"
if [ "$best_rate" -gt 0 ]; then
    echo "   highest healthy rate : $best_rate calls/s attempted ($best_achieved achieved)"
    echo "   CPU per call there   : $best_us us = $(awk -v u="$best_us" 'BEGIN { printf "%.0f", 100 * u / 450 }')% of Kamailio's ~450 us (plain forwarding)"
    echo "   vs Kamailio maximum  : $(awk -v r="$best_rate" 'BEGIN { printf "%.2f", r / 2500 }')x its 2,500 calls/s"
else
    echo "   no healthy step (see $WORK; rerun with KEEP_WORKDIR=1)"
fi
echo "   peak RSS (VmHWM)     : ${hwm:-?} kB over the rate steps (transactions linger 32 s per RFC 3261)"
[ -n "$rss_per_call" ] && echo "   RSS per established call: $rss_per_call kB"
if [ "${FAILOVER:-0}" = 1 ]; then
    # The SBC logs its own failover latency when it stops.
    [ -n "$SBC_PID" ] && stop_pid "$SBC_PID" 10 && SBC_PID=""
    latency=$(grep -h '"failover latency"' "$WORK/sbc.stderr.log" | tail -1 | sed -n 's/.*"latency":"\([^"]*\)".*/\1/p')
    echo "   failover latency (SBC's own, 503 in -> INVITE out): ${latency:-not logged}"
fi
exit 0
