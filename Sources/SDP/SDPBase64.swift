/// Base64 (RFC 4648 §4, the alphabet RFC 4568 keys use), small enough to keep Foundation out of
/// the SDP module.
///
/// Decoding is strict about the alphabet and about where padding may stand, because a key that
/// decodes "almost" is a wrong key; it accepts missing padding, which some user agents leave
/// out of the 28- and 44-byte GCM keys. Problems name a position, never the text: the text is
/// a secret key.
enum SDPBase64 {
    private static let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/".utf8)

    /// Standard base64 with `=` padding.
    static func encode(_ bytes: [UInt8]) -> String {
        var out: [UInt8] = []
        out.reserveCapacity((bytes.count + 2) / 3 * 4)
        var index = 0
        while index < bytes.count {
            let b0 = bytes[index]
            let b1 = index + 1 < bytes.count ? bytes[index + 1] : 0
            let b2 = index + 2 < bytes.count ? bytes[index + 2] : 0
            out.append(alphabet[Int(b0 >> 2)])
            out.append(alphabet[Int((b0 & 0x03) << 4 | b1 >> 4)])
            out.append(index + 1 < bytes.count ? alphabet[Int((b1 & 0x0F) << 2 | b2 >> 6)] : UInt8(ascii: "="))
            out.append(index + 2 < bytes.count ? alphabet[Int(b2 & 0x3F)] : UInt8(ascii: "="))
            index += 3
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// The bytes of `text`, or why it is not base64.
    static func decode(_ text: Substring) -> Result<[UInt8], SDPBase64Problem> {
        var symbols = Array(text.utf8)
        guard !symbols.isEmpty else { return .failure(.empty) }
        var padding = 0
        while symbols.last == UInt8(ascii: "=") {
            symbols.removeLast()
            padding += 1
        }
        guard padding <= 2 else { return .failure(.misplacedPadding) }
        if padding > 0, (symbols.count + padding) % 4 != 0 { return .failure(.misplacedPadding) }
        guard symbols.count % 4 != 1 else { return .failure(.truncated) }
        var out: [UInt8] = []
        out.reserveCapacity(symbols.count * 3 / 4)
        var accumulator: UInt32 = 0
        var bits = 0
        for (position, symbol) in symbols.enumerated() {
            guard let sextet = sextet(symbol) else {
                return .failure(symbol == UInt8(ascii: "=") ? .misplacedPadding : .invalidCharacter(position: position + 1))
            }
            accumulator = accumulator << 6 | UInt32(sextet)
            bits += 6
            if bits >= 8 {
                bits -= 8
                out.append(UInt8(truncatingIfNeeded: accumulator >> UInt32(bits)))
            }
        }
        return .success(out)
    }

    private static func sextet(_ symbol: UInt8) -> UInt8? {
        switch symbol {
        case UInt8(ascii: "A")...UInt8(ascii: "Z"): symbol - UInt8(ascii: "A")
        case UInt8(ascii: "a")...UInt8(ascii: "z"): symbol - UInt8(ascii: "a") + 26
        case UInt8(ascii: "0")...UInt8(ascii: "9"): symbol - UInt8(ascii: "0") + 52
        case UInt8(ascii: "+"): 62
        case UInt8(ascii: "/"): 63
        default: nil
        }
    }
}

/// Why an `inline:` key is not base64.
public enum SDPBase64Problem: Error, Sendable, Hashable, CustomStringConvertible {
    case empty
    /// A character outside A-Z a-z 0-9 + /, at this 1-based position.
    case invalidCharacter(position: Int)
    /// `=` anywhere but at the end, more than two of them, or a padded length not a multiple of 4.
    case misplacedPadding
    /// A length that leaves a single dangling character (4n + 1).
    case truncated

    public var description: String {
        switch self {
        case .empty: "empty key"
        case .invalidCharacter(let position): "character \(position) is not base64"
        case .misplacedPadding: "misplaced '=' padding"
        case .truncated: "truncated (length 4n+1)"
        }
    }
}
