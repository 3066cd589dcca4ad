/// Where an `OperationalStore` reads from: its SQLite file (a read-only connection per read,
/// see `OperationalQuery`) or the cluster's PostgreSQL database (one connection for reads, apart
/// from the writer's, so a read never waits behind a batch).
enum StoreReads: Sendable {
    case sqlite(path: String)
    /// `node` is this node: its own trunk rows are what it restores.
    case postgres(PostgresReader, node: String)

    /// Runs a read on the SQLite file, with its error as a `StoreError`.
    static func local<Value>(_ read: () throws(SQLiteError) -> Value) throws(StoreError) -> Value {
        do {
            return try read()
        } catch {
            throw .sqlite(error)
        }
    }
}

/// One PostgreSQL connection for the reads of start-up and the admin API, taken by one caller at a
/// time (a `PostgresSession` is not shared between threads unguarded).
final class PostgresReader: @unchecked Sendable {
    private let session: PostgresSession
    private let lock = ConditionLock()

    init(session: PostgresSession) {
        self.session = session
    }

    func read<Value>(_ body: (PostgresSession) throws(StoreError) -> Value) throws(StoreError) -> Value {
        try lock.withLock { () throws(StoreError) -> Value in try body(session) }
    }

    /// Every row of `sql` (SQLite text), decoded.
    func rows<Record>(_ sql: String, _ parameters: PostgresParameters? = nil,
                      decode: (PostgresStoreRow) -> Record) throws(StoreError) -> [Record] {
        try read { session throws(StoreError) in try PostgresSchema.rows(session, sql, parameters, decode: decode) }
    }
}
