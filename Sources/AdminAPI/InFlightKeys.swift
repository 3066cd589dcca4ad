/// Idempotency keys whose first request is still being handled.
///
/// The cache alone cannot make an action run once: two copies of a request arriving together
/// (a client retrying on a short timeout) would both miss the cache. The second one is refused
/// with 409 while the first is in flight, as common idempotent APIs do; once the first has
/// been stored, repeats are replayed.
actor InFlightKeys {
    private struct Key: Hashable {
        var key: String
        var token: String
    }

    private var active: Set<Key> = []

    /// Claims (`key`, `token`); false if another request holds it.
    func claim(key: String, token: String) -> Bool {
        active.insert(Key(key: key, token: token)).inserted
    }

    func release(key: String, token: String) {
        active.remove(Key(key: key, token: token))
    }
}
