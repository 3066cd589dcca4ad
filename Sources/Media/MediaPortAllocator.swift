/// Hands out RTP/RTCP port pairs from the configured range.
///
/// Pair k (RTP port low + 2k) belongs to worker k % workers, and allocation goes round-robin over
/// the workers' slices, so sessions, which live on the worker that owns their first port pair,
/// spread evenly over the worker threads. A released pair cools for `reuseDelay` before it can be
/// handed out again: late packets of an ended call (and a far end still sending to the old port)
/// must never reach the next call that gets the port. A pair whose bind failed (something else
/// owns the port) is quarantined for good rather than failing call after call.
///
/// Sans-IO: time is passed in (`now`, any monotonic reading); the signalling thread owns it.
public struct MediaPortAllocator: Sendable {
    private enum PairState: UInt8, Sendable {
        case free, inUse, cooling, quarantined
    }

    private struct CoolingPair: Sendable {
        var index: Int
        var readyAt: Duration
    }

    /// First RTP port (even).
    public let lowestPort: Int
    public let workers: Int
    public let reuseDelay: Duration
    private var states: [PairState]
    private var free: [PortQueue<Int>]
    private var coolingQueue = PortQueue<CoolingPair>()
    private var nextWorker = 0
    public private(set) var inUse = 0
    private var quarantined = 0
    /// Quarantined pairs still sitting in `coolingQueue` (dropped when they surface).
    private var quarantinedWhileCooling = 0

    /// An odd low bound rounds up (RTP is even); a pair needs both ports inside the range. The
    /// range itself is validated by the configuration, so an empty one just yields capacity 0.
    public init(range: ClosedRange<Int>, workers: Int, reuseDelay: Duration) {
        let low = range.lowerBound + (range.lowerBound & 1)
        let pairs = max(0, (range.upperBound - low + 1) / 2)
        self.lowestPort = low
        self.workers = max(1, workers)
        self.reuseDelay = reuseDelay
        self.states = [PairState](repeating: .free, count: pairs)
        self.free = [PortQueue<Int>](repeating: PortQueue(), count: self.workers)
        for index in 0..<pairs {
            free[index % self.workers].append(index)
        }
    }

    /// Pairs that can ever be handed out (quarantined ones excluded).
    public var capacity: Int { states.count - quarantined }

    /// Released pairs still waiting out the reuse delay.
    public var cooling: Int { coolingQueue.count - quarantinedWhileCooling }

    /// Pairs ready to be handed out now (cooling ones excluded).
    public var available: Int { capacity - inUse - cooling }

    /// The next pair, taken round-robin over the workers' slices (or from `worker`'s slice only,
    /// for a session's further pairs, which must live on the session's worker); nil when every
    /// eligible pair is in use or cooling.
    public mutating func allocate(now: Duration, worker only: Int? = nil) -> MediaPortPair? {
        returnCooledPairs(now: now)
        for offset in 0..<(only == nil ? workers : 1) {
            let worker = only.map { $0 % workers } ?? (nextWorker + offset) % workers
            while let index = free[worker].popFirst() {
                // A pair quarantined while free is skipped here, where it surfaces.
                guard states[index] == .free else { continue }
                nextWorker = (worker + 1) % workers
                states[index] = .inUse
                inUse += 1
                return pair(at: index)
            }
        }
        return nil
    }

    /// A pair from `worker`'s slice, for a session already placed on that worker (all of its
    /// streams then sit on the worker's own ports). When that slice is exhausted, another
    /// slice's pair is better than refusing the call: any worker can bind any port, the slices
    /// only spread load. nil when every pair is in use or cooling.
    public mutating func allocate(now: Duration, worker: Int) -> MediaPortPair? {
        returnCooledPairs(now: now)
        let preferred = ((worker % workers) + workers) % workers
        for offset in 0..<workers {
            let slice = (preferred + offset) % workers
            while let index = free[slice].popFirst() {
                guard states[index] == .free else { continue }
                states[index] = .inUse
                inUse += 1
                return pair(at: index)
            }
        }
        return nil
    }

    /// Gives a pair back; it becomes available again after `reuseDelay`. Releasing a pair that is
    /// not in use (twice, or never allocated) is ignored.
    public mutating func release(_ pair: MediaPortPair, now: Duration) {
        guard let index = index(of: pair), states[index] == .inUse else { return }
        states[index] = .cooling
        inUse -= 1
        coolingQueue.append(CoolingPair(index: index, readyAt: now + reuseDelay))
        returnCooledPairs(now: now)
    }

    /// Takes this exact pair (a call restored after a restart keeps the ports its parties send
    /// to); false when it is outside the range or not free (in use, cooling, quarantined). Its
    /// entry in the free queue is skipped when it surfaces, as for quarantine; released, the
    /// pair cools and returns to the queue like any other.
    public mutating func reserve(_ pair: MediaPortPair) -> Bool {
        guard let index = index(of: pair), states[index] == .free else { return false }
        states[index] = .inUse
        inUse += 1
        return true
    }

    /// Takes a pair out of service for good (its bind failed). Works whether it is in use, free
    /// or cooling; a free or cooling entry is skipped when it surfaces.
    public mutating func quarantine(_ pair: MediaPortPair) {
        guard let index = index(of: pair) else { return }
        switch states[index] {
        case .quarantined:
            return
        case .inUse:
            inUse -= 1
        case .free, .cooling:
            break
        }
        if states[index] == .cooling {
            // It stays in the cooling queue until it surfaces; count it there no longer.
            quarantinedWhileCooling += 1
        }
        states[index] = .quarantined
        quarantined += 1
    }

    /// The worker whose slice holds `pair`.
    public func worker(for pair: MediaPortPair) -> Int {
        let offset = Int(pair.rtp) - lowestPort
        guard offset >= 0 else { return 0 }
        return (offset / 2) % workers
    }

    private func pair(at index: Int) -> MediaPortPair {
        MediaPortPair(rtp: UInt16(lowestPort + 2 * index))
    }

    private func index(of pair: MediaPortPair) -> Int? {
        let offset = Int(pair.rtp) - lowestPort
        guard offset >= 0, offset & 1 == 0, offset / 2 < states.count else { return nil }
        return offset / 2
    }

    private mutating func returnCooledPairs(now: Duration) {
        while let head = coolingQueue.first, head.readyAt <= now {
            _ = coolingQueue.popFirst()
            if states[head.index] == .quarantined {
                quarantinedWhileCooling -= 1
                continue
            }
            states[head.index] = .free
            free[head.index % workers].append(head.index)
        }
    }
}
