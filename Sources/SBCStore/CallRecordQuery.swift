import CSBCSQLite

/// Reads CDRs back, for `sbc cdr`, the admin API and tests.
///
/// Opens its own read-only connection per call: thanks to WAL it sees the last committed
/// batch without blocking (or being blocked by) the SBC's writer, and it can run in another
/// process while the SBC is up.
public enum CallRecordQuery {
    /// The most recent calls (by start time, newest first), with their attempts in order.
    ///
    /// - Parameters:
    ///   - limit: at most this many calls.
    ///   - callID: only calls whose A-leg Call-ID is exactly this.
    /// - Throws: `SQLiteError` with `SQLITE_CANTOPEN` when there is no database at `path`.
    public static func recent(path: String, limit: Int = 20, callID: String? = nil) throws(SQLiteError) -> [CallRecord] {
        let database = try SQLiteDatabase(path: path, mode: .readOnly)
        defer { database.close() }
        var sql = CallRecordSchema.selectCalls
        if callID != nil { sql += " WHERE call_id = ?2" }
        sql += " ORDER BY started_at DESC, id DESC LIMIT ?1"
        let calls = try database.prepare(sql)
        let attempts = try database.prepare(CallRecordSchema.selectAttempts)
        defer {
            calls.finalize()
            attempts.finalize()
        }
        try calls.bind(max(0, limit), at: 1)
        if let callID { try calls.bind(callID, at: 2) }

        // Read them all inside one read transaction, so calls and attempts are consistent even
        // if the writer commits in between.
        try database.execute("BEGIN")
        defer { try? database.execute("COMMIT") }
        var records: [CallRecord] = []
        while try calls.step() {
            var record = CallRecord(
                callID: calls.string(at: 1),
                legBCallID: calls.optionalString(at: 2),
                fromURI: calls.string(at: 3),
                toURI: calls.string(at: 4),
                ingressTrunk: calls.string(at: 5),
                route: calls.optionalString(at: 6),
                startedAt: calls.double(at: 7),
                answeredAt: calls.optionalDouble(at: 8),
                endedAt: calls.double(at: 9),
                disposition: calls.string(at: 10),
                finalStatus: calls.optionalInt(at: 11),
                finalTrunk: calls.optionalString(at: 12),
                endedBy: calls.optionalString(at: 13))
            try attempts.bind(calls.int64(at: 0), at: 1)
            while try attempts.step() {
                record.attempts.append(CallAttempt(
                    trunk: attempts.string(at: 0),
                    startedAt: attempts.double(at: 1),
                    responseCode: attempts.optionalInt(at: 2),
                    reason: attempts.optionalString(at: 3),
                    responseTimeMs: attempts.optionalDouble(at: 4),
                    outcome: attempts.string(at: 5)))
            }
            attempts.reset()
            records.append(record)
        }
        return records
    }
}
