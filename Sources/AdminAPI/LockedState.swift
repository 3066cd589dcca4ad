import Foundation

/// A value behind a lock, for state touched both by the signalling thread and by Hummingbird's
/// threads (metric handles, counters, the server's run state).
///
/// A lock and not an actor because the SBC core calls in synchronously from its epoll thread,
/// which must never await; the critical sections are a dictionary lookup or two, so contention
/// is negligible. `NSLock` rather than `Synchronization.Mutex` because the package still
/// declares macOS 14, where `Mutex` is unavailable.
final class LockedState<Value>: @unchecked Sendable {
    private let lock = NSLock()
    private var value: Value

    init(_ value: Value) {
        self.value = value
    }

    /// Runs `body` with exclusive access to the value.
    func withLock<Result>(_ body: (inout Value) throws -> Result) rethrows -> Result {
        lock.lock()
        defer { lock.unlock() }
        return try body(&value)
    }
}
