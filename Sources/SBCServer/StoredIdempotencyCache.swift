import AdminAPI
import SBCStore

/// Idempotency keys in the state database (the node's SQLite file or the cluster's PostgreSQL),
/// so that a retried operator command is answered with its first response even across an SBC
/// restart or through another node. Runs on the admin API's threads, where a synchronous call
/// is acceptable; the signalling loop never touches it.
struct StoredIdempotencyCache: IdempotencyCache {
    let store: IdempotencyStore

    func lookup(key: String, token: String) async -> StoredResponse? {
        guard let stored = try? store.lookup(key: key, token: token) else { return nil }
        return StoredResponse(method: stored.method, path: stored.path, status: stored.status, body: stored.body,
                              requestDigest: stored.requestDigest)
    }

    func save(key: String, token: String, response: StoredResponse) async {
        try? store.save(key: key, token: token, response: IdempotencyStore.StoredResponse(
            method: response.method, path: response.path, status: response.status, body: response.body,
            requestDigest: response.requestDigest))
    }
}
