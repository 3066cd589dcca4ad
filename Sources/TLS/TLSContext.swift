import CSBCOpenSSL

/// An `SSL_CTX` built from a configuration: certificates, trust store, verification policy,
/// versions and ciphers, loaded once off the message path.
///
/// Immutable once built and shared by every connection of a listener or trunk, on any thread.
/// A reload builds a new context; established sessions keep the one they were created with
/// (each holds a reference), so no connection drops.
public final class TLSContext: @unchecked Sendable {
    // @unchecked Sendable: every stored property is a `let`; the SSL_CTX is only read after init
    // (SSL_new, which OpenSSL makes thread-safe by reference counting and the context's own
    // locks), and the resumption cache has its own lock.

    public enum Role: Sendable { case server, client }

    public let role: Role
    public let configuration: TLSEndpointConfiguration
    /// Our chain as loaded, leaf first (empty if no certificate is configured).
    public let localChain: [CertificateInfo]
    /// The `SSL_CTX *`, freed in deinit.
    let context: OpaquePointer
    /// Client role: the latest resumable session per caller-chosen key.
    let resumptionCache: TLSResumptionCache
    /// `.chainAndPin`'s pins without their "sha256//" prefix.
    let pins: [String]
    /// The verification mode, kept apart so the verify callback does not copy the configuration.
    let verification: TLSPeerVerification

    /// Session id context for server-side resumption: OpenSSL refuses to resume a session whose
    /// client certificate was verified unless one is set.
    private static let sessionIDContext = Array("SwiftSBC".utf8)

    /// Loads the files and applies the settings; every error names the file or setting at fault.
    public convenience init(role: Role, configuration: TLSEndpointConfiguration) throws(TLSConfigurationError) {
        try self.init(role: role, configuration: configuration, resumptionCacheCapacity: 1024)
    }

    init(role: Role, configuration: TLSEndpointConfiguration, resumptionCacheCapacity: Int) throws(TLSConfigurationError) {
        OpenSSLErrorQueue.clear()
        guard let context = SSL_CTX_new(role == .server ? TLS_server_method() : TLS_client_method()) else {
            throw .openSSL(OpenSSLErrorQueue.drainedText(fallback: "SSL_CTX_new failed"))
        }
        do {
            localChain = try Self.configure(context, role: role, configuration)
        } catch {
            SSL_CTX_free(context)
            throw error
        }
        self.context = context
        self.role = role
        self.configuration = configuration
        self.verification = configuration.verification
        self.pins = configuration.verification.normalizedPins
        self.resumptionCache = TLSResumptionCache(capacity: resumptionCacheCapacity)
    }

    deinit { SSL_CTX_free(context) }

    // MARK: - Building

    private static func configure(
        _ context: OpaquePointer, role: Role, _ configuration: TLSEndpointConfiguration
    ) throws(TLSConfigurationError) -> [CertificateInfo] {
        try setVersionsAndCiphers(context, configuration)
        let chain = try loadCertificate(context, role: role, configuration)
        try loadTrustStore(context, role: role, configuration)
        try setVerification(context, role: role, configuration)
        if role == .server {
            _ = SSL_CTX_set_session_id_context(context, sessionIDContext, UInt32(sessionIDContext.count))
            // One TLS 1.3 ticket per handshake: the client keeps only the latest and uses it once.
            _ = SSL_CTX_set_num_tickets(context, 1)
            _ = csbc_SSL_CTX_set_options(context, UInt(csbc_SSL_OP_CIPHER_SERVER_PREFERENCE()))
        } else {
            _ = csbc_SSL_CTX_set_session_cache_mode(context, Int(SSL_SESS_CACHE_CLIENT | SSL_SESS_CACHE_NO_INTERNAL_STORE))
            SSL_CTX_sess_set_new_cb(context, TLSCallbacks.newSession)
        }
        return chain
    }

    private static func setVersionsAndCiphers(
        _ context: OpaquePointer, _ configuration: TLSEndpointConfiguration
    ) throws(TLSConfigurationError) {
        guard csbc_SSL_CTX_set_min_proto_version(context, configuration.minimumVersion.openSSLVersion) == 1 else {
            throw .openSSL(OpenSSLErrorQueue.drainedText(fallback: "cannot set the minimum TLS version"))
        }
        if let maximum = configuration.maximumVersion {
            guard maximum.openSSLVersion >= configuration.minimumVersion.openSSLVersion,
                  csbc_SSL_CTX_set_max_proto_version(context, maximum.openSSLVersion) == 1
            else {
                throw .openSSL("maximum TLS version \(maximum.rawValue) is below the minimum \(configuration.minimumVersion.rawValue)")
            }
        }
        // Renegotiation: nothing in SIP needs it, and it is a CPU lever for a peer.
        _ = csbc_SSL_CTX_set_options(context, UInt(csbc_SSL_OP_NO_RENEGOTIATION()))
        // The session's send loop resumes a partial write with the rest of its queue.
        _ = csbc_SSL_CTX_set_mode(context, csbc_SSL_MODE_ENABLE_PARTIAL_WRITE() | csbc_SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER())
        if let list = configuration.cipherList, SSL_CTX_set_cipher_list(context, list) != 1 {
            OpenSSLErrorQueue.clear()
            throw .invalidCipherList(list)
        }
        if let suites = configuration.cipherSuites, SSL_CTX_set_ciphersuites(context, suites) != 1 {
            OpenSSLErrorQueue.clear()
            throw .invalidCipherList(suites)
        }
    }

    /// Loads our chain and key; returns the chain's details.
    private static func loadCertificate(
        _ context: OpaquePointer, role: Role, _ configuration: TLSEndpointConfiguration
    ) throws(TLSConfigurationError) -> [CertificateInfo] {
        guard let chainFile = configuration.certificateChainFile else {
            if let keyFile = configuration.privateKeyFile {
                throw .missingCertificate("private key \(keyFile) is configured without a certificate chain")
            }
            if role == .server { throw .missingCertificate("a TLS server needs a certificate chain and its private key") }
            return []
        }
        guard let keyFile = configuration.privateKeyFile else {
            throw .missingCertificate("certificate chain \(chainFile) is configured without its private key")
        }
        let certificates = try PEMFile.certificates(chainFile)
        defer { certificates.forEach { X509_free($0) } }
        let key = try PEMFile.privateKey(keyFile)
        defer { EVP_PKEY_free(key) }
        OpenSSLErrorQueue.clear()
        guard X509_check_private_key(certificates[0], key) == 1 else {
            OpenSSLErrorQueue.clear()
            throw .keyDoesNotMatchCertificate(certificate: chainFile, key: keyFile)
        }
        guard SSL_CTX_use_certificate(context, certificates[0]) == 1,
              certificates.dropFirst().allSatisfy({ csbc_SSL_CTX_add1_chain_cert(context, $0) == 1 }),
              SSL_CTX_use_PrivateKey(context, key) == 1
        else {
            throw .openSSL("\(chainFile): \(OpenSSLErrorQueue.drainedText(fallback: "cannot use the certificate"))")
        }
        return certificates.map { CertificateInfo(x509: $0) }
    }

    private static func loadTrustStore(
        _ context: OpaquePointer, role: Role, _ configuration: TLSEndpointConfiguration
    ) throws(TLSConfigurationError) {
        guard let bundle = configuration.caBundleFile else {
            if configuration.verification.checksChain, SSL_CTX_set_default_verify_paths(context) != 1 {
                throw .openSSL(OpenSSLErrorQueue.drainedText(fallback: "cannot load the system CA paths"))
            }
            return
        }
        let authorities = try PEMFile.certificates(bundle)
        defer { authorities.forEach { X509_free($0) } }
        let store = SSL_CTX_get_cert_store(context)
        let advertise = role == .server && requestsPeerCertificate(role: role, configuration)
        for authority in authorities {
            // Adding a certificate twice (a bundle with duplicates) is not an error in 3.0.
            guard X509_STORE_add_cert(store, authority) == 1 else {
                throw .openSSL("\(bundle): \(OpenSSLErrorQueue.drainedText(fallback: "cannot add a CA certificate"))")
            }
            // A server asking for client certificates names the CAs it accepts, so a client
            // holding several certificates (baresip) picks the right one.
            if advertise { _ = SSL_CTX_add_client_CA(context, authority) }
        }
    }

    private static func requestsPeerCertificate(role: Role, _ configuration: TLSEndpointConfiguration) -> Bool {
        role == .client || configuration.requirePeerCertificate || configuration.verification.checksChain
    }

    private static func setVerification(
        _ context: OpaquePointer, role: Role, _ configuration: TLSEndpointConfiguration
    ) throws(TLSConfigurationError) {
        switch configuration.verification {
        case .none:
            break
        case .chainAndName(let name):
            let bare = PeerName.unbracketed(name)
            guard !bare.isEmpty else { throw .invalidVerification("the expected peer name is empty") }
            let parameters = SSL_CTX_get0_param(context)
            if PeerName.isIPLiteral(bare) {
                guard X509_VERIFY_PARAM_set1_ip_asc(parameters, bare) == 1 else {
                    throw .invalidVerification("cannot check the IP address \(name)")
                }
            } else {
                X509_VERIFY_PARAM_set_hostflags(parameters, UInt32(X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS))
                guard X509_VERIFY_PARAM_set1_host(parameters, bare, 0) == 1 else {
                    throw .invalidVerification("cannot check the host name \(name)")
                }
            }
        case .chainAndPin:
            let pins = configuration.verification.normalizedPins
            guard !pins.isEmpty else { throw .invalidVerification("no pin is configured") }
            for pin in pins where pin.utf8.count != 44 || !pin.hasSuffix("=") {
                throw .invalidVerification("pin \"\(pin)\" is not a base64 SHA-256 (44 characters)")
            }
        }
        if requestsPeerCertificate(role: role, configuration) {
            var mode = SSL_VERIFY_PEER
            if role == .server && configuration.requirePeerCertificate { mode |= SSL_VERIFY_FAIL_IF_NO_PEER_CERT }
            SSL_CTX_set_verify(context, mode, TLSCallbacks.verify)
        } else {
            SSL_CTX_set_verify(context, SSL_VERIFY_NONE, nil)
        }
    }
}
