/// Spaces one trunk group's mid-call failover INVITEs to at most `perSecond`, first come first
/// served (key `trunk_groups[].mid_call_failover.max_rate`).
///
/// Why: a carrier that dies under 1,000 calls fails them all within the same media timeout; a
/// secondary that receives 1,000 INVITEs in one millisecond may refuse most of them, losing calls
/// that a few seconds of patience would have saved. A fixed spacing (not a burst-allowing token
/// bucket) is what carriers' own call-rate limits expect.
struct MidCallPacer: Sendable {
    let perSecond: Int
    private var spacing: Duration { .seconds(1) / perSecond }
    private var lastGrant: Duration?
    private var queue: [CallHandle] = []

    init(perSecond: Int) {
        self.perSecond = perSecond
    }

    var waiting: Int { queue.count }

    /// When the first queued call may go; nil when none waits.
    var nextRelease: Duration? {
        guard !queue.isEmpty else { return nil }
        return lastGrant.map { $0 + spacing } ?? .zero
    }

    /// True when `call` may send its INVITE now; otherwise it is queued.
    mutating func admit(_ call: CallHandle, now: Duration) -> Bool {
        if queue.isEmpty, lastGrant.map({ now >= $0 + spacing }) ?? true {
            lastGrant = now
            return true
        }
        queue.append(call)
        return false
    }

    /// The queued calls whose turn has come by `now`, in order, one per spacing since the last
    /// grant (a loop that woke late catches up on the turns it missed, no more).
    mutating func release(now: Duration) -> [CallHandle] {
        var released: [CallHandle] = []
        while let due = nextRelease, due <= now {
            released.append(queue.removeFirst())
            lastGrant = due
        }
        return released
    }

    mutating func withdraw(_ call: CallHandle) {
        queue.removeAll { $0 == call }
    }

    /// Nothing queued and the spacing since the last grant has passed: the pacer can go.
    func isIdle(now: Duration) -> Bool {
        queue.isEmpty && (lastGrant.map { now >= $0 + spacing } ?? true)
    }
}
