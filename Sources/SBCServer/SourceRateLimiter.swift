import SBCConfig

/// Per-source request rate limit in the manner of Kamailio's `pike` (`security.rate_limit`):
/// each source has a token bucket; one that runs dry is blocked for `block_s`, and everything it
/// sends meanwhile is dropped without an answer. Sans-IO, on an injected clock.
///
/// Memory is bounded: at most `capacity` sources are tracked; idle sources (full buckets) and
/// expired blocks are pruned, and when the table is full of live entries a new source is
/// treated as blocked (a flood from that many addresses is an attack, not traffic).
struct SourceRateLimiter<Source: Hashable> {
    enum Decision: Equatable {
        case allow
        /// Dropped; `newlyBlocked` on the request that started the block (logged once).
        case drop(newlyBlocked: Bool)
    }

    /// One source's state: metered by its bucket, or blocked until a moment.
    enum Entry {
        case metering(TokenBucket)
        case blocked(until: Duration)
    }

    let settings: RateLimitSettings
    let capacity: Int
    private(set) var entries: [Source: Entry] = [:]
    private var nextPrune: Duration

    init(settings: RateLimitSettings, capacity: Int = 65_536, now: Duration) {
        self.settings = settings
        self.capacity = capacity
        nextPrune = now + .seconds(1)
    }

    /// The decision for one request from `source` at `now`.
    mutating func admit(_ source: Source, now: Duration) -> Decision {
        guard settings.isEnabled else { return .allow }
        if now >= nextPrune { prune(now: now) }
        switch entries[source] {
        case .blocked(let until) where now < until:
            return .drop(newlyBlocked: false)
        case .metering(var bucket):
            if bucket.take(now: now) {
                entries[source] = .metering(bucket)
                return .allow
            }
            entries[source] = .blocked(until: now + settings.blockDuration)
            return .drop(newlyBlocked: true)
        case .blocked, nil:
            guard entries.count < capacity else { return .drop(newlyBlocked: false) }
            var bucket = TokenBucket(rate: settings.requestsPerSecond, capacity: settings.burst, now: now)
            _ = bucket.take(now: now)
            entries[source] = .metering(bucket)
            return .allow
        }
    }

    /// Sources blocked at `now` (for the metrics gauge and logs).
    func blockedCount(now: Duration) -> Int {
        entries.values.reduce(0) { count, entry in
            if case .blocked(let until) = entry, now < until { count + 1 } else { count }
        }
    }

    /// Forgets idle sources and expired blocks.
    mutating func prune(now: Duration) {
        nextPrune = now + .seconds(1)
        entries = entries.filter { _, entry in
            switch entry {
            case .metering(let bucket): !bucket.isFull(now: now)
            case .blocked(let until): now < until
            }
        }
    }
}
