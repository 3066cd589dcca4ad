# Shared by the bench scripts (sourced, not executed): building the SBC under test and stopping
# the processes a bench started. Each script keeps its own configuration and figures.

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
