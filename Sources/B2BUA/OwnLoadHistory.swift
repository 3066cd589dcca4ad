/// When the SBC itself was overloaded (its event loop lagging past the overload threshold), as
/// told by the driver. Why the B2BUA keeps it: a probe that timed out while the SBC could not
/// read its own sockets says nothing about the carrier, and counting it took both healthy
/// carriers down in a storm (issue 14). Such a probe result is discarded.
public struct OwnLoadHistory: Sendable, Equatable {
    /// The SBC's state and the one moment that matters for it.
    public enum State: Sendable, Equatable {
        /// Not overloaded; `lastOverloadEnded` is when the last overload ended, if ever.
        case normal(lastOverloadEnded: Duration?)
        case overloaded(since: Duration)
    }

    public private(set) var state: State = .normal(lastOverloadEnded: nil)

    public init() {}

    /// Records the driver's view at `now`; repeated reports of the same state change nothing.
    public mutating func update(overloaded: Bool, now: Duration) {
        switch (state, overloaded) {
        case (.normal, true): state = .overloaded(since: now)
        case (.overloaded, false): state = .normal(lastOverloadEnded: now)
        default: break
        }
    }

    /// Whether the SBC was overloaded at any moment between `start` and `end` (a probe's lifetime).
    public func overlaps(from start: Duration, to end: Duration) -> Bool {
        switch state {
        case .overloaded(let since): since <= end
        case .normal(let ended?): ended >= start
        case .normal(nil): false
        }
    }
}
