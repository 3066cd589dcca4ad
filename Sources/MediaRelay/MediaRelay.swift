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
    /// Builds SRTP contexts before commands reach the workers and frees retired ones.
    private let setup: RelaySetupThread
    private let stopped = Mutex(false)
    /// The sk_lookup program, maps and receive sockets of the `lookup` layout; nil for per_port.
    private let steering: RelayLookupSteering?
    /// The socket layout in effect: `settings.socketLayout`, unless `lookup` had to fall back.
    public let socketLayout: MediaRelaySettings.SocketLayout
    /// The send path in effect: `io_uring` when `settings.sendBatching` is `auto` and every
    /// worker got a ring, else `sendmmsg`.
    public let sendMode: MediaRelaySettings.SendMode

    /// Starts the worker threads and the SRTP setup thread. Fails (with nothing left running)
    /// when a loop's descriptors or a thread cannot be created.
    public init(settings: MediaRelaySettings, logger: Logger,
                events: @escaping @Sendable (MediaEvent) -> Void) throws(SystemError) {
        let setup = try RelaySetupThread(logger: logger)
        let workers = max(1, settings.workers)
        let steering = settings.socketLayout == .lookup
            ? RelayLookupSteering.open(settings: settings, workers: workers, logger: logger) : nil
        var started: [RelayWorkerThread] = []
        // Once the kernel refused one worker a ring, the rest do not ask (and warn) again.
        var workerSettings = settings
        var ringError: SystemError?
        for index in 0..<workers {
            do throws(SystemError) {
                let thread = try RelayWorkerThread(index: index, settings: workerSettings, logger: logger, setup: setup,
                                                   steering: steering, events: events)
                started.append(thread)
                if let error = thread.sendRingError, ringError == nil {
                    ringError = error
                    workerSettings.sendBatching = .sendmmsg
                }
            } catch {
                for thread in started { thread.requestStop() }
                for thread in started { thread.join() }
                setup.requestStop()
                setup.join()
                steering?.close()
                throw error
            }
        }
        threads = started
        self.setup = setup
        self.steering = steering
        socketLayout = steering == nil ? .perPort : .lookup
        sendMode = settings.sendBatching == .auto && ringError == nil ? .ioUring : .sendmmsg
        if let ringError {
            // EPERM: kernel.io_uring_disabled, a seccomp filter (containers' default profiles) or
            // an LSM; ENOSYS: no io_uring; EOPNOTSUPP: a kernel without IORING_OP_SENDMSG.
            logger.warning("media send_batching io_uring unavailable (kernel.io_uring_disabled, seccomp, or a kernel without io_uring SENDMSG); using sendmmsg",
                           metadata: ["error": "\(ringError)"])
        }
        logger.info("media relay started", metadata: [
            "workers": "\(started.count)", "latch": "\(settings.latchPolicy)",
            "socket_buffer": "\(settings.socketBufferBytes)", "socket_layout": "\(socketLayout.rawValue)",
            "send_batching": "\(sendMode.rawValue)",
        ])
    }

    deinit {
        stopAndJoin()
    }

    public var workerCount: Int { threads.count }

    /// Queues `command` for worker `worker` (taken modulo the worker count). Thread-safe; never
    /// blocks on I/O. Ignored after `stopAndJoin`. Commands for one worker are carried out in
    /// the order submitted; one whose SRTP keys changed reaches the worker after the setup
    /// thread built its contexts (about a millisecond per side), and the worker's later commands
    /// wait behind it.
    public func submit(_ command: MediaCommand, worker: Int) {
        let count = threads.count
        threads[((worker % count) + count) % count].gate.submit(command)
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
        // After the workers: until they exit they may still hand it contexts to free.
        setup.requestStop()
        setup.join()
        // Last: the workers unmapped their ports while closing; this detaches the program.
        steering?.close()
    }

    /// Totals across workers, as last published (at most one timeout-check interval old).
    public func counters() -> MediaRelayCounters {
        threads.reduce(MediaRelayCounters()) { $0 + $1.mailbox.counters }
    }
}
