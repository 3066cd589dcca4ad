import SBCSystem

/// At most one log line per `interval` for an event that an attacker can repeat at will (a
/// connection refused at accept): the first occurrence is logged at once, later ones within the
/// interval are only counted, and the next line says how many were not logged. Without it, a
/// flood of 20,000 connections wrote 20,000 warnings and the logging itself slowed the loop.
/// The counters in `TransportCounters` (and `/metrics`) still count every occurrence.
///
/// A value type with the time passed in, so it is tested with a manual clock.
public struct LogThrottle: Sendable, Equatable {
    public let interval: Duration
    private var lastLogged: MonotonicInstant?
    /// Occurrences since the last logged one that were not logged.
    public private(set) var suppressed = 0

    public init(interval: Duration) {
        self.interval = interval
    }

    /// Whether this occurrence gets its log line; when it does, `notLogged` is how many
    /// occurrences since the previous line went unlogged (to put in the line).
    public mutating func occurrence(at now: MonotonicInstant) -> (log: Bool, notLogged: Int) {
        if let lastLogged, now < lastLogged + interval {
            suppressed += 1
            return (false, 0)
        }
        let notLogged = suppressed
        lastLogged = now
        suppressed = 0
        return (true, notLogged)
    }
}
