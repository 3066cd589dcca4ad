import CSBCSQLite

/// Reads CDRs back, for `sbc cdr`, the admin API and tests.
///
/// Opens its own read-only connection per call: thanks to WAL it sees the last committed
/// batch without blocking (or being blocked by) the SBC's writer, and it can run in another
/// process while the SBC is up.
public enum CallRecordQuery {
    /// The most recent calls (by start time, newest first), with their attempts in order and
    /// their media legs by side.
    ///
    /// - Parameters:
    ///   - limit: at most this many calls.
    ///   - callID: only calls whose A-leg Call-ID is exactly this.
    /// - Throws: `SQLiteError` with `SQLITE_CANTOPEN` when there is no database at `path`.
    public static func recent(path: String, limit: Int = 20, callID: String? = nil) throws(SQLiteError) -> [CallRecord] {
        let database = try SQLiteDatabase(path: path, mode: .readOnly)
        defer { database.close() }
        var sql = CallRecordSchema.selectCalls(withRecovered: try exists(CallRecordSchema.callRecoveredExists, in: database))
        if callID != nil { sql += " WHERE call_id = ?2" }
        sql += " ORDER BY started_at DESC, id DESC LIMIT ?1"
        let calls = try database.prepare(sql)
        let attempts = try database.prepare(CallRecordSchema.selectAttempts(
            withEnd: exists(CallRecordSchema.attemptEndExists, in: database),
            withOverflow: exists(CallRecordSchema.attemptOverflowExists, in: database)))
        // A file no SBC of this version has opened yet (read-only, so not migrated) has no
        // call_media table; its calls have no media legs, and `sbc cdr` must still read them.
        let media = try exists(CallRecordSchema.mediaTableExists, in: database)
            ? database.prepare(CallRecordSchema.selectMedia(withSRTP: exists(CallRecordSchema.mediaSRTPExists, in: database)))
            : nil
        defer {
            calls.finalize()
            attempts.finalize()
            media?.finalize()
        }
        try calls.bind(max(0, limit), at: 1)
        if let callID { try calls.bind(callID, at: 2) }

        // Read them all inside one read transaction, so calls, attempts and media are consistent
        // even if the writer commits in between.
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
            record.recovered = calls.int(at: 14) != 0
            let rowID = calls.int64(at: 0)
            try attempts.bind(rowID, at: 1)
            while try attempts.step() {
                record.attempts.append(CallAttempt(
                    trunk: attempts.string(at: 0),
                    startedAt: attempts.double(at: 1),
                    responseCode: attempts.optionalInt(at: 2),
                    reason: attempts.optionalString(at: 3),
                    responseTimeMs: attempts.optionalDouble(at: 4),
                    outcome: attempts.string(at: 5),
                    endedAt: attempts.optionalDouble(at: 6),
                    overflow: attempts.int(at: 7) != 0))
            }
            attempts.reset()
            if let media {
                try media.bind(rowID, at: 1)
                while try media.step() {
                    record.media.append(CallMediaLeg(
                        side: media.string(at: 0),
                        trunk: media.optionalString(at: 1),
                        packetsReceived: media.int64(at: 2),
                        bytesReceived: media.int64(at: 3),
                        packetsForwarded: media.int64(at: 4),
                        packetsDropped: media.int64(at: 5),
                        rtcpPackets: media.int64(at: 6),
                        packetsLost: media.int64(at: 7),
                        jitterMs: media.double(at: 8),
                        latchedSource: media.optionalString(at: 9),
                        srtpAuthFailures: media.int64(at: 10),
                        srtpReplays: media.int64(at: 11),
                        srtpErrors: media.int64(at: 12)))
                }
                media.reset()
            }
            records.append(record)
        }
        return records
    }

    /// Whether `query` (a schema check) finds a row.
    private static func exists(_ query: String, in database: SQLiteDatabase) throws(SQLiteError) -> Bool {
        let check = try database.prepare(query)
        defer { check.finalize() }
        return try check.step()
    }
}
