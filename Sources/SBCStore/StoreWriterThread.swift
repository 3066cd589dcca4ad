import CSBCSQLite
import Glibc
import Logging

/// One named pthread that drains a `StoreQueue` into a `StoreBatchWriter`: the write machinery
/// shared by `CallRecordStore` and `OperationalStore`.
///
/// A real pthread rather than a Swift task: the writer blocks in SQLite (fsync, busy waits)
/// and on a condition variable, which would starve the cooperative pool; a named thread
/// ("sbc-store", "sbc-state") also shows up in `top -H` and core dumps. Each store has its own
/// thread and connection, so a CDR backlog never delays trunk-state writes and vice versa; WAL
/// and the busy timeout serialise their commits on the shared file.
final class StoreWriterThread<Element: Sendable>: Sendable {
    let queue: StoreQueue<Element>
    private let thread: pthread_t

    /// Starts the thread. On failure the writer is closed and an `SQLiteError` describing
    /// `pthread_create`'s error is thrown, so store initialisers have a single error type.
    ///
    /// - Parameters:
    ///   - name: thread name (at most 15 bytes are kept by Linux).
    ///   - label: what the items are in log messages ("CDR", "state").
    ///   - linger: how long a batch may gather before it is written (`StoreQueue.init`).
    init<Writer: StoreBatchWriter>(name: String, label: String, writer: Writer, capacity: Int, linger: Duration = .zero,
                                   logger: Logger) throws(SQLiteError) where Writer.Element == Element {
        let queue = StoreQueue<Element>(capacity: capacity, linger: linger)
        let body = Self.makeBody(name: name, label: label, writer: writer, queue: queue, logger: logger)
        thread = try startThread(body, label: label)
        self.queue = queue
    }

    /// Opens (creating directories and the file as needed) and migrates the state database on
    /// the caller's thread, so a bad path or schema fails at start-up, loudly; then starts the
    /// writer thread on a connection of its own. What every store does to open.
    convenience init<Writer: StoreBatchWriter>(
        path: String, name: String, label: String, metadataKey: String, capacity: Int, linger: Duration = .zero,
        logger: Logger, makeWriter: (SQLiteDatabase) throws(SQLiteError) -> Writer
    ) throws(SQLiteError) where Writer.Element == Element {
        let database = try SQLiteDatabase(path: path, mode: .readWriteCreate)
        try database.migrate(StateSchema.migrations)
        var logger = logger
        logger[metadataKey: metadataKey] = "\(path)"
        try self.init(name: name, label: label, writer: try makeWriter(database), capacity: capacity, linger: linger,
                      logger: logger)
    }

    /// Opens a session to the cluster's PostgreSQL database and migrates it on the caller's
    /// thread, so an unreachable or newer database fails at start-up, loudly; then starts the
    /// writer thread on that session. Later outages are held through (`StoreError.unreachable`).
    convenience init<Writer: StoreBatchWriter>(
        postgres endpoint: PostgresEndpoint, name: String, label: String, metadataKey: String, capacity: Int,
        linger: Duration = .zero, logger: Logger, makeWriter: (PostgresSession) -> Writer
    ) throws(StoreError) where Writer.Element == Element {
        let session = PostgresSession(endpoint: endpoint, logger: logger)
        try PostgresSchema.migrate(session)
        var logger = logger
        logger[metadataKey: metadataKey] = "\(endpoint)"
        do {
            try self.init(name: name, label: label, writer: makeWriter(session), capacity: capacity, linger: linger,
                          logger: logger)
        } catch {
            throw .sqlite(error)
        }
    }

    private static func makeBody<Writer: StoreBatchWriter>(name: String, label: String, writer: Writer,
                                                           queue: StoreQueue<Element>, logger: Logger) -> StoreWriterThreadBody
    where Writer.Element == Element {
        StoreWriterThreadBody(
            run: {
                nameCurrentThread(name)
                run(writer: writer, queue: queue, label: label, logger: logger)
            },
            abandon: { writer.close() })
    }

    /// Asks the thread to write what is queued and exit, and waits for it. Idempotent and safe
    /// from several threads: the first caller joins, the others wait for the exit.
    func stop() {
        if queue.requestStop() {
            _ = pthread_join(thread, nil)
        } else {
            queue.waitUntilExited()
        }
    }

    // MARK: - The thread

    /// How long a stopping writer keeps retrying an unreachable database before it gives the
    /// held writes up (counted as failed): a shutdown must end.
    static var stopPatience: Duration { .seconds(5) }
    /// Retry interval while the database is unreachable: the first retry comes quickly (a
    /// restarting server is back in a second), later ones at most once a second.
    static func retryDelay(attempt: Int) -> Duration { .milliseconds(min(1_000, 100 << min(attempt, 4))) }

    private static func run<Writer: StoreBatchWriter>(writer: Writer, queue: StoreQueue<Element>, label: String,
                                                      logger: Logger) where Writer.Element == Element {
        var batch: [[Element]] = []
        var reportedDrops = 0
        var failingSince: Int?  // items lost in the current failure streak, nil when healthy
        while queue.nextBatch(into: &batch) {
            let count = batch.reduce(0) { $0 + $1.count }
            let succeeded: Bool
            switch writeHolding(batch, count: count, writer: writer, queue: queue, label: label, logger: logger) {
            case nil:
                succeeded = true
            case let error?:
                succeeded = false
                // Log the first failure of a streak only: a full disk fails every batch.
                if failingSince == nil {
                    logger.error("\(label) batch not written", metadata: ["error": "\(error)", "records": "\(count)"])
                }
                failingSince = (failingSince ?? 0) + count
            }
            if succeeded, let lost = failingSince {
                logger.warning("\(label) writes recovered", metadata: ["lost_records": "\(lost)"])
                failingSince = nil
            }
            // Release the items here, not under the queue's lock.
            for index in batch.indices { batch[index].removeAll(keepingCapacity: true) }
            let dropped = queue.complete(count: count, succeeded: succeeded, emptiedChunks: &batch)
            if dropped > reportedDrops {
                logger.warning("\(label) queue full, records dropped", metadata: [
                    "dropped_total": "\(dropped)", "dropped_new": "\(dropped - reportedDrops)",
                ])
                reportedDrops = dropped
            }
            batch.removeAll(keepingCapacity: true)  // the chunk list itself; chunks not kept are freed
        }
        writer.close()
        queue.markExited()
    }

    /// Writes `batch`, holding it through an outage: while the database is unreachable the same
    /// batch is retried (new writes queue behind it, up to the queue's capacity) until it commits,
    /// is refused, or a stop has waited `stopPatience`. Returns nil once committed.
    private static func writeHolding<Writer: StoreBatchWriter>(
        _ batch: [[Element]], count: Int, writer: Writer, queue: StoreQueue<Element>, label: String, logger: Logger
    ) -> StoreError? where Writer.Element == Element {
        var attempt = 0
        var stoppingSince: ContinuousClock.Instant?
        while true {
            do throws(StoreError) {
                try writer.write(batch)
                if attempt > 0 {
                    queue.setReachable(true)
                    logger.notice("\(label) store reachable again, held writes flushed", metadata: [
                        "retries": "\(attempt)", "backlog": "\(queue.counters.backlog)",
                    ])
                }
                return nil
            } catch .unreachable(let reason) {
                if attempt == 0 {
                    queue.setReachable(false)
                    logger.error("\(label) store unreachable, holding writes", metadata: [
                        "error": "\(reason)", "records": "\(count)", "backlog": "\(queue.counters.backlog)",
                    ])
                }
                if queue.isStopping {
                    let since = stoppingSince ?? .now
                    stoppingSince = since
                    if since.duration(to: .now) >= stopPatience { return StoreError.unreachable(reason) }
                }
                queue.pause(for: retryDelay(attempt: attempt))
                attempt += 1
            } catch {
                if attempt > 0 { queue.setReachable(true) }
                return error
            }
        }
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

/// `pthread_create` running `body.run`, or `body.abandon` and a typed error. A free function:
/// inside the generic initialiser this code crashed the Swift 6.3.1 compiler (region analysis
/// of the `sending` checker).
private func startThread(_ body: StoreWriterThreadBody, label: String) throws(SQLiteError) -> pthread_t {
    let argument = Unmanaged.passRetained(body).toOpaque()
    var tid = pthread_t()
    let rc = pthread_create(&tid, nil, { argument in
        Unmanaged<StoreWriterThreadBody>.fromOpaque(argument!).takeRetainedValue().run()
        return nil
    }, argument)
    guard rc == 0 else {
        Unmanaged<StoreWriterThreadBody>.fromOpaque(argument).takeRetainedValue().abandon()
        throw SQLiteError(code: SQLITE_ERROR, message: "pthread_create failed: \(String(cString: strerror(rc)))",
                          context: "start \(label) writer")
    }
    return tid
}

/// What the new thread runs, handed over once through `pthread_create`'s argument.
/// Non-generic because a C function pointer cannot capture generic context. Unchecked
/// Sendable: after the hand-over only the writer thread touches it (and the writer its
/// closures captured); if the thread cannot start, the creating thread gets it back and
/// calls `abandon` instead.
private final class StoreWriterThreadBody: @unchecked Sendable {
    let run: () -> Void
    let abandon: () -> Void
    init(run: @escaping () -> Void, abandon: @escaping () -> Void) {
        self.run = run
        self.abandon = abandon
    }
}
