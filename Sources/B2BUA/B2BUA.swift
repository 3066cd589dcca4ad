import Logging
import Media
import Routing
import SBCConfig
import SBCTimers
import SIPCore
import SIPTransaction

/// A message the B2BUA wants on the wire.
public struct SIPOutbound: Sendable {
    public var message: SIPMessage
    public var destination: SIPEndpoint
}

/// The back-to-back user agent: terminates the caller's dialog, originates its own towards the
/// routed trunk, and bridges requests and responses between the two.
///
/// Sans-IO: it is fed bytes with their source and the current time, and returns the messages to
/// send; the driver owns sockets and the clock. All call state lives here, confined to the
/// signalling thread.
public struct B2BUA {
    /// Replaced as a whole by a configuration reload (B2BUA+Reconfiguration.swift).
    var settings: B2BUASettings
    var routing: RoutingTable
    var logger: Logger
    var transactions: TransactionManager<TransactionContext>
    var ids: IdentifierGenerator
    var calls: [CallHandle: Call] = [:]
    /// (Call-ID, our tag) of each leg -> call and leg: how in-dialog requests find their call.
    var dialogs: [DialogKey: (call: CallHandle, leg: LegReference)] = [:]
    var nextCallHandle = 1
    var outbox: [SIPOutbound] = []
    /// Live per-trunk state: Retry-After quarantines, passive failures, call counts.
    public internal(set) var availability = TrunkAvailability()
    /// Per-call timers (first provisional, answer) of the attempts in progress.
    var callTimers = DeadlineHeap<CallTimer>()
    /// Attempts that failed over to another candidate, since start (for latency measurement).
    public internal(set) var failovers = 0
    /// Every trunk's health state machine (probes, passive failures, quarantine, operator locks).
    var health: [String: TrunkHealth] = [:]
    /// Earliest deadline of any trunk's health state machine (see `nextHealthDeadline`).
    var trunkHealthDeadline: Duration?
    var probeTimers = DeadlineHeap<ProbeTimer>()
    var pendingProbes: [String: PendingProbe] = [:]
    /// When the SBC itself was overloaded, so probe timeouts of that time are not blamed on carriers.
    var ownLoad = OwnLoadHistory()
    /// Probe timeouts discarded because the SBC itself was overloaded (`ownLoadChanged`).
    public internal(set) var discardedProbes = 0
    /// Groups whose primary an operator took out of selection, with the operator's name.
    var forcedFailover: [String: String] = [:]
    var healthEvents: [TrunkHealthEvent] = []
    /// Operator activations by group (B2BUA+Activation.swift); absent: version 0.
    var groupActivations: [String: TrunkGroupActivation] = [:]
    var activationChanges: [(group: String, change: ActivationChange)] = []
    /// Calls that ended since the driver last took them (for CDRs).
    var finishedCalls: [CallSummary] = []
    /// Set once shutdown begins: new calls are refused and, at the deadline, remaining calls closed.
    public private(set) var drainDeadline: Duration?
    /// RTP/RTCP port pairs of the media relay (when media anchoring is on).
    var ports: MediaPortAllocator
    /// Relay commands produced since the driver last took them.
    var mediaCommands: [MediaInstruction] = []
    /// Relay session -> call, for the relay's events.
    var mediaSessions: [MediaSessionID: CallHandle] = [:]
    var nextMediaSession: UInt64 = 1
    /// Summaries of ended calls waiting for their media statistics from the relay.
    var awaitingMediaStatistics: [MediaSessionID: AwaitedStatistics] = [:]
    /// Dialog IDs of unwanted answers already ACKed and hung up (bounded; see
    /// `releaseStrayAnswer`), so their retransmissions do not each start another BYE.
    var releasedStrayDialogs: Set<String> = []
    /// ACKs the SBC sent to 2xx answers it did not keep (an offer it refused, an answer that
    /// crossed CANCEL), by dialog ID: every retransmission of such a 2xx gets the same
    /// ACK again (RFC 3261 13.2.2.4), wherever the call has gone since. Bounded like the set above.
    var unwantedAnswerAcks: [String: (ack: SIPMessage, peer: SIPEndpoint)] = [:]
    /// Carrier-side dialogs that ended, for 64 × T1: a 2xx on one is a late answer to our own
    /// INVITE (ACK and BYE), any other unmatched response is dropped (B2BUA+StrayResponses.swift).
    var endedDialogs = EndedDialogMemory(lifetime: .seconds(32))
    /// Per trunk group, mid-call failovers waiting for the group's `max_rate` (see `MidCallPacer`).
    var midCallPacers: [String: MidCallPacer] = [:]
    /// Mid-call failovers and audio gaps since the driver last took them (for metrics).
    var midCallReports: [MidCallFailoverReport] = []
    /// Trunk credentials, digest nonce counts and REGISTER bindings (B2BUA+Authentication.swift,
    /// B2BUA+Registration.swift).
    var authentication = CarrierAuthentication()
    /// DTMF digits counted since the driver last took them (B2BUA+DTMF.swift).
    var dtmfCounts: [DTMFEventCount] = []
    /// Established calls' snapshots for a restart (B2BUA+Recovery.swift); off unless enabled.
    var recovery = CallRecovery()
    /// Test calls the SBC places itself and the DID validation runs they serve (B2BUA+TestCalls.swift,
    /// B2BUA+Validation.swift).
    var testCalls = TestCallRegistry()
    /// Media-path probes: timers, probes in flight, RTP checks for the driver, last results
    /// (B2BUA+MediaProbes.swift).
    var mediaProbes = MediaProbeLedger()
    private var drainExpired = false

    struct DialogKey: Hashable, Sendable {
        var callID: String
        var localTag: String
    }

    public init(settings: B2BUASettings, routing: RoutingTable, logger: Logger, ids: IdentifierGenerator = .init()) {
        self.settings = settings
        self.routing = routing
        self.logger = logger
        self.ids = ids
        transactions = TransactionManager(timers: settings.timers)
        endedDialogs = EndedDialogMemory(lifetime: settings.timers.transactionTimeout)
        let media = settings.media
        ports = MediaPortAllocator(range: media?.portRange ?? 0...3, workers: media?.workers ?? 1,
                                   reuseDelay: media?.reuseDelay ?? .zero)
    }

    public var activeCalls: Int { calls.count }

    /// Hands over the summaries of calls that ended since the last call (for CDRs).
    public mutating func takeFinishedCalls() -> [CallSummary] {
        defer { finishedCalls.removeAll(keepingCapacity: true) }
        return finishedCalls
    }
    public var activeTransactions: Int { transactions.count }

    /// Earliest time `advance(to:)` must be called.
    public var nextDeadline: Duration? {
        [transactions.nextDeadline, callTimers.first?.deadline, nextHealthDeadline, drainExpired ? nil : drainDeadline,
         awaitingMediaStatistics.isEmpty ? nil : awaitingMediaStatistics.values.lazy.map(\.deadline).min(),
         midCallPacers.isEmpty ? nil : midCallPacers.values.lazy.compactMap(\.nextRelease).min(),
         authentication.registrationDeadline, testCalls.nextDeadline]
            .compactMap { $0 }.min()
    }

    // MARK: Entry points

    /// One datagram or one framed stream message from `source`.
    public mutating func receive(_ bytes: [UInt8], from source: SIPEndpoint, now: Duration) -> [SIPOutbound] {
        outbox.removeAll(keepingCapacity: true)
        do {
            let message = try SIPMessage(parsing: bytes)
            if message.isRequest {
                receiveRequest(message, from: source, now: now)
            } else {
                receiveResponse(message, from: source, now: now)
            }
            noteDialogActivity(message)
        } catch {
            rejectMalformed(error, from: source)
        }
        return outbox
    }

    /// Fires due transaction timers and the drain deadline.
    public mutating func advance(to now: Duration) -> [SIPOutbound] {
        outbox.removeAll(keepingCapacity: true)
        // Transaction and call timers fire in deadline order, as if each had woken the loop.
        while true {
            let transactionDue = transactions.nextDeadline.flatMap { $0 <= now ? $0 : nil }
            if let top = callTimers.first, top.deadline <= now, top.deadline <= transactionDue ?? top.deadline {
                callTimers.popFirst()
                fire(top.payload, sequence: top.sequence, now: top.deadline)
            } else if let due = transactionDue {
                handle(transactions.advance(to: due), now: due)
            } else {
                break
            }
        }
        advanceHealth(to: now)
        advanceRegistrations(to: now)
        advanceTestCalls(to: now)
        releasePacedFailovers(now: now)
        expireAwaitedStatistics(now: now)
        if let deadline = drainDeadline, !drainExpired, now >= deadline {
            drainExpired = true
            for id in Array(calls.keys) { terminate(call: id, reason: "SIP;cause=503;text=\"SBC shutting down\"", now: now) }
        }
        return outbox
    }

    /// Stops taking new calls; established calls may end by themselves until `drain` elapses.
    public mutating func beginDrain(now: Duration) -> [SIPOutbound] {
        outbox.removeAll(keepingCapacity: true)
        if drainDeadline == nil {
            drainDeadline = now + settings.drain
            logger.notice("draining", metadata: ["calls": "\(calls.count)", "drain_s": "\(settings.drain)"])
        }
        return advance(to: now)
    }

    // MARK: Plumbing shared by the extensions

    mutating func send(_ message: SIPMessage, to destination: SIPEndpoint) {
        outbox.append(SIPOutbound(message: message, destination: destination))
    }

    mutating func handle(_ events: [TransactionEvent<TransactionContext>], now: Duration) {
        for event in events {
            switch event {
            case .send(let message, let context):
                send(message, to: context.destination)
            case .response(let response, let key, let context):
                clientResponse(response, key: key, context: context, now: now)
            case .timeout(let key, let context):
                clientFailure(status: 408, reason: "Request Timeout", key: key, context: context, now: now)
            case .transportError(let key, let context):
                clientFailure(status: 503, reason: "Service Unavailable (transport error)", key: key,
                              context: context, now: now)
            case .terminated:
                break
            }
        }
    }

    /// Makes `pending` the call's INVITE in progress and tags the server transaction it answers
    /// with the call, so that a CANCEL or a final response nobody ACKs finds the call directly
    /// instead of by scanning every call.
    mutating func startPendingInvite(_ pending: Call.PendingInvite, on call: Call) {
        call.pendingInvite = pending
        transactions.updateContext(of: pending.serverKey) { $0.call = call.handle }
    }

    /// The call whose INVITE in progress answers server transaction `key`; `context` is that
    /// transaction's. The tag is only a pointer: the call must still be waiting on `key`.
    func callAwaiting(serverInvite key: TransactionKey, context: TransactionContext?) -> Call? {
        guard let call = context?.call.flatMap({ calls[$0] }), call.pendingInvite?.serverKey == key else { return nil }
        return call
    }

    /// Answers a server transaction; for requests without one (stateless rejections) sends directly.
    /// Finals pass the leg's extensions first (B2BUA+Interworking.swift), which may hold a 2xx.
    mutating func respond(_ key: TransactionKey, _ response: SIPMessage, now: Duration) {
        var response = response
        guard prepareFinal(&response, key: key, now: now) else { return }
        handle(transactions.respond(key, with: response, now: now), now: now)
    }

    mutating func respond(to request: SIPMessage, key: TransactionKey, status: Int, reason: String? = nil,
                          toTag: String? = nil, headers: [SIPHeaderField] = [], now: Duration)
    {
        var response = SIPResponseBuilder.response(to: request, statusCode: status, reason: reason,
                                                   toTag: toTag ?? (status > 100 ? ids.tag() : nil),
                                                   extraHeaders: headers)
        settings.identify(&response, as: .server)
        respond(key, response, now: now)
    }

    /// Where responses to `request` go (RFC 3261 18.2.2 with RFC 3581): back to the source
    /// address for streams and rport, otherwise the source IP with the Via's port.
    static func responseDestination(for request: SIPMessage, source: SIPEndpoint) -> SIPEndpoint {
        guard source.transport == .udp, let via = request.topVia, via.rport == nil else { return source }
        var destination = source
        destination.port = via.port ?? 5060
        return destination
    }

    /// Records `received`/`rport` in the top Via (RFC 3261 18.2.1, RFC 3581) so that every
    /// response the SBC builds from this request carries them.
    static func stampTopVia(_ request: inout SIPMessage, source: SIPEndpoint) {
        request.updateTopVia { top in
            if top.host != source.host { top.parameters.set("received", to: source.host) }
            if case .some(.none) = top.rport { top.parameters.set("rport", to: String(source.port)) }
        }
    }

    mutating func rejectMalformed(_ error: SIPParseError, from source: SIPEndpoint) {
        logger.warning("malformed SIP message", metadata: [
            "source": "\(source)", "reason": "\(error.reason)",
            "call_id": "\(error.partialMessage?.callID ?? "-")",
        ])
        guard error.canRespond, answersMalformed(from: source), var request = error.partialMessage else { return }
        Self.stampTopVia(&request, source: source)
        var response = SIPResponseBuilder.response(to: request, statusCode: error.statusCode, reason: error.reason)
        settings.identify(&response, as: .server)
        send(response, to: Self.malformedResponseDestination(for: request, source: source))
    }

    func metadata(_ call: Call) -> Logger.Metadata {
        ["call_id": "\(call.logID)", "route": "\(call.routeName)"]
    }
}
