import SBCConfig

/// Decides, per new call, whether the SBC takes it or refuses it early with 503 (docs/OVERLOAD.md).
/// Sans-IO: the server feeds it load samples and asks it about each out-of-dialog INVITE, on an
/// injected clock, before anything is parsed, routed or allocated.
///
/// The measure of load is delay: how long a message waited between reaching the host and being
/// handled by the SBC (kernel receive time of a UDP datagram to the moment the loop looks at it).
/// A new INVITE that waited longer than `lag_threshold_ms` is refused; one that did not is taken.
/// Why per message, not a rate: in a storm the queue settles where every INVITE the SBC takes was
/// answered in time, so the SBC takes exactly what it can do, whatever the host, build or CPU
/// share, and never what it cannot (which the caller would retransmit after T1, doubling the
/// storm). An earlier design set an adaptive rate ceiling (AIMD) from loop lag; on a host whose
/// cores the SBC shares with its peers, the lag of its own busy loop kept cutting the ceiling, and
/// goodput fell to a quarter of capacity.
///
/// Other signals refuse too: another SIP socket whose oldest datagram at its last drain had waited
/// longer than the threshold (the carrier side is behind), a receive queue filled past
/// `queue_threshold_percent` of its buffer (the kernel is about to drop), and for messages without
/// a kernel receive time (TCP, TLS) a loop timer that fired later than the threshold within the
/// last `hold`. Any of them makes the SBC count as overloaded for `hold` (the gauge, the log, and
/// the B2BUA's probes: a probe that timed out meanwhile is discarded).
///
/// The configured `max_cps` (a token bucket) applies on top, on any load.
///
/// Requests in dialogs, ACK, CANCEL, BYE, responses and the SBC's own probes never come here:
/// they keep priority because they are never refused.
struct AdmissionControl {
    /// Why a new call was refused: the `reason` label of `sbc_overload_rejected_total`.
    enum Refusal: String, Sendable, CaseIterable {
        /// Above the configured `max_cps`.
        case callsPerSecond = "cps"
        /// The SBC is late: the INVITE (or another socket's oldest message, or a loop timer)
        /// waited longer than `lag_threshold_ms`.
        case loopLag = "loop_lag"
        /// A receive queue is filled past `queue_threshold_percent`.
        case receiveQueue = "receive_queue"

        /// The text of the 503's Reason header and of the log line.
        var text: String {
            switch self {
            case .callsPerSecond: "calls per second above the configured ceiling"
            case .loopLag: "SBC overloaded (event-loop lag)"
            case .receiveQueue: "SBC overloaded (receive queue)"
            }
        }
    }

    enum Decision: Equatable {
        case admit
        case refuse(Refusal)
    }

    /// The measured load; the cause and end of an overload live in its case.
    enum Load: Equatable {
        case normal(since: Duration)
        case overloaded(cause: Refusal, until: Duration)
    }

    /// What the last drain of one receive socket showed.
    struct SocketState: Equatable {
        /// How long its oldest datagram had waited when the drain began (nil: unknown).
        var oldestWait: Duration?
        /// Whether its queue was still filled past the threshold after the drain.
        var queueFull: Bool
        /// When the drain was. A socket that has gone quiet since says nothing about the load
        /// now: its state counts for `hold` after its drain, no longer.
        var drainedAt: Duration
    }

    let settings: OverloadSettings
    private(set) var load: Load
    private var ceiling: TokenBucket?
    /// Per receive socket (by zone), its last drain.
    private(set) var sockets: [String: SocketState] = [:]
    /// Until when a late loop timer refuses new calls that carry no receive time of their own.
    private var timerLateUntil: Duration?
    /// When the last late timer sample was taken, while samples stay late. Why: one stall (a
    /// reload reading certificates, a memory trim) makes every timer due during it fire late at
    /// once, after which the loop is current again; only a timer scheduled after that and still
    /// late shows a backlog that a TCP or TLS INVITE would wait in.
    private var lastLateSampleAt: Duration?

    init(settings: OverloadSettings, now: Duration) {
        self.settings = settings
        load = .normal(since: now)
        if settings.maxCallsPerSecond > 0 {
            ceiling = TokenBucket(rate: settings.maxCallsPerSecond, capacity: settings.effectiveBurst, now: now)
        }
    }

    /// A loop-lag sample: how late a timer fired (it was due at `now - lag`).
    mutating func sampleLag(_ lag: Duration, now: Duration) {
        guard lag > settings.lagThreshold else {
            lastLateSampleAt = nil
            return
        }
        overloaded(.loopLag, now: now)
        if let previous = lastLateSampleAt, now - lag >= previous { timerLateUntil = now + settings.hold }
        lastLateSampleAt = now
    }

    /// One drain of a receive socket: how long its oldest datagram had waited (nil if the kernel
    /// gave no receive time), bytes still queued after it and the socket's buffer size.
    mutating func sampleDrain(socket: String, oldestWait: Duration?, queuedBytes: Int, bufferBytes: Int, now: Duration) {
        let full = bufferBytes > 0 && queuedBytes * 100 > bufferBytes * settings.queueThresholdPercent
        sockets[socket] = SocketState(oldestWait: oldestWait, queueFull: full, drainedAt: now)
        if full { overloaded(.receiveQueue, now: now) }
        if let oldestWait, oldestWait > settings.lagThreshold { overloaded(.loopLag, now: now) }
    }

    /// Whether the SBC is overloaded at `now` by measured load; moves back to normal once the
    /// hold is over.
    mutating func isOverloaded(now: Duration) -> Bool {
        switch load {
        case .overloaded(_, let until) where now < until:
            return true
        case .overloaded:
            load = .normal(since: now)
            return false
        case .normal:
            return false
        }
    }

    /// The decision for one new call (out-of-dialog INVITE) at `now` that arrived on `socket`
    /// and waited `waited` since the kernel received it (nil when unknown: TCP, TLS).
    mutating func admitNewCall(socket: String? = nil, waited: Duration? = nil, now: Duration) -> Decision {
        guard settings.enabled else { return .admit }
        if let refusal = measuredRefusal(socket: socket, waited: waited, now: now) {
            overloaded(refusal, now: now)
            return .refuse(refusal)
        }
        if var bucket = ceiling {
            let taken = bucket.take(now: now)
            ceiling = bucket
            if !taken { return .refuse(.callsPerSecond) }
        }
        return .admit
    }

    private func measuredRefusal(socket: String?, waited: Duration?, now: Duration) -> Refusal? {
        if let waited {
            if waited > settings.lagThreshold { return .loopLag }
        } else if let until = timerLateUntil, now < until {
            return .loopLag
        }
        var queueFull = false
        for (name, state) in sockets where now - state.drainedAt <= settings.hold {
            queueFull = queueFull || state.queueFull
            if name != socket, let wait = state.oldestWait, wait > settings.lagThreshold { return .loopLag }
        }
        return queueFull ? .receiveQueue : nil
    }

    private mutating func overloaded(_ cause: Refusal, now: Duration) {
        guard settings.enabled else { return }
        load = .overloaded(cause: cause, until: now + settings.hold)
    }
}
