#!/usr/bin/env bash
# Scale-out benchmark (issue 16): calls per second through Kamailio's dispatcher in front of ONE
# SwiftSBC node, then in front of TWO, in the same run, with the nodes' CDRs and state in a private
# PostgreSQL instance. SIPp UAC (platform) -> Kamailio (dispatcher, Call-ID hash) -> sbc node(s)
# -> SIPp UAS (each node's own carrier A).
#
# For each configuration ("one", "two") the rate is stepped up (RATES) until a step is unhealthy
# (same rules as cps.sh: more than MAX_FAIL_PCT failed, less than MIN_SUSTAIN_PCT of the rate
# achieved, or a process gone). Per step: achieved rate, failed %, CPU per call of each node, of
# Kamailio (all its processes), of PostgreSQL (postmaster and its backends), their total, SIPp's
# (caller and carriers) and the host's busy share. Then each
# configuration's highest healthy rate and the ratio two/one against issue 16's target (>= 1.7x),
# printed with the core count: every process here shares `nproc` cores, so on a small machine the
# ratio is bounded by the cores, not by the SBC. Signalling only (`media: {enabled: false}`).
#
# Kamailio's configuration is conf/cluster/kamailio.cfg (read, never changed) with the lab's
# 127.0.0.1 replaced by this run's Kamailio address, the platform address, dispatcher list and
# control socket given as defines; the node configurations are the shared two-carrier template
# (bench_two_carrier_config in lib.sh) plus `store: {backend: postgres, ...}`. See bench/README.md.
#
# Bounded: every SIPp run is wrapped in `timeout`, every wait loop is bounded in count, the whole
# run by BENCH_TIMEOUT (a watchdog, and checked before each step). It stops only the PIDs it
# started (Kamailio's children too, while they still run this run's config) and its own
# PostgreSQL (pg_ctl on its own data directory). Everything is in a temp dir removed on exit.
#
# Environment (all optional):
#   SBC_BINARY      use this sbc instead of building `swift build -c release --product sbc`
#   CONFIGS         configurations, in order (default "one two")
#   BENCH_BLOCK     loopback block N: the run uses 127.0.N.0/24 (default 78)
#   PG_PORT         the private PostgreSQL's port on 127.0.0.1 (default 5540 + BENCH_BLOCK)
#   RATES           space-separated call rates to try (default "250 500 1000 1500 2000 2500 3000")
#   STEP_SECONDS    seconds of calls per step: calls = rate x STEP_SECONDS (default 5)
#   STEP_PAUSE      seconds between steps (default 2)
#   MAX_FAIL_PCT    failed-call percentage above which a step is unhealthy (default 0.1)
#   MIN_SUSTAIN_PCT achieved/attempted rate below which a step is unhealthy (default 95)
#   KAMAILIO_CHILDREN  Kamailio's -n (default 4)
#   BENCH_TIMEOUT   hard limit for the whole run, seconds (default 900)
#   KEEP_WORKDIR=1  keep the temp dir (configs, logs, SIPp stats, PostgreSQL's log)
#   QUICK=1         one 50 calls/s step of 2 s per configuration (run by ./scripts/test)
#
# Machine-readable lines (key=value; the same figures as the tables; "-" where not applicable):
#   cluster-step: config=two nodes=2 rate=1000 achieved=996 calls=5000 failed=0 fail_pct=0.000 node1_us=438 node2_us=430 kamailio_us=492 postgres_us=306 total_us=1666 sipp_us=200 all_us=1866 host_busy_pct=93.6 other_pct=0.0 verdict=ok
#   cluster: config=two nodes=2 best_rate=1000 achieved=996 node1_us=438 node2_us=430 kamailio_us=492 postgres_us=306 total_us=1666 sipp_us=200 all_us=1866 completed=14300 cdrs=14300 cdrs_node1=7126 cdrs_node2=7174
#   cluster-ratio: rate_ratio=1.00 target=1.7 met=no best_one=1000 best_two=1000 cores=2 common_rate=1000 noisy_steps=0 total_us_one=700 total_us_two=825
#   (total_us = the nodes + Kamailio + PostgreSQL; sipp_us = SIPp's caller and carriers; all_us = both;
#    host_busy_pct = the whole host's busy share over the step, from /proc/stat; other_pct = the part of it
#    not used by this step's processes: another build or bench on the host, "noisy" above 10)
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO="$(cd "$HERE/.." && pwd)"
SCEN="$HERE/scenarios"
KAM_CFG_SRC="$REPO/conf/cluster/kamailio.cfg"

BLOCK="${BENCH_BLOCK:-78}"
if [ "${QUICK:-0}" = 1 ]; then
    RATES="${RATES:-50}"; STEP_SECONDS="${STEP_SECONDS:-2}"; STEP_PAUSE="${STEP_PAUSE:-0.5}"
    MIN_SUSTAIN_PCT="${MIN_SUSTAIN_PCT:-80}"   # a 2 s step of a debug build on a busy host: mechanics, not figures
fi
CONFIGS="${CONFIGS:-one two}"
RATES="${RATES:-250 500 1000 1500 2000 2500 3000}"
STEP_SECONDS="${STEP_SECONDS:-5}"
STEP_PAUSE="${STEP_PAUSE:-2}"
MAX_FAIL_PCT="${MAX_FAIL_PCT:-0.1}"
MIN_SUSTAIN_PCT="${MIN_SUSTAIN_PCT:-95}"
KAMAILIO_CHILDREN="${KAMAILIO_CHILDREN:-4}"
BENCH_TIMEOUT="${BENCH_TIMEOUT:-900}"
PG_PORT="${PG_PORT:-$((5540 + BLOCK))}"
BUFF=4194304
PEER_PORT=5060

# Addresses: Kamailio .1 (UDP 5060, what the platform calls), the platform .10, node k .(20+k)
# (platform side 5060, carrier side 5080), node k's carriers A and B .(21+10k) and .(22+10k).
KAM_IP="127.0.$BLOCK.1"
PLATFORM_IP="127.0.$BLOCK.10"
declare -A NODE_IP CARRIER_A CARRIER_B NODE_PID
for k in 1 2; do
    NODE_IP[$k]="127.0.$BLOCK.$((20 + k))"
    CARRIER_A[$k]="127.0.$BLOCK.$((21 + 10 * k))"; CARRIER_B[$k]="127.0.$BLOCK.$((22 + 10 * k))"
    NODE_PID[$k]=""
done
declare -A CONFIG_NODES=([one]=1 [two]=2)
for c in $CONFIGS; do [ -n "${CONFIG_NODES[$c]:-}" ] || { echo "cluster.sh: unknown configuration '$c' (one, two)" >&2; exit 1; }; done

die() { echo "cluster.sh: $*" >&2; exit 1; }
source "$REPO/bench/lib.sh"
command -v sipp >/dev/null || die "sipp not found on PATH (Debian package sip-tester)"
command -v kamailio >/dev/null || die "kamailio not found (Debian package kamailio)"
[ -r /proc/self/stat ] || die "needs Linux /proc for CPU figures"
[ -r "$KAM_CFG_SRC" ] || die "missing $KAM_CFG_SRC"

# PostgreSQL: the newest /usr/lib/postgresql/<version>/bin with initdb, pg_ctl and postgres.
PG_BIN=""
for d in $(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V -r); do
    if [ -x "$d/initdb" ] && [ -x "$d/pg_ctl" ] && [ -x "$d/postgres" ]; then PG_BIN="$d"; break; fi
done
PSQL="$(command -v psql || true)"; [ -n "$PSQL" ] || PSQL="$PG_BIN/psql"
if [ -z "$PG_BIN" ] || [ ! -x "$PSQL" ] || { [ "$(id -u)" = 0 ] && ! command -v runuser >/dev/null; }; then
    echo "cluster.sh: PostgreSQL is not installed (no /usr/lib/postgresql/<version>/bin with initdb, pg_ctl and postgres, or no psql; Debian package postgresql): skipped"
    echo "cluster-skipped: reason=no-postgresql"
    exit 0
fi
CLK_TCK="$(getconf CLK_TCK)"
CORES="$(nproc)"
START_TIME=$SECONDS

bench_sbc_binary

# ---------------------------------------------------------------- run frame (own PIDs only)
WORK="$(mktemp -d "${TMPDIR:-/tmp}/swiftsbc-cluster.XXXXXX")"
UAS_PIDS=""; KAM_PID=""; PG_STARTED=0; WATCHDOG=""
PG_ROOT="$WORK/postgres"; PG_DATA="$PG_ROOT/data"
# As the `postgres` OS user when root (initdb refuses root), else as ourselves.
as_pg() { if [ "$(id -u)" = 0 ]; then (cd / && runuser -u postgres -- "$@"); else "$@"; fi; }
pg_postmaster_pid() { head -1 "$PG_DATA/postmaster.pid" 2>/dev/null | tr -d ' ' || true; }
stop_postgres() {
    [ "$PG_STARTED" = 1 ] || return 0
    local pid; pid=$(pg_postmaster_pid)
    PG_STARTED=0
    timeout -k 2 25 bash -c "$(declare -f as_pg); as_pg '$PG_BIN/pg_ctl' -D '$PG_DATA' -m fast -w -t 20 stop" >/dev/null 2>&1 && return 0
    # pg_ctl failed: our own postmaster, by the PID its data directory recorded
    if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then
        kill -QUIT "$pid" 2>/dev/null || true; sleep 2
        kill -0 "$pid" 2>/dev/null && kill -KILL "$pid" 2>/dev/null || true
    fi
    return 0
}
cleanup() {
    local pid k
    trap - INT TERM
    if declare -F stop_kamailio >/dev/null; then stop_kamailio; for k in 1 2; do stop_node "$k"; done; fi
    for pid in $UAS_PIDS; do stop_pid "$pid" 3; done
    stop_postgres
    stop_pid "$WATCHDOG" 1
    if [ -n "${KEEP_WORKDIR:-}" ]; then echo "(work dir kept: $WORK)"; else rm -rf "$WORK"; fi
}
trap cleanup EXIT
trap 'echo "cluster.sh: interrupted (signal or BENCH_TIMEOUT=${BENCH_TIMEOUT}s reached)" >&2; exit 130' INT TERM
bench_watchdog "$BENCH_TIMEOUT"

now() { date +%s.%N; }
alive() { [ -n "$1" ] && kill -0 "$1" 2>/dev/null; }
time_left() { echo $((BENCH_TIMEOUT - (SECONDS - START_TIME))); }
# busy and total jiffies of the whole host (first line of /proc/stat; sampled at the tick, so it
# under-reads a lightly loaded host: only host_busy_pct comes from it)
host_ticks() { awk '$1 == "cpu" { print $2 + $3 + $4 + $7 + $8 + $9, $2 + $3 + $4 + $5 + $6 + $7 + $8 + $9; exit }' /proc/stat; }
# CPU ticks of the children this shell has reaped (cutime + cstime): the SIPp caller of a step
# (through `timeout`), read just before and after it.
reaped_ticks() { awk '{ sub(/^.*\) /, ""); print $14 + $15 }' "/proc/$$/stat"; }
uas_ticks() { local pid sum=0; for pid in $UAS_PIDS; do sum=$((sum + $(bench_tree_ticks "$pid"))); done; echo "$sum"; }
options_ok() { # options_ok FROM_IP TARGET_IP PORT: one OPTIONS, 200 expected
    timeout 3 sipp -sf "$SCEN/options.xml" -i "$1" -p "$PEER_PORT" -t u1 -nostdin -m 1 \
        -recv_timeout 500 -timeout 2s "$2:$3" >/dev/null 2>&1
}

echo "== work dir $WORK, loopback block 127.0.$BLOCK.0/24, configurations: $CONFIGS, $CORES CPUs (SIPp, Kamailio, PostgreSQL and the nodes share them)"

# ---------------------------------------------------------------- PostgreSQL (private instance)
SBC_STORE_PASSWORD="bench-$(od -An -N8 -tx1 /dev/urandom | tr -d ' \n')"
export SBC_STORE_PASSWORD
mkdir -p "$PG_ROOT"
chmod 711 "$WORK"    # the postgres user must reach its directory inside the temp dir
[ "$(id -u)" = 0 ] && chown postgres "$PG_ROOT"
chmod 700 "$PG_ROOT"
timeout -k 5 90 bash -c "$(declare -f as_pg); as_pg '$PG_BIN/initdb' -D '$PG_DATA' -U postgres --auth-local=trust \
    --auth-host=scram-sha-256 -E UTF8 --no-sync --no-instructions" >"$WORK/initdb.log" 2>&1 \
    || { tail -20 "$WORK/initdb.log" >&2; die "initdb failed"; }
# Bench-only durability (as the integration tests' instance): no fsync, so the figure is PostgreSQL's
# CPU, not this VM's disk.
PG_OPTS="-p $PG_PORT -k $PG_ROOT -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c full_page_writes=off"
PG_STARTED=1
timeout -k 5 45 bash -c "$(declare -f as_pg); as_pg '$PG_BIN/pg_ctl' -D '$PG_DATA' -o '$PG_OPTS' -l '$PG_ROOT/postgres.log' -w -t 30 start" \
    >"$WORK/pg_ctl.log" 2>&1 || { tail -20 "$PG_ROOT/postgres.log" "$WORK/pg_ctl.log" >&2 2>/dev/null; die "PostgreSQL did not start on 127.0.0.1:$PG_PORT"; }
timeout -k 5 20 bash -c "$(declare -f as_pg); as_pg '$PSQL' -X -q -v ON_ERROR_STOP=1 -h '$PG_ROOT' -p $PG_PORT -d postgres \
    -c \"CREATE ROLE sbc LOGIN PASSWORD '$SBC_STORE_PASSWORD'\" -c 'CREATE DATABASE sbc OWNER sbc'" >"$WORK/createdb.log" 2>&1 \
    || { cat "$WORK/createdb.log" >&2; die "could not create role and database sbc"; }
PG_PID=$(pg_postmaster_pid)
echo "== postgres ready (postmaster pid $PG_PID, $("$PG_BIN/postgres" --version), 127.0.0.1:$PG_PORT, database and role sbc)"
sql() { # sql QUERY: rows, as the sbc role over TCP with its password
    PGPASSWORD="$SBC_STORE_PASSWORD" PGCONNECT_TIMEOUT=3 timeout 10 "$PSQL" -X -q -h 127.0.0.1 -p "$PG_PORT" -U sbc -d sbc -tAc "$1" 2>/dev/null
}

# ---------------------------------------------------------------- carriers (SIPp UAS)
start_uas() { # start_uas IP NAME
    sipp -sf "$SCEN/uas.xml" -i "$1" -p "$PEER_PORT" -mi "$1" -t u1 -aa -nostdin -buff_size "$BUFF" \
        -trace_err -error_file "$WORK/$2.errors.log" >"$WORK/$2.out" 2>&1 &
    UAS_PIDS="$UAS_PIDS $!"
}
for k in 1 2; do start_uas "${CARRIER_A[$k]}" "node$k-carrier-a"; start_uas "${CARRIER_B[$k]}" "node$k-carrier-b"; done
sleep 0.5

# ---------------------------------------------------------------- SBC nodes
# node_config CONFIG K: the two-carrier template with the platform trunk = Kamailio, plus the
# shared store. The node's name carries the configuration, so CDRs are counted per configuration.
node_config() {
    local c="$1" k="$2" dir="$WORK/$1-node$2"
    mkdir -p "$dir/state"
    {
        bench_two_carrier_config "$c-node$k" "$dir/state" "${NODE_IP[$k]}" "$KAM_IP" "${CARRIER_A[$k]}" "${CARRIER_B[$k]}" 10
        cat <<EOF
store: {backend: postgres, url: "postgres://sbc@127.0.0.1:$PG_PORT/sbc", password_env: SBC_STORE_PASSWORD, buffer: 100000}
security: {unknown_source: reject}
media: {enabled: false}     # signalling only, as cps.sh
shutdown: {drain_s: 2}
logging: {level: notice, format: json}
EOF
    } >"$dir/sbc.yaml"
    "$SBC_BINARY" check-config "$dir/sbc.yaml" >"$dir/check.log" 2>&1 || { cat "$dir/check.log" >&2; die "sbc check-config rejects $dir/sbc.yaml"; }
}
start_node() { # start_node CONFIG K: ready when it answers OPTIONS from Kamailio's address (before Kamailio runs)
    local c="$1" k="$2" dir="$WORK/$1-node$2"
    node_config "$c" "$k"
    "$SBC_BINARY" run --config "$dir/sbc.yaml" >"$dir/stdout.log" 2>"$dir/stderr.log" &
    NODE_PID[$k]=$!
    for _ in $(seq 1 40); do
        alive "${NODE_PID[$k]}" || { tail -20 "$dir/stderr.log" >&2; die "node $k exited during startup"; }
        options_ok "$KAM_IP" "${NODE_IP[$k]}" 5060 && { echo "== $c-node$k ready (pid ${NODE_PID[$k]}, ${NODE_IP[$k]}, $SBC_BINARY)"; return 0; }
        sleep 0.25
    done
    tail -20 "$dir/stderr.log" >&2
    die "node $k did not answer OPTIONS within 10 s"
}
stop_node() { local pid="${NODE_PID[$1]:-}"; NODE_PID[$1]=""; stop_pid "$pid" 10; }

# ---------------------------------------------------------------- Kamailio (conf/cluster/kamailio.cfg, this run's addresses)
KAM_RUN=""
start_kamailio() { # start_kamailio CONFIG NODES
    local c="$1" n="$2" k
    KAM_RUN="$WORK/$c-kamailio"
    mkdir -p "$KAM_RUN"
    sed -e "s/127\.0\.0\.1/$KAM_IP/g" "$KAM_CFG_SRC" >"$KAM_RUN/kamailio.cfg"
    for ((k = 1; k <= n; k++)); do echo "1 sip:${NODE_IP[$k]}:5060 0 0 node=node$k"; done >"$KAM_RUN/dispatcher.list"
    local args=(-DD -E -n "$KAMAILIO_CHILDREN" -m 1024 -M 16 -Y "$KAM_RUN"
        -A "DISPATCHER_LIST=\"$KAM_RUN/dispatcher.list\"" -A "CTL_SOCKET=\"unix:$KAM_RUN/kamailio_ctl\""
        -A "PLATFORM_IP=\"$PLATFORM_IP\"")
    kamailio -c "${args[@]}" -f "$KAM_RUN/kamailio.cfg" >"$KAM_RUN/check.log" 2>&1 || { tail -20 "$KAM_RUN/check.log" >&2; die "kamailio rejects its config"; }
    kamailio "${args[@]}" -f "$KAM_RUN/kamailio.cfg" >"$KAM_RUN/kamailio.log" 2>&1 &
    KAM_PID=$!
    for _ in $(seq 1 20); do
        alive "$KAM_PID" || { tail -20 "$KAM_RUN/kamailio.log" >&2; die "kamailio exited during startup"; }
        if options_ok "$PLATFORM_IP" "$KAM_IP" 5060; then
            echo "== $c-kamailio ready (pid $KAM_PID and $(bench_child_pids "$KAM_PID" | wc -l) children, $(kamailio -v 2>&1 | head -1 | sed 's/^version: //'), -n $KAMAILIO_CHILDREN, dispatcher over $n node(s))"
            sleep 1.5   # a round of the dispatcher's OPTIONS probes (every second) before the first call
            return 0
        fi
        sleep 0.5
    done
    tail -20 "$KAM_RUN/kamailio.log" >&2
    die "kamailio did not answer OPTIONS within 10 s"
}
# Kamailio's main process stops its children; any left behind are stopped by the PIDs read before,
# only while they still run this run's config.
stop_kamailio() {
    local pid="$KAM_PID" children child
    KAM_PID=""
    [ -n "$pid" ] || return 0
    children=$(bench_child_pids "$pid")
    stop_pid "$pid" 10
    for child in $children; do
        grep -qF "$KAM_RUN/kamailio.cfg" "/proc/$child/cmdline" 2>/dev/null && stop_pid "$child" 1
    done
    return 0
}

# ---------------------------------------------------------------- one step
declare -A BEST_RATE BEST_LINE STEP_TOTAL COMPLETED CDRS
NOISY=0
ROW='%-6s %6s %8s %8s %7s %7s %8s %8s %8s %8s %8s %8s %8s %6s %6s %s\n'
# step CONFIG NODES RATE N: one SIPp run through Kamailio; prints the row and the cluster-step
# line; returns 0 if healthy.
step() {
    local c="$1" n="$2" rate="$3" idx="$4" k calls budget stat rc t0 t1 ok failed tag="$1-step$4-$3"
    local -a n0 n1
    local k0 k1 p0 p1 h0 h1 u0 u1 s0 s1 achieved fail_pct verdict
    calls=$((rate * STEP_SECONDS))
    budget=$((STEP_SECONDS * 4 + 30))
    stat="$WORK/$tag.csv"
    for ((k = 1; k <= n; k++)); do n0[$k]=$(bench_tree_ticks "${NODE_PID[$k]}"); done
    k0=$(bench_tree_ticks "$KAM_PID"); p0=$(bench_tree_ticks "$PG_PID"); s0=$(uas_ticks)
    h0=$(host_ticks); u0=$(reaped_ticks); t0=$(now)
    rc=0
    timeout -k 5 "$budget" sipp -sf "$SCEN/uac.xml" -i "$PLATFORM_IP" -p "$PEER_PORT" -mi "$PLATFORM_IP" \
        -t u1 -nostdin -buff_size "$BUFF" -s +15551230000 -r "$rate" -m "$calls" \
        -l $((rate * 3 + 100)) -recv_timeout 8000 -timeout "$((budget - 5))s" \
        -trace_stat -stf "$stat" -fd 1 -trace_err -error_file "$WORK/$tag.errors.log" \
        "$KAM_IP:$PEER_PORT" >"$WORK/$tag.out" 2>&1 || rc=$?
    t1=$(now); u1=$(reaped_ticks); h1=$(host_ticks)
    for ((k = 1; k <= n; k++)); do
        if ! alive "${NODE_PID[$k]}"; then
            printf "$ROW" "$c" "$rate" - "$calls" - - - - - - - - - - - "DIED (node$k)"
            echo "cluster-step: config=$c nodes=$n rate=$rate calls=$calls verdict=DIED"
            return 1
        fi
        n1[$k]=$(bench_tree_ticks "${NODE_PID[$k]}")
    done
    alive "$KAM_PID" || { printf "$ROW" "$c" "$rate" - "$calls" - - - - - - - - - - - "DIED (kamailio)"; echo "cluster-step: config=$c nodes=$n rate=$rate calls=$calls verdict=DIED"; return 1; }
    k1=$(bench_tree_ticks "$KAM_PID"); p1=$(bench_tree_ticks "$PG_PID"); s1=$(uas_ticks)
    ok=$(bench_stat_col "$stat" "SuccessfulCall(C)")
    failed=$(bench_stat_col "$stat" "FailedCall(C)")
    COMPLETED[$c]=$(( ${COMPLETED[$c]:-0} + ok ))
    local line
    line=$(awk -v ok="$ok" -v f="$failed" -v calls="$calls" -v t0="$t0" -v t1="$t1" -v hz="$CLK_TCK" \
        -v maxf="$MAX_FAIL_PCT" -v sus="$MIN_SUSTAIN_PCT" -v rate="$rate" -v rc="$rc" -v nodes="$n" \
        -v n10="${n0[1]:-0}" -v n11="${n1[1]:-0}" -v n20="${n0[2]:-0}" -v n21="${n1[2]:-0}" \
        -v k0="$k0" -v k1="$k1" -v p0="$p0" -v p1="$p1" -v h0="$h0" -v h1="$h1" -v u0="$u0" -v u1="$u1" \
        -v s0="$s0" -v s1="$s1" -v cores="$CORES" 'BEGIN {
            wall = t1 - t0; if (wall <= 0) wall = 0.001
            achieved = ok / wall
            lost = calls - ok; if (lost < f) lost = f          # never created or never completed: failed
            fail_pct = 100 * lost / calls
            healthy = (fail_pct <= maxf) && (achieved >= rate * sus / 100) && (rc == 0 || rc == 1)
            d = ok > 0 ? 1e6 / hz / ok : 0                     # microseconds per call per tick
            split(h0, a, " "); split(h1, b, " ")
            node1 = (n11 - n10) * d; node2 = nodes > 1 ? (n21 - n20) * d : 0
            kam = (k1 - k0) * d; pg = (p1 - p0) * d
            total = node1 + node2 + kam + pg
            sipp = (u1 - u0 + s1 - s0) * d
            busy = (b[2] > a[2]) ? 100 * (b[1] - a[1]) / (b[2] - a[2]) : 0
            # the host busy with something else than this step (another build, another bench)
            other = busy - 100 * (total + sipp) * ok / 1e6 / (wall * cores); if (other < 0) other = 0
            n2 = "-"; if (nodes > 1) n2 = sprintf("%.0f", node2)
            printf "achieved=%.0f calls=%d failed=%d fail_pct=%.3f node1_us=%.0f node2_us=%s kamailio_us=%.0f postgres_us=%.0f total_us=%.0f sipp_us=%.0f all_us=%.0f host_busy_pct=%.1f other_pct=%.1f verdict=%s\n",
                achieved, calls, calls - ok, fail_pct, node1, n2, kam, pg, total, sipp, total + sipp, busy, other, (healthy ? "ok" : "UNHEALTHY")
        }')
    local -A f=()
    local kv
    for kv in $line; do f[${kv%%=*}]=${kv#*=}; done
    printf "$ROW" "$c" "$rate" "${f[achieved]}" "$calls" "${f[failed]}" "${f[fail_pct]}" "${f[node1_us]}" "${f[node2_us]}" \
        "${f[kamailio_us]}" "${f[postgres_us]}" "${f[total_us]}" "${f[sipp_us]}" "${f[all_us]}" "${f[host_busy_pct]}" "${f[other_pct]}" "${f[verdict]}$(awk -v o="${f[other_pct]}" 'BEGIN { if (o > 10) printf " (noisy: other load)" }')"
    echo "cluster-step: config=$c nodes=$n rate=$rate $line"
    awk -v o="${f[other_pct]}" 'BEGIN { exit !(o > 10) }' && NOISY=$((NOISY + 1))
    [ "${f[verdict]}" = ok ] || return 1
    BEST_RATE[$c]=$rate
    BEST_LINE[$c]="achieved=${f[achieved]} node1_us=${f[node1_us]} node2_us=${f[node2_us]} kamailio_us=${f[kamailio_us]} postgres_us=${f[postgres_us]} total_us=${f[total_us]} sipp_us=${f[sipp_us]} all_us=${f[all_us]}"
    STEP_TOTAL[$c:$rate]=${f[total_us]}
    return 0
}

# run_config CONFIG: fresh nodes and Kamailio, steps the rate up until unhealthy, counts the CDRs.
run_config() {
    local c="$1" n="${CONFIG_NODES[$1]}" k rate idx=0 count=0
    BEST_RATE[$c]=0; BEST_LINE[$c]=""; COMPLETED[$c]=0
    echo
    echo "== configuration '$c': platform -> Kamailio -> $n node(s) -> carrier, store PostgreSQL"
    for ((k = 1; k <= n; k++)); do start_node "$c" "$k"; done
    start_kamailio "$c" "$n"
    printf "$ROW" config rate achieved calls failed "fail%" "node1us" "node2us" "kamus" "pgus" "totalus" "sippus" "allus" "busy%" "other%" verdict
    for rate in $RATES; do
        idx=$((idx + 1))
        if [ "$(time_left)" -lt $((STEP_SECONDS * 4 + 40)) ]; then echo "(time budget exhausted, stopping)"; break; fi
        step "$c" "$n" "$rate" "$idx" || break
        sleep "$STEP_PAUSE"   # transactions (timer K/J) and SIPp timewaits drain between steps
    done
    # CDRs are written by the nodes' store threads: wait (bounded) until every completed call's is in.
    for _ in $(seq 1 30); do
        count=$(sql "SELECT count(*) FROM calls WHERE node LIKE '$c-node%'" || echo 0)
        [ "${count:-0}" -ge "${COMPLETED[$c]}" ] && break
        sleep 0.5
    done
    CDRS[$c]="cdrs=${count:-0}"
    for ((k = 1; k <= 2; k++)); do
        if [ "$k" -le "$n" ]; then CDRS[$c]+=" cdrs_node$k=$(sql "SELECT count(*) FROM calls WHERE node = '$c-node$k'" || echo 0)"; else CDRS[$c]+=" cdrs_node$k=-"; fi
    done
    stop_kamailio
    for ((k = 1; k <= n; k++)); do stop_node "$k"; done
    local best="${BEST_LINE[$c]:-achieved=0 node1_us=- node2_us=- kamailio_us=- postgres_us=- total_us=- sipp_us=- all_us=-}"
    echo "cluster: config=$c nodes=$n best_rate=${BEST_RATE[$c]} $best completed=${COMPLETED[$c]} ${CDRS[$c]}"
}

for c in $CONFIGS; do run_config "$c"; done

# ---------------------------------------------------------------- summary
echo
echo "== cluster summary ($CORES CPUs shared by SIPp, Kamailio, PostgreSQL and the nodes; signalling only)"
for c in $CONFIGS; do
    if [ "${BEST_RATE[$c]}" -gt 0 ]; then
        declare -A b=()
        for kv in ${BEST_LINE[$c]}; do b[${kv%%=*}]=${kv#*=}; done
        printf '   %-4s (%s node%s): highest healthy rate %s calls/s (%s achieved); CPU per call there: node1 %s us, node2 %s us, Kamailio %s us, PostgreSQL %s us, total %s us (SIPp %s us, all %s us)\n' \
            "$c" "${CONFIG_NODES[$c]}" "$([ "${CONFIG_NODES[$c]}" = 1 ] || echo s)" "${BEST_RATE[$c]}" "${b[achieved]}" \
            "${b[node1_us]}" "${b[node2_us]}" "${b[kamailio_us]}" "${b[postgres_us]}" "${b[total_us]}" "${b[sipp_us]}" "${b[all_us]}"
        unset b
    else
        printf '   %-4s: no healthy step (rerun with KEEP_WORKDIR=1 and see the logs)\n' "$c"
    fi
    echo "         CDRs in PostgreSQL: ${CDRS[$c]} (completed calls: ${COMPLETED[$c]})"
done
if [ -n "${BEST_RATE[one]:-}" ] && [ -n "${BEST_RATE[two]:-}" ]; then
    rr="-"; met=no; common=""
    [ "${BEST_RATE[one]}" -gt 0 ] && rr=$(awk -v a="${BEST_RATE[two]}" -v b="${BEST_RATE[one]}" 'BEGIN { printf "%.2f", a / b }')
    [ "$rr" != - ] && awk -v r="$rr" 'BEGIN { exit !(r >= 1.7) }' && met=yes
    for rate in $RATES; do [ -n "${STEP_TOTAL[one:$rate]:-}" ] && [ -n "${STEP_TOTAL[two:$rate]:-}" ] && common=$rate; done
    echo "   two / one highest healthy rate: ${rr}x (issue 16's target >= 1.7x: $met), on $CORES cores shared with SIPp, Kamailio and PostgreSQL"
    [ -n "$common" ] && echo "   at $common calls/s (both healthy): nodes + Kamailio + PostgreSQL ${STEP_TOTAL[one:$common]} us per call with one node, ${STEP_TOTAL[two:$common]} us with two"
    echo "   (the ratio's resolution is the spacing of RATES; it compares maxima reached with every process sharing $CORES cores)"
    [ "$NOISY" = 0 ] || echo "   WARNING: $NOISY step(s) ran while something else kept the host busy (other% > 10): rerun on a quiet machine"
    echo "cluster-ratio: rate_ratio=$rr target=1.7 met=$met best_one=${BEST_RATE[one]} best_two=${BEST_RATE[two]} cores=$CORES common_rate=${common:-0} noisy_steps=$NOISY total_us_one=${STEP_TOTAL[one:${common:-x}]:--} total_us_two=${STEP_TOTAL[two:${common:-x}]:--}"
fi
exit 0
