import Foundation
import Glibc
import Logging

/// Snapshots of established calls in the state database (`established_calls`), so that a
/// restarted SBC can put its calls back (docs/RESTART.md).
///
/// Like `OperationalStore`: `save` and `remove` only enqueue, from the signalling thread; one
/// writer thread ("sbc-calls") applies them in order, one transaction per batch. A thread of
/// its own so that a burst of answered calls never delays a trunk-state or CDR write.
///
/// The rows hold SDES master keys, so opening the store makes the database file (and its WAL
/// and shared-memory files, which SQLite creates with the database's mode) readable by its
/// owner only (0600).
public final class EstablishedCallStore: Sendable {
    public static let defaultCapacity = 100_000

    public let path: String
    private let writer: StoreWriterThread<EstablishedCallWriteItem>
    private var queue: StoreQueue<EstablishedCallWriteItem> { writer.queue }

    public init(path: String, logger: Logger, capacity: Int = EstablishedCallStore.defaultCapacity) throws(SQLiteError) {
        self.path = path
        writer = try StoreWriterThread(path: path, name: "sbc-calls", label: "established call", metadataKey: "state_db",
                                       capacity: capacity, logger: logger) { database throws(SQLiteError) in
            try EstablishedCallWriter(database: database)
        }
        for file in [path, path + "-wal", path + "-shm"] where access(file, F_OK) == 0 {
            if chmod(file, 0o600) != 0 {
                logger.warning("state database permissions not restricted", metadata: [
                    "path": "\(file)", "errno": "\(errno)",
                ])
            }
        }
    }

    deinit { close() }

    /// Queues an upsert of the call's row and returns at once; the writer thread encodes
    /// `record` as JSON.
    public func save(key: String, record: some Encodable & Sendable) {
        queue.enqueue(.save(key: key, record: record, updatedAt: Date().timeIntervalSince1970))
    }

    /// Queues the deletion of the call's row and returns at once.
    public func remove(key: String) {
        queue.enqueue(.remove(key: key))
    }

    /// Every stored snapshot, oldest write first. Synchronous, on its own read-only connection:
    /// for start-up, never the signalling thread once it runs.
    public func load() throws(SQLiteError) -> [EstablishedCallRow] {
        let database = try SQLiteDatabase(path: path, mode: .readOnly)
        defer { database.close() }
        let rows = try database.prepare(EstablishedCallWriter.select)
        defer { rows.finalize() }
        var result: [EstablishedCallRow] = []
        while try rows.step() {
            result.append(EstablishedCallRow(key: rows.string(at: 0), record: rows.blob(at: 1),
                                             updatedAt: rows.double(at: 2)))
        }
        return result
    }

    /// Blocks until every write queued before this call has been committed (tests, shutdown).
    public func flush() {
        queue.waitUntilCompleted()
    }

    /// Writes what is queued and stops the writer thread. Idempotent.
    public func close() {
        writer.stop()
    }

    /// Writes committed, refused (queue full or closed) and lost (failed batch).
    public var written: Int { queue.counters.written }
    public var dropped: Int { queue.counters.dropped }
    public var failed: Int { queue.counters.failed }
}
