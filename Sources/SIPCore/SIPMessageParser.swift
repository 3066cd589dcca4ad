/// Turns bytes into a validated `SIPMessage`.
///
/// Strict where a mistake would mis-route or mis-match (start line, Via, From/To, Call-ID, CSeq,
/// Content-Length, Contact, Route) and liberal elsewhere: unknown headers and bodies are carried
/// untouched. Datagram semantics: bytes after Content-Length are ignored (RFC 3261 18.3), and a
/// missing Content-Length means "the rest of the datagram".
public enum SIPMessageParser {
    public static func parse(_ bytes: [UInt8]) throws(SIPParseError) -> SIPMessage {
        var start = 0
        while start + 1 < bytes.count, bytes[start] == SIPGrammar.cr, bytes[start + 1] == SIPGrammar.lf {
            start += 2
        }
        guard start < bytes.count else { throw SIPParseError("Empty message") }
        guard let (headerEnd, bodyStart) = findHeaderEnd(bytes, from: start) else {
            throw SIPParseError("Truncated message: no blank line after the headers",
                                partialMessage: try? readHead(bytes, start..<bytes.count).message)
        }
        let head = try readHead(bytes, start..<headerEnd)
        var message = head.message
        if let error = head.startLineError {
            throw SIPParseError(error.reason, statusCode: error.statusCode, partialMessage: message)
        }
        do throws(SIPParseError) {
            try validate(message)
        } catch {
            throw SIPParseError(error.reason, statusCode: error.statusCode, partialMessage: message)
        }
        let available = bytes.count - bodyStart
        if let length = message.contentLength {
            guard length <= available else {
                throw SIPParseError("Content-Length \(length) larger than the \(available) body bytes received",
                                    partialMessage: message)
            }
            message.body = Array(bytes[bodyStart..<(bodyStart + length)])
        } else {
            message.body = Array(bytes[bodyStart...])
        }
        return message
    }

    private static func findHeaderEnd(_ bytes: [UInt8], from start: Int) -> (Int, Int)? {
        var index = start
        while index + 1 < bytes.count {
            if bytes[index] == SIPGrammar.lf {
                if bytes[index + 1] == SIPGrammar.lf { return (index, index + 2) }
                if bytes[index + 1] == SIPGrammar.cr, index + 2 < bytes.count, bytes[index + 2] == SIPGrammar.lf {
                    return (index, index + 3)
                }
            }
            index += 1
        }
        return nil
    }

    private struct Head {
        var message: SIPMessage
        var startLineError: SIPParseError?
    }

    /// Splits lines (CRLF, tolerating bare LF), unfolds continuation lines and reads the start line.
    private static func readHead(_ bytes: [UInt8], _ range: Range<Int>) throws(SIPParseError) -> Head {
        var lines: [ArraySlice<UInt8>] = []
        var lineStart = range.lowerBound
        for index in range where bytes[index] == SIPGrammar.lf {
            var end = index
            if end > lineStart, bytes[end - 1] == SIPGrammar.cr { end -= 1 }
            lines.append(bytes[lineStart..<end])
            lineStart = index + 1
        }
        if lineStart < range.upperBound {
            var end = range.upperBound
            if bytes[end - 1] == SIPGrammar.cr { end -= 1 }
            lines.append(bytes[lineStart..<end])
        }
        guard let first = lines.first, !first.isEmpty else { throw SIPParseError("Missing start line") }
        guard !first.contains(where: { $0 < 0x20 && $0 != SIPGrammar.tab }) else {
            throw SIPParseError("Control characters in the start line")
        }

        var headers: [SIPHeaderField] = []
        headers.reserveCapacity(lines.count)
        var badHeader: String?
        for line in lines.dropFirst() {
            if let lead = line.first, SIPGrammar.isWhitespace(lead) {
                guard !headers.isEmpty else {
                    badHeader = badHeader ?? "Continuation line before any header"
                    continue
                }
                headers[headers.count - 1].value += " " + String(decoding: line, as: UTF8.self).trimmingWhitespace()
                continue
            }
            guard let colon = line.firstIndex(of: SIPGrammar.colon) else {
                badHeader = badHeader ?? "Header line without a colon"
                continue
            }
            let name = String(decoding: line[line.startIndex..<colon], as: UTF8.self).trimmingWhitespace()
            guard SIPGrammar.isToken(name) else {
                badHeader = badHeader ?? "Invalid header name"
                continue
            }
            let value = String(decoding: line[(colon + 1)...], as: UTF8.self).trimmingWhitespace()
            headers.append(SIPHeaderField(rawName: name, value: value))
        }
        let (startLine, startLineError) = parseStartLine(String(decoding: first, as: UTF8.self))
        let message = SIPMessage(startLine: startLine, headers: headers)
        if let badHeader { throw SIPParseError(badHeader, partialMessage: message) }
        return Head(message: message, startLineError: startLineError)
    }

    /// Request-Line = Method SP Request-URI SP SIP-Version; Status-Line = SIP-Version SP
    /// Status-Code SP Reason-Phrase. Exactly one SP between elements (RFC 4475 lwsstart, trws).
    private static func parseStartLine(_ line: String) -> (SIPMessage.StartLine, SIPParseError?) {
        if line.hasPrefix("SIP/") {
            let parts = line.split(separator: " ", maxSplits: 2, omittingEmptySubsequences: false)
            let reason = parts.count > 2 ? String(parts[2]) : ""
            guard parts.count >= 2, parts[1].utf8.count == 3,
                  let code = SIPGrammar.boundedDecimal(parts[1], max: 699), code >= 100
            else {
                return (.response(statusCode: 0, reason: reason), SIPParseError("Invalid status code"))
            }
            let start = SIPMessage.StartLine.response(statusCode: Int(code), reason: reason)
            guard parts[0] == "SIP/2.0" else {
                return (start, SIPParseError("Unsupported SIP version \(parts[0])", statusCode: 505))
            }
            return (start, nil)
        }
        let parts = line.split(separator: " ", omittingEmptySubsequences: false)
        let method = SIPMethod(parts.first.map(String.init) ?? "")
        let uri = parts.count > 1 ? String(parts[1]) : ""
        let start = SIPMessage.StartLine.request(method: method, uri: uri)
        guard parts.count == 3 else {
            return (start, SIPParseError("Malformed request line: expected 'METHOD URI SIP/2.0' with single spaces"))
        }
        guard SIPGrammar.isToken(method.name) else { return (start, SIPParseError("Invalid method name")) }
        guard parts[2].uppercased().hasPrefix("SIP/") else {
            return (start, SIPParseError("Malformed request line: no SIP version"))
        }
        guard parts[2].uppercased() == "SIP/2.0" else {
            return (start, SIPParseError("Unsupported SIP version \(parts[2])", statusCode: 505))
        }
        guard let parsed = SIPURI(parsing: uri) else { return (start, SIPParseError("Malformed Request-URI")) }
        guard !parsed.isSIP || parsed.headers == nil else {
            return (start, SIPParseError("Headers are not allowed in the Request-URI"))
        }
        return (start, nil)
    }

    private static func validate(_ message: SIPMessage) throws(SIPParseError) {
        for name in [SIPHeaderName.via, .from, .to, .callID, .cseq] where !message.contains(name) {
            throw SIPParseError("Missing \(name.displayName) header")
        }
        for name in SIPHeaderName.singleValued where message.values(name).count > 1 {
            throw SIPParseError("Multiple \(name.displayName) headers")
        }
        for value in message.values(.via) where SIPVia.parseList(value) == nil {
            throw SIPParseError("Malformed Via header")
        }
        guard message.from != nil else { throw SIPParseError("Malformed From header") }
        guard message.to != nil else { throw SIPParseError("Malformed To header") }
        guard let callID = message.callID, isValidCallID(callID) else { throw SIPParseError("Malformed Call-ID header") }
        guard let cseq = message.cseq else { throw SIPParseError("Malformed CSeq header") }
        if let method = message.method, cseq.method != method {
            // RFC 4475 mismatch02: for an unknown method 501 is the future-proof answer.
            throw SIPParseError("CSeq method \(cseq.method) does not match request method \(method)",
                                statusCode: SIPMethod.known.contains(method) ? 400 : 501)
        }
        if message.contains(.maxForwards), message.maxForwards == nil {
            throw SIPParseError("Max-Forwards must be 0-255")
        }
        if message.contains(.contentLength), message.contentLength == nil {
            throw SIPParseError("Malformed Content-Length header")
        }
        for value in message.values(.contact) where value != "*" && SIPNameAddress.parseList(value) == nil {
            throw SIPParseError("Malformed Contact header")
        }
        for name in [SIPHeaderName.route, .recordRoute] {
            for value in message.values(name) where SIPNameAddress.parseList(value) == nil {
                throw SIPParseError("Malformed \(name.displayName) header")
            }
        }
    }

    /// callid = word [ "@" word ]
    private static func isValidCallID(_ value: String) -> Bool {
        let parts = value.utf8.split(separator: SIPGrammar.at, omittingEmptySubsequences: false)
        return (1...2).contains(parts.count) && parts.allSatisfy { !$0.isEmpty && $0.allSatisfy(SIPGrammar.isWord) }
    }
}

extension SIPMessage {
    /// Parses and validates a datagram (or a message already framed from a stream).
    public init(parsing bytes: [UInt8]) throws(SIPParseError) {
        self = try SIPMessageParser.parse(bytes)
    }
}
