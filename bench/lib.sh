# Shared by the bench scripts (sourced, not executed): building the SBC under test, stopping
# the processes a bench started, the CPU of a server and its children, the two-carrier SBC
# configuration and the frame (temp dir, traps, watchdog) of the benches that use it. Each script
# keeps its own load and figures.

# Sets SBC_BINARY to the release `sbc`, building it unless SBC_BINARY is already given.
# Needs REPO (the repository root) and the script's `die`.
bench_sbc_binary() {
    if [ -z "${SBC_BINARY:-}" ]; then
        echo "== building sbc (release)"
        (cd "$REPO" && swift build -c release --product sbc) >&2
        SBC_BINARY="$(cd "$REPO" && swift build -c release --show-bin-path)/sbc"
    fi
    [ -x "$SBC_BINARY" ] || die "sbc binary not executable: $SBC_BINARY"
}

# stop_pid PID [grace_s]: SIGTERM, wait up to grace_s, then SIGKILL. Only ever called with PIDs
# the bench itself started.
stop_pid() {
    local pid="$1" grace="${2:-5}" i
    [ -n "$pid" ] || return 0
    kill -0 "$pid" 2>/dev/null || { wait "$pid" 2>/dev/null || true; return 0; }
    kill -TERM "$pid" 2>/dev/null || true
    for ((i = 0; i < grace * 10; i++)); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -0 "$pid" 2>/dev/null && kill -KILL "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
}

# The parent of every process, "PID PPID utime+stime" per line, from one read of /proc/*/stat
# ("pid (comm) state ppid ...": comm may hold spaces and parentheses, so cut at the last ") ").
bench_proc_table() {
    { cat /proc/[0-9]*/stat 2>/dev/null || true; } |
        awk '{ pid = $1; sub(/^.*\) /, ""); print pid, $2, $12 + $13 }'
}

# bench_child_pids PID: the PIDs whose parent is PID (a forking server's workers).
bench_child_pids() {
    bench_proc_table | awk -v p="$1" '$2 == p { print $1 }'
}

# bench_tree_ticks PID: CPU time (utime + stime, all threads, clock ticks) of PID and all its
# descendants: the whole cost of a server that forks workers (Kamailio) or of one that does not.
bench_tree_ticks() {
    bench_proc_table | awk -v root="$1" '{ parent[$1] = $2; ticks[$1] = $3 }
        END { tree[root] = 1
              do { grown = 0; for (p in parent) if (!(p in tree) && (parent[p] in tree)) { tree[p] = 1; grown = 1 } } while (grown)
              for (p in tree) sum += ticks[p]; print sum + 0 }'
}

# bench_stat_col FILE COLUMN: the last row's value of a SIPp -trace_stat CSV column (0 when the
# file or the column is not there yet).
bench_stat_col() {
    [ -s "$1" ] || { echo 0; return; }
    awk -F';' -v c="$2" 'NR == 1 { for (i = 1; i <= NF; i++) if ($i == c) col = i; next }
                         { v = $col } END { print (v == "" ? 0 : v) + 0 }' "$1"
}

# bench_two_carrier_config NAME STATE_DIR SBC_IP PLATFORM_IP CARRIER_A CARRIER_B RECOVERY_HOLD_S [CARRIER_KEY]:
# prints the first sections of an SBC configuration for the lab's shape on one loopback block:
# the SBC's platform zone on SBC_IP:5060 and carrier zone on SBC_IP:5080, the platform trunk (not
# probed), carriers A and B (port 5060, probed every 1 s, down after 3 failures, as in the lab;
# CARRIER_KEY, e.g. "passive_failures: 0", is added to both), group pstn-out = [A, B] failing over
# on 503, timeout and transport errors, and the two routes. The caller appends its own overload,
# admin, media, shutdown and logging sections. One template, so the benches that need two carriers
# cannot drift apart in how they are set up.
bench_two_carrier_config() {
    local name="$1" state="$2" sbc="$3" platform="$4" carrier_a="$5" carrier_b="$6" hold="$7" extra="${8:-}"
    local carrier_key=""
    [ -n "$extra" ] && carrier_key="
    $extra"
    cat <<EOT
node: {name: $name, state_dir: $state}
zones:
  - {name: platform, bind: $sbc, udp_port: 5060}
  - {name: carrier, bind: $sbc, udp_port: 5080}
trunks:
  - {name: platform, zone: platform, address: $platform, port: 5060, health: {probe: false}}
  - name: carrier-a
    zone: carrier
    address: $carrier_a
    port: 5060$carrier_key
    health: {probe_interval_s: 1, probe_timeout_ms: 800, down_after: 3, up_after: 2, recovery_hold_s: $hold}
  - name: carrier-b
    zone: carrier
    address: $carrier_b
    port: 5060$carrier_key
    health: {probe_interval_s: 1, probe_timeout_ms: 800, down_after: 3, up_after: 2, recovery_hold_s: $hold}
trunk_groups:
  - {name: pstn-out, members: [carrier-a, carrier-b], failover_on: [503, timeout, transport]}
routes:
  - {name: out, from_trunk: platform, trunk_group: pstn-out}
  - {name: in, from_zone: carrier, trunk: platform}
EOT
}

# bench_watchdog SECONDS: SIGTERM to this script after SECONDS, so that a run that hangs still
# ends and its EXIT trap stops what it started; sets WATCHDOG to the watchdog's PID (stop it with
# stop_pid). The script's INT/TERM trap must exit.
bench_watchdog() {
    local main=$$
    ( trap 'kill "$sp" 2>/dev/null; exit 0' TERM; sleep "$1" & sp=$!; wait "$sp" && kill -TERM "$main" 2>/dev/null ) &
    WATCHDOG=$!
}

# bench_stop_all: the EXIT trap of a bench that keeps its PIDs in UAC_PIDS, SBC_PID, PEER_PIDS and
# WATCHDOG and its files in WORK. Stops the callers first (no new calls reach a stopping SBC), then
# the SBC, the peers and the watchdog, each by its PID; keeps WORK with KEEP_WORKDIR=1.
bench_stop_all() {
    local pid
    trap - INT TERM
    for pid in ${UAC_PIDS:-}; do stop_pid "$pid" 3; done
    stop_pid "${SBC_PID:-}" 10
    for pid in ${PEER_PIDS:-}; do stop_pid "$pid" 3; done
    stop_pid "${WATCHDOG:-}" 1
    if [ -n "${KEEP_WORKDIR:-}" ]; then echo "(work dir kept: $WORK)"; else rm -rf "$WORK"; fi
}

# bench_wait_admin PID ADMIN LOG: waits, at most 10 s, until the admin API of the SBC (PID) on
# ADMIN (IP:port) answers; when the SBC exits first, prints the tail of LOG and dies.
bench_wait_admin() {
    local _
    for _ in $(seq 1 40); do
        kill -0 "$1" 2>/dev/null || { tail -20 "$3" >&2; die "sbc exited during startup"; }
        curl -s --max-time 1 "http://$2/metrics" >/dev/null 2>&1 && return 0
        sleep 0.25
    done
}

# bench_start_run NAME: the frame of a bench that starts an SBC and SIPp peers: WORK, a new temp
# dir (with state/), the PID lists bench_stop_all stops (PEER_PIDS, UAC_PIDS, SBC_PID), that EXIT
# trap, an INT/TERM trap that exits, and the watchdog of BENCH_TIMEOUT seconds.
bench_start_run() {
    WORK="$(mktemp -d "${TMPDIR:-/tmp}/swiftsbc-$1.XXXXXX")"
    mkdir -p "$WORK/state"
    PEER_PIDS=""; UAC_PIDS=""; SBC_PID=""; WATCHDOG=""
    trap bench_stop_all EXIT
    trap "echo \"$1.sh: interrupted (signal or BENCH_TIMEOUT=${BENCH_TIMEOUT}s reached)\" >&2; exit 130" INT TERM
    bench_watchdog "$BENCH_TIMEOUT"
}
