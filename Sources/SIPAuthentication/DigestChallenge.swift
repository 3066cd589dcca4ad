/// One authentication challenge of a `WWW-Authenticate` or `Proxy-Authenticate` header
/// (RFC 3261 22.4 and 25.1, RFC 7616 3.3): its scheme and parameters.
///
/// Values are kept as written (quotes and escapes removed): realm, nonce and opaque must go back
/// byte for byte. Parameter names are compared case-insensitively.
public struct DigestChallenge: Sendable, Equatable {
    /// `Digest`, or another scheme (`Basic`, `Bearer`, ...) the SBC does not answer.
    public var scheme: String
    /// Parameters in order, names lower-cased.
    public var parameters: [(name: String, value: String)]

    public init(scheme: String, parameters: [(name: String, value: String)]) {
        self.scheme = scheme
        self.parameters = parameters
    }

    public static func == (lhs: DigestChallenge, rhs: DigestChallenge) -> Bool {
        lhs.scheme == rhs.scheme && lhs.parameters.elementsEqual(rhs.parameters) { $0 == $1 }
    }

    public subscript(_ name: String) -> String? {
        let lower = name.lowercased()
        return parameters.first { $0.name == lower }?.value
    }

    public var isDigest: Bool { scheme.lowercased() == "digest" }
    public var realm: String? { self["realm"] }
    public var nonce: String? { self["nonce"] }
    public var opaque: String? { self["opaque"] }
    /// The `algorithm` token as written (nil: MD5).
    public var algorithmToken: String? { self["algorithm"] }
    public var algorithm: DigestAlgorithm? { DigestAlgorithm(token: algorithmToken) }
    /// The qop options offered (`auth`, `auth-int`), lower-cased; empty for a legacy RFC 2069
    /// challenge without qop.
    public var qopOptions: [String] {
        guard let value = self["qop"] else { return [] }
        return value.split(separator: ",").map { $0.trimmedSpaces().lowercased() }.filter { !$0.isEmpty }
    }
    /// `stale=true`: the previous credentials were right but the nonce expired (RFC 7616 3.3).
    public var stale: Bool { self["stale"]?.lowercased() == "true" }
    /// `userhash=true` (RFC 7616 3.4.4): the username is sent hashed.
    public var userhash: Bool { self["userhash"]?.lowercased() == "true" }

    // MARK: Parsing

    /// Every challenge in one header value. HTTP and SIP allow several challenges in one value
    /// (`Digest realm="a", nonce="1", algorithm=SHA-256, Digest realm="a", nonce="2"`), and
    /// commas inside quoted strings belong to the value. A comma followed by a token and `=` is
    /// the next parameter; one followed by a token and then another parameter starts the next
    /// challenge (its scheme). A bare token after a comma (`qop=auth,auth-int` written without
    /// quotes) continues the previous value. Nothing here throws: what cannot be read is left
    /// out, and a challenge without the parameters Digest needs is refused by the caller.
    public static func parseList(_ value: String) -> [DigestChallenge] {
        var scanner = Scanner(Array(value.utf8))
        var challenges: [DigestChallenge] = []
        while true {
            scanner.skip(separators: true)
            guard let scheme = scanner.token() else { break }
            var challenge = DigestChallenge(scheme: scheme, parameters: [])
            // Parameters until the next scheme or the end.
            while true {
                scanner.skip(separators: false)
                let mark = scanner.position
                guard let name = scanner.token() else {
                    // Not a token: skip one byte (garbage) unless at a comma or the end.
                    if scanner.atEnd { break }
                    if scanner.peek == UInt8(ascii: ",") {
                        scanner.advance()
                        if scanner.startsNextChallenge() { break }
                        continue
                    }
                    scanner.advance()
                    continue
                }
                scanner.skip(separators: false)
                if scanner.peek == UInt8(ascii: "=") {
                    scanner.advance()
                    scanner.skip(separators: false)
                    let parameterValue = scanner.quotedString() ?? scanner.tokenValue()
                    challenge.parameters.append((name.lowercased(), parameterValue))
                    scanner.skip(separators: false)
                    if scanner.peek == UInt8(ascii: ",") {
                        scanner.advance()
                        if scanner.startsNextChallenge() { break }
                    }
                    continue
                }
                if scanner.atEnd || scanner.peek == UInt8(ascii: ",") {
                    // A bare token: a list value written without quotes (qop=auth,auth-int).
                    if let last = challenge.parameters.popLast() {
                        challenge.parameters.append((last.name, last.value + "," + name))
                    }
                    if scanner.peek == UInt8(ascii: ",") {
                        scanner.advance()
                        if scanner.startsNextChallenge() { break }
                    }
                    continue
                }
                // A token followed by another token: the next challenge's scheme.
                scanner.position = mark
                break
            }
            challenges.append(challenge)
        }
        return challenges
    }

    /// The byte scanner of ``parseList(_:)``.
    struct Scanner {
        let bytes: [UInt8]
        var position = 0

        init(_ bytes: [UInt8]) { self.bytes = bytes }

        var atEnd: Bool { position >= bytes.count }
        var peek: UInt8? { atEnd ? nil : bytes[position] }
        mutating func advance() { position += 1 }

        /// Skips spaces and tabs, and commas too when `separators` (between challenges).
        mutating func skip(separators: Bool) {
            while let byte = peek, byte == 0x20 || byte == 0x09 || byte == 0x0D || byte == 0x0A
                || (separators && byte == UInt8(ascii: ","))
            {
                advance()
            }
        }

        static func isTokenByte(_ byte: UInt8) -> Bool {
            switch byte {
            case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"),
                 UInt8(ascii: "0")...UInt8(ascii: "9"):
                true
            default:
                "-.!%*_+`'~/:@[]?&$#^|{}".utf8.contains(byte)
            }
        }

        /// An RFC 3261 token (names and schemes).
        mutating func token() -> String? {
            let start = position
            while let byte = peek, Self.isTokenByte(byte), byte != UInt8(ascii: "=") { advance() }
            guard position > start else { return nil }
            return String(decoding: bytes[start..<position], as: UTF8.self)
        }

        /// An unquoted value: everything up to a comma or whitespace (a token, a hex nc, a
        /// base64 nonce some servers send unquoted with its `=` padding).
        mutating func tokenValue() -> String {
            let start = position
            while let byte = peek, byte != UInt8(ascii: ","), byte != 0x20, byte != 0x09, byte != 0x0D, byte != 0x0A {
                advance()
            }
            return String(decoding: bytes[start..<position], as: UTF8.self)
        }

        /// A quoted string with its quotes removed and `\x` escapes resolved; nil when not at a
        /// quote. An unterminated string runs to the end.
        mutating func quotedString() -> String? {
            guard peek == UInt8(ascii: "\"") else { return nil }
            advance()
            var out: [UInt8] = []
            while let byte = peek {
                advance()
                if byte == UInt8(ascii: "\\"), let escaped = peek {
                    out.append(escaped)
                    advance()
                } else if byte == UInt8(ascii: "\"") {
                    break
                } else {
                    out.append(byte)
                }
            }
            return String(decoding: out, as: UTF8.self)
        }

        /// After a comma: whether what follows is a new challenge (a token, whitespace, then a
        /// token and `=`), leaving the position at the start of that scheme when it is.
        mutating func startsNextChallenge() -> Bool {
            let saved = position
            skip(separators: true)
            let schemeStart = position
            guard token() != nil else {
                position = saved
                return false
            }
            let afterScheme = position
            skip(separators: false)
            let spaced = position > afterScheme
            if spaced, token() != nil {
                skip(separators: false)
                if peek == UInt8(ascii: "=") {
                    position = schemeStart
                    return true
                }
            }
            position = saved
            return false
        }
    }
}

extension StringProtocol {
    /// The text without leading and trailing spaces and tabs.
    func trimmedSpaces() -> String {
        var slice = Substring(self)
        while let first = slice.first, first == " " || first == "\t" { slice.removeFirst() }
        while let last = slice.last, last == " " || last == "\t" { slice.removeLast() }
        return String(slice)
    }
}
