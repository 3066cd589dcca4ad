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
        while try rows.step() { records.append(OperationalSchema.trunkState(rows)) }
        return records
    }

    /// Every group's persisted operator state, by group name.
    public static func groupStates(path: String) throws(SQLiteError) -> [GroupStateRecord] {
        let database = try SQLiteDatabase(path: path, mode: .readOnly)
        defer { database.close() }
        let rows = try database.prepare(OperationalSchema.selectGroups)
        defer { rows.finalize() }
        var records: [GroupStateRecord] = []
        while try rows.step() { records.append(OperationalSchema.groupState(rows)) }
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
        while try rows.step() { entries.append(OperationalSchema.auditEntry(rows)) }
        return entries
    }
}
