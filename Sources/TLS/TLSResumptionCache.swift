import CSBCOpenSSL
import Synchronization

/// Client-side session resumption: the latest resumable `SSL_SESSION` per key the caller chooses
/// (e.g. "zone|1.2.3.4:5061|sni"), so a reconnect to a carrier skips the certificate exchange.
///
/// OpenSSL's internal client cache is off (`SSL_SESS_CACHE_NO_INTERNAL_STORE`): it is keyed by
/// session id, not by destination. Sessions arrive through the new-session callback, for TLS 1.3
/// after the handshake (NewSessionTicket). Shared by every loop thread using the context, hence
/// the lock; bounded, so a scan of many destinations cannot grow it without limit.
final class TLSResumptionCache: Sendable {
    /// Owns one reference to an `SSL_SESSION`. SSL_SESSION reference counts are atomic and
    /// `SSL_set_session` takes its own reference, so handing the pointer to another thread
    /// under the cache's lock is safe.
    final class StoredSession: @unchecked Sendable {
        let session: OpaquePointer
        let isTLS13: Bool
        init(_ session: OpaquePointer) {
            self.session = session
            isTLS13 = SSL_SESSION_get_protocol_version(session) == TLS1_3_VERSION
        }
        deinit { SSL_SESSION_free(session) }
    }

    private struct State {
        var sessions: [String: (stored: StoredSession, sequence: UInt64)] = [:]
        var sequence: UInt64 = 0
    }

    let capacity: Int
    private let state = Mutex(State())

    init(capacity: Int = 1024) {
        self.capacity = max(capacity, 1)
    }

    var count: Int { state.withLock { $0.sessions.count } }

    /// Keeps `session` (whose reference the cache now owns) as the latest for `key`, evicting the
    /// oldest entry when full.
    func store(_ session: OpaquePointer, for key: String) {
        let stored = StoredSession(session)
        let evicted: StoredSession? = state.withLock { state in
            state.sequence &+= 1
            let replaced = state.sessions.updateValue((stored, state.sequence), forKey: key)?.stored
            guard replaced == nil, state.sessions.count > capacity,
                  let oldest = state.sessions.min(by: { $0.value.sequence < $1.value.sequence })?.key
            else { return replaced }
            return state.sessions.removeValue(forKey: oldest)?.stored
        }
        _ = evicted  // freed here, outside the lock
    }

    /// Offers the stored session for `key` to `ssl` (`SSL_set_session`, which takes its own
    /// reference). A TLS 1.3 session is taken out: its ticket is for one use (RFC 8446
    /// appendix C.4), and the resumed connection brings a fresh one.
    func resume(_ ssl: OpaquePointer, key: String) {
        let used: StoredSession? = state.withLock { state in
            guard let stored = state.sessions[key]?.stored else { return nil }
            guard SSL_SESSION_is_resumable(stored.session) == 1 else {
                return state.sessions.removeValue(forKey: key)?.stored
            }
            _ = SSL_set_session(ssl, stored.session)
            return stored.isTLS13 ? state.sessions.removeValue(forKey: key)?.stored : nil
        }
        _ = used
    }

    /// Forgets the session for `key` (after a resumed connection failed, say).
    func remove(_ key: String) {
        let removed = state.withLock { $0.sessions.removeValue(forKey: key)?.stored }
        _ = removed
    }
}
