/// The schema of the SBC's state database (`<state_dir>/cdr.sqlite`) as one ordered list of
/// migrations: CDRs (with their per-leg media statistics), trunk and group state, the audit
/// log, admin idempotency keys.
///
/// One list for the whole file, because `PRAGMA user_version` is per file: every store that
/// opens it (`CallRecordStore`, `OperationalStore`, `IdempotencyStore`, in any order, even in
/// two processes) migrates with this same list, so whichever opens first brings the file up to
/// date and none sees a version it does not know. Append-only: a released entry is never
/// edited, a change is a new entry, and `SQLiteDatabase.migrate` applies what a file lacks.
/// docs/CDR.md and docs/STATE.md document the columns.
enum StateSchema {
    static let migrations: [String] = [
        // 1: calls and their attempts.
        """
        CREATE TABLE calls (
            id INTEGER PRIMARY KEY,
            call_id TEXT NOT NULL,
            leg_b_call_id TEXT,
            from_uri TEXT,
            to_uri TEXT,
            ingress_trunk TEXT,
            route TEXT,
            started_at REAL NOT NULL,
            answered_at REAL,
            ended_at REAL NOT NULL,
            duration_s REAL,
            disposition TEXT NOT NULL,
            final_status INTEGER,
            final_trunk TEXT,
            ended_by TEXT
        );
        CREATE INDEX calls_call_id ON calls(call_id);
        CREATE INDEX calls_started_at ON calls(started_at);
        CREATE TABLE call_attempts (
            id INTEGER PRIMARY KEY,
            call_id INTEGER NOT NULL REFERENCES calls(id) ON DELETE CASCADE,
            attempt INTEGER NOT NULL,
            trunk TEXT NOT NULL,
            started_at REAL NOT NULL,
            response_code INTEGER,
            reason TEXT,
            response_time_ms REAL,
            outcome TEXT NOT NULL
        );
        CREATE INDEX call_attempts_trunk_started_at ON call_attempts(trunk, started_at);
        -- The child key of the foreign key: without it, reading a call's attempts and every
        -- ON DELETE CASCADE (retention purges) scan the whole table.
        CREATE INDEX call_attempts_call_id ON call_attempts(call_id, attempt);
        """,
        // 2: carrier health and operator actions (docs/STATE.md).
        """
        CREATE TABLE trunk_state (
            trunk TEXT PRIMARY KEY,
            state TEXT NOT NULL,
            cause TEXT,
            detail TEXT,
            since REAL NOT NULL,
            locked_by TEXT,
            lock_reason TEXT,
            quarantine_until REAL,
            awaiting_approval INTEGER NOT NULL DEFAULT 0,
            updated_at REAL NOT NULL
        );
        CREATE TABLE group_state (
            group_name TEXT PRIMARY KEY,
            forced_failover INTEGER NOT NULL,
            actor TEXT,
            reason TEXT,
            updated_at REAL NOT NULL
        );
        CREATE TABLE audit_log (
            id INTEGER PRIMARY KEY,
            at REAL NOT NULL,
            subject TEXT NOT NULL,
            kind TEXT NOT NULL,
            from_state TEXT,
            to_state TEXT,
            cause TEXT NOT NULL,
            detail TEXT,
            actor TEXT
        );
        CREATE INDEX audit_log_at ON audit_log(at);
        CREATE TABLE idempotency_keys (
            key TEXT NOT NULL,
            token TEXT NOT NULL,
            method TEXT NOT NULL,
            path TEXT NOT NULL,
            status INTEGER NOT NULL,
            body BLOB NOT NULL,
            created_at REAL NOT NULL,
            PRIMARY KEY (key, token)
        );
        """,
        // 3: per-leg RTP statistics of each call, now that the SBC relays media (docs/CDR.md).
        """
        CREATE TABLE call_media (
            id INTEGER PRIMARY KEY,
            call_id INTEGER NOT NULL REFERENCES calls(id) ON DELETE CASCADE,
            side TEXT NOT NULL,
            trunk TEXT,
            packets_received INTEGER NOT NULL,
            bytes_received INTEGER NOT NULL,
            packets_forwarded INTEGER NOT NULL,
            packets_dropped INTEGER NOT NULL,
            rtcp_packets INTEGER NOT NULL,
            packets_lost INTEGER NOT NULL,
            jitter_ms REAL NOT NULL,
            latched_source TEXT
        );
        -- The foreign key's child key, as for call_attempts: reading a call's legs (in side
        -- order) and every ON DELETE CASCADE use it instead of scanning the whole table.
        CREATE INDEX call_media_call_id ON call_media(call_id, side);
        """,
        // 4: when each attempt ended: an answered carrier leg can die mid-call and be replaced
        // (mid-call failover), so the response time alone no longer says when a leg stopped.
        "ALTER TABLE call_attempts ADD COLUMN ended_at REAL;",
        // 5: SRTP counters per media leg, now that the SBC terminates SRTP (docs/CDR.md).
        """
        ALTER TABLE call_media ADD COLUMN srtp_auth_failures INTEGER NOT NULL DEFAULT 0;
        ALTER TABLE call_media ADD COLUMN srtp_replays INTEGER NOT NULL DEFAULT 0;
        ALTER TABLE call_media ADD COLUMN srtp_errors INTEGER NOT NULL DEFAULT 0;
        """,
        // 6: what an idempotent request asked for, so a key reused with another body gets 422.
        "ALTER TABLE idempotency_keys ADD COLUMN request_digest TEXT NOT NULL DEFAULT '';",
        // 7: trunk group activations (docs/ACTIVATION.md): every version with who/when/why, the
        // queued swap, and the overflow flag of a CDR attempt (docs/CDR.md).
        """
        CREATE TABLE group_activations (
            group_name TEXT NOT NULL,
            version INTEGER NOT NULL,
            first_member TEXT NOT NULL,
            reason TEXT NOT NULL,
            actor TEXT NOT NULL,
            requested_at REAL NOT NULL,
            applied_at REAL,
            rollback_of INTEGER,
            forced INTEGER NOT NULL DEFAULT 0,
            state TEXT NOT NULL,
            draining TEXT,
            threshold INTEGER,
            PRIMARY KEY (group_name, version)
        );
        ALTER TABLE call_attempts ADD COLUMN overflow INTEGER NOT NULL DEFAULT 0;
        """,
        // 8: DID validation runs of trunks and each DID's test call (docs/VALIDATION.md).
        """
        CREATE TABLE validation_runs (
            run_id TEXT PRIMARY KEY,
            trunk TEXT NOT NULL,
            state TEXT NOT NULL,
            passed INTEGER,
            dids INTEGER NOT NULL,
            actor TEXT NOT NULL,
            reason TEXT NOT NULL,
            started_at REAL NOT NULL,
            finished_at REAL
        );
        CREATE INDEX validation_runs_trunk_started_at ON validation_runs(trunk, started_at);
        CREATE TABLE validation_results (
            id INTEGER PRIMARY KEY,
            run_id TEXT NOT NULL REFERENCES validation_runs(run_id) ON DELETE CASCADE,
            did TEXT NOT NULL,
            status INTEGER,
            reason TEXT,
            first_response_ms REAL,
            verdict TEXT NOT NULL,
            started_at REAL NOT NULL,
            ended_at REAL NOT NULL
        );
        CREATE INDEX validation_results_run_id ON validation_results(run_id, id);
        """,
        // 9: established calls that survive a restart (docs/RESTART.md): one JSON snapshot per
        // call, SRTP keys included (the file is mode 0600), and the CDR mark of a call that was
        // restored after a restart (docs/CDR.md).
        """
        CREATE TABLE established_calls (
            call_key TEXT PRIMARY KEY,
            record BLOB NOT NULL,
            updated_at REAL NOT NULL
        );
        ALTER TABLE calls ADD COLUMN recovered INTEGER NOT NULL DEFAULT 0;
        """,
        // 10: scale-out (docs/CLUSTER.md). The node that wrote each CDR, audit line and group
        // decision; cluster-wide trunk locks (operator intent, which every node applies); each
        // node's own view of each trunk (health is probed per node); the nodes' heartbeats. The
        // same schema on both back ends: a single node simply has one node in it.
        """
        ALTER TABLE calls ADD COLUMN node TEXT;
        ALTER TABLE audit_log ADD COLUMN node TEXT;
        ALTER TABLE group_state ADD COLUMN node TEXT;
        CREATE TABLE trunk_locks (
            trunk TEXT PRIMARY KEY,
            locked INTEGER NOT NULL,
            actor TEXT,
            reason TEXT,
            node TEXT,
            updated_at REAL NOT NULL
        );
        CREATE TABLE node_trunk_state (
            node TEXT NOT NULL,
            trunk TEXT NOT NULL,
            state TEXT NOT NULL,
            cause TEXT,
            detail TEXT,
            since REAL NOT NULL,
            locked_by TEXT,
            lock_reason TEXT,
            quarantine_until REAL,
            awaiting_approval INTEGER NOT NULL DEFAULT 0,
            updated_at REAL NOT NULL,
            PRIMARY KEY (node, trunk)
        );
        CREATE TABLE cluster_nodes (
            node TEXT PRIMARY KEY,
            started_at REAL NOT NULL,
            heartbeat_at REAL NOT NULL,
            active_calls INTEGER NOT NULL,
            admin TEXT,
            version TEXT
        );
        """,
    ]
}
