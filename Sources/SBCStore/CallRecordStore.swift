import Logging

/// Persists call detail records to SQLite on a dedicated thread.
///
/// The signalling loop must never wait for disk, so `record(_:)` only appends to a bounded,
/// mutex-protected queue and returns (about a microsecond); one writer thread
/// (`StoreWriterThread`, named "sbc-store") owns the connection and commits whatever has
/// accumulated in a single transaction. When the writer falls more than `capacity` records
/// behind (stalled disk), new records are dropped and counted rather than blocking calls or
/// growing memory without bound.
///
/// The file is the SBC's state database (docs/STATE.md), shared with `OperationalStore` and
/// `IdempotencyStore`; every opener applies the whole `StateSchema` migration list.
public final class CallRecordStore: Sendable {
    /// Default bound on records accepted but not yet written.
    public static let defaultCapacity = 100_000

    /// The SBC's state database inside its state directory: `<stateDirectory>/cdr.sqlite`.
    /// The name predates the trunk-state and audit tables; it is kept so existing state
    /// directories, scripts and `sbc cdr` keep working.
    public static func defaultPath(stateDirectory: String) -> String {
        stateDirectory.hasSuffix("/") ? stateDirectory + "cdr.sqlite" : stateDirectory + "/cdr.sqlite"
    }

    /// The SQLite file, or the PostgreSQL database's URL (without a password).
    public let path: String
    private let writer: StoreWriterThread<CallRecord>
    /// CDRs gather for up to 50 ms before a commit: nobody reads one sooner (a flush, such as an
    /// admin read or `sbc cdr`, takes them at once), and one commit per call was a tenth of the
    /// SBC's CPU per call at 1,000 calls/s (issue 15).
    static let linger: Duration = .milliseconds(50)
    private var queue: StoreQueue<CallRecord> { writer.queue }

    /// Opens (creating directories and the file as needed) and migrates the database on the
    /// caller's thread, so a bad path or schema fails here, loudly, at startup; then starts the
    /// writer thread.
    ///
    /// - Parameter node: this node's name, written into every CDR (`calls.node`).
    public init(path: String, logger: Logger, capacity: Int = CallRecordStore.defaultCapacity,
                node: String? = nil) throws(SQLiteError) {
        self.path = path
        writer = try StoreWriterThread(path: path, name: "sbc-store", label: "CDR", metadataKey: "cdr_db",
                                       capacity: capacity, linger: Self.linger, logger: logger) { database throws(SQLiteError) in
            try CallRecordWriter(database: database, node: node)
        }
    }

    /// Writes the CDRs of node `node` to a PostgreSQL database shared by a cluster: migrates it on
    /// the caller's thread (so an unreachable or newer database fails at start-up), then starts
    /// the writer thread, which holds CDRs through later outages (`StoreError.unreachable`).
    public init(postgres endpoint: PostgresEndpoint, node: String, logger: Logger,
                capacity: Int = CallRecordStore.defaultCapacity) throws(StoreError) {
        path = endpoint.description
        writer = try StoreWriterThread(postgres: endpoint, name: "sbc-store", label: "CDR", metadataKey: "cdr_db",
                                       capacity: capacity, linger: Self.linger, logger: logger) { session in
            PostgresCallRecordWriter(session: session, node: node)
        }
    }

    deinit { close() }

    /// Queues `record` for writing and returns at once. Never blocks on I/O; if the writer is
    /// `capacity` records behind, or the store is closed, the record is dropped and counted in
    /// `dropped` (the writer logs the growth).
    public func record(_ record: CallRecord) {
        queue.enqueue(record)
    }

    /// Blocks until every record queued before this call has been written (or has failed).
    /// For tests and shutdown: never call it on the signalling thread.
    public func flush() {
        queue.waitUntilCompleted()
    }

    /// Writes what is queued, stops the writer thread and closes the database. Idempotent and
    /// safe from several threads; later `record(_:)` calls are counted as dropped.
    public func close() {
        writer.stop()
    }

    /// Records committed to the database.
    public var written: Int { queue.counters.written }
    /// Records refused because the queue was full or the store closed.
    public var dropped: Int { queue.counters.dropped }
    /// Records lost because their batch's transaction failed (logged by the writer).
    public var failed: Int { queue.counters.failed }
    /// Records accepted but not yet written.
    public var backlog: Int { queue.counters.backlog }
    /// All of the above at one instant (one lock), for metrics.
    public var counters: StoreCounters { queue.counters }
    /// False while the writer holds CDRs for a database it cannot reach.
    public var reachable: Bool { queue.counters.reachable }

    /// Test hook: stall the writer (as a hung disk would) so the bound can be exercised.
    /// `flush()` waits forever while suspended; `close()` resumes the writer and drains.
    func suspendWriter() { queue.setSuspended(true) }
    func resumeWriter() { queue.setSuspended(false) }
}
