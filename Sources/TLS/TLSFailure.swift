/// Why a TLS connection failed, in the words an operator needs (API, audit log, alerts): a
/// handshake failure is a transport failure that fails a call over and a health probe, and the
/// cause has to name the certificate problem rather than "handshake failed".
public enum TLSFailure: Error, Sendable, Equatable, CustomStringConvertible {
    /// A certificate in the peer's chain (usually the leaf) is past its notAfter (unix seconds).
    case certificateExpired(subject: String, notAfter: Int64)
    /// A certificate in the peer's chain is before its notBefore (unix seconds): often a clock problem.
    case certificateNotYetValid(subject: String, notBefore: Int64)
    /// The chain does not lead to the CA bundle: self-signed, another CA, or an incomplete chain.
    case unknownCA(subject: String, issuer: String)
    /// The chain is trusted but the leaf does not carry the expected DNS name or IP address.
    case nameMismatch(expected: String, subject: String)
    /// The chain is trusted but the leaf's key is none of the pinned ones (`presented`: base64
    /// SHA-256 of its SubjectPublicKeyInfo, to paste into the config after a planned key change).
    case pinMismatch(subject: String, presented: String)
    /// Server role: the client sent no certificate and one is required.
    case missingPeerCertificate
    /// The peer aborted with this fatal alert (OpenSSL's long description, e.g. "unknown CA"
    /// when it rejected our certificate, "certificate required" when it wanted one).
    case peerAlert(String)
    /// The handshake failed for another reason (OpenSSL's reason, e.g. "wrong version number").
    case handshakeFailed(String)
    /// The owner's handshake timer fired; defined here so one type carries every cause.
    case handshakeTimeout
    /// A protocol error after the handshake.
    case connectionFailed(String)

    /// Short stable token for metrics labels and the API.
    public var cause: String {
        switch self {
        case .certificateExpired: "certificate_expired"
        case .certificateNotYetValid: "certificate_not_yet_valid"
        case .unknownCA: "unknown_ca"
        case .nameMismatch: "name_mismatch"
        case .pinMismatch: "pin_mismatch"
        case .missingPeerCertificate: "no_certificate"
        case .peerAlert: "peer_alert"
        case .handshakeFailed: "handshake_failed"
        case .handshakeTimeout: "handshake_timeout"
        case .connectionFailed: "connection_failed"
        }
    }

    /// Whether a certificate (the peer's, or ours as the peer's alert says) is the problem: what
    /// an operator fixes with files rather than with the network.
    public var isCertificateProblem: Bool {
        switch self {
        case .certificateExpired, .certificateNotYetValid, .unknownCA, .nameMismatch, .pinMismatch,
             .missingPeerCertificate:
            true
        case .peerAlert(let alert):
            Self.certificateAlerts.contains(alert)
        case .handshakeFailed, .handshakeTimeout, .connectionFailed:
            false
        }
    }

    /// OpenSSL's long descriptions of the alerts that reject a certificate (RFC 8446 section 6.2).
    static let certificateAlerts: Set<String> = [
        "bad certificate", "unsupported certificate", "certificate revoked", "certificate expired",
        "certificate unknown", "unknown CA", "certificate required",
    ]

    public var description: String {
        switch self {
        case .certificateExpired(let subject, let notAfter):
            "certificate expired: \(subject), not after \(UnixTime.iso8601(notAfter))"
        case .certificateNotYetValid(let subject, let notBefore):
            "certificate not yet valid: \(subject), not before \(UnixTime.iso8601(notBefore))"
        case .unknownCA(let subject, let issuer):
            subject == issuer
                ? "unknown CA: \(subject) is self-signed and not trusted"
                : "unknown CA: \(subject) issued by \(issuer), which is not trusted"
        case .nameMismatch(let expected, let subject):
            "name mismatch: expected \(expected), certificate \(subject) does not name it"
        case .pinMismatch(let subject, let presented):
            "pin mismatch: \(subject) has key sha256//\(presented), not a pinned one"
        case .missingPeerCertificate:
            "the peer presented no certificate and one is required"
        case .peerAlert(let alert):
            "the peer aborted the handshake: \(alert)"
        case .handshakeFailed(let reason):
            "TLS handshake failed: \(reason)"
        case .handshakeTimeout:
            "TLS handshake timed out"
        case .connectionFailed(let reason):
            "TLS connection failed: \(reason)"
        }
    }
}
