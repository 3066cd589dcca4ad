/// Why TLS material or settings cannot be used: raised when a context is built (start-up,
/// reload) and by `sbc check-config`, always naming the file or setting at fault.
public enum TLSConfigurationError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The file cannot be opened or read (`reason`: strerror, e.g. "No such file or directory").
    case unreadableFile(path: String, reason: String)
    /// The file is readable but holds no usable PEM of the expected kind.
    case invalidPEM(path: String, reason: String)
    /// The private key is not the certificate's.
    case keyDoesNotMatchCertificate(certificate: String, key: String)
    /// OpenSSL accepted none of the ciphers or suites in the list.
    case invalidCipherList(String)
    /// A certificate or key the role needs is not configured (e.g. a server without a chain).
    case missingCertificate(String)
    /// The verification settings cannot work: an empty peer name, or a pin that is not the
    /// base64 of a SHA-256 (44 characters), which would silently refuse every peer.
    case invalidVerification(String)
    /// Anything else, with OpenSSL's error string.
    case openSSL(String)

    public var description: String {
        switch self {
        case .unreadableFile(let path, let reason): "cannot read \(path): \(reason)"
        case .invalidPEM(let path, let reason): "\(path) is not valid PEM: \(reason)"
        case .keyDoesNotMatchCertificate(let certificate, let key):
            "the private key \(key) does not belong to the certificate \(certificate)"
        case .invalidCipherList(let list): "no usable cipher in \"\(list)\""
        case .missingCertificate(let what): "missing certificate: \(what)"
        case .invalidVerification(let reason): "invalid peer verification: \(reason)"
        case .openSSL(let reason): "OpenSSL: \(reason)"
        }
    }
}
