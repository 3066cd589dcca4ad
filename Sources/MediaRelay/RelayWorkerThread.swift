import Glibc
import CSBCLinux
import Logging
import Media
import SBCSystem
import Synchronization

/// A media worker's OS thread and mailbox, as seen from other threads.
///
/// A real pthread rather than a task: the worker blocks in epoll_wait, which would starve the
/// cooperative pool, and a named thread ("media-N") shows in `top -H` and core dumps.
final class RelayWorkerThread: Sendable {
    let mailbox: RelayMailbox
    private let thread: pthread_t
    private let joined = Mutex(false)

    init(index: Int, settings: MediaRelaySettings, logger: Logger,
         events: @escaping @Sendable (MediaEvent) -> Void) throws(SystemError) {
        let mailbox = try RelayMailbox()
        let worker: RelayWorker
        do throws(SystemError) {
            worker = try RelayWorker(index: index, settings: settings, logger: logger, events: events, mailbox: mailbox)
        } catch {
            mailbox.close()
            throw error
        }
        let box = Unmanaged.passRetained(worker).toOpaque()
        var tid = pthread_t()
        let rc = pthread_create(&tid, nil, { argument in
            let worker = Unmanaged<RelayWorker>.fromOpaque(argument!).takeRetainedValue()
            _ = csbc_set_thread_name("media-\(worker.index)")
            worker.run()
            return nil
        }, box)
        guard rc == 0 else {
            Unmanaged<RelayWorker>.fromOpaque(box).release()
            worker.releaseResources()
            mailbox.close()
            throw SystemError(syscall: "pthread_create", errno: rc, context: "media worker \(index)")
        }
        self.mailbox = mailbox
        self.thread = tid
    }

    func requestStop() {
        mailbox.requestStop()
    }

    /// Waits for the thread, then closes the mailbox. Idempotent.
    func join() {
        let first = joined.withLock { joined -> Bool in
            defer { joined = true }
            return !joined
        }
        guard first else { return }
        _ = pthread_join(thread, nil)
        mailbox.close()
    }
}
