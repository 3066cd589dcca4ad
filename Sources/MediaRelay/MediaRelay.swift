import Glibc
import CSBCLinux
import Logging
import Media
import SBCSystem
import Synchronization

/// The RTP/RTCP relay: `workers` threads, each with its own epoll loop owning the sessions the
/// signalling thread places on it.
///
/// Signalling talks to it only through `submit` (a queue per worker, never blocking on I/O) and
/// hears back through `events`, which runs on the worker's thread: the receiver hops to its own
/// thread (e.g. `EventLoop.execute`). A session stays on one worker for its whole life, so all its
/// state is touched by one thread and the packet path takes no lock.
public final class MediaRelay: Sendable {
    private let threads: [RelayWorkerThread]
    private let stopped = Mutex(false)

    /// Starts the worker threads. Fails (with nothing left running) when a loop's descriptors or
    /// a thread cannot be created.
    public init(settings: MediaRelaySettings, logger: Logger,
                events: @escaping @Sendable (MediaEvent) -> Void) throws(SystemError) {
        var started: [RelayWorkerThread] = []
        for index in 0..<max(1, settings.workers) {
            do throws(SystemError) {
                started.append(try RelayWorkerThread(index: index, settings: settings, logger: logger, events: events))
            } catch {
                for thread in started { thread.requestStop() }
                for thread in started { thread.join() }
                throw error
            }
        }
        threads = started
        logger.info("media relay started", metadata: [
            "workers": "\(started.count)", "latch": "\(settings.latchPolicy)",
            "socket_buffer": "\(settings.socketBufferBytes)",
        ])
    }

    deinit {
        stopAndJoin()
    }

    public var workerCount: Int { threads.count }

    /// Queues `command` for worker `worker` (taken modulo the worker count). Thread-safe; never
    /// blocks on I/O. Ignored after `stopAndJoin`.
    public func submit(_ command: MediaCommand, worker: Int) {
        let count = threads.count
        threads[((worker % count) + count) % count].mailbox.post(command)
    }

    /// Stops every worker, closing every socket, and waits for the threads to exit. No event is
    /// delivered after it returns. Idempotent; never call it from an `events` callback.
    public func stopAndJoin() {
        let first = stopped.withLock { stopped -> Bool in
            defer { stopped = true }
            return !stopped
        }
        guard first else { return }
        for thread in threads { thread.requestStop() }
        for thread in threads { thread.join() }
    }

    /// Totals across workers, as last published (at most one timeout-check interval old).
    public func counters() -> MediaRelayCounters {
        threads.reduce(MediaRelayCounters()) { $0 + $1.mailbox.counters }
    }
}
