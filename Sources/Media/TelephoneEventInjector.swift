/// The schedule of RFC 4733 events the relay injects towards one party (§2.5.1): which packet
/// is due when, with which marker, E bit, duration and timestamp. Sans-IO: the media worker asks
/// it for due packets on its own loop's timer (never sleeping) and fills in the SSRC and
/// sequence number of the stream it injects into.
///
/// For an event of duration D and update interval I, starting at t0 with timestamp T (the
/// stream's timestamp at t0, kept by every packet of the event):
///
///     t0          marker, duration min(I, D)            (E set if I >= D)
///     t0 + k*I    duration min((k+1)*I, D)              (E set on the first that reaches D)
///     +I, +2I     the E packet twice more, duration D   (three end packets, RFC 4733 §2.5.1.4)
///
/// Digits queue: the next event starts one interval after the previous one's last end packet,
/// so events never overlap in time (§2.5.1.2) and the receiver hears a gap between repeated digits.
public struct TelephoneEventInjector: Sendable {
    public struct Packet: Sendable, Equatable {
        public var marker: Bool
        public var timestamp: UInt32
        public var payload: TelephoneEventPayload
    }

    struct Pending: Sendable {
        var event: UInt8
        var duration: UInt32
    }

    struct Current: Sendable {
        var event: UInt8
        var duration: UInt32
        var timestamp: UInt32
        /// Updates sent so far (the start packet is update 0).
        var updates: UInt32
        /// End packets sent so far (0-3).
        var ends: Int
    }

    /// Nanoseconds between the packets of an event.
    public let interval: UInt64
    public let clockRate: UInt32
    /// Queued digits beyond this are dropped (a party sending INFO faster than digits can play).
    public static let queueLimit = 64
    /// Shortest event injected (a shorter INFO duration is lengthened): receivers need a few
    /// updates to hear a digit at all.
    public static let minimumDuration: Duration = .milliseconds(40)

    var queue: [Pending] = []
    var current: Current?
    /// When the next packet is due; nil while nothing is queued or playing.
    public private(set) var nextDeadline: UInt64?
    /// The next event may not start before this (one interval after the last end packet).
    var earliestStart: UInt64 = 0
    /// Nor at an earlier timestamp than where the last one ended (events never overlap, even
    /// when the stream's clock estimate lags the worker's timer).
    var nextTimestamp: UInt32?

    /// `interval`: the update interval (the receiving leg's packetisation time, else 50 ms);
    /// `clockRate` of the leg's telephone-event format.
    public init(interval: Duration, clockRate: UInt32) {
        self.interval = min(max(1_000_000, Self.nanoseconds(interval)), 200_000_000)
        self.clockRate = max(1, clockRate)
    }

    /// A non-negative duration in nanoseconds, saturating.
    static func nanoseconds(_ duration: Duration) -> UInt64 {
        let (seconds, attoseconds) = duration.components
        guard seconds >= 0 else { return 0 }
        let (whole, overflow) = UInt64(seconds).multipliedReportingOverflow(by: 1_000_000_000)
        return overflow ? .max : whole &+ UInt64(attoseconds / 1_000_000_000)
    }

    public var isIdle: Bool { current == nil && queue.isEmpty }
    /// Digits waiting behind the one playing.
    public var queued: Int { queue.count }

    /// Timestamp units per interval.
    var intervalUnits: UInt32 {
        UInt32(clamping: interval * UInt64(clockRate) / 1_000_000_000)
    }

    /// Queues event `event` for `duration` (clamped to 40 ms...what a 16-bit duration holds);
    /// false when the queue is full.
    @discardableResult
    public mutating func enqueue(event: UInt8, duration: Duration, now: UInt64) -> Bool {
        guard queue.count < Self.queueLimit else { return false }
        let nanoseconds = Self.nanoseconds(max(duration, Self.minimumDuration))
        let units = UInt32(clamping: min(UInt64(UInt16.max), nanoseconds * UInt64(clockRate) / 1_000_000_000))
        queue.append(Pending(event: event, duration: max(1, units)))
        if nextDeadline == nil { nextDeadline = max(now, earliestStart) }
        return true
    }

    /// The packet due at `now`, if any (call again until nil: a late wake-up may owe several).
    /// `streamTimestamp` is the timestamp of the stream being injected into at `now`; it is
    /// read only when an event starts.
    public mutating func next(now: UInt64, streamTimestamp: UInt32) -> Packet? {
        guard let due = nextDeadline, now >= due else { return nil }
        var packet: Packet
        if var playing = current {
            if playing.ends == 0 {
                playing.updates += 1
                let length = min(UInt64(playing.updates + 1) * UInt64(intervalUnits), UInt64(playing.duration))
                let ended = length >= UInt64(playing.duration)
                if ended { playing.ends = 1 }
                packet = Packet(marker: false, timestamp: playing.timestamp,
                                payload: TelephoneEventPayload(event: playing.event, end: ended, duration: UInt16(length)))
            } else {
                playing.ends += 1
                packet = Packet(marker: false, timestamp: playing.timestamp,
                                payload: TelephoneEventPayload(event: playing.event, end: true,
                                                               duration: UInt16(playing.duration)))
            }
            current = playing
        } else {
            guard !queue.isEmpty else {
                nextDeadline = nil
                return nil
            }
            let next = queue.removeFirst()
            let length = min(intervalUnits, next.duration)
            let ended = length >= next.duration
            var timestamp = streamTimestamp
            if let earliest = nextTimestamp, Int32(bitPattern: timestamp &- earliest) < 0 { timestamp = earliest }
            current = Current(event: next.event, duration: next.duration, timestamp: timestamp, updates: 0,
                              ends: ended ? 1 : 0)
            packet = Packet(marker: true, timestamp: timestamp,
                            payload: TelephoneEventPayload(event: next.event, end: ended, duration: UInt16(length)))
        }
        // On time: the next packet one interval after this one was due; late by more than an
        // interval: one interval from now (no burst to catch up).
        let following = now - due < interval ? due + interval : now + interval
        if let finished = current, finished.ends == 3 {
            nextTimestamp = finished.timestamp &+ finished.duration
            current = nil
            earliestStart = following
            nextDeadline = queue.isEmpty ? nil : following
        } else {
            nextDeadline = following
        }
        return packet
    }
}
