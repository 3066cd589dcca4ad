/// One watched certificate as `GET /api/v1/tls/certificates` shows it: ours by zone or client
/// identity, or the last one a peer presented.
public struct CertificateStatus: Codable, Sendable, Equatable {
    /// `zone:<name>`, `client:<trunk>` or `peer:<trunk>`.
    public var certificate: String
    public var trunk: String?
    public var subject: String
    public var issuer: String
    /// RFC 3339 UTC.
    public var notAfter: String
    /// Negative once expired.
    public var secondsToExpiry: Int64
    /// Base64 SHA-256 of the public key, what `trunks[].tls.pins` takes.
    public var spkiSHA256: String

    public init(certificate: String, trunk: String?, subject: String, issuer: String, notAfter: String,
                secondsToExpiry: Int64, spkiSHA256: String) {
        self.certificate = certificate
        self.trunk = trunk
        self.subject = subject
        self.issuer = issuer
        self.notAfter = notAfter
        self.secondsToExpiry = secondsToExpiry
        self.spkiSHA256 = spkiSHA256
    }
}
