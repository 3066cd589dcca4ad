/// Character classes of the RFC 3261 ABNF (section 25), as lookup tables so that the parser's
/// inner loops are a single indexed load per byte.
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

    /// `token` = 1*(alphanum / "-" / "." / "!" / "%" / "*" / "_" / "+" / "`" / "'" / "~")
    static let tokenTable: [Bool] = table { byte in
        isAlphanumeric(byte) || "-.!%*_+`'~".utf8.contains(byte)
    }

    /// Characters that may appear unescaped in a SIP URI outside of delimiters we split on:
    /// unreserved / reserved / escaped, plus the `[` `]` of IPv6 references.
    static let uriTable: [Bool] = table { byte in
        isAlphanumeric(byte) || "-_.!~*'()%;/?:@&=+$,[]#".utf8.contains(byte)
    }

    /// `word` of Call-ID: token characters plus the separators RFC 3261 allows there.
    static let wordTable: [Bool] = table { byte in
        isAlphanumeric(byte) || "-.!%*_+`'~()<>:\\\"/[]?{}".utf8.contains(byte)
    }

    @inline(__always) static func isToken(_ byte: UInt8) -> Bool { byte < 128 && tokenTable[Int(byte)] }
    @inline(__always) static func isURIChar(_ byte: UInt8) -> Bool { byte < 128 && uriTable[Int(byte)] }
    @inline(__always) static func isWord(_ byte: UInt8) -> Bool { byte < 128 && wordTable[Int(byte)] }
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

    private static func table(_ predicate: (UInt8) -> Bool) -> [Bool] {
        (0..<128).map { predicate(UInt8($0)) }
    }
}
