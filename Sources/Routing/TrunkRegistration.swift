import SBCConfig

/// The REGISTER binding of one registration-based trunk (`trunks[].register`): when to send a
/// REGISTER, what its answer means, when to refresh and how long to back off.
///
/// Sans-IO like ``TrunkHealth``: it is fed the outcome of each REGISTER (the final status after
/// any digest challenge was answered, the granted expiry, Retry-After and Min-Expires) and the
/// time, and returns ``Action``s; the caller builds and sends the REGISTER, feeds the trunk's
/// health with ``Action/registered(expires:)`` and ``Action/failed(detail:retryIn:)``, and
/// calls ``advance(to:)`` at ``nextDeadline``. One REGISTER is in flight at a time.
///
/// The rules (docs/AUTH.md):
/// - A binding is refreshed at half the granted time or 30 s before it expires, whichever is
///   earlier, but not sooner than 5 s after it was granted (half the time for shorter grants).
/// - A failed REGISTER (refused, challenged again, timed out, transport error) means no binding:
///   the trunk goes down at once, and the next REGISTER follows after `retry_min_s`, doubled per
///   failure up to `retry_max_s`; a Retry-After (503 and others) replaces that wait, capped at
///   the larger of `retry_max_s` and one hour.
/// - 423 Interval Too Brief with a larger Min-Expires is not a failure: the REGISTER is sent
///   again at once asking for Min-Expires, which is kept for later refreshes.
/// - A binding whose expiry passes without a successful refresh is lost.
/// - ``stop(now:)`` removes a binding (`Expires: 0`) on graceful shutdown.
public struct TrunkRegistration: Sendable {
    public enum State: String, Sendable {
        /// Not started.
        case idle
        /// A REGISTER is in flight (the first one, a refresh, or a retry).
        case registering
        /// Bound; the refresh is scheduled.
        case registered
        /// The last REGISTER failed; the retry is scheduled.
        case failed
        /// The un-REGISTER (`Expires: 0`) is in flight.
        case unregistering
        /// Stopped: nothing more is sent.
        case stopped
    }

    public enum Action: Sendable, Equatable {
        /// Send a REGISTER asking for `expires` seconds (0 removes the binding).
        case send(expires: Int)
        /// The registrar granted a binding of `expires` seconds.
        case registered(expires: Int)
        /// No binding: the REGISTER failed (`detail` says how) and the next is in `retryIn`
        /// (nil: a REGISTER is in flight or goes out now).
        case failed(detail: String, retryIn: Duration?)
        /// The binding was removed (or there was none to remove); nothing more is sent.
        case stopped
    }

    public let trunk: String
    public let settings: TrunkRegistrationSettings
    public private(set) var state: State = .idle
    /// Whether a binding is believed to exist at the registrar.
    public private(set) var bound = false
    /// What the next REGISTER asks for: `expires_s`, or a registrar's Min-Expires.
    public private(set) var requestedExpires: Int
    /// The last binding's granted lifetime (seconds) and its end.
    public private(set) var grantedExpires: Int?
    public private(set) var expiresAt: Duration?
    /// When the next REGISTER goes out (refresh or retry); nil while one is in flight.
    public private(set) var nextAttempt: Duration?
    /// Failed REGISTERs in a row.
    public private(set) var failures = 0
    /// Final status of the last REGISTER (nil for a timeout or transport error, or before any).
    public private(set) var lastStatus: Int?
    /// What the last outcome was, for the admin API and logs.
    public private(set) var detail = "not started"
    /// When ``state`` was entered.
    public private(set) var since: Duration

    /// The longest Retry-After honoured: at least an hour, or `retry_max_s` if that is longer.
    public var retryAfterCap: Duration { max(settings.retryMax, .seconds(3600)) }

    public init(trunk: String, settings: TrunkRegistrationSettings, now: Duration) {
        self.trunk = trunk
        self.settings = settings
        requestedExpires = settings.expires
        since = now
    }

    /// Sends the first REGISTER.
    public mutating func start(now: Duration) -> [Action] {
        guard state == .idle else { return [] }
        return register(now: now)
    }

    /// The final response to the REGISTER in flight (after any digest challenge was answered or
    /// refused). `grantedExpires` is the binding's lifetime the registrar returned for our
    /// Contact (its `expires` parameter, else the Expires header); `retryAfter` and `minExpires`
    /// are the headers of that name, in seconds.
    public mutating func responded(status: Int, reason: String, grantedExpires: Int?, retryAfter: Int?,
                                   minExpires: Int?, now: Duration) -> [Action] {
        guard status >= 200 else { return [] }
        lastStatus = status
        if state == .unregistering { return finishStop(detail: "unregistered (\(status) \(reason))", now: now) }
        guard state == .registering else { return [] }
        if (200..<300).contains(status) {
            let granted = grantedExpires ?? requestedExpires
            guard granted > 0 else {
                return fail("REGISTER answered \(status) \(reason) but granted no binding (expires 0)",
                            retryAfter: retryAfter, now: now)
            }
            bound = true
            failures = 0
            self.grantedExpires = granted
            expiresAt = now + .seconds(granted)
            nextAttempt = now + Self.refreshDelay(granted: granted)
            detail = "registered for \(granted) s (\(status) \(reason))"
            enter(.registered, now: now)
            return [.registered(expires: granted)]
        }
        if status == 423, let minExpires, minExpires > requestedExpires {
            requestedExpires = minExpires
            detail = "423 Interval Too Brief: asking again for Min-Expires \(minExpires) s"
            return [.send(expires: requestedExpires)]
        }
        return fail("REGISTER answered \(status) \(reason)", retryAfter: retryAfter, now: now)
    }

    /// The REGISTER in flight got no final response (Timer F) or could not be sent.
    public mutating func failed(detail: String, now: Duration) -> [Action] {
        lastStatus = nil
        if state == .unregistering { return finishStop(detail: "un-REGISTER not answered: \(detail)", now: now) }
        guard state == .registering else { return [] }
        return fail(detail, retryAfter: nil, now: now)
    }

    /// Runs the refresh, retry and expiry deadlines that are due.
    public mutating func advance(to now: Duration) -> [Action] {
        var actions: [Action] = []
        if bound, let expiresAt, expiresAt <= now, state != .unregistering, state != .stopped {
            bound = false
            self.expiresAt = nil
            detail = "binding expired without a successful refresh"
            actions.append(.failed(detail: detail, retryIn: nil))
        }
        if let nextAttempt, nextAttempt <= now, state == .registered || state == .failed {
            actions += register(now: now)
        }
        return actions
    }

    /// The earliest time ``advance(to:)`` has something to do.
    public var nextDeadline: Duration? {
        switch state {
        case .registered, .failed, .registering:
            [nextAttempt, bound ? expiresAt : nil].compactMap { $0 }.min()
        case .idle, .unregistering, .stopped:
            nil
        }
    }

    /// Graceful shutdown: removes the binding (`Expires: 0`) if there may be one, else stops.
    public mutating func stop(now: Duration) -> [Action] {
        switch state {
        case .idle, .failed:
            return finishStop(detail: "stopped (no binding)", now: now)
        case .registering, .registered:
            nextAttempt = nil
            enter(.unregistering, now: now)
            detail = "unregistering"
            return [.send(expires: 0)]
        case .unregistering, .stopped:
            return []
        }
    }

    // MARK: - Rules

    /// Refresh after half the grant or 30 s before expiry, whichever is earlier, and not sooner
    /// than 5 s (half the grant when that is shorter).
    public static func refreshDelay(granted: Int) -> Duration {
        let half = Duration.milliseconds(granted * 500)
        let early = min(half, .seconds(granted - 30))
        return max(early, min(half, .seconds(5)))
    }

    /// `retry_min_s` doubled per failure after the first, capped at `retry_max_s`.
    public static func backoff(failures: Int, settings: TrunkRegistrationSettings) -> Duration {
        var delay = settings.retryMin
        var step = 1
        while step < failures, delay < settings.retryMax {
            delay = delay * 2
            step += 1
        }
        return min(delay, settings.retryMax)
    }

    // MARK: - Internals

    private mutating func register(now: Duration) -> [Action] {
        nextAttempt = nil
        enter(.registering, now: now)
        return [.send(expires: requestedExpires)]
    }

    private mutating func fail(_ text: String, retryAfter: Int?, now: Duration) -> [Action] {
        failures += 1
        bound = false
        expiresAt = nil
        let delay = retryAfter.map { min(max(.seconds($0), settings.retryMin), retryAfterCap) }
            ?? Self.backoff(failures: failures, settings: settings)
        nextAttempt = now + delay
        detail = text
        enter(.failed, now: now)
        return [.failed(detail: text, retryIn: delay)]
    }

    private mutating func finishStop(detail text: String, now: Duration) -> [Action] {
        bound = false
        expiresAt = nil
        nextAttempt = nil
        detail = text
        enter(.stopped, now: now)
        return [.stopped]
    }

    private mutating func enter(_ target: State, now: Duration) {
        if target != state { since = now }
        state = target
    }
}
