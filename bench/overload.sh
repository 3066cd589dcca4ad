#!/usr/bin/env bash
# Overload control (docs/OVERLOAD.md): the SBC with two healthy SIPp carriers (probed every 1 s,
# down after 3 failures, as in the lab) is offered its healthy rate, then 1.5x and 3x that rate
# for a bounded time each, then the healthy rate again. Per step it prints the goodput (calls
# completed per second), the 503s overload control sent, whether a carrier went down, the SBC's
# loop lag and RSS; at the end RSS after the storm and after the memory trim.
#
# Environment: RATE (healthy calls/s, default 3000; QUICK 40), MAX_CPS (overload.max_cps, default
# RATE; 0 = measured load only), STEP_SECONDS (default 20; QUICK 3), BENCH_BLOCK (default 83, the
# SBC on 127.0.N.1, peers .10-.12; the test suite's quick run uses 84), BENCH_TIMEOUT (whole run,
# default 400 s), SBC_BINARY (default: a release build), QUICK=1, KEEP_WORKDIR=1.
#
# Machine-readable lines:
#   overload: step=3.0x offered=9000 goodput=2950 failed=12 rejected_503=35000 carriers_down=0 lag_max_ms=35 rss_mb=80
#   overload-memory: rss_before_mb=40 rss_peak_mb=120 rss_after_storm_mb=110 rss_after_trim_mb=60
#   overload-summary: sbc_alive=1 carriers_down=0 healthy_goodput=2990 storm_goodput_min=2900 after_goodput=2995
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO="$(cd "$HERE/.." && pwd)"
SCEN="$HERE/scenarios"
die() { echo "overload.sh: $*" >&2; exit 1; }
source "$REPO/bench/lib.sh"

BLOCK="${BENCH_BLOCK:-83}"
if [ "${QUICK:-0}" = 1 ]; then RATE="${RATE:-40}"; STEP_SECONDS="${STEP_SECONDS:-3}"; fi
RATE="${RATE:-3000}"
MAX_CPS="${MAX_CPS:-$RATE}"
STEP_SECONDS="${STEP_SECONDS:-20}"
BENCH_TIMEOUT="${BENCH_TIMEOUT:-400}"
SBC_IP="127.0.$BLOCK.1"; PLATFORM_IP="127.0.$BLOCK.10"; CARRIER_A="127.0.$BLOCK.11"; CARRIER_B="127.0.$BLOCK.12"
ADMIN="127.0.$BLOCK.1:8080"
BUFF=4194304
export OVERLOAD_BENCH_TOKEN="overload-bench-$$-$RANDOM"
command -v sipp >/dev/null || die "sipp not found on PATH (Debian package sip-tester)"
command -v curl >/dev/null || die "curl not found"
START_TIME=$SECONDS
bench_sbc_binary

WORK="$(mktemp -d "${TMPDIR:-/tmp}/swiftsbc-overload.XXXXXX")"
mkdir -p "$WORK/state"
UAS_PIDS=""; SBC_PID=""
cleanup() {
    local pid
    stop_pid "$SBC_PID" 10
    for pid in $UAS_PIDS; do stop_pid "$pid" 3; done
    if [ -n "${KEEP_WORKDIR:-}" ]; then echo "(work dir kept: $WORK)"; else rm -rf "$WORK"; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

cat > "$WORK/sbc.yaml" <<EOF
node: {name: bench-overload, state_dir: $WORK/state}
zones:
  - {name: platform, bind: $SBC_IP, udp_port: 5060}
  - {name: carrier, bind: $SBC_IP, udp_port: 5080}
trunks:
  - {name: platform, zone: platform, address: $PLATFORM_IP, port: 5060, health: {probe: false}}
  - name: carrier-a
    zone: carrier
    address: $CARRIER_A
    port: 5060
    health: {probe_interval_s: 1, probe_timeout_ms: 800, down_after: 3, up_after: 2, recovery_hold_s: 10}
  - name: carrier-b
    zone: carrier
    address: $CARRIER_B
    port: 5060
    health: {probe_interval_s: 1, probe_timeout_ms: 800, down_after: 3, up_after: 2, recovery_hold_s: 10}
trunk_groups:
  - {name: pstn-out, members: [carrier-a, carrier-b], failover_on: [503, timeout, transport]}
routes:
  - {name: out, from_trunk: platform, trunk_group: pstn-out}
  - {name: in, from_zone: carrier, trunk: platform}
overload: {max_cps: $MAX_CPS, retry_after_s: 1}
admin: {listen: "$ADMIN", tokens: [{name: bench, env: OVERLOAD_BENCH_TOKEN, scopes: [metrics:read]}]}
media: {enabled: false}
shutdown: {drain_s: 1}
logging: {level: notice, format: json}
EOF

time_left() { echo $((BENCH_TIMEOUT - (SECONDS - START_TIME))); }
rss_mb() { awk '$1 == "VmRSS:" { printf "%d", $2 / 1024 }' "/proc/$SBC_PID/status" 2>/dev/null || echo 0; }
hwm_mb() { awk '$1 == "VmHWM:" { printf "%d", $2 / 1024 }' "/proc/$SBC_PID/status" 2>/dev/null || echo 0; }
metric() { # metric NAME_WITH_LABELS: sum of the matching series on /metrics
    curl -s --max-time 2 -H "Authorization: Bearer $OVERLOAD_BENCH_TOKEN" "http://$ADMIN/metrics" | awk -v m="$1" 'index($0, m) == 1 { s += $NF } END { printf "%d", s + 0 }'
}
lag_ms() { curl -s --max-time 2 -H "Authorization: Bearer $OVERLOAD_BENCH_TOKEN" "http://$ADMIN/metrics" | awk '$1 == "sbc_loop_lag_seconds" { printf "%d", $2 * 1000 }'; }
carriers_down() { grep -c '"to":"down"' "$WORK/sbc.log" 2>/dev/null || true; }
stat_col() { # last-row value of a SIPp -trace_stat CSV column
    [ -s "$1" ] || { echo 0; return; }
    awk -F';' -v c="$2" 'NR == 1 { for (i = 1; i <= NF; i++) if ($i == c) col = i; next }
                         { v = $col } END { print (v == "" ? 0 : v) + 0 }' "$1"
}

for peer in "$CARRIER_A" "$CARRIER_B"; do
    sipp -sf "$SCEN/uas.xml" -i "$peer" -p 5060 -mi "$peer" -t u1 -aa -nostdin -buff_size "$BUFF" \
        >"$WORK/uas-$peer.out" 2>&1 &
    UAS_PIDS="$UAS_PIDS $!"
done
"$SBC_BINARY" run --config "$WORK/sbc.yaml" >"$WORK/sbc.out" 2>"$WORK/sbc.log" &
SBC_PID=$!
for _ in $(seq 1 40); do
    kill -0 "$SBC_PID" 2>/dev/null || { tail -20 "$WORK/sbc.log" >&2; die "sbc exited during startup"; }
    curl -s --max-time 1 "http://$ADMIN/metrics" >/dev/null 2>&1 && break
    sleep 0.25
done
sleep 2   # first probes answered
echo "== overload bench: SBC $SBC_BINARY on $SBC_IP, healthy rate $RATE/s, max_cps $MAX_CPS, ${STEP_SECONDS}s per step"
RSS_BEFORE=$(rss_mb)

# step LABEL RATE: one bounded SIPp run at RATE calls/s for STEP_SECONDS; prints its figures.
step() {
    local label="$1" rate="$2" calls=$(($2 * STEP_SECONDS)) stat="$WORK/step-$1.csv" budget
    budget=$((STEP_SECONDS + 15)); [ "$(time_left)" -gt "$budget" ] || die "out of time (BENCH_TIMEOUT) before step $label"
    local rejected_before down_before lag_max=0 lag
    rejected_before=$(metric sbc_overload_rejected_total); down_before=$(carriers_down)
    timeout -k 5 "$budget" sipp -sf "$SCEN/uac.xml" -i "$PLATFORM_IP" -p 5060 -mi "$PLATFORM_IP" -t u1 -nostdin \
        -buff_size "$BUFF" -r "$rate" -m "$calls" -l $((rate * 4 + 100)) -d 0 -timeout "$((STEP_SECONDS + 8))s" \
        -recv_timeout 4000 -trace_stat -stf "$stat" -fd 1 \
        -s +15551230000 "$SBC_IP:5060" >"$WORK/step-$label.out" 2>&1 &
    local sipp_pid=$!
    while kill -0 "$sipp_pid" 2>/dev/null; do
        lag=$(lag_ms || echo 0); [ "${lag:-0}" -gt "$lag_max" ] && lag_max=$lag
        sleep 1
    done
    wait "$sipp_pid" 2>/dev/null || true
    local ok failed rejected down goodput
    ok=$(stat_col "$stat" "SuccessfulCall(C)"); failed=$(stat_col "$stat" "FailedCall(C)")
    rejected=$(( $(metric sbc_overload_rejected_total) - rejected_before ))
    down=$(( $(carriers_down) - down_before ))
    goodput=$((ok / STEP_SECONDS))
    printf '   %-8s offered %6d/s  goodput %6d/s  failed %6d  503 %7d  carriers down %d  lag max %4d ms  RSS %4d MB\n' \
        "$label" "$rate" "$goodput" "$failed" "$rejected" "$down" "$lag_max" "$(rss_mb)"
    echo "overload: step=$label offered=$rate goodput=$goodput failed=$failed rejected_503=$rejected carriers_down=$down lag_max_ms=$lag_max rss_mb=$(rss_mb)"
    eval "GOODPUT_${label//./_}=$goodput"
}

step 1.0x "$RATE"
sleep 1
step 1.5x $((RATE * 3 / 2))
step 3.0x $((RATE * 3))
RSS_AFTER_STORM=$(rss_mb); RSS_PEAK=$(hwm_mb)
sleep 1
step after "$RATE"
sleep 5   # load normal for longer than the trim delay (3 s)
RSS_AFTER_TRIM=$(rss_mb)
ALIVE=0; kill -0 "$SBC_PID" 2>/dev/null && ALIVE=1
DOWN=$(carriers_down)
echo "overload-memory: rss_before_mb=$RSS_BEFORE rss_peak_mb=$RSS_PEAK rss_after_storm_mb=$RSS_AFTER_STORM rss_after_trim_mb=$RSS_AFTER_TRIM"
storm_min=$(( GOODPUT_1_5x < GOODPUT_3_0x ? GOODPUT_1_5x : GOODPUT_3_0x ))
echo "overload-summary: sbc_alive=$ALIVE carriers_down=$DOWN healthy_goodput=$GOODPUT_1_0x storm_goodput_min=$storm_min after_goodput=$GOODPUT_after"
grep -h '"memory returned after overload' "$WORK/sbc.log" | tail -1 || true
[ "$ALIVE" = 1 ] || die "the SBC died"
