/// Character classes of the RFC 3261 ABNF (section 25), as bit sets so that the parser's inner
/// loops are a shift and a mask per byte.
enum SIPGrammar {
    static let space: UInt8 = 0x20
    static let tab: UInt8 = 0x09
    static let cr: UInt8 = 0x0D
    static let lf: UInt8 = 0x0A
    static let colon: UInt8 = 0x3A
    static let semicolon: UInt8 = 0x3B
    static let comma: UInt8 = 0x2C
    static let equals: UInt8 = 0x3D
    static let quote: UInt8 = 0x22
    static let backslash: UInt8 = 0x5C
    static let lessThan: UInt8 = 0x3C
    static let greaterThan: UInt8 = 0x3E
    static let slash: UInt8 = 0x2F
    static let at: UInt8 = 0x40
    static let question: UInt8 = 0x3F
    static let percent: UInt8 = 0x25

    /// The character classes below are bit sets over ASCII, one bit per byte value in two words
    /// (bytes 0-63, 64-127): a test is a shift and a mask, with no table to load, no lazy static
    /// to check and no bounds check. The parser tests every byte of every message this way
    /// (issue 15). `SIPGrammarTests` checks each set against its ABNF definition.
    struct ByteClass {
        let low: UInt64
        let high: UInt64

        @inline(__always) func contains(_ byte: UInt8) -> Bool {
            byte < 64 ? (low >> UInt64(byte)) & 1 == 1 : byte < 128 && (high >> UInt64(byte &- 64)) & 1 == 1
        }
    }

    /// `token` = 1*(alphanum / "-" / "." / "!" / "%" / "*" / "_" / "+" / "`" / "'" / "~")
    static let token = ByteClass(low: 0x03FF_6CA2_0000_0000, high: 0x47FF_FFFF_87FF_FFFE)
    /// Characters that may appear unescaped in a SIP URI outside of delimiters we split on:
    /// unreserved / reserved / escaped (`-_.!~*'()%;/?:@&=+$,#`), plus the `[` `]` of IPv6 references.
    static let uri = ByteClass(low: 0xAFFF_FFFA_0000_0000, high: 0x47FF_FFFE_AFFF_FFFF)
    /// `word` of Call-ID: token characters plus the separators RFC 3261 allows there
    /// (`()<>:\"/[]?{}`).
    static let word = ByteClass(low: 0xD7FF_EFA6_0000_0000, high: 0x6FFF_FFFF_BFFF_FFFE)

    @inline(__always) static func isToken(_ byte: UInt8) -> Bool { token.contains(byte) }
    @inline(__always) static func isURIChar(_ byte: UInt8) -> Bool { uri.contains(byte) }
    @inline(__always) static func isWord(_ byte: UInt8) -> Bool { word.contains(byte) }
    @inline(__always) static func isWhitespace(_ byte: UInt8) -> Bool { byte == space || byte == tab }
    @inline(__always) static func isDigit(_ byte: UInt8) -> Bool { byte >= 0x30 && byte <= 0x39 }

    static func isAlphanumeric(_ byte: UInt8) -> Bool {
        (byte >= 0x30 && byte <= 0x39) || (byte >= 0x41 && byte <= 0x5A) || (byte >= 0x61 && byte <= 0x7A)
    }

    static func isToken<S: StringProtocol>(_ text: S) -> Bool {
        !text.isEmpty && text.utf8.allSatisfy(isToken)
    }

    /// Parses an unsigned decimal with an upper bound, refusing signs, blanks and overflow
    /// (RFC 4475 scalar02/scalarlg: oversized scalars must be refused, not wrapped).
    static func boundedDecimal<S: StringProtocol>(_ text: S, max: UInt64) -> UInt64? {
        guard !text.isEmpty, text.utf8.count <= 20 else { return nil }
        var value: UInt64 = 0
        for byte in text.utf8 {
            guard isDigit(byte) else { return nil }
            let (times, o1) = value.multipliedReportingOverflow(by: 10)
            let (sum, o2) = times.addingReportingOverflow(UInt64(byte - 0x30))
            guard !o1, !o2, sum <= max else { return nil }
            value = sum
        }
        return value
    }
}
