/// What a message's header fields may look like for the SBC to act on them and copy them to the
/// other leg (keys `sip.max_header_length` and `sip.max_headers`; docs/SIP.md "What the SBC
/// forwards").
///
/// Why: a B2BUA copies end-to-end headers it does not understand, so whatever the parser
/// tolerates reaches the far side. A carrier's parser is not ours: a 30 KB header line or a bare
/// CR inside a value crashed SIPp carriers in the lab (issue 14). The parser stays liberal (RFC
/// 4475 wants odd but legal messages accepted); these limits are the edge's own, checked on every
/// request before it is routed (400 with a reason naming the header) and on every field before
/// it is copied (an unfit field is left out).
public struct SIPHeaderLimits: Sendable, Equatable {
    /// Longest header line, name and value, in bytes (default 4096).
    public var maxHeaderLength: Int
    /// Most header lines in one message (default 64).
    public var maxHeaders: Int

    public static let defaultMaxHeaderLength = 4096
    public static let defaultMaxHeaders = 64
    public static let standard = SIPHeaderLimits()

    public init(maxHeaderLength: Int = SIPHeaderLimits.defaultMaxHeaderLength,
                maxHeaders: Int = SIPHeaderLimits.defaultMaxHeaders) {
        self.maxHeaderLength = maxHeaderLength
        self.maxHeaders = maxHeaders
    }

    /// Why one field is unfit to forward, as a reason phrase, or nil if it is fine: longer than
    /// the limit, or holding a bare CR, a bare LF or a NUL that is not a quoted-pair. CR and LF are
    /// illegal in every header value (RFC 3261 25.1: only folding, which the parser unfolded); a
    /// NUL is legal only escaped inside a quoted string (RFC 4475 intmeth), and a C parser on the
    /// far side would cut the line there.
    public func problem(with field: SIPHeaderField) -> String? {
        var value = field.value
        let length = value.utf8.count
        if field.rawName.utf8.count + 2 + length > maxHeaderLength {
            return "\(field.rawName) header longer than \(maxHeaderLength) bytes"
        }
        // Every field of every request passes here: scan the contiguous bytes for the three
        // control characters and only look back at the backslashes before a NUL when one turns up.
        let found: UInt8? = value.withUTF8 { bytes in
            for index in bytes.indices where bytes[index] <= SIPGrammar.cr {
                let byte = bytes[index]
                if byte == SIPGrammar.cr || byte == SIPGrammar.lf { return byte }
                guard byte == 0 else { continue }
                var backslashes = 0
                while backslashes < index, bytes[index - backslashes - 1] == 0x5C { backslashes += 1 }
                if backslashes % 2 == 0 { return byte }
            }
            return nil
        }
        switch found {
        case nil: return nil
        case 0?: return "NUL inside the \(field.rawName) header"
        case let byte?: return "\(byte == SIPGrammar.cr ? "CR" : "LF") inside the \(field.rawName) header"
        }
    }

    /// Whether `field` may be copied to the other leg.
    public func allows(_ field: SIPHeaderField) -> Bool { problem(with: field) == nil }

    /// The 400 a request gets at the edge, or nil: too many header lines, or the first unfit field.
    public func rejection(for request: SIPMessage) -> SIPRejection? {
        if request.headers.count > maxHeaders {
            return SIPRejection(statusCode: 400, reason: "Too many headers (\(request.headers.count), limit \(maxHeaders))")
        }
        for field in request.headers {
            if let problem = problem(with: field) { return SIPRejection(statusCode: 400, reason: problem) }
        }
        return nil
    }
}
