import SBCConfig

/// Decides, per new call, whether the SBC takes it or refuses it early with 503 (docs/OVERLOAD.md).
/// Sans-IO: the server feeds it load samples and asks it about each out-of-dialog INVITE, on an
/// injected clock, before anything is parsed, routed or allocated.
///
/// Load is measured two ways, and either one above its threshold makes the SBC overloaded for
/// `hold` after the last such sample:
/// - event-loop lag: how late loop timers fire, i.e. how long a message that arrives now waits;
/// - receive-queue fill: what is still queued in a SIP UDP socket after a drain, in percent of
///   its buffer, i.e. work the kernel will drop once the buffer is full.
///
/// Two ceilings apply to new calls: the configured `max_cps` (a token bucket), and an adaptive
/// one that measured overload sets (AIMD, as TCP does for congestion): on entering overload it
/// starts at 70% of the rate admitted in the last second, drops by 20% a second (or per `hold`
/// if longer) while the overload lasts, down to a quarter of where it started, and once the load is normal grows by 10% a second until it is 4 s without
/// overload, when it is lifted. So a storm settles at what the SBC can take, instead of
/// flapping between admitting everything and refusing everything.
///
/// Requests in dialogs, ACK, CANCEL, BYE, responses and the SBC's own probes never come here:
/// they keep priority because they are never refused.
struct AdmissionControl {
    /// Why a new call was refused: the `reason` label of `sbc_overload_rejected_total`.
    enum Refusal: String, Sendable, CaseIterable {
        case callsPerSecond = "cps"
        case loopLag = "loop_lag"
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

    /// The adaptive ceiling set by measured overload, while it lasts.
    struct AdaptiveCeiling: Equatable {
        var rate: Double
        var bucket: TokenBucket
        /// When the rate last changed (decreases are at most one per `hold`, increases one a second).
        var changedAt: Duration
        /// What overload set it: the refusal reason while it limits.
        var cause: Refusal
        /// The lowest it may fall: a quarter of where it started (at least `lowestAdaptiveRate`).
        /// Why a floor: refusing costs work too, so lag can persist whatever is admitted, and
        /// without a floor a long storm would ratchet goodput down to nothing.
        var floor: Double
    }

    static let lowestAdaptiveRate = 5.0
    static let liftAfter: Duration = .seconds(4)

    let settings: OverloadSettings
    private(set) var load: Load
    private(set) var adaptive: AdaptiveCeiling?
    private var ceiling: TokenBucket?
    /// New calls admitted in the current and the previous whole second.
    private var window: (start: Duration, admitted: Int, previous: Int)

    init(settings: OverloadSettings, now: Duration) {
        self.settings = settings
        load = .normal(since: now)
        window = (now, 0, 0)
        if settings.maxCallsPerSecond > 0 {
            ceiling = TokenBucket(rate: settings.maxCallsPerSecond, capacity: settings.effectiveBurst, now: now)
        }
    }

    /// A loop-lag sample: how late a timer fired.
    mutating func sampleLag(_ lag: Duration, now: Duration) {
        if lag > settings.lagThreshold { overloaded(.loopLag, now: now) }
    }

    /// A receive-queue sample: bytes still queued and the socket's buffer size.
    mutating func sampleQueue(queuedBytes: Int, bufferBytes: Int, now: Duration) {
        guard bufferBytes > 0 else { return }
        if queuedBytes * 100 > bufferBytes * settings.queueThresholdPercent { overloaded(.receiveQueue, now: now) }
    }

    /// Whether the SBC is overloaded at `now` by measured load; moves back to normal once the
    /// hold is over, and grows or lifts the adaptive ceiling while normal.
    mutating func isOverloaded(now: Duration) -> Bool {
        switch load {
        case .overloaded(_, let until) where now < until:
            return true
        case .overloaded:
            load = .normal(since: now)
        case .normal:
            break
        }
        relax(now: now)
        return false
    }

    /// The decision for one new call (out-of-dialog INVITE) at `now`.
    mutating func admitNewCall(now: Duration) -> Decision {
        guard settings.enabled else { return .admit }
        roll(now: now)
        _ = isOverloaded(now: now)
        if var limit = adaptive {
            let taken = limit.bucket.take(now: now)
            adaptive = limit
            if !taken { return .refuse(limit.cause) }
        }
        if var bucket = ceiling {
            let taken = bucket.take(now: now)
            ceiling = bucket
            if !taken { return .refuse(.callsPerSecond) }
        }
        window.admitted += 1
        return .admit
    }

    private mutating func overloaded(_ cause: Refusal, now: Duration) {
        guard settings.enabled else { return }
        load = .overloaded(cause: cause, until: now + settings.hold)
        roll(now: now)
        if var limit = adaptive {
            guard now - limit.changedAt >= max(settings.hold, .seconds(1)) else { return }
            limit.rate = max(limit.floor, limit.rate * 0.8)
            limit.changedAt = now
            limit.cause = cause
            limit.bucket = Self.bucket(rate: limit.rate, now: now)
            adaptive = limit
        } else {
            let recent = Double(max(window.previous, window.admitted))
            let rate = max(Self.lowestAdaptiveRate, recent * 0.7)
            adaptive = AdaptiveCeiling(rate: rate, bucket: Self.bucket(rate: rate, now: now), changedAt: now, cause: cause,
                                       floor: max(Self.lowestAdaptiveRate, rate / 4))
        }
    }

    /// Normal load: the adaptive ceiling grows 10% a second and is lifted after `liftAfter`.
    private mutating func relax(now: Duration) {
        guard var limit = adaptive, case .normal(let since) = load else { return }
        if now - since >= Self.liftAfter {
            adaptive = nil
            return
        }
        guard now - limit.changedAt >= .seconds(1) else { return }
        limit.rate *= 1.1
        limit.changedAt = now
        limit.bucket = Self.bucket(rate: limit.rate, now: now)
        adaptive = limit
    }

    private mutating func roll(now: Duration) {
        let elapsed = now - window.start
        guard elapsed >= .seconds(1) else { return }
        window = (now, 0, elapsed >= .seconds(2) ? 0 : window.admitted)
    }

    /// A bucket a tenth of a second deep: bursts pass, a flood does not.
    private static func bucket(rate: Double, now: Duration) -> TokenBucket {
        TokenBucket(rate: Int(rate.rounded(.up)), capacity: max(1, Int(rate / 10)), now: now)
    }
}
