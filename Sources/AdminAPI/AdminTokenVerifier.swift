import Crypto

/// Checks a presented bearer token against the configured SHA-256 hashes.
///
/// The presented token is hashed first and every configured hash is compared in full, with no
/// early exit on the first differing byte nor on the first match, so the time taken reveals
/// neither how much of a hash matched nor which token (if any) it was. Plain tokens are never
/// stored; hashes are decoded once, at start-up.
struct AdminTokenVerifier: Sendable {
    private let entries: [(token: AdminToken, digest: [UInt8])]

    /// Tokens whose `sha256Hex` is not 64 hex digits are left out (see `rejected`).
    init(tokens: [AdminToken]) {
        var entries: [(token: AdminToken, digest: [UInt8])] = []
        var rejected: [String] = []
        for token in tokens {
            if let digest = Self.decodeHex(token.sha256Hex), digest.count == SHA256.byteCount {
                entries.append((token, digest))
            } else {
                rejected.append(token.name)
            }
        }
        self.entries = entries
        self.rejected = rejected
    }

    /// Names of configured tokens ignored because their hash is malformed.
    let rejected: [String]

    /// The configured token whose hash matches `presented`, or nil.
    func verify(_ presented: String) -> AdminToken? {
        let digest = Array(SHA256.hash(data: Array(presented.utf8)))
        var match: AdminToken?
        for entry in entries {
            var difference: UInt8 = 0
            for index in 0..<SHA256.byteCount {
                difference |= entry.digest[index] ^ digest[index]
            }
            if difference == 0, match == nil {
                match = entry.token
            }
        }
        return match
    }

    /// Lowercase hex SHA-256 of a token: what an operator puts in the configuration.
    static func hashHex(of token: String) -> String {
        AdminToken.sha256Hex(of: token)
    }

    private static func decodeHex(_ text: String) -> [UInt8]? {
        let digits = Array(text.utf8)
        guard digits.count % 2 == 0 else { return nil }
        var bytes: [UInt8] = []
        bytes.reserveCapacity(digits.count / 2)
        var index = 0
        while index < digits.count {
            guard let high = nibble(digits[index]), let low = nibble(digits[index + 1]) else { return nil }
            bytes.append(high << 4 | low)
            index += 2
        }
        return bytes
    }

    private static func nibble(_ ascii: UInt8) -> UInt8? {
        switch ascii {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): ascii - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): ascii - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): ascii - UInt8(ascii: "A") + 10
        default: nil
        }
    }
}
