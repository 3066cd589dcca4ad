import Glibc
import CSBCLinux
import Logging
import Media
import SBCSystem

/// One media worker: an epoll loop on its own thread that owns a set of sessions, their sockets
/// and all their per-packet state.
///
/// Thread confinement instead of locks: after `init`, everything here is touched only by the
/// worker thread running `run()`. Other threads reach it through its `RelayMailbox` (commands
/// in, counters out) and hear from it through the `events` callback, called on this thread.
///
/// Ticks come from the epoll timeout rather than a timerfd: under load epoll_wait returns
/// constantly anyway, and the loop reads the clock once per wake-up to see whether a tick is due.
final class RelayWorker: @unchecked Sendable {
    /// Datagrams per recvmmsg. 32 keeps a batch (about 70 KB) in L2 and already amortises the
    /// syscall over far more packets than a socket usually has queued at RTP rates.
    static let batchSize = 32
    /// 2048 bytes of payload plus 160 for SRTP's trailer (up to 148 bytes: tag, MKI, SRTCP
    /// index) when the relay protects packets in place, rounded to keep slots 16-byte aligned.
    static let slotBytes = 2048 + 160
    static let maxEpollEvents: Int32 = 64
    /// Batches one socket may take per wake-up before the others get their turn (256 packets).
    static let maxBatchesPerWake = 8
    /// Error-queue entries one socket may hand over per wake-up; like `maxBatchesPerWake`, a
    /// flood waits for the next wake-up (EPOLLERR stays raised) instead of starving the others.
    static let maxErrorsPerWake = 64

    let index: Int
    let settings: MediaRelaySettings
    let logger: Logger
    let events: @Sendable (MediaEvent) -> Void
    let mailbox: RelayMailbox
    /// Where retired SRTP contexts are freed (freeing OpenSSL contexts is not free either).
    let setup: RelaySetupThread
    let epollFD: Int32

    var legs = RelayLegTable()
    /// Generation of the next socket opened (never 0, see `RelayEpollToken`).
    var nextGeneration: UInt32 = 1
    /// Indexed by `RelaySession.slot`.
    var sessions: [RelaySession?] = []
    var freeSessionSlots: [Int32] = []
    var sessionSlots: [MediaSessionID: Int32] = [:]

    let batch: OpaquePointer
    let packets: UnsafeMutablePointer<csbc_relay_packet>
    private let epollEvents: UnsafeMutablePointer<csbc_epoll_event>
    private var pendingCommands: [RelayCommand] = []
    private var stopping = false

    /// Totals of legs already freed; live legs are summed when counters are published, so the
    /// packet path never writes a worker-wide counter.
    var retiredTotals = MediaRelayCounters()
    /// The port of the last bind that failed, reported with the `.failed` event it causes.
    var failedPort: UInt16?
    var timeoutCount: UInt64 = 0
    /// Unreachable-class ICMP errors taken from the worker's sockets, whatever their destination.
    var icmpErrorCount: UInt64 = 0
    /// Counts ticks (from 1), so a session side remembers in which tick it last reported errors.
    var tickNumber: UInt64 = 1
    /// Slots of sessions with ICMP errors not yet reported (each once, see `unreachableQueued`).
    var unreachableSessions: [Int32] = []
    /// SRTP state the commands being handled replaced or freed, handed to `setup` afterwards.
    var retiredSRTP: [RelayLegSRTP] = []
    /// CLOCK_MONOTONIC of the last scan for SRTP positions to report (RelayWorker+SRTP.swift).
    var lastSRTPPositionScan: UInt64 = 0
    /// RFC 4733 events being injected, one entry per receiving leg (RelayWorker+DTMF.swift).
    var injections: [RelayInjection] = []
    /// CLOCK_MONOTONIC when the next injected packet is due; `.max` when none is.
    var nextInjection: UInt64 = .max
    /// Legs whose party has a telephone-event open, for the tick to end lost ones.
    var openEventLegs: [Int32] = []
    /// Where injected packets are built (and protected): one slot, 16-byte aligned.
    let injectBuffer: UnsafeMutableRawPointer

    /// Why this worker's batch has no io_uring ring although `settings.sendBatching` is `auto`
    /// (the kernel refused one); nil when it has one, or sendmmsg was asked for.
    let sendRingError: SystemError?

    /// `lookup` layout (RelayLookupSteering): nil for per_port.
    let steering: RelayLookupSteering?
    /// This worker's sk_lookup receive socket; -1 for per_port.
    let lookupFD: Int32
    /// First port of the range and its size (0 for per_port).
    let lookupPortMin: Int
    let lookupPortCount: Int
    /// Port -> leg, indexed by `port - lookupPortMin`: leg index << 1 | 1 for its RTCP socket,
    /// -1 for a port this worker does not steer. No hashing on the packet path.
    let portLegs: UnsafeMutablePointer<Int32>
    /// Per slot of a lookup batch: the packet's `portLegs` entry (-1: no leg), what `admit` made
    /// of it (`Outcome` bits) and its length as received.
    let lookupEntries: UnsafeMutablePointer<Int32>
    let lookupOutcomes: UnsafeMutablePointer<UInt8>
    let lookupLengths: UnsafeMutablePointer<UInt32>

    init(index: Int, settings: MediaRelaySettings, logger: Logger,
         events: @escaping @Sendable (MediaEvent) -> Void, mailbox: RelayMailbox,
         setup: RelaySetupThread, steering: RelayLookupSteering? = nil) throws(SystemError) {
        self.index = index
        self.settings = settings
        var logger = logger
        logger[metadataKey: "media_worker"] = .stringConvertible(index)
        self.logger = logger
        self.events = events
        self.mailbox = mailbox
        self.setup = setup
        epollFD = try Syscall.checked("epoll_create1", context: "media worker \(index)") { csbc_epoll_create() }
        guard let batch = csbc_relay_batch_create(Int32(RelayWorker.batchSize), RelayWorker.slotBytes) else {
            let error = SystemError.current("malloc", context: "media worker \(index) batch")
            _ = Glibc.close(epollFD)
            throw error
        }
        self.batch = batch
        packets = csbc_relay_batch_packets(batch)
        sendRingError = RelayWorker.enableSendRing(batch, settings: settings, index: index)
        epollEvents = .allocate(capacity: Int(RelayWorker.maxEpollEvents))
        injectBuffer = .allocate(byteCount: RelayWorker.slotBytes, alignment: 16)
        self.steering = steering
        lookupFD = steering?.receiveFDs[index] ?? -1
        lookupPortMin = steering?.portMin ?? 0
        lookupPortCount = steering?.portCount ?? 0
        portLegs = .allocate(capacity: max(1, lookupPortCount))
        portLegs.initialize(repeating: -1, count: max(1, lookupPortCount))
        lookupEntries = .allocate(capacity: RelayWorker.batchSize)
        lookupEntries.initialize(repeating: -1, count: RelayWorker.batchSize)
        lookupOutcomes = .allocate(capacity: RelayWorker.batchSize)
        lookupOutcomes.initialize(repeating: 0, count: RelayWorker.batchSize)
        lookupLengths = .allocate(capacity: RelayWorker.batchSize)
        lookupLengths.initialize(repeating: 0, count: RelayWorker.batchSize)
        unreachableSessions.reserveCapacity(64)
        do throws(SystemError) {
            try Syscall.checked("epoll_ctl", context: "media worker \(index) mailbox") {
                csbc_epoll_ctl(epollFD, CSBC_EPOLL_CTL_ADD, mailbox.eventFD, CSBC_EPOLLIN, RelayEpollToken.mailbox)
            }
            if lookupFD >= 0 {
                try Syscall.checked("epoll_ctl", context: "media worker \(index) sk_lookup socket") {
                    csbc_epoll_ctl(epollFD, CSBC_EPOLL_CTL_ADD, lookupFD, CSBC_EPOLLIN, RelayEpollToken.lookup)
                }
            }
        } catch {
            releaseResources()
            throw error
        }
    }

    /// Gives `batch` its io_uring ring when `settings` asks for `auto` (csbc_relay_batch_enable_uring):
    /// with a socket per port a batch's packets leave through as many sockets as there are calls
    /// in it, so sendmmsg costs a syscall per packet and the ring one per batch. Returns why
    /// the kernel refused (the batch then sends by sendmmsg), or nil.
    private static func enableSendRing(_ batch: OpaquePointer, settings: MediaRelaySettings, index: Int) -> SystemError? {
        guard settings.sendBatching == .auto else { return nil }
        let entries = settings.sendRingEntries > 0 ? settings.sendRingEntries : batchSize
        guard csbc_relay_batch_enable_uring(batch, UInt32(entries)) != 0 else { return nil }
        return SystemError.current("io_uring_setup", context: "media worker \(index) send ring")
    }

    /// Runs until the mailbox asks it to stop, then closes every session's sockets silently
    /// (no `.closed` events: the relay is going away with whoever would receive them).
    func run() {
        let interval = UInt64(max(1, settings.timeoutCheckInterval.nanosecondsClamped))
        var nextTick = csbc_monotonic_now_ns() &+ interval
        while !stopping {
            let now = csbc_monotonic_now_ns()
            let wake = min(nextTick, nextInjection)
            let waitMilliseconds = wake > now ? Int32(clamping: (wake - now + 999_999) / 1_000_000) : 0
            let count = csbc_epoll_wait(epollFD, epollEvents, RelayWorker.maxEpollEvents, waitMilliseconds)
            if count < 0 {
                let error = SystemError.current("epoll_wait", context: "media worker \(index)")
                if error.errno == EINTR { continue }
                logger.critical("media worker loop failed", metadata: ["error": "\(error)"])
                break
            }
            // The leg table's buffers move only when a command grows it, so they are read
            // once per wake-up (and after the mailbox), not per event.
            var legBase = legs.legs
            var destinationBase = UnsafePointer(legs.destinations)
            var legLimit = legs.legLimit
            for i in 0..<Int(count) {
                let raw = epollEvents[i].data
                if raw == RelayEpollToken.mailbox {
                    drainMailbox()
                    legBase = legs.legs
                    destinationBase = UnsafePointer(legs.destinations)
                    legLimit = legs.legLimit
                    continue
                }
                if raw == RelayEpollToken.lookup {
                    if epollEvents[i].events & CSBC_EPOLLERR != 0 { takeLookupErrors() }
                    relayLookupReadable(legBase: legBase, destinationBase: destinationBase, legLimit: legLimit)
                    continue
                }
                let token = RelayEpollToken(rawValue: raw)
                guard Int(token.leg) < legLimit else { continue }
                let leg = legBase + Int(token.leg)
                let current = token.isRTCP ? leg.pointee.rtcpGeneration : leg.pointee.rtpGeneration
                guard current == token.generation else { continue }
                if epollEvents[i].events & CSBC_EPOLLERR != 0 {
                    // Level-triggered: EPOLLERR stays up while the error queue holds anything
                    // (or sk_err is set, which the receive below takes), so ignoring it would
                    // turn epoll_wait into a busy loop.
                    takeSocketErrors(leg: token.leg, isRTCPSocket: token.isRTCP)
                }
                relayReadable(leg: leg, index: token.leg, isRTCPSocket: token.isRTCP,
                              peer: legBase + Int(token.leg ^ 1), peerRTP: destinationBase + 2 * Int(token.leg ^ 1))
            }
            if !unreachableSessions.isEmpty {
                reportUnreachable()
            }
            let after = csbc_monotonic_now_ns()
            if after >= nextInjection {
                runInjections(now: after)
            }
            if after >= nextTick {
                tick(nowNanoseconds: after)
                nextTick = after &+ interval
            }
        }
        // Final figures first: closing frees the leg table they are summed from.
        publishCounters()
        closeEverything()
    }

    private func drainMailbox() {
        stopping = mailbox.take(into: &pendingCommands) || stopping
        guard !stopping else {
            pendingCommands.removeAll(keepingCapacity: true)
            return
        }
        let now = Duration.nanoseconds(Int64(clamping: csbc_monotonic_now_ns()))
        for command in pendingCommands {
            switch command.command {
            case .apply(let spec):
                apply(spec, prepared: command, now: now)
            case .destroy(let id):
                destroy(id)
            case .telephoneEvent(let id, let side, let stream, let event, let duration):
                injectTelephoneEvent(id, side: side, stream: stream, event: event, duration: duration)
            }
        }
        pendingCommands.removeAll(keepingCapacity: true)
        if !retiredSRTP.isEmpty {
            let retired = retiredSRTP
            retiredSRTP = []
            // Freed there; if it is already stopping, they are freed here when `retired` goes.
            setup.enqueue { _ = retired }
        }
        publishCounters()
    }

    func publishCounters() {
        var totals = retiredTotals
        totals.sessions = sessionSlots.count
        totals.timeouts = timeoutCount
        totals.icmpErrors = icmpErrorCount
        for index in 0..<legs.legLimit {
            let leg = legs.legs + index
            guard leg.pointee.session >= 0 else { continue }
            totals.packetsRelayed &+= leg.pointee.packetsForwarded
            totals.packetsDropped &+= leg.pointee.packetsDropped
            totals.bytesRelayed &+= leg.pointee.bytesForwarded
            totals.srtpAuthFailures &+= leg.pointee.srtpAuthFailures
            totals.srtpReplays &+= leg.pointee.srtpReplays
            totals.srtpErrors &+= leg.pointee.srtpErrors
        }
        mailbox.publish(totals)
    }

    /// Keeps a leg's packet counts in the worker totals once the leg is freed.
    func retire(leg index: Int32) {
        let leg = legs.leg(index)
        retiredTotals.packetsRelayed &+= leg.pointee.packetsForwarded
        retiredTotals.packetsDropped &+= leg.pointee.packetsDropped
        retiredTotals.bytesRelayed &+= leg.pointee.bytesForwarded
        retiredTotals.srtpAuthFailures &+= leg.pointee.srtpAuthFailures
        retiredTotals.srtpReplays &+= leg.pointee.srtpReplays
        retiredTotals.srtpErrors &+= leg.pointee.srtpErrors
    }

    private func closeEverything() {
        for case let session? in sessions {
            closeSockets(of: session)
        }
        sessions.removeAll()
        sessionSlots.removeAll()
        releaseResources()
    }

    /// Frees the loop's own descriptors and buffers; for `run()`'s end, or a worker whose thread never started.
    func releaseResources() {
        _ = Glibc.close(epollFD)
        csbc_relay_batch_destroy(batch)
        epollEvents.deallocate()
        injectBuffer.deallocate()
        portLegs.deallocate()
        lookupEntries.deallocate()
        lookupOutcomes.deallocate()
        lookupLengths.deallocate()
        legs.deallocate()
    }
}
