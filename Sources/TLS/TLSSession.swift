import CSBCOpenSSL

/// One TLS connection's state, driven through memory BIOs by whoever owns the socket (the epoll
/// loop): bytes read from the socket go into `receive`, bytes to write come out of
/// `drainOutbound`. No blocking, no socket access, no clock (the owner times the handshake).
///
/// Loop-confined, not Sendable: OpenSSL's `SSL` is not thread-safe, and the thread that drives
/// a session also owns its socket.
///
/// After any call that throws, the owner still drains the outbound bytes (the alert that tells
/// the peer why) before closing the socket.
public final class TLSSession {
    public enum State: Sendable, Equatable {
        case handshaking
        case established(TLSHandshakeSummary)
        case failed(TLSFailure)
        /// close_notify sent (by `close()` or in reply to the peer's). Application data the peer
        /// sent before it saw ours is still delivered.
        case closed
    }

    public let context: TLSContext
    /// Client role: the SNI sent (nil when the caller gave an IP literal or nothing).
    public let serverName: String?
    /// Client role: the resumption cache key.
    public let resumptionKey: String?
    public private(set) var state: State = .handshaking

    /// The `SSL *`; owns both memory BIOs. Freed in deinit.
    private let ssl: OpaquePointer
    /// Socket -> OpenSSL.
    private let networkIn: OpaquePointer
    /// OpenSSL -> socket.
    private let networkOut: OpaquePointer
    /// Plaintext sent before the handshake completed (or that OpenSSL could not take yet).
    private var pendingPlaintext: [UInt8] = []
    /// The first certificate problem the verify callback found: the cause reported when the
    /// handshake then fails (OpenSSL's own error only says "certificate verify failed").
    private var verifyFailure: TLSFailure?
    /// A name mismatch seen while OpenSSL goes on checking the chain (see `verifyCertificate`).
    private var deferredVerifyError: Int32?
    private var handshakeDone = false
    private var sentCloseNotify = false
    private var receivedCloseNotify = false

    /// Creates the connection state. Client role: `serverName` becomes SNI when it is a DNS name
    /// (RFC 6066 forbids IP literals); the name verified under `.chainAndName` comes from the
    /// context's configuration, not from SNI. `resumptionKey` names the destination in the
    /// context's resumption cache (a session stored under it is offered, and the session this
    /// connection gets is stored under it). Server role: both are ignored.
    public init(context: TLSContext, serverName: String? = nil, resumptionKey: String? = nil) throws(TLSFailure) {
        OpenSSLErrorQueue.clear()
        guard let ssl = SSL_new(context.context) else {
            throw .handshakeFailed(OpenSSLErrorQueue.drainedText(fallback: "SSL_new failed"))
        }
        guard let networkIn = BIO_new(BIO_s_mem()) else {
            SSL_free(ssl)
            throw .handshakeFailed(OpenSSLErrorQueue.drainedText(fallback: "BIO_new failed"))
        }
        guard let networkOut = BIO_new(BIO_s_mem()) else {
            BIO_free(networkIn)
            SSL_free(ssl)
            throw .handshakeFailed(OpenSSLErrorQueue.drainedText(fallback: "BIO_new failed"))
        }
        // An empty input BIO means "wait for more" (WANT_READ), not end of file.
        _ = csbc_BIO_set_mem_eof_return(networkIn, -1)
        SSL_set_bio(ssl, networkIn, networkOut)  // the SSL owns both from here

        var sni: String?
        switch context.role {
        case .server:
            SSL_set_accept_state(ssl)
        case .client:
            SSL_set_connect_state(ssl)
            if let serverName, let name = Self.sniName(serverName) {
                guard csbc_SSL_set_tlsext_host_name(ssl, name) == 1 else {
                    SSL_free(ssl)
                    OpenSSLErrorQueue.clear()
                    throw .handshakeFailed("invalid server name \(serverName)")
                }
                sni = name
            }
            if let resumptionKey { context.resumptionCache.resume(ssl, key: resumptionKey) }
        }
        self.context = context
        self.ssl = ssl
        self.networkIn = networkIn
        self.networkOut = networkOut
        self.serverName = sni
        self.resumptionKey = context.role == .client ? resumptionKey : nil
        // Without the slot the verify callback could not find this session, and a pin would go
        // unchecked: refuse to start instead.
        guard TLSCallbacks.sessionSlot >= 0,
              SSL_set_ex_data(ssl, TLSCallbacks.sessionSlot, Unmanaged.passUnretained(self).toOpaque()) == 1
        else {
            OpenSSLErrorQueue.clear()
            state = .failed(.handshakeFailed("cannot attach the session to its SSL object"))
            throw .handshakeFailed("cannot attach the session to its SSL object")
        }
    }

    deinit {
        // OpenSSL makes the session of a connection freed without close_notify unresumable
        // (ssl_clear_bad_session). TLS 1.1 and later no longer ask for that (RFC 5246 section
        // 7.2.1), and a carrier connection that dropped is exactly the one worth resuming; a
        // connection that failed was already dropped from the caches by OpenSSL and by `fail`.
        if handshakeDone, !isFailed { SSL_set_shutdown(ssl, SSL_get_shutdown(ssl) | SSL_SENT_SHUTDOWN) }
        SSL_free(ssl)
    }

    private var isFailed: Bool {
        if case .failed = state { return true }
        return false
    }

    /// A DNS name fit for SNI, or nil for an IP literal or an empty name (trailing dot dropped).
    static func sniName(_ name: String) -> String? {
        let trimmed = name.hasSuffix(".") ? String(name.dropLast()) : name
        guard !trimmed.isEmpty, !PeerName.isIPLiteral(trimmed) else { return nil }
        return trimmed
    }

    // MARK: - Driving

    /// Client: starts the handshake (the ClientHello goes to the outbound bytes). Server: no-op,
    /// the server waits for the ClientHello in `receive`.
    public func start() throws(TLSFailure) {
        switch state {
        case .failed(let failure): throw failure
        case .handshaking where context.role == .client:
            OpenSSLErrorQueue.clear()
            _ = try advanceHandshake()
        default: break
        }
    }

    /// Feeds bytes read from the socket. Application data goes to `deliver`, possibly in several
    /// chunks, each valid only during its call. Returns what the owner must act on; throws when
    /// the handshake or the connection fails (the state becomes `.failed`).
    public func receive(
        _ ciphertext: UnsafeRawBufferPointer, deliver: (UnsafeRawBufferPointer) -> Void
    ) throws(TLSFailure) -> TLSReceiveOutcome {
        var outcome = TLSReceiveOutcome()
        switch state {
        case .failed(let failure): throw failure
        case .closed where receivedCloseNotify || !handshakeDone:
            outcome.peerClosed = receivedCloseNotify
            return outcome
        default: break
        }
        OpenSSLErrorQueue.clear()
        var rest = ciphertext
        while !rest.isEmpty {  // a memory BIO takes everything unless allocation fails
            let count = min(rest.count, Int(Int32.max))
            let written = BIO_write(networkIn, rest.baseAddress, Int32(count))
            guard written > 0 else { throw fail(.connectionFailed("cannot buffer received bytes")) }
            rest = UnsafeRawBufferPointer(rebasing: rest[Int(written)...])
        }
        if case .handshaking = state {
            guard let summary = try advanceHandshake() else { return outcome }
            outcome.handshakeCompleted = summary
        }
        if let failure = readApplicationData(deliver, into: &outcome) { throw failure }
        if !pendingPlaintext.isEmpty, case .established = state { try flushPending() }
        return outcome
    }

    /// Encrypts application data. Before the handshake completes it is queued and sent when it
    /// does. Throws if the connection failed or is closed.
    public func send(_ plaintext: UnsafeRawBufferPointer) throws(TLSFailure) {
        switch state {
        case .failed(let failure): throw failure
        case .closed: throw .connectionFailed("the connection is closed")
        case .handshaking: pendingPlaintext.append(contentsOf: plaintext)
        case .established:
            guard pendingPlaintext.isEmpty else {
                pendingPlaintext.append(contentsOf: plaintext)
                return try flushPending()
            }
            OpenSSLErrorQueue.clear()
            let written = try write(plaintext)
            if written < plaintext.count { pendingPlaintext.append(contentsOf: plaintext[written...]) }
        }
    }

    /// Hands the bytes to write to the socket (handshake records, encrypted data, alerts) to
    /// `write`, in chunks of up to 16 KB, and empties the buffer: the owner copies what the
    /// socket does not take now. Each chunk is valid only during its call.
    ///
    /// The bytes are copied out (`BIO_read`) rather than lent from the memory BIO and reset:
    /// a reset zeroes the BIO's whole capacity, which after one large message would cost every
    /// later drain more than the copy of what is actually pending.
    public func drainOutbound(_ write: (UnsafeRawBufferPointer) -> Void) {
        guard csbc_BIO_pending(networkOut) > 0 else { return }
        let buffer = ScratchBuffer.take()
        defer { ScratchBuffer.give(buffer) }
        while true {
            let count = BIO_read(networkOut, buffer.baseAddress, Int32(buffer.count))
            guard count > 0 else { return }
            write(UnsafeRawBufferPointer(start: buffer.baseAddress, count: Int(count)))
        }
    }

    public var hasOutbound: Bool { csbc_BIO_pending(networkOut) > 0 }

    /// Queues close_notify (after any plaintext still queued). Before the handshake completed
    /// there is nothing to protect: the session just closes and queued plaintext is dropped.
    public func close() {
        switch state {
        case .established:
            if !pendingPlaintext.isEmpty { try? flushPending() }
            guard case .established = state else { return }  // the flush failed
            shutdown()
            state = .closed
        case .handshaking:
            pendingPlaintext.removeAll()
            state = .closed
        case .failed, .closed:
            break
        }
    }

    // MARK: - Handshake

    /// Runs the handshake as far as the buffered input allows; returns the summary when it completes.
    private func advanceHandshake() throws(TLSFailure) -> TLSHandshakeSummary? {
        let result = SSL_do_handshake(ssl)
        guard result == 1 else {
            let error = SSL_get_error(ssl, result)
            if error == SSL_ERROR_WANT_READ || error == SSL_ERROR_WANT_WRITE { return nil }
            throw fail(handshakeFailure())
        }
        handshakeDone = true
        let summary = makeSummary()
        state = .established(summary)
        try flushPending()
        return summary
    }

    private func makeSummary() -> TLSHandshakeSummary {
        let cipher = SSL_get_current_cipher(ssl).map { String(cString: SSL_CIPHER_get_name($0)) } ?? ""
        let requestedName: String? =
            switch context.role {
            case .server: SSL_get_servername(ssl, TLSEXT_NAMETYPE_host_name).map { String(cString: $0) }
            case .client: serverName
            }
        return TLSHandshakeSummary(
            version: String(cString: SSL_get_version(ssl)),
            cipher: cipher,
            resumed: SSL_session_reused(ssl) == 1,
            serverName: requestedName,
            peerCertificate: SSL_get0_peer_certificate(ssl).map { CertificateInfo(x509: $0) }
        )
    }

    /// The cause of a failed handshake, most specific first: our verdict on the peer's
    /// certificate, a missing client certificate, the peer's alert, OpenSSL's reason.
    private func handshakeFailure() -> TLSFailure {
        let errors = OpenSSLErrorQueue.drain()
        if let verifyFailure { return verifyFailure }
        if errors.contains(where: { $0.reasonCode == SSL_R_PEER_DID_NOT_RETURN_A_CERTIFICATE }) {
            return .missingPeerCertificate
        }
        if let alert = Self.peerAlert(in: errors) { return alert }
        return .handshakeFailed(errors.isEmpty ? "the handshake ended without a reason" : Self.reasons(errors))
    }

    /// A failure after the handshake: the peer's fatal alert (a TLS 1.3 server rejecting our
    /// certificate after our side already completed), or OpenSSL's reason.
    private func connectionFailure(_ sslError: Int32) -> TLSFailure {
        let errors = OpenSSLErrorQueue.drain()
        if let alert = Self.peerAlert(in: errors) { return alert }
        return .connectionFailed(errors.isEmpty ? "SSL error \(sslError)" : Self.reasons(errors))
    }

    private static func peerAlert(in errors: [OpenSSLErrorQueue.Entry]) -> TLSFailure? {
        guard let entry = errors.first(where: { $0.receivedAlert != nil }), let code = entry.receivedAlert else { return nil }
        let description = String(cString: SSL_alert_desc_string_long(code))
        if description != "unknown" { return .peerAlert(description) }
        // OpenSSL 3.0 has no long description for TLS 1.3's newer alerts ("tlsv13 alert
        // certificate required"): take the reason without its version prefix.
        let reason = entry.reason
        for prefix in ["tlsv13 alert ", "tlsv1 alert ", "sslv3 alert "] where reason.hasPrefix(prefix) {
            return .peerAlert(String(reason.dropFirst(prefix.count)))
        }
        return .peerAlert(reason)
    }

    private static func reasons(_ errors: [OpenSSLErrorQueue.Entry]) -> String {
        var seen: [String] = []
        for entry in errors where !seen.contains(entry.reason) { seen.append(entry.reason) }
        return seen.joined(separator: "; ")
    }

    private func fail(_ failure: TLSFailure) -> TLSFailure {
        state = .failed(failure)
        pendingPlaintext.removeAll()
        // A stored session may be what the peer refuses now (a rotated ticket key, a reloaded
        // certificate): the next connection does a full handshake.
        if let resumptionKey { context.resumptionCache.remove(resumptionKey) }
        OpenSSLErrorQueue.clear()
        return failure
    }

    // MARK: - Application data

    /// Reads every complete record buffered; nil or the failure (already recorded in `state`).
    private func readApplicationData(
        _ deliver: (UnsafeRawBufferPointer) -> Void, into outcome: inout TLSReceiveOutcome
    ) -> TLSFailure? {
        // A full record per SSL_read: one call and one delivery per record.
        let buffer = ScratchBuffer.take()
        defer { ScratchBuffer.give(buffer) }
        while true {
            var count = 0
            if SSL_read_ex(ssl, buffer.baseAddress, buffer.count, &count) == 1 {
                deliver(UnsafeRawBufferPointer(start: buffer.baseAddress, count: count))
                continue
            }
            let error = SSL_get_error(ssl, 0)
            switch error {
            case SSL_ERROR_WANT_READ, SSL_ERROR_WANT_WRITE:
                return nil
            case SSL_ERROR_ZERO_RETURN:
                receivedCloseNotify = true
                outcome.peerClosed = true
                pendingPlaintext.removeAll()
                shutdown()  // reply with our close_notify
                state = .closed
                return nil
            default:
                return fail(connectionFailure(error))
            }
        }
    }

    /// Writes as much as OpenSSL takes; returns the count (short only when OpenSSL must read first).
    private func write(_ bytes: UnsafeRawBufferPointer) throws(TLSFailure) -> Int {
        var offset = 0
        while offset < bytes.count {
            var written = 0
            // Non-empty inside the loop, so baseAddress is set.
            if SSL_write_ex(ssl, bytes.baseAddress! + offset, bytes.count - offset, &written) == 1 {
                offset += written
                continue
            }
            let error = SSL_get_error(ssl, 0)
            if error == SSL_ERROR_WANT_READ || error == SSL_ERROR_WANT_WRITE { break }
            throw fail(connectionFailure(error))
        }
        return offset
    }

    private func flushPending() throws(TLSFailure) {
        guard !pendingPlaintext.isEmpty else { return }
        OpenSSLErrorQueue.clear()
        let queued = pendingPlaintext
        pendingPlaintext.removeAll(keepingCapacity: false)
        let written = try queued.withUnsafeBytes { raw in Result { () throws(TLSFailure) in try write(raw) } }.get()
        if written < queued.count { pendingPlaintext = Array(queued[written...]) }
    }

    private func shutdown() {
        guard !sentCloseNotify else { return }
        sentCloseNotify = true
        OpenSSLErrorQueue.clear()
        _ = SSL_shutdown(ssl)
        OpenSSLErrorQueue.clear()
    }

    // MARK: - Callbacks (TLSCallbacks)

    /// The verify callback's decision for one certificate of the peer's chain.
    func verifyCertificate(preverified: Bool, store: OpaquePointer) -> Bool {
        let verification = context.verification
        guard verification.checksChain else { return true }  // .none: accept, still record
        let certificate = X509_STORE_CTX_get_current_cert(store)
        guard preverified else {
            let error = X509_STORE_CTX_get_error(store)
            let failure = Self.failure(verifyError: error, certificate: certificate, verification: verification)
            // OpenSSL checks the peer's name before the validity dates: go on past a name mismatch
            // so that an expired certificate (the guides' Edge Case 3) is reported as expired, and
            // fail at the leaf's last call below if nothing worse turned up.
            if case .nameMismatch = failure, verifyFailure == nil {
                verifyFailure = failure
                deferredVerifyError = error
                return true
            }
            if verifyFailure == nil || deferredVerifyError != nil {
                verifyFailure = failure
                deferredVerifyError = nil
            }
            return false
        }
        if X509_STORE_CTX_get_error_depth(store) == 0, let deferred = deferredVerifyError {
            X509_STORE_CTX_set_error(store, deferred)
            return false
        }
        if case .chainAndPin = verification, X509_STORE_CTX_get_error_depth(store) == 0, let certificate {
            let presented = CertificateInfo.spkiSHA256(certificate)
            guard context.pins.contains(presented) else {
                if verifyFailure == nil {
                    verifyFailure = .pinMismatch(subject: CertificateInfo(x509: certificate).subject, presented: presented)
                }
                X509_STORE_CTX_set_error(store, X509_V_ERR_APPLICATION_VERIFICATION)
                return false
            }
        }
        return true
    }

    /// Maps an X509_V_ERR code to what the operator must fix.
    static func failure(verifyError: Int32, certificate: OpaquePointer?, verification: TLSPeerVerification) -> TLSFailure {
        let info = certificate.map { CertificateInfo(x509: $0) }
        let subject = info?.subject ?? "(no certificate)"
        switch verifyError {
        case X509_V_ERR_CERT_HAS_EXPIRED:
            return .certificateExpired(subject: subject, notAfter: info?.notAfter ?? 0)
        case X509_V_ERR_CERT_NOT_YET_VALID:
            return .certificateNotYetValid(subject: subject, notBefore: info?.notBefore ?? 0)
        case X509_V_ERR_DEPTH_ZERO_SELF_SIGNED_CERT, X509_V_ERR_SELF_SIGNED_CERT_IN_CHAIN,
             X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT, X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY,
             X509_V_ERR_UNABLE_TO_VERIFY_LEAF_SIGNATURE, X509_V_ERR_CERT_UNTRUSTED:
            return .unknownCA(subject: subject, issuer: info?.issuer ?? "")
        case X509_V_ERR_HOSTNAME_MISMATCH, X509_V_ERR_IP_ADDRESS_MISMATCH:
            var expected = ""
            if case .chainAndName(let name) = verification { expected = name }
            return .nameMismatch(expected: expected, subject: subject)
        default:
            let text = X509_verify_cert_error_string(Int(verifyError)).map { String(cString: $0) } ?? "error \(verifyError)"
            return .handshakeFailed("certificate verify failed: \(text) (\(subject))")
        }
    }

    /// The new-session callback's decision: keep `session` for resumption under our key.
    func storeForResumption(_ session: OpaquePointer) -> Bool {
        guard context.role == .client, let resumptionKey, SSL_SESSION_is_resumable(session) == 1 else { return false }
        context.resumptionCache.store(session, for: resumptionKey)
        return true
    }
}
