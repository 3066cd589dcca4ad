/// Writes batches of CDRs on the store thread with three reused prepared statements, one
/// transaction per batch (see `StoreBatchWriter`). Owns its connection; confined to the writer
/// thread.
final class CallRecordWriter: StoreBatchWriter {
    let database: SQLiteDatabase
    private let insertCall: SQLiteStatement
    private let insertAttempt: SQLiteStatement
    private let insertMedia: SQLiteStatement

    init(database: SQLiteDatabase) throws(SQLiteError) {
        self.database = database
        insertCall = try database.prepare(CallRecordSchema.insertCall)
        insertAttempt = try database.prepare(CallRecordSchema.insertAttempt)
        insertMedia = try database.prepare(CallRecordSchema.insertMedia)
    }

    var statements: [SQLiteStatement] { [insertCall, insertAttempt, insertMedia] }

    /// Inserts one call with its attempts and media legs.
    func apply(_ record: CallRecord) throws(SQLiteError) {
        // Typed binds one by one rather than an array of SQLiteValue: no allocation per row.
        defer { insertCall.reset() }
        try insertCall.bind(record.callID, at: 1)
        try insertCall.bind(record.legBCallID, at: 2)
        try insertCall.bind(record.fromURI, at: 3)
        try insertCall.bind(record.toURI, at: 4)
        try insertCall.bind(record.ingressTrunk, at: 5)
        try insertCall.bind(record.route, at: 6)
        try insertCall.bind(record.startedAt, at: 7)
        try insertCall.bind(record.answeredAt, at: 8)
        try insertCall.bind(record.endedAt, at: 9)
        try insertCall.bind(record.durationSeconds, at: 10)
        try insertCall.bind(record.disposition, at: 11)
        try insertCall.bind(record.finalStatus, at: 12)
        try insertCall.bind(record.finalTrunk, at: 13)
        try insertCall.bind(record.endedBy, at: 14)
        try insertCall.bind(record.recovered ? 1 : 0, at: 15)
        try insertCall.step()
        let rowID = database.lastInsertRowID
        for (index, attempt) in record.attempts.enumerated() {
            defer { insertAttempt.reset() }
            try insertAttempt.bind(rowID, at: 1)
            try insertAttempt.bind(index + 1, at: 2)
            try insertAttempt.bind(attempt.trunk, at: 3)
            try insertAttempt.bind(attempt.startedAt, at: 4)
            try insertAttempt.bind(attempt.responseCode, at: 5)
            try insertAttempt.bind(attempt.reason, at: 6)
            try insertAttempt.bind(attempt.responseTimeMs, at: 7)
            try insertAttempt.bind(attempt.outcome, at: 8)
            try insertAttempt.bind(attempt.endedAt, at: 9)
            try insertAttempt.bind(attempt.overflow ? 1 : 0, at: 10)
            try insertAttempt.step()
        }
        for leg in record.media {
            defer { insertMedia.reset() }
            try insertMedia.bind(rowID, at: 1)
            try insertMedia.bind(leg.side, at: 2)
            try insertMedia.bind(leg.trunk, at: 3)
            try insertMedia.bind(leg.packetsReceived, at: 4)
            try insertMedia.bind(leg.bytesReceived, at: 5)
            try insertMedia.bind(leg.packetsForwarded, at: 6)
            try insertMedia.bind(leg.packetsDropped, at: 7)
            try insertMedia.bind(leg.rtcpPackets, at: 8)
            try insertMedia.bind(leg.packetsLost, at: 9)
            try insertMedia.bind(leg.jitterMs, at: 10)
            try insertMedia.bind(leg.latchedSource, at: 11)
            try insertMedia.bind(leg.srtpAuthFailures, at: 12)
            try insertMedia.bind(leg.srtpReplays, at: 13)
            try insertMedia.bind(leg.srtpErrors, at: 14)
            try insertMedia.step()
        }
    }
}
