/// An SRTP crypto suite as `a=crypto` names it (RFC 4568 §6.2, RFC 6188 for AES-256 counter
/// mode, RFC 7714 for AES-GCM), with the sizes the SBC needs to check a key and to size a
/// packet's trailer.
///
/// Why only these six: they are the SDES suites with authentication and encryption both on that
/// the SBC's SRTP implements (and libsrtp2, its reference). F8 mode, the NULL-cipher suites and AES-192 are not offered by the
/// platforms and carriers the SBC serves; an `a=crypto` naming them is refused as unsupported,
/// which lets the answer pick another line of the offer (RFC 4568 §7.1.2).
public enum SRTPCryptoSuite: String, Sendable, Hashable, CaseIterable, CustomStringConvertible {
    case aesCM128HMACSHA1_80 = "AES_CM_128_HMAC_SHA1_80"
    case aesCM128HMACSHA1_32 = "AES_CM_128_HMAC_SHA1_32"
    case aes256CMHMACSHA1_80 = "AES_256_CM_HMAC_SHA1_80"
    case aes256CMHMACSHA1_32 = "AES_256_CM_HMAC_SHA1_32"
    /// RFC 7714: 16-byte key, 12-byte salt, 16-byte tag; one AES-GCM pass per packet, a little
    /// cheaper than AES-CM + HMAC-SHA1 (bench/README.md), so trunks should list it first.
    case aeadAES128GCM = "AEAD_AES_128_GCM"
    case aeadAES256GCM = "AEAD_AES_256_GCM"

    /// The suite named `name`. ABNF literals are case-insensitive (RFC 5234 §2.3), so
    /// `aes_cm_128_hmac_sha1_80` is accepted; the canonical spelling is written back.
    public init?(name: some StringProtocol) {
        guard let suite = Self.allCases.first(where: {
            SDPGrammar.equalsIgnoringASCIICase(name.utf8, $0.rawValue.utf8)
        }) else { return nil }
        self = suite
    }

    /// The name as written in `a=crypto`.
    public var name: String { rawValue }

    public var description: String { rawValue }

    /// Master key length in bytes.
    public var masterKeyLength: Int {
        switch self {
        case .aesCM128HMACSHA1_80, .aesCM128HMACSHA1_32, .aeadAES128GCM: 16
        case .aes256CMHMACSHA1_80, .aes256CMHMACSHA1_32, .aeadAES256GCM: 32
        }
    }

    /// Master salt length in bytes: 112 bits for counter mode (RFC 3711), 96 bits for GCM
    /// (RFC 7714).
    public var masterSaltLength: Int { isAEAD ? 12 : 14 }

    /// Length of the `inline:` key once base64-decoded: master key then master salt.
    public var keyAndSaltLength: Int { masterKeyLength + masterSaltLength }

    /// Authentication tag appended to each SRTP packet.
    public var rtpTagLength: Int {
        switch self {
        case .aesCM128HMACSHA1_80, .aes256CMHMACSHA1_80: 10
        case .aesCM128HMACSHA1_32, .aes256CMHMACSHA1_32: 4
        case .aeadAES128GCM, .aeadAES256GCM: 16
        }
    }

    /// Authentication tag of SRTCP packets: the `_32` suites shorten only the SRTP tag, SRTCP
    /// keeps 80 bits (RFC 4568 §6.2).
    public var rtcpTagLength: Int { isAEAD ? 16 : 10 }

    /// Whether the suite is an AEAD (GCM) suite: one pass for encryption and authentication.
    public var isAEAD: Bool { self == .aeadAES128GCM || self == .aeadAES256GCM }

    /// The most SRTP packets one master key may protect: 2^48 (RFC 3711 §9.2, RFC 7714).
    /// A larger `lifetime` in an `a=crypto` is malformed.
    public static let maximumLifetime: UInt64 = 1 << 48
}
