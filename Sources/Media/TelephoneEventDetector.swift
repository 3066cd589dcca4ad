/// Finds the events in one party's stream of RFC 4733 telephone-event packets (§2.5.2), on the
/// media worker, so that an event becomes one report however many packets carried it.
///
/// - An event starts with a packet of a new timestamp (or a new event code): the M bit of the
///   first packet may be lost, the timestamp is what RFC 4733 ties an event to.
/// - Updates (same timestamp and code) only lengthen it.
/// - It ends with the first packet carrying the E bit; its two retransmissions, and any update
///   arriving late, have the ended event's timestamp and are ignored: reported once.
/// - An event whose end packets were all lost ends `endTimeout` after its last packet
///   (`expire`, called from the worker's tick); one followed by another before its end ends then.
/// - Packets older than the current or last event (RTP timestamp order) are ignored.
/// - A segmented long event (§2.5.1.3: the duration reached 0xFFFF and the event goes on with
///   timestamp + 0xFFFF) is one event.
///
/// Reports are rate limited (`burst` at once, `refillPerSecond` after): a party cannot make the
/// SBC send a flood of SIP INFO by sending a flood of tiny events. Packets are still relayed or
/// suppressed as the leg says; only the reports stop.
///
/// A plain value of integers: it lives in the relay leg and is fed by pointer, allocating nothing.
public struct TelephoneEventDetector: Sendable {
    /// No packet of an open event for this long ends it (RFC 4733 §2.5.2.1 suggests a timeout
    /// well above the 50 ms update interval; three lost end packets and a few updates fit).
    public static let endTimeout: UInt64 = 300_000_000
    public static let burst: UInt32 = 32
    public static let refillPerSecond: UInt64 = 10

    var active = false
    var event: UInt8 = 0
    var timestamp: UInt32 = 0
    /// Duration field of the last packet of the open event, and what earlier segments added.
    var durationField: UInt16 = 0
    var segments: UInt32 = 0
    var volume: UInt8 = 0
    var lastPacket: UInt64 = 0
    /// The last event reported (or refused by the rate limit): its retransmissions are ignored.
    var hasEnded = false
    var endedTimestamp: UInt32 = 0
    var endedEvent: UInt8 = 0
    var tokens: UInt32 = TelephoneEventDetector.burst
    var lastRefill: UInt64 = 0
    /// Events that ended while the rate limit was exhausted (never reported).
    public private(set) var dropped: UInt64 = 0

    public init() {}

    /// Whether an event is open (started, not yet ended).
    public var isOpen: Bool { active }

    /// One telephone-event packet of the party: `timestamp` from its RTP header, `now` in
    /// monotonic nanoseconds. Returns what ended: the previous event when this one supersedes
    /// it, and this one when it is a single-packet event; nil, nil for updates and repeats.
    public mutating func receive(_ payload: TelephoneEventPayload, timestamp: UInt32,
                                 now: UInt64) -> (TelephoneEventReport?, TelephoneEventReport?) {
        let reference = active ? self.timestamp : hasEnded ? endedTimestamp : timestamp
        if Int32(bitPattern: timestamp &- reference) < 0 { return (nil, nil) }   // late, reordered
        if !active, hasEnded, timestamp == endedTimestamp, payload.event == endedEvent { return (nil, nil) }
        var superseded: TelephoneEventReport?
        if active {
            if timestamp == self.timestamp, payload.event == event {
                update(payload, now: now)
                return (payload.end ? finish(.endBit) : nil, nil)
            }
            if payload.event == event, durationField == .max, timestamp == self.timestamp &+ 0xFFFF {
                // The next segment of a long event: the same event goes on.
                segments &+= 0xFFFF
                self.timestamp = timestamp
                durationField = 0
                update(payload, now: now)
                return (payload.end ? finish(.endBit) : nil, nil)
            }
            superseded = finish(.superseded)
        }
        active = true
        event = payload.event
        self.timestamp = timestamp
        segments = 0
        durationField = 0
        update(payload, now: now)
        return (superseded, payload.end ? finish(.endBit) : nil)
    }

    /// Ends an open event whose last packet is older than `endTimeout` (its end packets were
    /// lost); called on the worker's tick.
    public mutating func expire(now: UInt64) -> TelephoneEventReport? {
        guard active, now >= lastPacket, now - lastPacket >= Self.endTimeout else { return nil }
        return finish(.timeout)
    }

    private mutating func update(_ payload: TelephoneEventPayload, now: UInt64) {
        durationField = max(durationField, payload.duration)
        volume = payload.volume
        lastPacket = now
    }

    private mutating func finish(_ ending: TelephoneEventReport.Ending) -> TelephoneEventReport? {
        active = false
        hasEnded = true
        endedTimestamp = timestamp
        endedEvent = event
        let report = TelephoneEventReport(event: event, duration: segments &+ UInt32(durationField), volume: volume,
                                          ending: ending)
        refill(now: lastPacket)
        guard tokens > 0 else {
            dropped &+= 1
            return nil
        }
        tokens -= 1
        return report
    }

    private mutating func refill(now: UInt64) {
        let period = 1_000_000_000 / Self.refillPerSecond
        guard now > lastRefill else { return }
        let earned = (now - lastRefill) / period
        guard earned > 0 else { return }
        tokens = UInt32(min(UInt64(Self.burst), UInt64(tokens) + earned))
        lastRefill += earned * period
        if tokens == Self.burst { lastRefill = now }
    }
}
