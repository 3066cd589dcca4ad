/// The statements `OperationalStore`, `OperationalQuery` and `IdempotencyStore` run against the
/// tables of migration 2 (`StateSchema`); docs/STATE.md documents the columns.
enum OperationalSchema {
    /// Upsert rather than INSERT OR REPLACE: REPLACE deletes and re-inserts, which would fire
    /// delete triggers and foreign-key actions if either is ever added.
    static let upsertTrunk = """
        INSERT INTO trunk_state (trunk, state, cause, detail, since, locked_by, lock_reason, quarantine_until,
                                 awaiting_approval, updated_at)
        VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)
        ON CONFLICT (trunk) DO UPDATE SET
            state = excluded.state, cause = excluded.cause, detail = excluded.detail, since = excluded.since,
            locked_by = excluded.locked_by, lock_reason = excluded.lock_reason,
            quarantine_until = excluded.quarantine_until, awaiting_approval = excluded.awaiting_approval,
            updated_at = excluded.updated_at
        """

    static let upsertGroup = """
        INSERT INTO group_state (group_name, forced_failover, actor, reason, updated_at)
        VALUES (?1, ?2, ?3, ?4, ?5)
        ON CONFLICT (group_name) DO UPDATE SET
            forced_failover = excluded.forced_failover, actor = excluded.actor, reason = excluded.reason,
            updated_at = excluded.updated_at
        """

    /// `id` is left to SQLite (the rowid), so entries are numbered in commit order.
    static let insertAudit = """
        INSERT INTO audit_log (at, subject, kind, from_state, to_state, cause, detail, actor)
        VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)
        """

    /// Columns 0...8, in `TrunkStateRecord` order.
    static let selectTrunks = """
        SELECT trunk, state, cause, detail, since, locked_by, lock_reason, quarantine_until, awaiting_approval
        FROM trunk_state ORDER BY trunk
        """

    static let selectGroups = """
        SELECT group_name, forced_failover, actor, reason FROM group_state ORDER BY group_name
        """

    /// Columns 0...8, in `AuditEntry` order; `?1` is the exclusive lower bound on `at`
    /// (-infinity for "from the start"), `?2` the limit. `id` breaks ties between entries with
    /// the same timestamp, so the order is the order they were appended.
    static let selectAudit = """
        SELECT id, at, subject, kind, from_state, to_state, cause, detail, actor
        FROM audit_log WHERE at > ?1 ORDER BY at, id LIMIT ?2
        """

    static let selectIdempotent = """
        SELECT method, path, status, body, request_digest FROM idempotency_keys WHERE key = ?1 AND token = ?2
        """

    /// First writer wins: a second response for the same key and token is ignored, so two
    /// retries racing (even in two processes) cannot replace the response a client already saw.
    static let insertIdempotent = """
        INSERT OR IGNORE INTO idempotency_keys (key, token, method, path, status, body, created_at, request_digest)
        VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)
        """

    static let purgeIdempotent = "DELETE FROM idempotency_keys WHERE created_at < ?1"
}
