#!/usr/bin/env bash
# Per-call failover cost, SwiftSBC and Kamailio in the same run: runs bench/cps.sh twice on the
# same binary, plain calls and then calls whose primary carrier answers 503 (every call fails over
# to the secondary; Kamailio: dispatcher set 1 with ds_next_dst), and prints for every server CPU
# per call and highest healthy rate in both, their failover / plain ratio, the SBC / Kamailio
# ratios under failover, and the SBC's own failover latency (503 in -> INVITE out) per rate.
# Same environment variables as cps.sh (SERVERS, RATES, QUICK=1, BENCH_BLOCK, ...); here
# TRANSPORTS defaults to udp and HOLD_CALLS to 0. Bounded: each cps.sh run bounds itself
# (BENCH_TIMEOUT each) and stops what it started.
#
# Machine-readable lines (besides cps.sh's own, which pass through):
#   failover: server=sbc plain_rate=3000 plain_us=300 failover_rate=2500 failover_us=350 cost_ratio=1.17
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO="$(cd "$HERE/.." && pwd)"
die() { echo "failover.sh: $*" >&2; exit 1; }
source "$REPO/bench/lib.sh"
bench_sbc_binary
export SBC_BINARY HOLD_CALLS="${HOLD_CALLS:-0}" TRANSPORTS="${TRANSPORTS:-udp}"
plain=$(mktemp); failover=$(mktemp)
trap 'rm -f "$plain" "$failover"' EXIT
echo "== plain calls"
FAILOVER=0 "$HERE/cps.sh" | tee "$plain"
echo
echo "== every call fails over (carrier A answers 503)"
FAILOVER=1 "$HERE/cps.sh" | tee "$failover"

# field FILE SERVER KEY: KEY of the first transport's `cps: server=SERVER` line
transport="${TRANSPORTS%% *}"
field() { sed -n "s/^cps: server=$2 transport=$transport .*$3=\([0-9.]*\).*/\1/p" "$1" | tail -1; }
echo
echo "== failover summary (platform over $transport; CPU per call at each server's highest healthy rate)"
printf '   %-14s %12s %12s %14s %14s %12s\n' server plain_rate plain_us failover_rate failover_us "failover/plain"
for s in $(sed -n "s/^cps: server=\([^ ]*\) transport=$transport .*/\1/p" "$failover"); do
    pr=$(field "$plain" "$s" best_rate); pu=$(field "$plain" "$s" us_per_call)
    fr=$(field "$failover" "$s" best_rate); fu=$(field "$failover" "$s" us_per_call)
    ratio=$(awk -v a="${pu:-0}" -v b="${fu:-0}" 'BEGIN { if (a > 0 && b > 0) printf "%.2f", b / a; else print "-" }')
    printf '   %-14s %12s %12s %14s %14s %12s\n' "$s" "${pr:-0}" "${pu:-0}" "${fr:-0}" "${fu:-0}" "${ratio}x"
    echo "failover: server=$s plain_rate=${pr:-0} plain_us=${pu:-0} failover_rate=${fr:-0} failover_us=${fu:-0} cost_ratio=$ratio"
done
sed -n "s/^cps-ratio: transport=$transport peer=\([^ ]*\) common_rate=\([0-9]*\) cpu_ratio=\([^ ]*\) .* rate_ratio=\([^ ]*\)$/   under failover, SBC \/ \1: CPU per call \3x at \2 calls\/s, highest healthy rate \4x (targets: <= 0.8x, >= 1.25x)/p" "$failover"
if grep -q '^cps-failover: ' "$failover"; then
    echo "   SBC failover latency (its own, 503 in -> INVITE out; target: p99 < 1 ms at 2,500 calls/s):"
    sed -n 's/^cps-failover: server=sbc transport=\([^ ]*\) rate=\([0-9]*\) failovers=\([0-9]*\) p50_us=\([^ ]*\) p99_us=\([^ ]*\) max_us=\([^ ]*\)$/     \1 \2 calls\/s: p50 \4 us, p99 \5 us, max \6 us (\3 failovers)/p' "$failover"
else
    echo "   (no SBC failover latency logged)"
fi
