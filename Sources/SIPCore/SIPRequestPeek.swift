/// A look at raw bytes that tells an out-of-dialog INVITE (a new call) from everything else,
/// without parsing the message: the request line's method and whether the `To` header has a
/// tag. Overload control runs it on every message before the parser, so it only scans bytes:
/// no allocation, and messages that do not start with `INVITE ` cost a 7-byte compare.
///
/// It is a screen, not a validator: a malformed message that looks like a new INVITE is refused
/// under overload like any other (the answer then needs a parse, which only refused messages pay).
public enum SIPRequestPeek {
    private static let invite: [UInt8] = Array("INVITE ".utf8)

    /// True for an INVITE request whose `To` (or compact `t`) header has no `tag` parameter.
    public static func isNewCall(_ bytes: UnsafeRawBufferPointer) -> Bool {
        guard bytes.count > invite.count else { return false }
        for i in 0..<invite.count where bytes[i] != invite[i] { return false }
        return toTagStart(bytes) == nil
    }

    public static func isNewCall(_ bytes: [UInt8]) -> Bool {
        bytes.withUnsafeBytes { isNewCall($0) }
    }

    private static let ack: [UInt8] = Array("ACK ".utf8)

    /// True for an ACK whose `To` tag starts with `tagPrefix`: the ACK of a response the SBC sent
    /// statelessly with such a tag (overload 503s), which needs no parse and no transaction.
    public static func isAck(_ bytes: [UInt8], toTagPrefix tagPrefix: [UInt8]) -> Bool {
        bytes.withUnsafeBytes { raw in
            guard raw.count > ack.count else { return false }
            for i in 0..<ack.count where raw[i] != ack[i] { return false }
            guard let start = toTagStart(raw), start + tagPrefix.count <= raw.count else { return false }
            for i in 0..<tagPrefix.count where raw[start + i] != tagPrefix[i] { return false }
            return true
        }
    }

    /// Scans header lines up to the blank line for the first `To:`/`t:`; the index where its
    /// tag's value starts, nil without a tag.
    static func toTagStart(_ bytes: UnsafeRawBufferPointer) -> Int? {
        var lineStart = 0
        // Skip the request line.
        while lineStart < bytes.count, bytes[lineStart] != 10 { lineStart += 1 }
        lineStart += 1
        while lineStart < bytes.count {
            var lineEnd = lineStart
            while lineEnd < bytes.count, bytes[lineEnd] != 10 { lineEnd += 1 }
            let contentEnd = lineEnd > lineStart && bytes[lineEnd - 1] == 13 ? lineEnd - 1 : lineEnd
            if contentEnd == lineStart { return nil }  // end of headers, no To seen
            if let valueStart = toValueStart(bytes, lineStart, contentEnd) {
                return tagValueStart(bytes, valueStart, contentEnd)
            }
            lineStart = lineEnd + 1
        }
        return nil
    }

    /// Where the value of a `To`/`t` header line starts, or nil for another header.
    private static func toValueStart(_ bytes: UnsafeRawBufferPointer, _ start: Int, _ end: Int) -> Int? {
        guard start < end, bytes[start] | 0x20 == UInt8(ascii: "t") else { return nil }
        var i = start + 1
        if i < end, bytes[i] | 0x20 == UInt8(ascii: "o") { i += 1 }
        while i < end, bytes[i] == 32 || bytes[i] == 9 { i += 1 }
        guard i < end, bytes[i] == UInt8(ascii: ":") else { return nil }
        return i + 1
    }

    /// Where the value of a `;tag=` (any case, spaces allowed around `;` and `=`) outside `<...>`
    /// and quotes starts.
    private static func tagValueStart(_ bytes: UnsafeRawBufferPointer, _ start: Int, _ end: Int) -> Int? {
        var inAngle = false
        var inQuote = false
        var i = start
        while i < end {
            let byte = bytes[i]
            if inQuote {
                if byte == UInt8(ascii: "\\") { i += 1 } else if byte == UInt8(ascii: "\"") { inQuote = false }
            } else if byte == UInt8(ascii: "\"") {
                inQuote = true
            } else if byte == UInt8(ascii: "<") {
                inAngle = true
            } else if byte == UInt8(ascii: ">") {
                inAngle = false
            } else if byte == UInt8(ascii: ";"), !inAngle {
                var j = i + 1
                while j < end, bytes[j] == 32 || bytes[j] == 9 { j += 1 }
                if j + 3 <= end, bytes[j] | 0x20 == UInt8(ascii: "t"), bytes[j + 1] | 0x20 == UInt8(ascii: "a"),
                   bytes[j + 2] | 0x20 == UInt8(ascii: "g") {
                    var k = j + 3
                    while k < end, bytes[k] == 32 || bytes[k] == 9 { k += 1 }
                    if k < end, bytes[k] == UInt8(ascii: "=") {
                        k += 1
                        while k < end, bytes[k] == 32 || bytes[k] == 9 { k += 1 }
                        return k
                    }
                }
            }
            i += 1
        }
        return nil
    }
}
