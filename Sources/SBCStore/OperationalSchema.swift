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
        INSERT INTO group_state (group_name, forced_failover, actor, reason, updated_at, node)
        VALUES (?1, ?2, ?3, ?4, ?5, ?6)
        ON CONFLICT (group_name) DO UPDATE SET
            forced_failover = excluded.forced_failover, actor = excluded.actor, reason = excluded.reason,
            updated_at = excluded.updated_at, node = excluded.node
        """

    /// A node's own view of a trunk (migration 10): the `trunk_state` columns, keyed by node too.
    static let upsertNodeTrunk = """
        INSERT INTO node_trunk_state (trunk, state, cause, detail, since, locked_by, lock_reason, quarantine_until,
                                      awaiting_approval, updated_at, node)
        VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)
        ON CONFLICT (node, trunk) DO UPDATE SET
            state = excluded.state, cause = excluded.cause, detail = excluded.detail, since = excluded.since,
            locked_by = excluded.locked_by, lock_reason = excluded.lock_reason,
            quarantine_until = excluded.quarantine_until, awaiting_approval = excluded.awaiting_approval,
            updated_at = excluded.updated_at
        """

    static let upsertTrunkLock = """
        INSERT INTO trunk_locks (trunk, locked, actor, reason, node, updated_at)
        VALUES (?1, ?2, ?3, ?4, ?5, ?6)
        ON CONFLICT (trunk) DO UPDATE SET
            locked = excluded.locked, actor = excluded.actor, reason = excluded.reason, node = excluded.node,
            updated_at = excluded.updated_at
        """

    /// Columns 0...8 as `selectTrunks`: one node's (`?1`) view of every trunk.
    static let selectNodeTrunk = """
        SELECT trunk, state, cause, detail, since, locked_by, lock_reason, quarantine_until, awaiting_approval
        FROM node_trunk_state WHERE node = ?1 ORDER BY trunk
        """

    /// Columns 0...5, in `TrunkLockRecord` order.
    static let selectTrunkLocks = "SELECT trunk, locked, actor, reason, node, updated_at FROM trunk_locks ORDER BY trunk"

    /// Columns 0...8 as `selectTrunks`, then the node; every node's view of every trunk.
    static let selectNodeTrunks = """
        SELECT trunk, state, cause, detail, since, locked_by, lock_reason, quarantine_until, awaiting_approval, node
        FROM node_trunk_state ORDER BY node, trunk
        """

    /// `id` is left to SQLite (the rowid), so entries are numbered in commit order.
    static let insertAudit = """
        INSERT INTO audit_log (at, subject, kind, from_state, to_state, cause, detail, actor, node)
        VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)
        """

    /// Columns 0...8, in `TrunkStateRecord` order.
    static let selectTrunks = """
        SELECT trunk, state, cause, detail, since, locked_by, lock_reason, quarantine_until, awaiting_approval
        FROM trunk_state ORDER BY trunk
        """

    static let selectGroups = """
        SELECT group_name, forced_failover, actor, reason, node, updated_at FROM group_state ORDER BY group_name
        """

    /// Columns 0...8, in `AuditEntry` order; `?1` is the exclusive lower bound on `at`
    /// (-infinity for "from the start"), `?2` the limit. `id` breaks ties between entries with
    /// the same timestamp, so the order is the order they were appended.
    static let selectAudit = """
        SELECT id, at, subject, kind, from_state, to_state, cause, detail, actor, node
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

    // MARK: - Parameters and rows, shared by both back ends

    /// Parameters 1...10 of `upsertTrunk` (1...11 of `upsertNodeTrunk` with the node).
    static func bind<Parameters: StoreParameters>(_ record: TrunkStateRecord, updatedAt: Double, node: String?,
                                                  to statement: Parameters) throws(Parameters.Failure) {
        try statement.bind(record.trunk, at: 1)
        try statement.bind(record.state, at: 2)
        try statement.bind(record.cause, at: 3)
        try statement.bind(record.detail, at: 4)
        try statement.bind(record.since, at: 5)
        try statement.bind(record.lockedBy, at: 6)
        try statement.bind(record.lockReason, at: 7)
        try statement.bind(record.quarantineUntil, at: 8)
        try statement.bind(record.awaitingApproval ? 1 : 0, at: 9)
        try statement.bind(updatedAt, at: 10)
        if let node { try statement.bind(node, at: 11) }
    }

    /// Parameters 1...6 of `upsertGroup`.
    static func bind<Parameters: StoreParameters>(_ record: GroupStateRecord, updatedAt: Double, node: String?,
                                                  to statement: Parameters) throws(Parameters.Failure) {
        try statement.bind(record.group, at: 1)
        try statement.bind(record.forcedFailover ? 1 : 0, at: 2)
        try statement.bind(record.actor, at: 3)
        try statement.bind(record.reason, at: 4)
        try statement.bind(updatedAt, at: 5)
        try statement.bind(node, at: 6)
    }

    /// Parameters 1...9 of `insertAudit`.
    static func bind<Parameters: StoreParameters>(_ entry: AuditEntry, node: String?, to statement: Parameters)
        throws(Parameters.Failure)
    {
        try statement.bind(entry.at, at: 1)
        try statement.bind(entry.subject, at: 2)
        try statement.bind(entry.kind, at: 3)
        try statement.bind(entry.fromState, at: 4)
        try statement.bind(entry.toState, at: 5)
        try statement.bind(entry.cause, at: 6)
        try statement.bind(entry.detail, at: 7)
        try statement.bind(entry.actor, at: 8)
        try statement.bind(entry.node ?? node, at: 9)
    }

    /// Parameters 1...6 of `upsertTrunkLock`.
    static func bind<Parameters: StoreParameters>(_ record: TrunkLockRecord, node: String?, to statement: Parameters)
        throws(Parameters.Failure)
    {
        try statement.bind(record.trunk, at: 1)
        try statement.bind(record.locked ? 1 : 0, at: 2)
        try statement.bind(record.actor, at: 3)
        try statement.bind(record.reason, at: 4)
        try statement.bind(record.node ?? node, at: 5)
        try statement.bind(record.updatedAt, at: 6)
    }

    static func trunkState(_ row: some StoreRow) -> TrunkStateRecord {
        TrunkStateRecord(
            trunk: row.string(at: 0), state: row.string(at: 1), cause: row.optionalString(at: 2),
            detail: row.optionalString(at: 3), since: row.double(at: 4), lockedBy: row.optionalString(at: 5),
            lockReason: row.optionalString(at: 6), quarantineUntil: row.optionalDouble(at: 7),
            awaitingApproval: row.int(at: 8) != 0)
    }

    static func groupState(_ row: some StoreRow) -> GroupStateRecord {
        GroupStateRecord(group: row.string(at: 0), forcedFailover: row.int(at: 1) != 0, actor: row.optionalString(at: 2),
                         reason: row.optionalString(at: 3), node: row.optionalString(at: 4),
                         updatedAt: row.optionalDouble(at: 5))
    }

    static func auditEntry(_ row: some StoreRow) -> AuditEntry {
        AuditEntry(id: row.int64(at: 0), at: row.double(at: 1), subject: row.string(at: 2), kind: row.string(at: 3),
                   fromState: row.optionalString(at: 4), toState: row.optionalString(at: 5), cause: row.string(at: 6),
                   detail: row.optionalString(at: 7), actor: row.optionalString(at: 8), node: row.optionalString(at: 9))
    }

    static func trunkLock(_ row: some StoreRow) -> TrunkLockRecord {
        TrunkLockRecord(trunk: row.string(at: 0), locked: row.int(at: 1) != 0, actor: row.optionalString(at: 2),
                        reason: row.optionalString(at: 3), node: row.optionalString(at: 4), updatedAt: row.double(at: 5))
    }
}
