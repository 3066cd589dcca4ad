/// Reads trunk state, group state and the audit log back: for start-up restore, the admin API
/// and tools such as a future `sbc state`.
///
/// Each call opens its own read-only connection, like `CallRecordQuery`: thanks to WAL it sees
/// the last committed batch without blocking (or being blocked by) the writers, it can run in
/// another process, and no connection is shared between threads. These reads are rare (once at
/// start-up, then per admin request), so the open (tens of microseconds) does not matter.
public enum OperationalQuery {
    /// Every trunk's persisted state, by trunk name.
    ///
    /// - Throws: `SQLiteError` with `SQLITE_CANTOPEN` when there is no database at `path`.
    public static func trunkStates(path: String) throws(SQLiteError) -> [TrunkStateRecord] {
        let database = try SQLiteDatabase(path: path, mode: .readOnly)
        defer { database.close() }
        let rows = try database.prepare(OperationalSchema.selectTrunks)
        defer { rows.finalize() }
        var records: [TrunkStateRecord] = []
        while try rows.step() {
            records.append(TrunkStateRecord(
                trunk: rows.string(at: 0),
                state: rows.string(at: 1),
                cause: rows.optionalString(at: 2),
                detail: rows.optionalString(at: 3),
                since: rows.double(at: 4),
                lockedBy: rows.optionalString(at: 5),
                lockReason: rows.optionalString(at: 6),
                quarantineUntil: rows.optionalDouble(at: 7),
                awaitingApproval: rows.int(at: 8) != 0))
        }
        return records
    }

    /// Every group's persisted operator state, by group name.
    public static func groupStates(path: String) throws(SQLiteError) -> [GroupStateRecord] {
        let database = try SQLiteDatabase(path: path, mode: .readOnly)
        defer { database.close() }
        let rows = try database.prepare(OperationalSchema.selectGroups)
        defer { rows.finalize() }
        var records: [GroupStateRecord] = []
        while try rows.step() {
            records.append(GroupStateRecord(
                group: rows.string(at: 0),
                forcedFailover: rows.int(at: 1) != 0,
                actor: rows.optionalString(at: 2),
                reason: rows.optionalString(at: 3)))
        }
        return records
    }

    /// Audit entries strictly after `since` (Unix seconds; nil: from the first entry), oldest
    /// first, at most `limit` of them.
    ///
    /// Oldest first with an exclusive lower bound is the shape of a cursor: pass the last
    /// entry's `at` to get the next page, or poll for new entries. Entries sharing that exact
    /// timestamp would be skipped by such a cursor; timestamps carry microseconds, and a
    /// caller that must not miss any can re-read from a slightly earlier `since` and drop the
    /// ids it has seen.
    public static func audit(path: String, since: Double?, limit: Int) throws(SQLiteError) -> [AuditEntry] {
        guard limit > 0 else { return [] }  // SQLite reads a negative LIMIT as "no limit"
        let database = try SQLiteDatabase(path: path, mode: .readOnly)
        defer { database.close() }
        let rows = try database.prepare(OperationalSchema.selectAudit)
        defer { rows.finalize() }
        try rows.bind(since ?? -Double.infinity, at: 1)
        try rows.bind(limit, at: 2)
        var entries: [AuditEntry] = []
        while try rows.step() {
            entries.append(AuditEntry(
                id: rows.int64(at: 0),
                at: rows.double(at: 1),
                subject: rows.string(at: 2),
                kind: rows.string(at: 3),
                fromState: rows.optionalString(at: 4),
                toState: rows.optionalString(at: 5),
                cause: rows.string(at: 6),
                detail: rows.optionalString(at: 7),
                actor: rows.optionalString(at: 8)))
        }
        return entries
    }
}
