/// Writes batches of CDRs on the store thread with three reused prepared statements, one
/// transaction per batch (see `SQLiteBatchWriter`). Owns its connection; confined to the writer
/// thread.
final class CallRecordWriter: SQLiteBatchWriter {
    typealias Element = CallRecord
    let database: SQLiteDatabase
    /// This node's name, written into every CDR (`calls.node`).
    private let node: String?
    private let insertCall: SQLiteStatement
    private let insertAttempt: SQLiteStatement
    private let insertMedia: SQLiteStatement

    init(database: SQLiteDatabase, node: String?) throws(SQLiteError) {
        self.database = database
        self.node = node
        insertCall = try database.prepare(CallRecordSchema.insertCall)
        insertAttempt = try database.prepare(CallRecordSchema.insertAttempt)
        insertMedia = try database.prepare(CallRecordSchema.insertMedia)
    }

    var statements: [SQLiteStatement] { [insertCall, insertAttempt, insertMedia] }

    /// Inserts one call with its attempts and media legs.
    func apply(_ record: CallRecord) throws(SQLiteError) {
        // Typed binds one by one rather than an array of SQLiteValue: no allocation per row.
        defer { insertCall.reset() }
        try CallRecordSchema.bindCall(record, node: node, to: insertCall)
        try insertCall.step()
        let rowID = database.lastInsertRowID
        for (index, attempt) in record.attempts.enumerated() {
            defer { insertAttempt.reset() }
            try CallRecordSchema.bindAttempt(attempt, number: index + 1, call: rowID, to: insertAttempt)
            try insertAttempt.step()
        }
        for leg in record.media {
            defer { insertMedia.reset() }
            try CallRecordSchema.bindMedia(leg, call: rowID, to: insertMedia)
            try insertMedia.step()
        }
    }
}
