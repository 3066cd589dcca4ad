/// Where the first response to an idempotent write is kept so a retried request is answered
/// with it instead of acting twice.
///
/// Keys are scoped by token name: two clients choosing the same key never see each other's
/// responses. The SBC adapts its SQLite store to this so replays survive a restart;
/// `InMemoryIdempotencyCache` is the default and the one tests use.
public protocol IdempotencyCache: Sendable {
    /// The response stored for (`key`, `token`), if any.
    func lookup(key: String, token: String) async -> StoredResponse?
    /// Stores the first response for (`key`, `token`).
    func save(key: String, token: String, response: StoredResponse) async
}
