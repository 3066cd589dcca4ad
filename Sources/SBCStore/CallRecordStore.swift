import CSBCSQLite
import Glibc
import Logging

/// Persists call detail records to SQLite on a dedicated thread.
///
/// The signalling loop must never wait for disk, so `record(_:)` only appends to a bounded,
/// mutex-protected queue and returns (about a microsecond); one writer thread owns the
/// connection and commits whatever has accumulated in a single transaction. When the writer
/// falls more than `capacity` records behind (stalled disk), new records are dropped and
/// counted rather than blocking calls or growing memory without bound.
///
/// A real pthread rather than a Swift task: the writer blocks in SQLite (fsync, busy waits)
/// and on a condition variable, which would starve the cooperative pool; a named thread
/// ("sbc-store") also shows up in `top -H` and core dumps.
public final class CallRecordStore: Sendable {
    /// Default bound on records accepted but not yet written.
    public static let defaultCapacity = 100_000

    /// The CDR database inside the SBC's state directory: `<stateDirectory>/cdr.sqlite`.
    public static func defaultPath(stateDirectory: String) -> String {
        stateDirectory.hasSuffix("/") ? stateDirectory + "cdr.sqlite" : stateDirectory + "/cdr.sqlite"
    }

    public let path: String
    private let queue: CallRecordQueue
    private let thread: pthread_t

    /// Everything the writer thread owns, handed over once through `pthread_create`'s argument.
    /// Unchecked Sendable: after the hand-over only the writer thread touches `writer`.
    private final class WriterContext: @unchecked Sendable {
        let writer: CallRecordWriter
        let queue: CallRecordQueue
        let logger: Logger
        init(writer: CallRecordWriter, queue: CallRecordQueue, logger: Logger) {
            self.writer = writer
            self.queue = queue
            self.logger = logger
        }
    }

    /// Opens (creating directories and the file as needed) and migrates the database on the
    /// caller's thread, so a bad path or schema fails here, loudly, at startup; then starts the
    /// writer thread.
    public init(path: String, logger: Logger, capacity: Int = CallRecordStore.defaultCapacity) throws(SQLiteError) {
        self.path = path
        let database = try SQLiteDatabase(path: path, mode: .readWriteCreate)
        try database.migrate(CallRecordSchema.migrations)
        let writer = try CallRecordWriter(database: database)
        let queue = CallRecordQueue(capacity: capacity)
        self.queue = queue
        var logger = logger
        logger[metadataKey: "cdr_db"] = "\(path)"
        let context = Unmanaged.passRetained(WriterContext(writer: writer, queue: queue, logger: logger)).toOpaque()
        var tid = pthread_t()
        let rc = pthread_create(&tid, nil, { argument in
            let context = Unmanaged<WriterContext>.fromOpaque(argument!).takeRetainedValue()
            CallRecordStore.runWriter(context)
            return nil
        }, context)
        guard rc == 0 else {
            Unmanaged<WriterContext>.fromOpaque(context).release()
            writer.close()
            throw SQLiteError(code: SQLITE_ERROR, message: "pthread_create failed: \(String(cString: strerror(rc)))",
                              context: "start CDR writer for \(path)")
        }
        thread = tid
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
        if queue.requestStop() {
            _ = pthread_join(thread, nil)
        } else {
            queue.waitUntilExited()
        }
    }

    /// Records committed to the database.
    public var written: Int { queue.counters.written }
    /// Records refused because the queue was full or the store closed.
    public var dropped: Int { queue.counters.dropped }
    /// Records lost because their batch's transaction failed (logged by the writer).
    public var failed: Int { queue.counters.failed }
    /// Records accepted but not yet written.
    public var backlog: Int { queue.counters.backlog }

    /// Test hook: stall the writer (as a hung disk would) so the bound can be exercised.
    /// `flush()` waits forever while suspended; `close()` resumes the writer and drains.
    func suspendWriter() { queue.setSuspended(true) }
    func resumeWriter() { queue.setSuspended(false) }

    // MARK: - Writer thread

    private static func runWriter(_ context: WriterContext) {
        nameCurrentThread("sbc-store")
        let logger = context.logger
        var batch: [[CallRecord]] = []
        var reportedDrops = 0
        var failingSince: Int?  // records lost in the current failure streak, nil when healthy
        while context.queue.nextBatch(into: &batch) {
            let count = batch.reduce(0) { $0 + $1.count }
            let succeeded: Bool
            do throws(SQLiteError) {
                try context.writer.write(batch)
                succeeded = true
            } catch {
                succeeded = false
                // Log the first failure of a streak only: a full disk fails every batch.
                if failingSince == nil {
                    logger.error("CDR batch not written", metadata: ["error": "\(error)", "records": "\(count)"])
                }
                failingSince = (failingSince ?? 0) + count
            }
            if succeeded, let lost = failingSince {
                logger.warning("CDR writes recovered", metadata: ["lost_records": "\(lost)"])
                failingSince = nil
            }
            // Release the records here, not under the queue's lock.
            for index in batch.indices { batch[index].removeAll(keepingCapacity: true) }
            let dropped = context.queue.complete(count: count, succeeded: succeeded, emptiedChunks: &batch)
            if dropped > reportedDrops {
                logger.warning("CDR queue full, records dropped", metadata: [
                    "dropped_total": "\(dropped)", "dropped_new": "\(dropped - reportedDrops)",
                ])
                reportedDrops = dropped
            }
            batch.removeAll(keepingCapacity: true)  // the chunk list itself; chunks not kept are freed
        }
        context.writer.close()
        context.queue.markExited()
    }

    /// Names the calling thread via /proc (Glibc does not import `pthread_setname_np`); best
    /// effort, Linux truncates to 15 bytes.
    private static func nameCurrentThread(_ name: String) {
        let fd = open("/proc/thread-self/comm", O_WRONLY)
        guard fd >= 0 else { return }
        _ = name.withCString { write(fd, $0, min(strlen($0), 15)) }
        _ = Glibc.close(fd)
    }
}
