#!/usr/bin/env bash
# Soak (issue 14): the SBC at half its healthy capacity for SOAK_SECONDS (default 1800) with call
# churn, RTP and periodic failovers, its RSS and open file descriptors sampled every SAMPLE_SECONDS,
# and their growth reported. Media is anchored, so every call binds and releases relay ports.
#
# Load, all at once for SOAK_SECONDS (see bench/README.md):
#   churn     SIPp (scenarios/uac.xml) places RATE short calls/s (CALL_MS between ACK and BYE);
#             RATE defaults to CAPACITY / 2, CAPACITY to 300 calls/s: the healthy rate measured on
#             this VM with media anchored and the RTP load below (bench/README.md; cps.sh's 3,000/s
#             is signalling alone, out of reach once every call binds relay ports)
#   RTP       SIPp (scenarios/uac_rtp.xml) keeps about MEDIA_CALLS calls up, each playing SIPp's
#             G.711 sample MEDIA_PLAYS times (7 s each) that the carriers echo (-rtp_echo) back
#             through the relay: 50 packets/s each way per call, half of media.sh's healthy load
#   failover  carrier A answers FAIL_PCT% of INVITEs with 503 (scenarios/uas_soak.xml), so those
#             calls fail over to carrier B; and every FAILOVER_EVERY s, alternately, carrier-a is
#             locked or the pstn-out group failed over through the admin API, and FAILOVER_HOLD s
#             later unlocked or failed back
# Carriers are probed every second (OPTIONS, down after 3 failures) as in the lab.
#
# Environment: SOAK_SECONDS, SAMPLE_SECONDS (10), WARMUP_SECONDS (120: growth is measured from the
# first sample after it), DRAIN_SECONDS (45: idle after the load, transactions expire), CAPACITY,
# RATE, CALL_MS (500), MEDIA_CALLS (200), MEDIA_PLAYS (2), FAIL_PCT (5), FAILOVER_EVERY (60),
# FAILOVER_HOLD (20), SBC_PORT_MIN/MAX (20000/39999), SBC_MEDIA_WORKERS (1), BENCH_BLOCK (86, the
# SBC on 127.0.N.1, platform .10, carriers .11/.12; the test suite's quick run uses 87),
# BENCH_TIMEOUT (SOAK_SECONDS + 300), SBC_BINARY (default: a release build), KEEP_WORKDIR=1,
# QUICK=1 (20 s at 20 calls/s and 6 RTP calls, 2 s samples, a failover every 5 s).
#
# Machine-readable lines:
#   soak: t=600 rss_mb=61.2 fds=1250 calls=960 answered=890000 failed=0 failovers=44600 relayed_pkts=12000000 lag_ms=3 d_rss_mb=0.4 d_fds=-6
#   soak-event: t=60 action=lock status=200
#   soak-summary: seconds=1800 rate=1500 media_calls=200 calls_ok=... calls_failed=... failovers=... failover_events=60
#     rss_start_mb=... rss_end_mb=... rss_max_mb=... rss_growth_mb=... rss_slope_mb_per_h=... fds_start=... fds_end=...
#     fds_max=... fds_slope_per_h=... fds_idle_before=... fds_idle_after=... rss_idle_after_mb=... fd_leak=0 media_timeouts=0
#     overload_rejected=0 sbc_alive=1   (one line)
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO="$(cd "$HERE/.." && pwd)"
SCEN="$HERE/scenarios"
die() { echo "soak.sh: $*" >&2; exit 1; }
source "$REPO/bench/lib.sh"

if [ "${QUICK:-0}" = 1 ]; then
    SOAK_SECONDS="${SOAK_SECONDS:-20}"; SAMPLE_SECONDS="${SAMPLE_SECONDS:-2}"; WARMUP_SECONDS="${WARMUP_SECONDS:-4}"
    DRAIN_SECONDS="${DRAIN_SECONDS:-4}"; RATE="${RATE:-20}"; CALL_MS="${CALL_MS:-200}"; MEDIA_CALLS="${MEDIA_CALLS:-6}"
    MEDIA_PLAYS="${MEDIA_PLAYS:-1}"; FAILOVER_EVERY="${FAILOVER_EVERY:-5}"; FAILOVER_HOLD="${FAILOVER_HOLD:-2}"
fi
SOAK_SECONDS="${SOAK_SECONDS:-1800}"
SAMPLE_SECONDS="${SAMPLE_SECONDS:-10}"
WARMUP_SECONDS="${WARMUP_SECONDS:-120}"
DRAIN_SECONDS="${DRAIN_SECONDS:-45}"
CAPACITY="${CAPACITY:-300}"
RATE="${RATE:-$((CAPACITY / 2))}"
CALL_MS="${CALL_MS:-500}"
MEDIA_CALLS="${MEDIA_CALLS:-200}"
MEDIA_PLAYS="${MEDIA_PLAYS:-2}"
FAIL_PCT="${FAIL_PCT:-5}"
FAILOVER_EVERY="${FAILOVER_EVERY:-60}"
FAILOVER_HOLD="${FAILOVER_HOLD:-20}"
SBC_PORT_MIN="${SBC_PORT_MIN:-20000}"
SBC_PORT_MAX="${SBC_PORT_MAX:-39999}"
SBC_MEDIA_WORKERS="${SBC_MEDIA_WORKERS:-1}"
BLOCK="${BENCH_BLOCK:-86}"
BENCH_TIMEOUT="${BENCH_TIMEOUT:-$((SOAK_SECONDS + 300))}"
PLAY_MS=7100                 # SIPp's g711a.pcap lasts 7.05 s
MEDIA_HOLD_S=$(( (MEDIA_PLAYS * PLAY_MS + 999) / 1000 ))
MEDIA_RATE=$(( (MEDIA_CALLS + MEDIA_HOLD_S - 1) / MEDIA_HOLD_S ))   # calls/s that keep MEDIA_CALLS up
SBC_IP="127.0.$BLOCK.1"; PLATFORM_IP="127.0.$BLOCK.10"; CARRIER_A="127.0.$BLOCK.11"; CARRIER_B="127.0.$BLOCK.12"
ADMIN="$SBC_IP:8080"
BUFF=4194304
export SOAK_BENCH_TOKEN="soak-bench-$$-$RANDOM"
command -v sipp >/dev/null || die "sipp not found on PATH (Debian package sip-tester)"
command -v curl >/dev/null || die "curl not found"
[ -r /usr/share/sip-tester/g711a.pcap ] || die "/usr/share/sip-tester/g711a.pcap missing (Debian package sip-tester)"
[ "$RATE" -gt 0 ] && [ "$MEDIA_CALLS" -gt 0 ] && [ "$SOAK_SECONDS" -gt 0 ] || die "RATE, MEDIA_CALLS and SOAK_SECONDS must be positive"
START_TIME=$SECONDS
bench_sbc_binary

bench_start_run soak   # WORK, the traps that stop what it starts, the BENCH_TIMEOUT watchdog

# passive_failures 0 on the carriers: FAIL_PCT of 503s are per-call failovers, not a reason to
# mark A down.
{
    bench_two_carrier_config bench-soak "$WORK/state" "$SBC_IP" "$PLATFORM_IP" "$CARRIER_A" "$CARRIER_B" 5 \
        "passive_failures: 0"
    cat <<EOF
media:
  port_min: $SBC_PORT_MIN
  port_max: $SBC_PORT_MAX
  workers: $SBC_MEDIA_WORKERS
  timeout_s: 4
  port_reuse_delay_s: 1
admin: {listen: "$ADMIN", tokens: [{name: bench, env: SOAK_BENCH_TOKEN, scopes: ["*"]}]}
shutdown: {drain_s: 1}
logging: {level: notice, format: json}
EOF
} > "$WORK/sbc.yaml"
"$SBC_BINARY" check-config "$WORK/sbc.yaml" >/dev/null || die "sbc check-config refused the soak config ($WORK/sbc.yaml)"

# The scenarios with this run's figures in: carrier A's 503 share, the RTP calls' plays.
sed "s/@FAIL_CHANCE@/$(awk -v p="$FAIL_PCT" 'BEGIN { printf "%.4f", p / 100 }')/g" "$SCEN/uas_soak.xml" > "$WORK/uas_soak.xml"
sed -e "s/@PLAYS@/$MEDIA_PLAYS/g" -e "s/@PLAY_MS@/$PLAY_MS/g" "$SCEN/uac_rtp.xml" > "$WORK/uac_rtp.xml"
cp /usr/share/sip-tester/g711a.pcap "$WORK/"

api() { # api PATH REASON: POST with a reason; prints the HTTP status
    curl -s -o /dev/null -w '%{http_code}' --max-time 5 -X POST -H "Authorization: Bearer $SOAK_BENCH_TOKEN" \
        -H 'Content-Type: application/json' -d "{\"reason\":\"$2\"}" "http://$ADMIN/api/v1/$1" || echo 000
}
METRICS=""
scrape() { METRICS="$(curl -s --max-time 3 -H "Authorization: Bearer $SOAK_BENCH_TOKEN" "http://$ADMIN/metrics" || true)"; }
metric() { # metric PREFIX: sum of the series of the last scrape that start with PREFIX
    awk -v m="$1" 'index($0, m) == 1 { s += $NF } END { printf "%d", s + 0 }' <<<"$METRICS"
}
rss_mb() { awk '$1 == "VmRSS:" { printf "%.1f", $2 / 1024 }' "/proc/$SBC_PID/status" 2>/dev/null || echo 0; }
fds() { local n; n=$(ls "/proc/$SBC_PID/fd" 2>/dev/null | wc -l) || n=0; echo "$n"; }
alive() { kill -0 "$SBC_PID" 2>/dev/null; }

# ---------------------------------------------------------------- peers and the SBC
(cd "$WORK" && exec sipp -sf "$WORK/uas_soak.xml" -i "$CARRIER_A" -p 5060 -mi "$CARRIER_A" -t u1 -aa -rtp_echo \
    -nostdin -buff_size "$BUFF" >"$WORK/carrier-a.out" 2>&1) &
PEER_PIDS="$PEER_PIDS $!"
(cd "$WORK" && exec sipp -sf "$SCEN/uas.xml" -i "$CARRIER_B" -p 5060 -mi "$CARRIER_B" -t u1 -aa -rtp_echo \
    -nostdin -buff_size "$BUFF" >"$WORK/carrier-b.out" 2>&1) &
PEER_PIDS="$PEER_PIDS $!"
"$SBC_BINARY" run --config "$WORK/sbc.yaml" >"$WORK/sbc.out" 2>"$WORK/sbc.log" &
SBC_PID=$!
bench_wait_admin "$SBC_PID" "$ADMIN" "$WORK/sbc.log"
sleep 3   # carriers probed up
FDS_IDLE_BEFORE=$(fds); RSS_IDLE_BEFORE=$(rss_mb)
ls -l "/proc/$SBC_PID/fd" > "$WORK/fds-idle-before.txt" 2>&1 || true
echo "== soak: SBC $SBC_BINARY on $SBC_IP (work dir $WORK), ${SOAK_SECONDS}s: churn $RATE calls/s (${CALL_MS} ms each;" \
     "capacity ${CAPACITY}/s), $MEDIA_CALLS RTP calls ($MEDIA_RATE/s, ${MEDIA_HOLD_S}s each), carrier A 503 on ${FAIL_PCT}%," \
     "a failover every ${FAILOVER_EVERY}s held ${FAILOVER_HOLD}s; idle: ${FDS_IDLE_BEFORE} fds, ${RSS_IDLE_BEFORE} MB"

# ---------------------------------------------------------------- load
LOAD_START=$SECONDS
(cd "$WORK" && exec sipp -sf "$SCEN/uac.xml" -i "$PLATFORM_IP" -p 5060 \
    -mi "$PLATFORM_IP" -mp 16000 -t u1 -nostdin -buff_size "$BUFF" -s +15551230000 -r "$RATE" \
    -m $((RATE * (SOAK_SECONDS + 60))) -l $((RATE * 4 + 100)) -d "$CALL_MS" -recv_timeout 8000 -timeout "$((SOAK_SECONDS + 120))s" \
    -trace_stat -stf "$WORK/churn.csv" -fd "$SAMPLE_SECONDS" -trace_err -error_file "$WORK/churn.errors.log" \
    "$SBC_IP:5060" >"$WORK/churn.out" 2>&1) &
UAC_PIDS="$UAC_PIDS $!"
(cd "$WORK" && exec sipp -sf "$WORK/uac_rtp.xml" -i "$PLATFORM_IP" -p 5062 \
    -mi "$PLATFORM_IP" -mp 18000 -t u1 -nostdin -buff_size "$BUFF" -s +15551230001 -r "$MEDIA_RATE" \
    -m $((MEDIA_RATE * (SOAK_SECONDS + 60))) -l $((MEDIA_CALLS * 2 + 10)) -recv_timeout 8000 -timeout "$((SOAK_SECONDS + 120))s" \
    -trace_stat -stf "$WORK/rtp.csv" -fd "$SAMPLE_SECONDS" -trace_err -error_file "$WORK/rtp.errors.log" \
    "$SBC_IP:5060" >"$WORK/rtp.out" 2>&1) &
UAC_PIDS="$UAC_PIDS $!"

printf '%8s %9s %7s %7s %11s %8s %10s %7s\n' t rss_MB fds calls answered failed failovers lag_ms
: > "$WORK/samples.tsv"
EVENTS=0; EVENT_ERRORS=0; KIND=0; RESTORE_AT=""; NEXT_EVENT=$FAILOVER_EVERY; NEXT_SAMPLE=$SAMPLE_SECONDS
RSS_BASE=""; FDS_BASE=""
while :; do
    t=$((SECONDS - LOAD_START))
    [ "$t" -gt "$SOAK_SECONDS" ] && break
    alive || break
    if [ -n "$RESTORE_AT" ] && [ "$t" -ge "$RESTORE_AT" ]; then
        if [ $((KIND % 2)) = 0 ]; then action=unlock; status=$(api trunks/carrier-a/unlock "soak: lock over");
        else action=failback; status=$(api trunk-groups/pstn-out/failback "soak: failback"); fi
        echo "soak-event: t=$t action=$action status=$status"
        [ "$status" = 200 ] || EVENT_ERRORS=$((EVENT_ERRORS + 1))
        KIND=$((KIND + 1)); RESTORE_AT=""
    fi
    if [ -z "$RESTORE_AT" ] && [ "$t" -ge "$NEXT_EVENT" ]; then
        if [ $((KIND % 2)) = 0 ]; then action=lock; status=$(api trunks/carrier-a/lock "soak: periodic lock");
        else action=failover; status=$(api trunk-groups/pstn-out/failover "soak: periodic failover"); fi
        echo "soak-event: t=$t action=$action status=$status"
        [ "$status" = 200 ] && EVENTS=$((EVENTS + 1)) || EVENT_ERRORS=$((EVENT_ERRORS + 1))
        RESTORE_AT=$((t + FAILOVER_HOLD)); NEXT_EVENT=$((NEXT_EVENT + FAILOVER_EVERY))
    fi
    if [ "$t" -ge "$NEXT_SAMPLE" ]; then
        NEXT_SAMPLE=$((NEXT_SAMPLE + SAMPLE_SECONDS))
        scrape
        rss=$(rss_mb); nfds=$(fds); calls=$(metric sbc_active_calls)
        ok=$(( $(bench_stat_col "$WORK/churn.csv" "SuccessfulCall(C)") + $(bench_stat_col "$WORK/rtp.csv" "SuccessfulCall(C)") ))
        failed=$(( $(bench_stat_col "$WORK/churn.csv" "FailedCall(C)") + $(bench_stat_col "$WORK/rtp.csv" "FailedCall(C)") ))
        failovers=$(metric sbc_failovers_total); relayed=$(metric 'sbc_media_packets_total{outcome="relayed"}')
        lag=$(awk '$1 == "sbc_loop_lag_seconds" { printf "%d", $2 * 1000 }' <<<"$METRICS")
        if [ -z "$RSS_BASE" ] && [ "$t" -ge "$WARMUP_SECONDS" ]; then RSS_BASE=$rss; FDS_BASE=$nfds; fi
        growth=""
        [ -n "$RSS_BASE" ] && growth=" d_rss_mb=$(awk -v a="$rss" -v b="$RSS_BASE" 'BEGIN { printf "%.1f", a - b }') d_fds=$((nfds - FDS_BASE))"
        printf '%8s %9s %7s %7s %11s %8s %10s %7s\n' "$t" "$rss" "$nfds" "$calls" "$ok" "$failed" "$failovers" "${lag:-0}"
        echo "soak: t=$t rss_mb=$rss fds=$nfds calls=$calls answered=$ok failed=$failed failovers=$failovers relayed_pkts=$relayed lag_ms=${lag:-0}$growth"
        printf '%s\t%s\t%s\t%s\n' "$t" "$rss" "$nfds" "$calls" >> "$WORK/samples.tsv"
    fi
    sleep 1
done
# The last failover is undone before the load stops, so the idle figures see the normal state.
if [ -n "$RESTORE_AT" ]; then
    if [ $((KIND % 2)) = 0 ]; then status=$(api trunks/carrier-a/unlock "soak: end"); else status=$(api trunk-groups/pstn-out/failback "soak: end"); fi
    echo "soak-event: t=$((SECONDS - LOAD_START)) action=restore status=$status"
fi
# SIGUSR1: SIPp stops placing calls and lets the running ones finish (bounded).
for pid in $UAC_PIDS; do kill -USR1 "$pid" 2>/dev/null || true; done
for pid in $UAC_PIDS; do
    for _ in $(seq 1 300); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    stop_pid "$pid" 3
done
UAC_PIDS=""
CALLS_OK=$(( $(bench_stat_col "$WORK/churn.csv" "SuccessfulCall(C)") + $(bench_stat_col "$WORK/rtp.csv" "SuccessfulCall(C)") ))
CALLS_FAILED=$(( $(bench_stat_col "$WORK/churn.csv" "FailedCall(C)") + $(bench_stat_col "$WORK/rtp.csv" "FailedCall(C)") ))

# ---------------------------------------------------------------- idle again
ALIVE=0; alive && ALIVE=1
if [ "$ALIVE" = 1 ]; then
    sleep "$DRAIN_SECONDS"
    scrape
fi
FDS_IDLE_AFTER=$(fds); RSS_IDLE_AFTER=$(rss_mb); ALIVE=0; alive && ALIVE=1
ls -l "/proc/$SBC_PID/fd" > "$WORK/fds-idle-after.txt" 2>&1 || true   # what a leak would be (KEEP_WORKDIR=1)
FD_LEAK=0; [ "$FDS_IDLE_AFTER" -gt $((FDS_IDLE_BEFORE + 2)) ] && FD_LEAK=1
# Growth under load: from the first sample after the warm-up to the last, and the least-squares
# slope over those samples (per hour).
read -r RSS_START RSS_END RSS_MAX RSS_SLOPE FDS_START FDS_END FDS_MAX FDS_SLOPE < <(awk -F'\t' -v w="$WARMUP_SECONDS" '
    $1 >= w { n++; t[n] = $1; r[n] = $2; f[n] = $3; if ($2 > rmax) rmax = $2; if ($3 > fmax) fmax = $3 }
    END {
        if (n == 0) { print "0 0 0 0 0 0 0 0"; exit }
        for (i = 1; i <= n; i++) { st += t[i]; sr += r[i]; sf += f[i] }
        mt = st / n; mr = sr / n; mf = sf / n
        for (i = 1; i <= n; i++) { vt += (t[i] - mt) ^ 2; cr += (t[i] - mt) * (r[i] - mr); cf += (t[i] - mt) * (f[i] - mf) }
        rs = vt > 0 ? cr / vt * 3600 : 0; fs = vt > 0 ? cf / vt * 3600 : 0
        printf "%.1f %.1f %.1f %.1f %d %d %d %.0f\n", r[1], r[n], rmax, rs, f[1], f[n], fmax, fs
    }' "$WORK/samples.tsv")
echo
echo "== soak over: $CALLS_OK calls completed, $CALLS_FAILED failed, $EVENTS failover events ($EVENT_ERRORS API errors)"
echo "   RSS under load: $RSS_START MB after the warm-up -> $RSS_END MB at the end (max $RSS_MAX MB, slope $RSS_SLOPE MB/h)"
echo "   descriptors under load: $FDS_START -> $FDS_END (max $FDS_MAX, slope $FDS_SLOPE /h); idle: $FDS_IDLE_BEFORE before, $FDS_IDLE_AFTER after (RSS $RSS_IDLE_BEFORE -> $RSS_IDLE_AFTER MB)"
echo "soak-summary: seconds=$SOAK_SECONDS rate=$RATE media_calls=$MEDIA_CALLS calls_ok=$CALLS_OK calls_failed=$CALLS_FAILED" \
     "failovers=$(metric sbc_failovers_total) failover_events=$EVENTS event_errors=$EVENT_ERRORS" \
     "rss_start_mb=$RSS_START rss_end_mb=$RSS_END rss_max_mb=$RSS_MAX" \
     "rss_growth_mb=$(awk -v a="$RSS_END" -v b="$RSS_START" 'BEGIN { printf "%.1f", a - b }') rss_slope_mb_per_h=$RSS_SLOPE" \
     "fds_start=$FDS_START fds_end=$FDS_END fds_max=$FDS_MAX fds_slope_per_h=$FDS_SLOPE" \
     "fds_idle_before=$FDS_IDLE_BEFORE fds_idle_after=$FDS_IDLE_AFTER rss_idle_before_mb=$RSS_IDLE_BEFORE rss_idle_after_mb=$RSS_IDLE_AFTER" \
     "fd_leak=$FD_LEAK media_timeouts=$(metric sbc_media_timeouts_total) overload_rejected=$(metric sbc_overload_rejected_total)" \
     "sbc_alive=$ALIVE"
[ "$ALIVE" = 1 ] || { tail -20 "$WORK/sbc.log" >&2; die "the SBC died"; }
