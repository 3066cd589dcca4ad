/// The hand-off between a store's callers (`CallRecordStore.record(_:)`,
/// `OperationalStore.save(_:)`, ...) and its writer thread (`StoreWriterThread`).
///
/// Callers only ever take the mutex for an append and never wait: past `capacity` items not
/// yet written, an item is dropped and counted. Items go into fixed-size chunks rather than
/// one growing array: growing a 100k-record array copies megabytes under the lock (measured:
/// 12-15 ms stalls of `record()` during a backlog), while a new 256-record chunk is one ~50 KB
/// malloc, and emptied chunks come back from the writer for reuse. The writer swaps the whole
/// chunk list out under the lock, so the lock is never held while SQLite works.
///
/// Generic over the queued value so CDRs and state writes share one implementation; each store
/// gets its own queue and thread, so a CDR backlog never delays a trunk-state write.
final class StoreQueue<Element: Sendable>: @unchecked Sendable {
    /// Everything below is guarded by `lock`; that is what makes the unchecked Sendable sound.
    private let lock = ConditionLock()
    private let capacity: Int
    /// Items per chunk: 256 x 200 bytes (a CDR) stays under glibc's mmap threshold.
    static var chunkSize: Int { 256 }
    /// Emptied chunks kept for reuse (about 0.4 MB).
    private static var spareLimit: Int { 8 }
    /// Pending items, oldest chunk first; only the last chunk has room.
    private var pending: [[Element]] = []
    private var spare: [[Element]] = []
    /// Items accepted so far (a sequence number for `flush`).
    private var accepted = 0
    /// Items the writer has finished with, written or failed.
    private var completed = 0
    private var written = 0
    private var failed = 0
    private var dropped = 0
    private var writerWaiting = false
    private var suspended = false
    private var stopping = false
    private var exited = false
    private var reachable = true
    /// Callers blocked in `waitUntilCompleted`: the writer does not linger while anyone waits.
    private var flushWaiters = 0
    /// How long the writer lets a batch gather after its first item (`nextBatch`).
    private let linger: Duration

    /// - Parameter linger: how long the writer waits after the first item of a batch for more
    ///   (zero: it takes what is there at once). A commit costs a WAL append and its syscalls
    ///   whatever it holds, and at a thousand calls per second each CDR used to wake the writer
    ///   and commit alone: a tenth of the SBC's CPU per call went to the CDR thread (issue 15).
    init(capacity: Int, linger: Duration = .zero) {
        precondition(capacity > 0, "capacity must be positive")
        self.capacity = capacity
        self.linger = linger
        pending.reserveCapacity(64)
    }

    var counters: StoreCounters {
        lock.withLock {
            StoreCounters(written: written, failed: failed, dropped: dropped, backlog: accepted - completed,
                          reachable: reachable)
        }
    }

    // MARK: - Producer side (any thread, never blocks on I/O)

    /// Appends `item`, or drops it when the backlog is at capacity or the store is closed.
    /// Returns whether it was accepted.
    @discardableResult
    func enqueue(_ item: Element) -> Bool {
        lock.lock()
        guard !stopping, accepted - completed < capacity else {
            dropped += 1
            lock.unlock()
            return false
        }
        if pending.isEmpty || pending[pending.count - 1].count == Self.chunkSize {
            pending.append(spare.popLast() ?? Self.makeChunk())
        }
        pending[pending.count - 1].append(item)  // in place: the chunk is uniquely referenced
        accepted += 1
        let wake = writerWaiting
        writerWaiting = false
        lock.unlock()
        // Only when the writer sleeps: while it is busy it will find the item on its next pass.
        if wake { lock.signalWork() }
        return true
    }

    /// Blocks until every item accepted before the call is written (or failed), or the
    /// writer has exited, or `timeout` (if any) has passed; returns whether they were.
    @discardableResult
    func waitUntilCompleted(timeout: Duration? = nil) -> Bool {
        let deadline = timeout.map(ConditionLock.deadline(after:))
        return lock.withLock {
            let target = accepted
            flushWaiters += 1
            defer { flushWaiters -= 1 }
            if completed < target { lock.signalWork() }  // a lingering writer takes the batch now
            while completed < target, !exited {
                guard let deadline else {
                    lock.waitForProgress()
                    continue
                }
                if !lock.waitForProgress(until: deadline) { return completed >= target }
            }
            return true
        }
    }

    /// Asks the writer to finish what is queued and exit. Returns true for the first caller,
    /// who must then join the thread.
    func requestStop() -> Bool {
        let first: Bool = lock.withLock {
            let wasRunning = !stopping
            stopping = true
            suspended = false
            return wasRunning
        }
        lock.signalWork()
        return first
    }

    /// Blocks until the writer thread has left its loop (for a second `close()` caller).
    func waitUntilExited() {
        lock.withLock {
            while !exited { lock.waitForProgress() }
        }
    }

    /// Test hook: while suspended the writer takes nothing, as if the disk were stalled.
    func setSuspended(_ value: Bool) {
        lock.withLock { suspended = value && !stopping }
        if !value { lock.signalWork() }
    }

    // MARK: - Consumer side (the writer thread only)

    /// Whether a stop was asked for (the writer gives up retrying after a while).
    var isStopping: Bool { lock.withLock { stopping } }

    func setReachable(_ value: Bool) {
        lock.withLock { reachable = value }
    }

    /// Sleeps `duration` between retries, waking early when a stop is asked for (`requestStop`
    /// signals the work condition; `enqueue` does not, the writer is not marked waiting).
    func pause(for duration: Duration) {
        let deadline = ConditionLock.deadline(after: duration)
        lock.withLock {
            while !stopping, lock.waitForWork(until: deadline) {}
        }
    }

    /// Waits for items and swaps the pending chunks into `batch` (which must be empty; its
    /// buffer becomes the new chunk list). Returns false when stopping and nothing is left.
    func nextBatch(into batch: inout [[Element]]) -> Bool {
        lock.lock()
        defer { lock.unlock() }
        while (pending.isEmpty || suspended), !stopping {
            writerWaiting = true
            lock.waitForWork()
        }
        writerWaiting = false
        if pending.isEmpty { return false }
        if linger > .zero {
            // Enqueues do not signal meanwhile (the writer is not marked waiting); a stop, a
            // flush or the deadline ends the wait, and so does a full chunk's worth of items.
            let deadline = ConditionLock.deadline(after: linger)
            while !stopping, flushWaiters == 0, accepted - completed < Self.chunkSize,
                  lock.waitForWork(until: deadline) {}
        }
        swap(&pending, &batch)
        return true
    }

    /// Reports a finished batch and takes its emptied chunks back for reuse (the writer clears
    /// them first, outside the lock); returns the drop count so the writer can log growth.
    func complete(count: Int, succeeded: Bool, emptiedChunks: inout [[Element]]) -> Int {
        let droppedNow: Int = lock.withLock {
            while spare.count < Self.spareLimit, let chunk = emptiedChunks.popLast() {
                spare.append(chunk)
            }
            completed += count
            if succeeded { written += count } else { failed += count }
            return dropped
        }
        lock.broadcastProgress()
        return droppedNow
    }

    private static func makeChunk() -> [Element] {
        var chunk: [Element] = []
        chunk.reserveCapacity(chunkSize)
        return chunk
    }

    func markExited() {
        lock.withLock { exited = true }
        lock.broadcastProgress()
    }
}

/// A store writer's counters, read together under its queue's lock.
public struct StoreCounters: Sendable, Equatable {
    /// Writes committed.
    public var written: Int
    /// Writes lost because their batch was refused (or held past a stop's patience).
    public var failed: Int
    /// Writes refused because the queue was full or the store closed.
    public var dropped: Int
    /// Accepted but not yet written or failed.
    public var backlog: Int
    /// False while the writer holds a batch for a database it cannot reach.
    public var reachable: Bool
}
