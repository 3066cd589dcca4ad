import Foundation

/// Idempotency cache in process memory: the default when no persistent store is wired, and the
/// one tests use.
///
/// Bounded by count and age so a client that sends a fresh key with every request cannot grow
/// it without limit; the oldest entries go first. An actor because the admin API calls it from
/// Hummingbird's threads concurrently.
public actor InMemoryIdempotencyCache: IdempotencyCache {
    private struct Key: Hashable {
        var key: String
        var token: String
    }

    private struct Entry {
        var response: StoredResponse
        var storedAt: Date
    }

    private let capacity: Int
    private let lifetime: TimeInterval
    private var entries: [Key: Entry] = [:]
    private var order: [Key] = []
    private var orderStart = 0

    /// - Parameters:
    ///   - capacity: most responses kept; the oldest is dropped when full.
    ///   - lifetime: seconds a response can be replayed (24 h by default, as common APIs do).
    public init(capacity: Int = 10_000, lifetime: TimeInterval = 86_400) {
        self.capacity = max(1, capacity)
        self.lifetime = lifetime
    }

    public func lookup(key: String, token: String) -> StoredResponse? {
        let id = Key(key: key, token: token)
        guard let entry = entries[id] else { return nil }
        guard Date().timeIntervalSince(entry.storedAt) <= lifetime else {
            entries[id] = nil
            return nil
        }
        return entry.response
    }

    public func save(key: String, token: String, response: StoredResponse) {
        let id = Key(key: key, token: token)
        guard entries[id] == nil else { return }
        entries[id] = Entry(response: response, storedAt: Date())
        order.append(id)
        while entries.count > capacity, orderStart < order.count {
            entries[order[orderStart]] = nil
            orderStart += 1
        }
        if orderStart > 1024, orderStart * 2 > order.count {
            order.removeFirst(orderStart)
            orderStart = 0
        }
    }

    /// Number of responses held (for tests).
    public var count: Int { entries.count }
}
