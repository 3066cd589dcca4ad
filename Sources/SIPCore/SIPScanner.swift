/// A cursor over the bytes of one header value, with the RFC 3261 lexical helpers (LWS, tokens,
/// quoted strings, separators). Typed header parsers are written against it so that whitespace
/// tolerance (RFC 4475 wsinv) is handled in one place.
struct SIPScanner {
    let bytes: [UInt8]
    var index: Int

    init(_ text: String) {
        bytes = Array(text.utf8)
        index = 0
    }

    init(bytes: [UInt8]) {
        self.bytes = bytes
        index = 0
    }

    var isAtEnd: Bool { index >= bytes.count }
    var peek: UInt8? { index < bytes.count ? bytes[index] : nil }

    mutating func skipWhitespace() {
        while index < bytes.count, SIPGrammar.isWhitespace(bytes[index]) || bytes[index] == SIPGrammar.cr
            || bytes[index] == SIPGrammar.lf
        {
            index += 1
        }
    }

    /// Consumes `byte` (after optional LWS) and the LWS following it.
    mutating func consume(_ byte: UInt8) -> Bool {
        let saved = index
        skipWhitespace()
        guard peek == byte else {
            index = saved
            return false
        }
        index += 1
        skipWhitespace()
        return true
    }

    mutating func readToken() -> String? {
        let start = index
        while index < bytes.count, SIPGrammar.isToken(bytes[index]) { index += 1 }
        return index > start ? string(start..<index) : nil
    }

    /// Reads a quoted-string including its quotes, honouring quoted-pair escapes.
    mutating func readQuotedString() -> String? {
        guard peek == SIPGrammar.quote else { return nil }
        let start = index
        index += 1
        while index < bytes.count {
            switch bytes[index] {
            case SIPGrammar.backslash:
                index += 2
            case SIPGrammar.quote:
                index += 1
                return string(start..<index)
            case SIPGrammar.cr, SIPGrammar.lf:
                return nil
            default:
                index += 1
            }
        }
        return nil
    }

    /// Reads up to (not including) the first byte for which `stop` is true, outside quotes.
    mutating func read(until stop: (UInt8) -> Bool) -> String {
        String(decoding: readBytes(until: stop), as: UTF8.self)
    }

    /// The same as bytes, for a part parsed further (a URI) with no string built in between.
    mutating func readBytes(until stop: (UInt8) -> Bool) -> ArraySlice<UInt8> {
        let start = index
        while index < bytes.count, !stop(bytes[index]) { index += 1 }
        return bytes[start..<index]
    }

    /// Reads a generic-param value: token, host (IPv6 reference included) or quoted-string.
    mutating func readParameterValue() -> String? {
        if peek == SIPGrammar.quote { return readQuotedString() }
        let start = index
        while index < bytes.count {
            let byte = bytes[index]
            guard SIPGrammar.isToken(byte) || byte == 0x5B || byte == 0x5D || byte == SIPGrammar.colon else { break }
            index += 1
        }
        return index > start ? string(start..<index) : nil
    }

    /// Parses `*( SEMI generic-param )`; an empty parameter (`;;`) is malformed (RFC 4475 badinv01).
    mutating func readParameters() -> [SIPParameter]? {
        var parameters: [SIPParameter] = []
        while consume(SIPGrammar.semicolon) {
            guard let name = readToken() else { return nil }
            if consume(SIPGrammar.equals) {
                guard let value = readParameterValue() else { return nil }
                parameters.append(SIPParameter(name: name, value: value))
            } else {
                parameters.append(SIPParameter(name: name, value: nil))
            }
        }
        return parameters
    }

    func string(_ range: Range<Int>) -> String {
        String(decoding: bytes[range], as: UTF8.self)
    }

    var remainder: String { string(min(index, bytes.count)..<bytes.count) }
}
