import Glibc
import CSBCLinux
import Media
import SBCSystem
import Synchronization

/// The only state a worker shares with other threads: its command queue (a mutex-protected
/// array plus an eventfd that wakes the worker's epoll) and the counters it publishes.
///
/// The eventfd is written while the lock is held so that `close()` (also under the lock) can
/// never race a late `post` into writing to a closed, or worse reused, descriptor.
final class RelayMailbox: Sendable {
    private struct Inbox: ~Copyable {
        var commands: [RelayCommand] = []
        var stopping = false
        var closed = false
    }

    let eventFD: Int32
    private let inbox = Mutex(Inbox())
    private let published = Mutex(MediaRelayCounters())

    init() throws(SystemError) {
        eventFD = try Syscall.checked("eventfd", context: "media worker mailbox") { csbc_eventfd(0) }
    }

    /// Queues a command; dropped once the worker is stopping (its sessions are being closed).
    /// Only `RelayCommandGate` posts, which keeps commands in submission order.
    func post(_ command: RelayCommand) {
        inbox.withLock { inbox in
            guard !inbox.stopping, !inbox.closed else { return }
            inbox.commands.append(command)
            if inbox.commands.count == 1 {
                _ = csbc_eventfd_write(eventFD, 1)
            }
        }
    }

    func requestStop() {
        inbox.withLock { inbox in
            guard !inbox.closed, !inbox.stopping else { return }
            inbox.stopping = true
            _ = csbc_eventfd_write(eventFD, 1)
        }
    }

    /// Worker side: swaps the queued commands into `commands` (which must be empty) and says
    /// whether a stop was requested.
    func take(into commands: inout [RelayCommand]) -> Bool {
        var counter: UInt64 = 0
        _ = csbc_eventfd_read(eventFD, &counter)
        return inbox.withLock { inbox in
            swap(&inbox.commands, &commands)
            return inbox.stopping
        }
    }

    func publish(_ counters: MediaRelayCounters) {
        published.withLock { $0 = counters }
    }

    var counters: MediaRelayCounters {
        published.withLock { $0 }
    }

    /// After the worker thread has exited.
    func close() {
        inbox.withLock { inbox in
            guard !inbox.closed else { return }
            inbox.closed = true
            inbox.commands.removeAll()
            _ = Glibc.close(eventFD)
        }
    }
}
