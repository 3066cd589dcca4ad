import Glibc
import CSBCLinux
import Logging
import SBCSystem
import Synchronization

/// The relay's one helper thread for work too slow for a media worker's loop: building SRTP
/// contexts before a command reaches its worker, and freeing the contexts workers retire.
///
/// Why a thread of its own: building a context (key derivation, keying OpenSSL's ciphers, which
/// the first time per process also fetches them under OpenSSL's locks) and freeing one are slow
/// next to a packet, and a worker doing it while handling a command would hold back the packets
/// of every other session it owns (with libsrtp2 on NSS it was 0.85 ms per context). Signalling
/// must not pay it either. Jobs run one at a time in the order they were queued:
/// `RelayCommandGate` relies on that FIFO to keep each worker's commands in order. A pthread like
/// the workers' (`RelayThread`), named "srtp-setup".
final class RelaySetupThread: Sendable {
    typealias Job = @Sendable () -> Void

    private struct Queue: ~Copyable {
        var jobs: [Job] = []
        var stopping = false
        var closed = false
    }

    private let queue = Mutex(Queue())
    /// Wakes the thread when the queue goes from empty to not empty, or on stop.
    private let eventFD: Int32
    private let thread = Mutex<pthread_t?>(nil)
    private let logger: Logger

    /// Starts the thread. Fails with nothing left running or open.
    init(logger: Logger) throws(SystemError) {
        self.logger = logger
        eventFD = try Syscall.checked("eventfd", context: "media setup thread") { csbc_eventfd(0) }
        let tid: pthread_t
        do throws(SystemError) {
            tid = try RelayThread.start(name: "srtp-setup", context: "media setup thread") { self.run() }
        } catch {
            _ = Glibc.close(eventFD)
            throw error
        }
        thread.withLock { $0 = tid }
    }

    /// Queues `job` behind every job queued before it. Returns false (the job is dropped, and
    /// with it whatever it captured, on the caller's thread) once the thread is stopping.
    @discardableResult
    func enqueue(_ job: @escaping Job) -> Bool {
        queue.withLock { queue in
            guard !queue.stopping, !queue.closed else { return false }
            queue.jobs.append(job)
            if queue.jobs.count == 1 {
                _ = csbc_eventfd_write(eventFD, 1)
            }
            return true
        }
    }

    /// Asks the thread to exit; jobs not started yet are dropped (after the workers stopped,
    /// nobody would take what they build).
    func requestStop() {
        queue.withLock { queue in
            guard !queue.stopping, !queue.closed else { return }
            queue.stopping = true
            _ = csbc_eventfd_write(eventFD, 1)
        }
    }

    /// Waits for the thread, then closes the eventfd. Idempotent.
    func join() {
        guard let tid = thread.withLock({ tid -> pthread_t? in
            defer { tid = nil }
            return tid
        }) else { return }
        _ = pthread_join(tid, nil)
        queue.withLock { queue in
            guard !queue.closed else { return }
            queue.closed = true
            queue.jobs.removeAll()
            _ = Glibc.close(eventFD)
        }
    }

    private func run() {
        var jobs: [Job] = []
        while true {
            let stopping = queue.withLock { queue -> Bool in
                swap(&queue.jobs, &jobs)
                return queue.stopping
            }
            if stopping { break }
            for job in jobs { job() }
            // Emptied here, so whatever the jobs captured (retired contexts) is freed here.
            jobs.removeAll(keepingCapacity: true)
            waitForWork()
        }
    }

    /// Sleeps until `enqueue` or `requestStop` writes the eventfd, and resets it. A write that
    /// lands between the queue swap and this wait is not lost: poll sees the counter.
    private func waitForWork() {
        var descriptor = pollfd(fd: eventFD, events: Int16(POLLIN), revents: 0)
        do throws(SystemError) {
            _ = try Syscall.retrying("poll", context: "media setup thread") { poll(&descriptor, 1, -1) }
        } catch {
            logger.error("media setup thread wait failed", metadata: ["error": "\(error)"])
            usleep(1_000)
        }
        var counter: UInt64 = 0
        _ = csbc_eventfd_read(eventFD, &counter)
    }
}
