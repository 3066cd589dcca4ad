import CSBCLinux

/// A point on CLOCK_MONOTONIC, in nanoseconds.
///
/// SIP timers (T1, Timer B, retransmits), TCP idle timeouts and media-timeout detection must not
/// jump when NTP steps the wall clock, and the loop's timerfd runs on the same clock, so deadlines
/// computed here can be handed to the kernel unchanged.
public struct MonotonicInstant: Comparable, Hashable, Sendable, CustomStringConvertible {
    public let nanoseconds: UInt64

    public init(nanoseconds: UInt64) {
        self.nanoseconds = nanoseconds
    }

    public static func now() -> MonotonicInstant {
        MonotonicInstant(nanoseconds: csbc_monotonic_now_ns())
    }

    public static func < (lhs: MonotonicInstant, rhs: MonotonicInstant) -> Bool {
        lhs.nanoseconds < rhs.nanoseconds
    }

    /// Saturates at zero rather than trapping: "a deadline in the past" is ordinary.
    public static func + (lhs: MonotonicInstant, rhs: Duration) -> MonotonicInstant {
        let delta = rhs.nanosecondsClamped
        if delta >= 0 {
            let (sum, overflow) = lhs.nanoseconds.addingReportingOverflow(UInt64(delta))
            return MonotonicInstant(nanoseconds: overflow ? .max : sum)
        }
        let magnitude = UInt64(-delta)
        return MonotonicInstant(nanoseconds: lhs.nanoseconds > magnitude ? lhs.nanoseconds - magnitude : 0)
    }

    public static func - (lhs: MonotonicInstant, rhs: Duration) -> MonotonicInstant {
        lhs + (.zero - rhs)
    }

    public static func += (lhs: inout MonotonicInstant, rhs: Duration) {
        lhs = lhs + rhs
    }

    /// Signed elapsed time from `rhs` to `lhs`.
    public static func - (lhs: MonotonicInstant, rhs: MonotonicInstant) -> Duration {
        if lhs.nanoseconds >= rhs.nanoseconds {
            return .nanoseconds(Int64(clamping: lhs.nanoseconds - rhs.nanoseconds))
        }
        return .zero - .nanoseconds(Int64(clamping: rhs.nanoseconds - lhs.nanoseconds))
    }

    public func advanced(by duration: Duration) -> MonotonicInstant { self + duration }

    public func duration(to other: MonotonicInstant) -> Duration { other - self }

    public var description: String {
        let ms = nanoseconds / 1_000_000
        return "mono+\(ms / 1000).\(String(ms % 1000).leftPadded(to: 3))s"
    }
}

extension Duration {
    /// Whole nanoseconds, clamped to Int64 (about 292 years either way).
    public var nanosecondsClamped: Int64 {
        let (seconds, attoseconds) = components
        let (scaled, overflow) = seconds.multipliedReportingOverflow(by: 1_000_000_000)
        if overflow { return seconds < 0 ? .min : .max }
        let (total, overflow2) = scaled.addingReportingOverflow(attoseconds / 1_000_000_000)
        if overflow2 { return seconds < 0 ? .min : .max }
        return total
    }

    /// Milliseconds rounded up, so a poll with this timeout never wakes before the deadline.
    public var millisecondsRoundedUp: Int64 {
        let ns = nanosecondsClamped
        guard ns > 0 else { return 0 }
        return ns / 1_000_000 + (ns % 1_000_000 == 0 ? 0 : 1)
    }
}

extension String {
    fileprivate func leftPadded(to width: Int) -> String {
        count >= width ? self : String(repeating: "0", count: width - count) + self
    }
}
