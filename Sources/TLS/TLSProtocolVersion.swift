import CSBCOpenSSL

/// The TLS versions an endpoint may be limited to. SIP over TLS (RFC 5630, RFC 8996) needs at
/// least 1.2; older versions are not offered at all.
public enum TLSProtocolVersion: String, Sendable, CaseIterable {
    case tls12 = "1.2"
    case tls13 = "1.3"

    /// OpenSSL's protocol version constant, for SSL_CTX_set_min/max_proto_version.
    var openSSLVersion: Int32 {
        switch self {
        case .tls12: TLS1_2_VERSION
        case .tls13: TLS1_3_VERSION
        }
    }
}
