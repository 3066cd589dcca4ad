/// Writes batches of CDRs to the shared PostgreSQL database on the store thread: the columns
/// and parameters of `CallRecordWriter`, one transaction per batch.
///
/// Round trips, not rows, are what a remote database costs (postgres-nio does not pipeline):
/// a batch takes the ids of its calls from the sequence in one statement, then inserts every
/// call, every attempt and every media leg with one multi-row statement per table, whatever
/// its size: six round trips for a batch, where one statement per row took five per call.
final class PostgresCallRecordWriter: StoreBatchWriter {
    private let session: PostgresSession
    private let node: String
    /// Rows per statement: the calls' 17 parameters stay far below PostgreSQL's 65,535.
    static let rowsPerStatement = 500
    private static let callParameters: Int32 = 16
    private static let attemptParameters: Int32 = 10
    private static let mediaParameters: Int32 = 14
    private static let nextIDs = "SELECT nextval(pg_get_serial_sequence('calls', 'id')) FROM generate_series(1, $1)"

    init(session: PostgresSession, node: String) {
        self.session = session
        self.node = node
    }

    func write(_ batch: [[CallRecord]]) throws(StoreError) {
        let records = batch.joined()
        try session.transaction { () throws(StoreError) in
            var start = records.startIndex
            while start < records.endIndex {
                let end = records.index(start, offsetBy: Self.rowsPerStatement, limitedBy: records.endIndex) ?? records.endIndex
                try insert(Array(records[start..<end]))
                start = end
            }
        }
    }

    private func insert(_ records: [CallRecord]) throws(StoreError) {
        let count = PostgresParameters()
        count.bind(records.count, at: 1)
        let ids = try session.query(Self.nextIDs, count).map { PostgresStoreRow($0).int64(at: 0) }
        guard ids.count == records.count else { throw .refused("the calls sequence gave \(ids.count) ids for \(records.count) calls") }

        let calls = PostgresParameters()
        var attempts: [(CallAttempt, number: Int, call: Int64)] = []
        var legs: [(CallMediaLeg, call: Int64)] = []
        for (row, (record, id)) in zip(records, ids).enumerated() {
            let base = Int32(row) * (Self.callParameters + 1)
            calls.bind(id, at: base + 1)
            CallRecordSchema.bindCall(record, node: node, to: calls, after: base + 1)
            attempts += record.attempts.enumerated().map { ($1, $0 + 1, id) }
            legs += record.media.map { ($0, id) }
        }
        try session.query(SQLDialect.multiRowInsert(CallRecordSchema.insertCall, rows: records.count, leading: ["id"]),
                          calls)
        try insertRows(attempts, CallRecordSchema.insertAttempt, parameters: Self.attemptParameters) { item, to, base in
            CallRecordSchema.bindAttempt(item.0, number: item.number, call: item.call, to: to, after: base)
        }
        try insertRows(legs, CallRecordSchema.insertMedia, parameters: Self.mediaParameters) { item, to, base in
            CallRecordSchema.bindMedia(item.0, call: item.call, to: to, after: base)
        }
    }

    /// Inserts `rows` with multi-row statements of at most `rowsPerStatement` rows each.
    private func insertRows<Row>(_ rows: [Row], _ sql: String, parameters perRow: Int32,
                                 bind: (Row, PostgresParameters, Int32) -> Void) throws(StoreError) {
        for chunk in stride(from: 0, to: rows.count, by: Self.rowsPerStatement) {
            let slice = rows[chunk..<min(chunk + Self.rowsPerStatement, rows.count)]
            let parameters = PostgresParameters()
            for (row, item) in slice.enumerated() { bind(item, parameters, Int32(row) * perRow) }
            try session.query(SQLDialect.multiRowInsert(sql, rows: slice.count), parameters)
        }
    }

    func close() { session.close() }
}
