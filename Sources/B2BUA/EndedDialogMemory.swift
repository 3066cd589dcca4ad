import SBCTimers

/// Dialogs the SBC originated that have ended, remembered for as long as their answer may still be
/// retransmitted (64 × T1, RFC 3261 13.3.1.4), so that a late 2xx to one of our own INVITEs is
/// ACKed and hung up while a 2xx nobody asked for is dropped.
///
/// Why: a response from a known peer that matches no transaction and no dialog used to be taken
/// for a late answer and got an ACK and a BYE retransmitted for 32 s (issue 14: 1 ACK and 11 BYEs
/// for one stray 200 OK); anyone able to send from a trunk's address could make the SBC send
/// requests at will. Keys are (Call-ID, our From tag), which a stranger cannot guess.
///
/// Bounded twice: entries expire after `lifetime`, and beyond `capacity` the oldest go first (a
/// forgotten dialog's late 2xx is then dropped, which costs the peer its retransmissions only).
struct EndedDialogMemory: Sendable {
    struct Key: Hashable, Sendable {
        var callID: String
        var localTag: String
    }

    let lifetime: Duration
    let capacity: Int
    private var members: Set<Key> = []
    /// Insertion order with expiry; `head` is the oldest live entry (compacted lazily).
    private var order: [(key: Key, expires: Duration)] = []
    private var head = 0

    init(lifetime: Duration, capacity: Int = 131_072) {
        self.lifetime = lifetime
        self.capacity = capacity
    }

    var count: Int { members.count }

    func contains(callID: String, localTag: String) -> Bool {
        members.contains(Key(callID: callID, localTag: localTag))
    }

    mutating func remember(callID: String, localTag: String, now: Duration) {
        expire(now: now)
        let key = Key(callID: callID, localTag: localTag)
        guard members.insert(key).inserted else { return }
        order.append((key, now + lifetime))
        while members.count > capacity { dropOldest() }
    }

    mutating func expire(now: Duration) {
        while head < order.count, order[head].expires <= now { dropOldest() }
    }

    /// Forgets what expired by `now` (otherwise only a new entry expires old ones, so after a
    /// storm the set would stay full until the next call) and gives back storage beyond what is
    /// left (`StorageShrinking`).
    mutating func shrinkStorage(now: Duration) {
        expire(now: now)
        if head > 0 {
            order.removeFirst(head)
            head = 0
        }
        StorageShrinking.shrink(&members)
        StorageShrinking.shrink(&order)
    }

    private mutating func dropOldest() {
        guard head < order.count else { return }
        members.remove(order[head].key)
        head += 1
        if head >= 1024, head * 2 >= order.count {
            order.removeFirst(head)
            head = 0
        }
    }
}
