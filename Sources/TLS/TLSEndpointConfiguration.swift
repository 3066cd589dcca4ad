/// The TLS settings of one endpoint: a zone's listener (server role) or a trunk's outbound
/// connections (client role). Plain values, compared to decide whether a reload needs a new
/// `TLSContext`.
public struct TLSEndpointConfiguration: Sendable, Equatable {
    /// PEM, leaf first, then intermediates. Required in the server role; in the client role it is
    /// the certificate offered for mutual TLS.
    public var certificateChainFile: String?
    /// PEM private key of the leaf (unencrypted: the SBC starts unattended).
    public var privateKeyFile: String?
    /// PEM CA certificates the peer's chain must lead to; nil uses the system's default paths.
    public var caBundleFile: String?
    /// How the peer's certificate is checked.
    public var verification: TLSPeerVerification
    /// Server role: ask for a client certificate and refuse the handshake without one
    /// (`SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT`). Client role: ignored, a server
    /// always presents a certificate.
    public var requirePeerCertificate: Bool
    /// The oldest version offered or accepted. TLS 1.2 at least (RFC 8996).
    public var minimumVersion: TLSProtocolVersion
    /// The newest version offered or accepted; nil = the newest OpenSSL supports. Caps a trunk
    /// whose peer mishandles TLS 1.3 (and lets tests force a TLS 1.2 handshake).
    public var maximumVersion: TLSProtocolVersion?
    /// TLS 1.2 cipher list (`SSL_CTX_set_cipher_list`); nil = OpenSSL's default.
    public var cipherList: String?
    /// TLS 1.3 cipher suites (`SSL_CTX_set_ciphersuites`); nil = OpenSSL's default.
    public var cipherSuites: String?

    /// Defaults to no certificate, the system CAs, `.none` verification (what a server that does
    /// not authenticate its clients wants; client callers pass the trunk's mode), TLS 1.2 or newer.
    public init(
        certificateChainFile: String? = nil,
        privateKeyFile: String? = nil,
        caBundleFile: String? = nil,
        verification: TLSPeerVerification = .none,
        requirePeerCertificate: Bool = false,
        minimumVersion: TLSProtocolVersion = .tls12,
        maximumVersion: TLSProtocolVersion? = nil,
        cipherList: String? = nil,
        cipherSuites: String? = nil
    ) {
        self.certificateChainFile = certificateChainFile
        self.privateKeyFile = privateKeyFile
        self.caBundleFile = caBundleFile
        self.verification = verification
        self.requirePeerCertificate = requirePeerCertificate
        self.minimumVersion = minimumVersion
        self.maximumVersion = maximumVersion
        self.cipherList = cipherList
        self.cipherSuites = cipherSuites
    }
}
