#!/usr/bin/env bash
# Per-call failover cost: runs bench/cps.sh twice in one go on the same binary, plain calls and
# then calls whose primary carrier answers 503 (every call fails over to the secondary), and
# prints CPU per call for both, their ratio, and the SBC's own failover latency (p50/p99).
# Compare with Kamailio's dispatcher failover: ~570 us CPU per call, 1,750 calls/s
# (../shared/peers/README.md). Same environment variables as cps.sh; HOLD_CALLS defaults to 0.
set -euo pipefail
cd "$(dirname "$0")/.."
if [ -z "${SBC_BINARY:-}" ]; then
    swift build -c release --product sbc >&2
    SBC_BINARY="$(swift build -c release --show-bin-path)/sbc"
fi
export SBC_BINARY HOLD_CALLS="${HOLD_CALLS:-0}"
plain=$(mktemp); failover=$(mktemp)
trap 'rm -f "$plain" "$failover"' EXIT
echo "== plain calls"; bench/cps.sh | tee "$plain"
echo; echo "== every call fails over (carrier A answers 503)"; FAILOVER=1 bench/cps.sh | tee "$failover"
us() { sed -n 's/.*CPU per call there *: \([0-9]*\) us.*/\1/p' "$1" | tail -1; }
rate() { sed -n 's/.*highest healthy rate : \([0-9]*\) calls.*/\1/p' "$1" | tail -1; }
echo
echo "== failover summary"
echo "   plain    : $(rate "$plain") calls/s, $(us "$plain") us CPU per call"
echo "   failover : $(rate "$failover") calls/s, $(us "$failover") us CPU per call (Kamailio dispatcher: ~570 us, 1,750 calls/s)"
if [ -n "$(us "$plain")" ] && [ -n "$(us "$failover")" ]; then
    awk -v a="$(us "$plain")" -v b="$(us "$failover")" 'BEGIN { printf "   failover / plain CPU per call: %.2fx\n", b / a }'
fi
grep -h "failover latency" "$failover" | tail -1 || echo "   (no failover latency logged)"
