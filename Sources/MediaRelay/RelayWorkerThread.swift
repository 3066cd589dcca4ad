import Glibc
import CSBCLinux
import Logging
import Media
import SBCSystem
import Synchronization

/// A media worker's OS thread ("media-N", see `RelayThread`) and mailbox, as seen from other
/// threads.
final class RelayWorkerThread: Sendable {
    let mailbox: RelayMailbox
    /// The only way commands reach `mailbox` (see `RelayCommandGate` for why).
    let gate: RelayCommandGate
    private let thread: pthread_t
    /// Why the worker sends by sendmmsg although io_uring was asked for (`RelayWorker.sendRingError`).
    let sendRingError: SystemError?
    private let joined = Mutex(false)

    init(index: Int, settings: MediaRelaySettings, logger: Logger, setup: RelaySetupThread,
         steering: RelayLookupSteering?, events: @escaping @Sendable (MediaEvent) -> Void) throws(SystemError) {
        let mailbox = try RelayMailbox()
        let worker: RelayWorker
        do throws(SystemError) {
            worker = try RelayWorker(index: index, settings: settings, logger: logger, events: events, mailbox: mailbox,
                                     setup: setup, steering: steering)
        } catch {
            mailbox.close()
            throw error
        }
        let tid: pthread_t
        do throws(SystemError) {
            tid = try RelayThread.start(name: "media-\(index)", context: "media worker \(index)") { worker.run() }
        } catch {
            worker.releaseResources()
            mailbox.close()
            throw error
        }
        self.sendRingError = worker.sendRingError
        self.mailbox = mailbox
        self.gate = RelayCommandGate(mailbox: mailbox, setup: setup)
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
