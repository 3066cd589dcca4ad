import Glibc

/// A pthread mutex with two condition variables.
///
/// `Synchronization.Mutex` has no condition variable, and the store needs to *sleep* (the
/// writer until work arrives, `flush()` until work is done) rather than spin. Two conditions on
/// one mutex, because a single one signalled by `record()` could wake a flusher instead of the
/// writer and lose the wakeup. The pthread objects are heap-allocated: they must never move.
final class ConditionLock: @unchecked Sendable {
    private let mutex: UnsafeMutablePointer<pthread_mutex_t>
    /// Signalled when there is something for the writer to do.
    private let work: UnsafeMutablePointer<pthread_cond_t>
    /// Broadcast when the writer has made progress (a batch done, or the thread exited).
    private let progress: UnsafeMutablePointer<pthread_cond_t>

    init() {
        mutex = .allocate(capacity: 1)
        work = .allocate(capacity: 1)
        progress = .allocate(capacity: 1)
        precondition(pthread_mutex_init(mutex, nil) == 0)
        precondition(pthread_cond_init(work, nil) == 0)
        precondition(pthread_cond_init(progress, nil) == 0)
    }

    deinit {
        pthread_cond_destroy(progress)
        pthread_cond_destroy(work)
        pthread_mutex_destroy(mutex)
        progress.deallocate()
        work.deallocate()
        mutex.deallocate()
    }

    func lock() { pthread_mutex_lock(mutex) }
    func unlock() { pthread_mutex_unlock(mutex) }

    /// Typed throws rather than `rethrows`, so a body throwing `SQLiteError` (the
    /// `IdempotencyStore` connection) keeps its error type through the lock.
    func withLock<Result, Failure: Error>(_ body: () throws(Failure) -> Result) throws(Failure) -> Result {
        lock()
        defer { unlock() }
        return try body()
    }

    /// Call with the lock held.
    func waitForWork() { pthread_cond_wait(work, mutex) }
    /// Call with the lock held.
    func waitForProgress() { pthread_cond_wait(progress, mutex) }
    /// Call with the lock held: waits at most until `deadline` (from `deadline(after:)`); false
    /// once it has passed.
    func waitForProgress(until deadline: timespec) -> Bool { wait(progress, until: deadline) }
    /// Call with the lock held: as `waitForWork()`, at most until `deadline`.
    func waitForWork(until deadline: timespec) -> Bool { wait(work, until: deadline) }

    /// `duration` from now on the conditions' clock (CLOCK_REALTIME, pthread's default).
    static func deadline(after duration: Duration) -> timespec {
        var now = timespec()
        clock_gettime(CLOCK_REALTIME, &now)
        let (seconds, attoseconds) = duration.components
        let nanoseconds = now.tv_nsec + Int(attoseconds / 1_000_000_000)
        return timespec(tv_sec: now.tv_sec + Int(seconds) + nanoseconds / 1_000_000_000,
                        tv_nsec: nanoseconds % 1_000_000_000)
    }

    private func wait(_ condition: UnsafeMutablePointer<pthread_cond_t>, until deadline: timespec) -> Bool {
        var deadline = deadline
        return pthread_cond_timedwait(condition, mutex, &deadline) != ETIMEDOUT
    }

    func signalWork() { pthread_cond_signal(work) }
    func broadcastProgress() { pthread_cond_broadcast(progress) }
}
