/// A token bucket on an injected clock: `rate` tokens a second up to `capacity`, one taken per
/// admitted event. Used for the calls-per-second ceiling and the per-source rate limits.
struct TokenBucket: Sendable, Equatable {
    let rate: Double
    let capacity: Double
    private(set) var tokens: Double
    private var refilledAt: Duration

    /// Starts full: the first `capacity` events pass at once.
    init(rate: Int, capacity: Int, now: Duration) {
        self.rate = Double(max(rate, 0))
        self.capacity = Double(max(capacity, 1))
        tokens = self.capacity
        refilledAt = now
    }

    /// Takes one token if there is one.
    mutating func take(now: Duration) -> Bool {
        refill(now: now)
        guard tokens >= 1 else { return false }
        tokens -= 1
        return true
    }

    /// Whether the bucket has refilled completely by `now` (an idle source: forgettable).
    func isFull(now: Duration) -> Bool {
        tokens + rate * Self.seconds(now - refilledAt) >= capacity
    }

    private mutating func refill(now: Duration) {
        guard now > refilledAt else { return }
        tokens = min(capacity, tokens + rate * Self.seconds(now - refilledAt))
        refilledAt = now
    }

    static func seconds(_ duration: Duration) -> Double {
        let (seconds, attoseconds) = duration.components
        return Double(seconds) + Double(attoseconds) / 1e18
    }
}
