import Crypto

/// A Digest hash algorithm the SBC can answer with (RFC 7616 section 6.1, RFC 8760 for SIP).
///
/// Why only these four: they are what SIP carriers offer (MD5 from RFC 2617/3261, SHA-256 from
/// RFC 8760) and what swift-crypto provides. SHA-512-256 is defined too, but it is a different
/// function from a truncated SHA-512 and no SIP carrier we know offers it; a challenge naming it
/// is skipped like any unknown algorithm, so a server offering it next to MD5 still gets an answer.
public enum DigestAlgorithm: String, Sendable, CaseIterable, CustomStringConvertible {
    case md5 = "MD5"
    case md5Session = "MD5-sess"
    case sha256 = "SHA-256"
    case sha256Session = "SHA-256-sess"

    /// The algorithm a challenge names (case-insensitive); a challenge without `algorithm` means
    /// MD5 (RFC 7616 3.3). Nil for anything the SBC cannot compute.
    public init?(token: String?) {
        guard let token else {
            self = .md5
            return
        }
        guard let match = Self.allCases.first(where: { $0.rawValue.lowercased() == token.lowercased() }) else {
            return nil
        }
        self = match
    }

    public var description: String { rawValue }

    /// `-sess` variants hash the nonce and cnonce into HA1 (RFC 7616 3.4.2).
    public var isSession: Bool { self == .md5Session || self == .sha256Session }

    /// Preference when a response offers several challenges: SHA-256 before MD5 (RFC 8760 2.4
    /// asks the client to use the strongest it supports), a plain variant before its `-sess` one.
    var preference: Int {
        switch self {
        case .sha256: 0
        case .sha256Session: 1
        case .md5: 2
        case .md5Session: 3
        }
    }

    /// Lower-case hexadecimal digest of `text` in UTF-8.
    public func hex(_ text: String) -> String {
        hex(Array(text.utf8))
    }

    public func hex(_ bytes: [UInt8]) -> String {
        switch self {
        case .md5, .md5Session: Self.hexString(Insecure.MD5.hash(data: bytes))
        case .sha256, .sha256Session: Self.hexString(SHA256.hash(data: bytes))
        }
    }

    private static let digits = Array("0123456789abcdef".utf8)

    private static func hexString<D: Sequence>(_ digest: D) -> String where D.Element == UInt8 {
        var out: [UInt8] = []
        out.reserveCapacity(64)
        for byte in digest {
            out.append(digits[Int(byte >> 4)])
            out.append(digits[Int(byte & 0x0F)])
        }
        return String(decoding: out, as: UTF8.self)
    }
}
