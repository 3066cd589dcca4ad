/// Byte-level helpers shared by the SDP line parsers. SDP is ASCII apart from free text (s=, i=),
/// so fields are split and numbers read on UTF-8 bytes: a body is parsed per INVITE and
/// re-INVITE, and neither Foundation nor regex is needed for a grammar this small.
enum SDPGrammar {
    /// Bytes of a body being parsed. Slices of borrowed storage rather than `ArraySlice`, whose
    /// every slicing retains the array: with one slice per line and per field, reference
    /// counting was most of the parse time.
    typealias Bytes = Slice<UnsafeBufferPointer<UInt8>>

    static let space: UInt8 = 0x20
    static let tab: UInt8 = 0x09
    static let cr: UInt8 = 0x0D
    static let lf: UInt8 = 0x0A
    static let slash: UInt8 = 0x2F
    static let colon: UInt8 = 0x3A
    static let equals: UInt8 = 0x3D

    /// A control character RFC 8866's `byte-string` leaves out (NUL, CR, LF) or that the SBC
    /// refuses as policy (the other C0 controls but HTAB): a peer parsing SDP as C strings or
    /// by lines must never get such bytes from the SBC.
    @inline(__always) static func isForbiddenControl(_ byte: UInt8) -> Bool { byte < space && byte != tab }
    @inline(__always) static func isDigit(_ byte: UInt8) -> Bool { byte >= 0x30 && byte <= 0x39 }
    @inline(__always) static func isLetter(_ byte: UInt8) -> Bool {
        (byte >= 0x41 && byte <= 0x5A) || (byte >= 0x61 && byte <= 0x7A)
    }

    @inline(__always) static func lowercased(_ byte: UInt8) -> UInt8 {
        byte >= 0x41 && byte <= 0x5A ? byte | 0x20 : byte
    }

    /// Space-separated fields. RFC 8866 asks for exactly one SP between fields; runs of spaces
    /// are accepted because refusing a call over them helps nobody, and the canonical output
    /// puts single spaces back.
    static func fields(_ bytes: Bytes) -> [Bytes] {
        bytes.split(separator: space)
    }

    static func string(_ bytes: Bytes) -> String { String(decoding: bytes, as: UTF8.self) }

    /// An unsigned decimal of digits only (no sign, no blanks), refusing overflow and values
    /// above `max` rather than wrapping them.
    static func decimal<C: Collection<UInt8>>(_ bytes: C, max: UInt64) -> UInt64? {
        guard !bytes.isEmpty else { return nil }
        var value: UInt64 = 0
        for byte in bytes {
            guard isDigit(byte) else { return nil }
            let (times, o1) = value.multipliedReportingOverflow(by: 10)
            let (sum, o2) = times.addingReportingOverflow(UInt64(byte - 0x30))
            guard !o1, !o2, sum <= max else { return nil }
            value = sum
        }
        return value
    }

    /// Whether `bytes` is all digits (a number, possibly too large for any field).
    static func isNumeric<C: Collection<UInt8>>(_ bytes: C) -> Bool {
        !bytes.isEmpty && bytes.allSatisfy(isDigit)
    }

    static func equalsIgnoringASCIICase<A: Collection<UInt8>, B: Collection<UInt8>>(_ a: A, _ b: B) -> Bool {
        guard a.count == b.count else { return false }
        return zip(a, b).allSatisfy { lowercased($0) == lowercased($1) }
    }

    /// `text` cut to a length that keeps error messages readable when a peer sends garbage.
    static func excerpt(_ bytes: Bytes, limit: Int = 40) -> String {
        bytes.count <= limit ? string(bytes) : string(bytes.prefix(limit)) + "..."
    }
}
