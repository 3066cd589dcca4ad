/// Writes batches of CDRs to the shared PostgreSQL database on the store thread: the same
/// statements and parameters as `CallRecordWriter`, one transaction per batch.
///
/// Each statement is a round trip (postgres-nio does not pipeline), about 0.1 ms on loopback: a
/// call with two attempts and two media legs costs five, so one thread commits some 2,000 CDRs a
/// second, several times a node's call rate; a backlog only grows while the database is away.
final class PostgresCallRecordWriter: StoreBatchWriter {
    private let session: PostgresSession
    private let node: String
    private static let insertCall = SQLDialect.postgres(CallRecordSchema.insertCall) + " RETURNING id"
    private static let insertAttempt = SQLDialect.postgres(CallRecordSchema.insertAttempt)
    private static let insertMedia = SQLDialect.postgres(CallRecordSchema.insertMedia)

    init(session: PostgresSession, node: String) {
        self.session = session
        self.node = node
    }

    func write(_ batch: [[CallRecord]]) throws(StoreError) {
        try session.transaction { () throws(StoreError) in
            for chunk in batch {
                for record in chunk { try insert(record) }
            }
        }
    }

    private func insert(_ record: CallRecord) throws(StoreError) {
        let call = PostgresParameters()
        CallRecordSchema.bindCall(record, node: node, to: call)
        guard let row = try session.query(Self.insertCall, call).first else {
            throw .refused("INSERT INTO calls returned no id")
        }
        let rowID = PostgresStoreRow(row).int64(at: 0)
        for (index, attempt) in record.attempts.enumerated() {
            let parameters = PostgresParameters()
            CallRecordSchema.bindAttempt(attempt, number: index + 1, call: rowID, to: parameters)
            try session.query(Self.insertAttempt, parameters)
        }
        for leg in record.media {
            let parameters = PostgresParameters()
            CallRecordSchema.bindMedia(leg, call: rowID, to: parameters)
            try session.query(Self.insertMedia, parameters)
        }
    }

    func close() { session.close() }
}
