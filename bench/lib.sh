# Shared by the bench scripts (sourced, not executed): building the SBC under test, stopping
# the processes a bench started, and the CPU of a server and its children. Each script keeps its
# own configuration and figures.

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
