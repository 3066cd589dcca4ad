/// What a completed handshake negotiated, for logs, the admin API and expiry monitoring.
public struct TLSHandshakeSummary: Sendable, Equatable {
    /// OpenSSL's name of the version, e.g. "TLSv1.3".
    public var version: String
    /// The IANA-style suite name OpenSSL reports, e.g. "TLS_AES_256_GCM_SHA384".
    public var cipher: String
    /// Whether the session was resumed (no certificate exchange happened on this connection).
    public var resumed: Bool
    /// Server role: the SNI the client asked for. Client role: the SNI we sent.
    public var serverName: String?
    /// The peer's leaf certificate, nil if it presented none (a client without mutual TLS).
    public var peerCertificate: CertificateInfo?

    public init(version: String, cipher: String, resumed: Bool, serverName: String?, peerCertificate: CertificateInfo?) {
        self.version = version
        self.cipher = cipher
        self.resumed = resumed
        self.serverName = serverName
        self.peerCertificate = peerCertificate
    }
}
