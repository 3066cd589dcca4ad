#!/usr/bin/env bash
# Concurrency on one node (issue 15): the SBC, media anchored, holds CALLS established calls at
# once, most of them silent, as a contact center's node does between bursts of speech. It prints
# the RSS per established call (RSS with CALLS up minus the idle RSS, over CALLS), the setup rate
# it achieved, the relay's and the signalling thread's CPU per second while the calls are held and
# only RTP_CALLS of them carry RTP, and the open descriptors.
#
# Load: SIPp plays the platform twice on .10: RTP_CALLS calls (scenarios/uac_rtp.xml, SIPp's G.711
# sample played back to back, echoed by the carriers through the relay: 50 packets/s each way per
# call) set up first, then CALLS - RTP_CALLS silent calls (scenarios/uac.xml) at RATE calls/s. Each
# call stays up until every call is established and HOLD_SECONDS have passed, then all end (BYE) at
# the rate they were set up. Carriers A and B (.11, .12) are SIPp UASs with -rtp_echo, probed as in
# the lab (bench_two_carrier_config); calls go to A.
#
# Overload admission is off (`overload: {enabled: false}`): the offered rate is the bench's own, and
# on a busy host (a debug build, the test suite's other benches) a lag-refused call would only make
# the held count fall short. Media timeouts are off (`timeout_s: 0`): a silent call is the point
# here, not a dead one. The relay's port range (SBC_PORT_MIN-SBC_PORT_MAX, default 16000-59999:
# 11,000 calls) overlaps Linux's ephemeral range, which is harmless on a loopback address of the
# bench's own (a bound port conflicts only on the same address); a production node sized like this
# moves the ephemeral range first (docs/MEDIA.md, "Port range and capacity"). Four sockets a call
# need more descriptors than a shell's usual limit: the SBC starts with RLIMIT_NOFILE raised to
# NOFILE (needs root with CAP_SYS_RESOURCE, or a hard limit already that high) and raises its soft
# limit to the hard one itself; where that falls short, the run holds what fits (limited_by=nofile).
#
# Environment: CALLS (10000; QUICK 100), RATE (setup calls/s, 500; QUICK 50), RTP_CALLS (CALLS/100,
# at least 1; QUICK 5), HOLD_SECONDS (20; QUICK 3), SBC_PORT_MIN/MAX (16000/59999),
# SBC_MEDIA_WORKERS (1), SBC_MEDIA (1; 0: `media: {enabled: false}`, the signalling share of the
# memory, SDP and RTP passing end to end), NOFILE (65536), PEERS_NICE (5; QUICK 15), SBC_NICE (0;
# QUICK 10), BENCH_BLOCK (88, the SBC on 127.0.N.1; the test suite's quick run uses 89),
# BENCH_TIMEOUT (whole run; default 2 x CALLS / RATE + HOLD_SECONDS + 120 s), SBC_BINARY (default:
# a release build), KEEP_WORKDIR=1, QUICK=1, MEM_DETAIL=1 (smaps idle and full kept in WORK, and
# a concurrent-smaps: line with the RSS growth per call by kind of mapping).
#
# Machine-readable lines (their format; the values shown are illustrative, bench/README.md has measured ones):
#   concurrent-setup: media=1 calls=10000 requested=10000 limited_by=none nofile=65536 established=10000 failed=0 setup_s=21.5 setup_rate=465 setup_cpu_us_per_call=1100
#   concurrent-hold: seconds=20.1 calls=10000 calls_end=10000 rtp_calls=100 relayed_pps=6600 relay_cpu_pct=15.5 signalling_cpu_pct=0.6 sbc_cpu_pct=16.1 other_cpu_pct=0.0
#   concurrent-memory: rss_idle_mb=47.8 rss_mb=350.0 rss_hold_end_mb=350.0 rss_per_call_kib=31.0 rss_target_kib=10 fds_idle=35 fds=40035 fds_per_call=4.0
#   concurrent-summary: calls=10000 requested=10000 limited_by=none established=10000 failed=0 rss_per_call_kib=31.0 rss_mb=350.0 setup_rate=465 relay_cpu_pct=15.5 ended=10000 calls_after=0 sbc_alive=1
#   (limited_by=nofile and calls < requested: the descriptor limit set how many calls were held)
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO="$(cd "$HERE/.." && pwd)"
SCEN="$HERE/scenarios"
die() { echo "concurrent.sh: $*" >&2; exit 1; }
source "$REPO/bench/lib.sh"

if [ "${QUICK:-0}" = 1 ]; then
    # Light enough to run beside the suite's other quick benches: a debug build spends ~6 ms of CPU
    # per call set up with media.
    # Niced as a whole: beside the suite's timing-sensitive benches it only takes what they leave.
    CALLS="${CALLS:-100}"; RATE="${RATE:-50}"; RTP_CALLS="${RTP_CALLS:-5}"; HOLD_SECONDS="${HOLD_SECONDS:-3}"
    SBC_NICE="${SBC_NICE:-10}"; PEERS_NICE="${PEERS_NICE:-15}"
fi
CALLS="${CALLS:-10000}"
RATE="${RATE:-500}"
RTP_CALLS="${RTP_CALLS:-$(( CALLS / 100 > 0 ? CALLS / 100 : 1 ))}"
HOLD_SECONDS="${HOLD_SECONDS:-20}"
SBC_PORT_MIN="${SBC_PORT_MIN:-16000}"
SBC_PORT_MAX="${SBC_PORT_MAX:-59999}"
SBC_MEDIA_WORKERS="${SBC_MEDIA_WORKERS:-1}"
NOFILE="${NOFILE:-65536}"
SBC_MEDIA="${SBC_MEDIA:-1}"
PEERS_NICE="${PEERS_NICE:-5}"
SBC_NICE="${SBC_NICE:-0}"
BLOCK="${BENCH_BLOCK:-88}"
[ "$CALLS" -gt "$RTP_CALLS" ] && [ "$RTP_CALLS" -gt 0 ] && [ "$RATE" -gt 0 ] || die "need CALLS > RTP_CALLS > 0 and RATE > 0"
SILENT_CALLS=$((CALLS - RTP_CALLS))
RAMP_S=$(( (CALLS + RATE - 1) / RATE ))
BENCH_TIMEOUT="${BENCH_TIMEOUT:-$((2 * RAMP_S + HOLD_SECONDS + 120))}"
SBC_IP="127.0.$BLOCK.1"; PLATFORM_IP="127.0.$BLOCK.10"; CARRIER_A="127.0.$BLOCK.11"; CARRIER_B="127.0.$BLOCK.12"
ADMIN="$SBC_IP:8080"
BUFF=8388608
CLK_TCK="$(getconf CLK_TCK)"
PLAY_MS=7100                 # SIPp's g711a.pcap lasts 7.05 s
export CONCURRENT_BENCH_TOKEN="concurrent-bench-$$-$RANDOM"
command -v sipp >/dev/null || die "sipp not found on PATH (Debian package sip-tester)"
command -v curl >/dev/null || die "curl not found"
[ -r /usr/share/sip-tester/g711a.pcap ] || die "/usr/share/sip-tester/g711a.pcap missing (Debian package sip-tester)"
ports=$((SBC_PORT_MAX - SBC_PORT_MIN + 1))
[ "$SBC_MEDIA" != 1 ] || [ $((ports / 4)) -ge "$CALLS" ] || die "SBC_PORT_MIN-SBC_PORT_MAX ($ports ports) carries $((ports / 4)) calls, fewer than CALLS=$CALLS"
START_TIME=$SECONDS
bench_sbc_binary

bench_start_run concurrent   # WORK, the traps that stop what it starts, the BENCH_TIMEOUT watchdog

if [ "$SBC_MEDIA" = 1 ]; then
    MEDIA_SECTION="media:
  port_min: $SBC_PORT_MIN
  port_max: $SBC_PORT_MAX
  workers: $SBC_MEDIA_WORKERS
  timeout_s: 0
  port_reuse_delay_s: 10"
else
    MEDIA_SECTION="media: {enabled: false}"
fi
{
    bench_two_carrier_config bench-concurrent "$WORK/state" "$SBC_IP" "$PLATFORM_IP" "$CARRIER_A" "$CARRIER_B" 10
    cat <<EOF
$MEDIA_SECTION
overload: {enabled: false}
admin: {listen: "$ADMIN", tokens: [{name: bench, env: CONCURRENT_BENCH_TOKEN, scopes: [metrics:read]}]}
shutdown: {drain_s: 1}
logging: {level: notice, format: json}
EOF
} > "$WORK/sbc.yaml"
"$SBC_BINARY" check-config "$WORK/sbc.yaml" >/dev/null || die "sbc check-config refused the bench config ($WORK/sbc.yaml)"

METRICS=""
scrape() { METRICS="$(curl -s --max-time 3 -H "Authorization: Bearer $CONCURRENT_BENCH_TOKEN" "http://$ADMIN/metrics" || true)"; }
metric() { # metric PREFIX: sum of the series of the last scrape that start with PREFIX
    awk -v m="$1" 'index($0, m) == 1 { s += $NF } END { printf "%d", s + 0 }' <<<"$METRICS"
}
rss_kib() { awk '$1 == "VmRSS:" { print $2 }' "/proc/$SBC_PID/status" 2>/dev/null || echo 0; }
fds() { local n; n=$(ls "/proc/$SBC_PID/fd" 2>/dev/null | wc -l) || n=0; echo "$n"; }
alive() { kill -0 "$SBC_PID" 2>/dev/null; }
# CPU ticks of the SBC's threads by role: "relay signalling other" (the relay names its workers
# media-N and its SRTP set-up thread srtp-setup; the signalling loop is the process's main thread,
# whose TID is the PID; everything else: store writers, the admin API).
thread_ticks() {
    local task comm stat
    for task in /proc/"$SBC_PID"/task/*; do
        comm=$(cat "$task/comm" 2>/dev/null) || continue
        stat=$(cat "$task/stat" 2>/dev/null) || continue
        printf '%s %s %s\n' "${task##*/}" "$comm" "$(sed 's/^.*) //' <<<"$stat" | awk '{ print $12 + $13 }')"
    done | awk -v pid="$SBC_PID" '
        $2 ~ /media|relay|srtp/ { relay += $3; next }
        $1 == pid { sig += $3; next }
        { other += $3 }
        END { printf "%d %d %d\n", relay, sig, other }'
}
# smaps_breakdown FILE: RSS (KiB) of the SBC's mappings by kind, from a copy of /proc/PID/smaps:
# heap ([heap], the main arena: the signalling thread's malloc), stack, file (the binary and
# libraries), anon (every other anonymous mapping: other threads' malloc arenas, thread stacks,
# large allocations malloc maps on their own). MEM_DETAIL=1 keeps the copies in WORK and prints
# the growth by kind (concurrent-smaps:), the slope this bench is about, not the intercept.
smaps_breakdown() {
    awk '/^[0-9a-f]+-[0-9a-f]+ / { name = $6; kind = (name == "[heap]") ? "heap" : (name == "[stack]") ? "stack" : (name ~ /^\//) ? "file" : "anon" }
         $1 == "Rss:" { r[kind] += $2 }
         END { printf "heap=%d anon=%d file=%d stack=%d\n", r["heap"], r["anon"], r["file"], r["stack"] }' "$1"
}
pct() { awk -v a="$1" -v b="$2" -v hz="$CLK_TCK" -v s="$3" 'BEGIN { printf "%.1f", (s > 0 ? 100 * (b - a) / hz / s : 0) }'; }

# ---------------------------------------------------------------- peers and the SBC
for peer in "$CARRIER_A" "$CARRIER_B"; do
    (cd "$WORK" && exec nice -n "$PEERS_NICE" sipp -sf "$SCEN/uas.xml" -i "$peer" -p 5060 -mi "$peer" -t u1 -aa -rtp_echo \
        -nostdin -buff_size "$BUFF" >"$WORK/uas-$peer.out" 2>&1) &
    PEER_PIDS="$PEER_PIDS $!"
done
# The open-file limit for the SBC alone (a subshell): four sockets a call.
(
    ulimit -Hn "$NOFILE" 2>/dev/null || true
    ulimit -Sn "$NOFILE" 2>/dev/null || true
    exec nice -n "$SBC_NICE" "$SBC_BINARY" run --config "$WORK/sbc.yaml" >"$WORK/sbc.out" 2>"$WORK/sbc.log"
) &
SBC_PID=$!
bench_wait_admin "$SBC_PID" "$ADMIN" "$WORK/sbc.log"
NOFILE_SBC=$(awk '$1 == "Max" && $2 == "open" { print $4 }' "/proc/$SBC_PID/limits")
sleep 3   # carriers probed up
RSS_IDLE=$(rss_kib); FDS_IDLE=$(fds)
[ "${MEM_DETAIL:-0}" != 1 ] || cp "/proc/$SBC_PID/smaps" "$WORK/smaps-idle" 2>/dev/null || true
# Four descriptors a call: where the SBC may not open that many (the hard limit could not be
# raised: no CAP_SYS_RESOURCE), the run holds what fits and says so, rather than failing calls.
REQUESTED=$CALLS; LIMITED_BY=none
FIT=$(( (NOFILE_SBC - FDS_IDLE - 64) / 4 ))
if [ "$SBC_MEDIA" = 1 ] && [ "$FIT" -lt "$CALLS" ]; then
    echo "concurrent.sh: the SBC may open $NOFILE_SBC files (RLIMIT_NOFILE; raising the hard limit needs root with" \
         "CAP_SYS_RESOURCE): $FIT calls of 4 sockets fit, not $CALLS; holding $FIT" >&2
    CALLS=$FIT; LIMITED_BY=nofile
    [ "$RTP_CALLS" -lt "$CALLS" ] || RTP_CALLS=$(( CALLS / 100 > 0 ? CALLS / 100 : 1 ))
    SILENT_CALLS=$((CALLS - RTP_CALLS)); RAMP_S=$(( (CALLS + RATE - 1) / RATE ))
fi
# Every call stays up until all are established and the hold is over: the last silent call
# starts about RAMP_S after the first, so each pauses RAMP_S + HOLD_SECONDS + a margin.
MARGIN_S=$(( RAMP_S + 10 ))   # slack for a slow setup (a debug build, a busy host)
HOLD_MS=$(( (RAMP_S + HOLD_SECONDS + MARGIN_S) * 1000 ))
PLAYS=$(( (RAMP_S + HOLD_SECONDS + MARGIN_S) * 1000 / PLAY_MS + 2 ))
RTP_RATE=$(( RTP_CALLS < RATE ? RTP_CALLS : RATE ))
sed -e "s/@PLAYS@/$PLAYS/g" -e "s/@PLAY_MS@/$PLAY_MS/g" "$SCEN/uac_rtp.xml" > "$WORK/uac_rtp.xml"
cp /usr/share/sip-tester/g711a.pcap "$WORK/"

echo "== concurrent: SBC $SBC_BINARY on $SBC_IP (work dir $WORK): $CALLS calls ($RTP_CALLS with RTP) at $RATE/s," \
     "held ${HOLD_SECONDS}s; ports $SBC_PORT_MIN-$SBC_PORT_MAX, $SBC_MEDIA_WORKERS media worker(s), open files $NOFILE_SBC;" \
     "idle: $((RSS_IDLE / 1024)) MB, $FDS_IDLE fds"

# ---------------------------------------------------------------- setup
read -r R0 S0 O0 < <(thread_ticks)
T0=$(date +%s.%N)
(cd "$WORK" && exec nice -n "$PEERS_NICE" sipp -sf "$WORK/uac_rtp.xml" -i "$PLATFORM_IP" -p 5062 -mi "$PLATFORM_IP" -mp 18000 \
    -t u1 -nostdin -buff_size "$BUFF" -s +15551230001 -r "$RTP_RATE" -m "$RTP_CALLS" -l $((RTP_CALLS + 10)) \
    -recv_timeout 8000 -timeout "$((BENCH_TIMEOUT))s" -trace_stat -stf "$WORK/rtp.csv" -fd 1 \
    -trace_err -error_file "$WORK/rtp.errors.log" "$SBC_IP:5060" >"$WORK/rtp.out" 2>&1) &
UAC_PIDS="$UAC_PIDS $!"
(cd "$WORK" && exec nice -n "$PEERS_NICE" sipp -sf "$SCEN/uac.xml" -i "$PLATFORM_IP" -p 5060 -mi "$PLATFORM_IP" -mp 16000 \
    -t u1 -nostdin -buff_size "$BUFF" -s +15551230000 -r "$RATE" -m "$SILENT_CALLS" -l $((SILENT_CALLS + 10)) \
    -d "$HOLD_MS" -recv_timeout 8000 -timeout "$((BENCH_TIMEOUT))s" -trace_stat -stf "$WORK/silent.csv" -fd 1 \
    -trace_err -error_file "$WORK/silent.errors.log" "$SBC_IP:5060" >"$WORK/silent.out" 2>&1) &
UAC_PIDS="$UAC_PIDS $!"

# Established calls: the SBC's own count (sbc_active_calls: established or ringing; on loopback the
# ringing share is a handful). Polled until every call is up or the ramp's deadline.
DEADLINE=$(( SECONDS + RAMP_S * 2 + 20 ))
ESTABLISHED=0; SETUP_S=0
while [ "$SECONDS" -lt "$DEADLINE" ]; do
    alive || break
    scrape
    ESTABLISHED=$(metric sbc_active_calls)
    [ "$ESTABLISHED" -ge "$CALLS" ] && break
    failed=$(( $(bench_stat_col "$WORK/silent.csv" "FailedCall(C)") + $(bench_stat_col "$WORK/rtp.csv" "FailedCall(C)") ))
    [ $((ESTABLISHED + failed)) -ge "$CALLS" ] && break
    sleep 0.2
done
T1=$(date +%s.%N)
read -r R1 S1 O1 < <(thread_ticks)
SETUP_S=$(awk -v a="$T0" -v b="$T1" 'BEGIN { printf "%.1f", b - a }')
SETUP_RATE=$(awk -v n="$ESTABLISHED" -v s="$SETUP_S" 'BEGIN { printf "%d", (s > 0 ? n / s : 0) }')
SETUP_US=$(awk -v t=$(( (R1 + S1 + O1) - (R0 + S0 + O0) )) -v hz="$CLK_TCK" -v n="$ESTABLISHED" \
    'BEGIN { printf "%d", (n > 0 ? t / hz * 1e6 / n : 0) }')
FAILED_SETUP=$(( $(bench_stat_col "$WORK/silent.csv" "FailedCall(C)") + $(bench_stat_col "$WORK/rtp.csv" "FailedCall(C)") ))
echo "concurrent-setup: media=$SBC_MEDIA calls=$CALLS requested=$REQUESTED limited_by=$LIMITED_BY nofile=$NOFILE_SBC established=$ESTABLISHED failed=$FAILED_SETUP setup_s=$SETUP_S setup_rate=$SETUP_RATE setup_cpu_us_per_call=$SETUP_US"

# ---------------------------------------------------------------- hold
sleep 1   # the last ACKs and the store's writes settle
RSS_FULL=$(rss_kib); FDS_FULL=$(fds)
[ "${MEM_DETAIL:-0}" != 1 ] || cp "/proc/$SBC_PID/smaps" "$WORK/smaps-full" 2>/dev/null || true
scrape; HELD=$(metric sbc_active_calls); P0=$(metric 'sbc_media_packets_total{outcome="relayed"}')
read -r R0 S0 O0 < <(thread_ticks); T0=$(date +%s.%N)
HOLD_END=$(( SECONDS + HOLD_SECONDS ))
while [ "$SECONDS" -lt "$HOLD_END" ] && alive; do sleep 1; done
read -r R1 S1 O1 < <(thread_ticks); T1=$(date +%s.%N)
scrape; P1=$(metric 'sbc_media_packets_total{outcome="relayed"}'); HELD_END=$(metric sbc_active_calls)
RSS_HOLD=$(rss_kib)
WALL=$(awk -v a="$T0" -v b="$T1" 'BEGIN { printf "%.2f", b - a }')
PPS=$(awk -v a="$P0" -v b="$P1" -v s="$WALL" 'BEGIN { printf "%d", (s > 0 ? (b - a) / s : 0) }')
echo "concurrent-hold: seconds=$WALL calls=$HELD calls_end=$HELD_END rtp_calls=$RTP_CALLS relayed_pps=$PPS" \
     "relay_cpu_pct=$(pct "$R0" "$R1" "$WALL") signalling_cpu_pct=$(pct "$S0" "$S1" "$WALL")" \
     "sbc_cpu_pct=$(pct $((R0 + S0 + O0)) $((R1 + S1 + O1)) "$WALL") other_cpu_pct=$(pct "$O0" "$O1" "$WALL")"
RELAY_PCT=$(pct "$R0" "$R1" "$WALL")
PER_CALL=$(awk -v a="$RSS_IDLE" -v b="$RSS_FULL" -v n="$HELD" 'BEGIN { printf "%.1f", (n > 0 ? (b - a) / n : 0) }')
echo "concurrent-memory: rss_idle_mb=$(awk -v k="$RSS_IDLE" 'BEGIN { printf "%.1f", k / 1024 }')" \
     "rss_mb=$(awk -v k="$RSS_FULL" 'BEGIN { printf "%.1f", k / 1024 }')" \
     "rss_hold_end_mb=$(awk -v k="$RSS_HOLD" 'BEGIN { printf "%.1f", k / 1024 }') rss_per_call_kib=$PER_CALL rss_target_kib=10" \
     "fds_idle=$FDS_IDLE fds=$FDS_FULL fds_per_call=$(awk -v a="$FDS_IDLE" -v b="$FDS_FULL" -v n="$HELD" 'BEGIN { printf "%.1f", (n > 0 ? (b - a) / n : 0) }')"

if [ "${MEM_DETAIL:-0}" = 1 ] && [ -s "$WORK/smaps-idle" ] && [ -s "$WORK/smaps-full" ]; then
    read -r IDLE_KINDS < <(smaps_breakdown "$WORK/smaps-idle"); read -r FULL_KINDS < <(smaps_breakdown "$WORK/smaps-full")
    awk -v a="$IDLE_KINDS" -v b="$FULL_KINDS" -v n="$HELD" 'BEGIN {
        split(a, x, /[ =]/); split(b, y, /[ =]/); line = "concurrent-smaps:"
        for (i = 1; i < 8; i += 2) line = line sprintf(" %s_kib=%d->%d %s_b_per_call=%d", x[i], x[i+1], y[i+1], x[i], (n > 0 ? (y[i+1] - x[i+1]) * 1024 / n : 0))
        print line }'
fi

# ---------------------------------------------------------------- teardown
# The calls end by themselves (their pause is over); SIGUSR1 makes SIPp start no new call.
for pid in $UAC_PIDS; do kill -USR1 "$pid" 2>/dev/null || true; done
END_DEADLINE=$(( SECONDS + RAMP_S * 2 + MARGIN_S + 30 ))
for pid in $UAC_PIDS; do
    while kill -0 "$pid" 2>/dev/null && [ "$SECONDS" -lt "$END_DEADLINE" ]; do sleep 0.5; done
    stop_pid "$pid" 3
done
UAC_PIDS=""
ENDED=$(( $(bench_stat_col "$WORK/silent.csv" "SuccessfulCall(C)") + $(bench_stat_col "$WORK/rtp.csv" "SuccessfulCall(C)") ))
FAILED=$(( $(bench_stat_col "$WORK/silent.csv" "FailedCall(C)") + $(bench_stat_col "$WORK/rtp.csv" "FailedCall(C)") ))
sleep 2
scrape; CALLS_AFTER=$(metric sbc_active_calls)
ALIVE=0; alive && ALIVE=1
echo "   setup: $ESTABLISHED of $CALLS calls up in ${SETUP_S}s ($SETUP_RATE/s, $SETUP_US us CPU per call), $FAILED_SETUP failed"
echo "   held : RSS $((RSS_IDLE / 1024)) MB idle -> $((RSS_FULL / 1024)) MB with $HELD calls = $PER_CALL KiB per call (target 10);" \
     "$FDS_FULL fds; relay ${RELAY_PCT}% CPU for $PPS packets/s"
echo "   end  : $ENDED calls completed, $FAILED failed, $CALLS_AFTER calls left in the SBC"
echo "concurrent-summary: calls=$CALLS requested=$REQUESTED limited_by=$LIMITED_BY established=$ESTABLISHED failed=$FAILED rss_per_call_kib=$PER_CALL" \
     "rss_mb=$(awk -v k="$RSS_FULL" 'BEGIN { printf "%.1f", k / 1024 }') setup_rate=$SETUP_RATE relay_cpu_pct=$RELAY_PCT" \
     "ended=$ENDED calls_after=$CALLS_AFTER sbc_alive=$ALIVE"
[ "$ALIVE" = 1 ] || { tail -20 "$WORK/sbc.log" >&2; die "the SBC died"; }
