import CSBCOpenSSL

/// The C callbacks a `TLSContext` installs. OpenSSL calls them from inside `SSL_do_handshake` /
/// `SSL_read` on the thread driving the session; each finds its `TLSSession` through the SSL's
/// ex_data slot and lets the session decide.
enum TLSCallbacks {
    /// The SSL ex_data slot holding the unretained `TLSSession` (the session owns the SSL and
    /// frees it in its deinit, so the pointer never outlives the object).
    static let sessionSlot: Int32 = CRYPTO_get_ex_new_index(CRYPTO_EX_INDEX_SSL, 0, nil, nil, nil, nil)

    static func session(of ssl: OpaquePointer?) -> TLSSession? {
        guard let ssl, let pointer = SSL_get_ex_data(ssl, sessionSlot) else { return nil }
        return Unmanaged<TLSSession>.fromOpaque(pointer).takeUnretainedValue()
    }

    /// `SSL_CTX_set_verify`'s callback: called per certificate of the peer's chain, with
    /// OpenSSL's verdict in `preverified`.
    static let verify: @convention(c) (Int32, OpaquePointer?) -> Int32 = { preverified, store in
        guard let store,
              let ssl = X509_STORE_CTX_get_ex_data(store, SSL_get_ex_data_X509_STORE_CTX_idx()),
              let session = session(of: OpaquePointer(ssl))
        else { return preverified }
        return session.verifyCertificate(preverified: preverified == 1, store: store) ? 1 : 0
    }

    /// `SSL_CTX_sess_set_new_cb` (client role): a resumable session arrived (TLS 1.2 at the end
    /// of the handshake, TLS 1.3 in a NewSessionTicket afterwards). Returning 1 keeps the
    /// reference OpenSSL handed over.
    static let newSession: @convention(c) (OpaquePointer?, OpaquePointer?) -> Int32 = { ssl, sslSession in
        guard let sslSession, let session = session(of: ssl) else { return 0 }
        return session.storeForResumption(sslSession) ? 1 : 0
    }
}
