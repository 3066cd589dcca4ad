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
            message.index = try validate(message)
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
    /// One pass, line by line: no list of lines is built first.
    private static func readHead(_ bytes: [UInt8], _ range: Range<Int>) throws(SIPParseError) -> Head {
        var startLine: ArraySlice<UInt8>?
        var headers: [SIPHeaderField] = []
        headers.reserveCapacity(16)
        var badHeader: String?
        var lineStart = range.lowerBound
        while lineStart < range.upperBound {
            let lineFeed = bytes[lineStart..<range.upperBound].firstIndex(of: SIPGrammar.lf) ?? range.upperBound
            var end = lineFeed
            if end > lineStart, bytes[end - 1] == SIPGrammar.cr { end -= 1 }
            let line = bytes[lineStart..<end]
            lineStart = lineFeed + 1
            guard startLine != nil else {
                guard !line.isEmpty else { throw SIPParseError("Missing start line") }
                guard !line.contains(where: { $0 < 0x20 && $0 != SIPGrammar.tab }) else {
                    throw SIPParseError("Control characters in the start line")
                }
                startLine = line
                continue
            }
            if let lead = line.first, SIPGrammar.isWhitespace(lead) {
                guard !headers.isEmpty else {
                    badHeader = badHeader ?? "Continuation line before any header"
                    continue
                }
                headers[headers.count - 1].value += " " + trimmedString(line)
                continue
            }
            guard let colon = line.firstIndex(of: SIPGrammar.colon) else {
                badHeader = badHeader ?? "Header line without a colon"
                continue
            }
            var nameEnd = colon
            while nameEnd > line.startIndex, SIPGrammar.isWhitespace(line[nameEnd - 1]) { nameEnd -= 1 }
            let nameBytes = line[line.startIndex..<nameEnd]
            guard !nameBytes.isEmpty, nameBytes.allSatisfy(SIPGrammar.isToken) else {
                badHeader = badHeader ?? "Invalid header name"
                continue
            }
            let (name, spelledAsDisplayName) = SIPHeaderName.parsing(nameBytes)
            let rawName = spelledAsDisplayName ? name.displayName : String(decoding: nameBytes, as: UTF8.self)
            headers.append(SIPHeaderField(name: name, rawName: rawName, value: trimmedString(line[(colon + 1)...])))
        }
        guard let startLine else { throw SIPParseError("Missing start line") }
        let (start, startLineError) = parseStartLine(startLine)
        let message = SIPMessage(startLine: start, headers: headers)
        if let badHeader { throw SIPParseError(badHeader, partialMessage: message) }
        return Head(message: message, startLineError: startLineError)
    }

    /// Request-Line = Method SP Request-URI SP SIP-Version; Status-Line = SIP-Version SP
    /// Status-Code SP Reason-Phrase. Exactly one SP between elements (RFC 4475 lwsstart, trws).
    private static func parseStartLine(_ bytes: ArraySlice<UInt8>) -> (SIPMessage.StartLine, SIPParseError?) {
        let parts = bytes.split(separator: SIPGrammar.space, maxSplits: 2, omittingEmptySubsequences: false)
        func text(_ index: Int) -> String { index < parts.count ? String(decoding: parts[index], as: UTF8.self) : "" }
        if bytes.starts(with: "SIP/".utf8) {
            let reason = text(2)
            guard parts.count >= 2, parts[1].count == 3,
                  let code = SIPGrammar.boundedDecimal(text(1), max: 699), code >= 100
            else {
                return (.response(statusCode: 0, reason: reason), SIPParseError("Invalid status code"))
            }
            let start = SIPMessage.StartLine.response(statusCode: Int(code), reason: reason)
            guard parts[0].elementsEqual("SIP/2.0".utf8) else {
                return (start, SIPParseError("Unsupported SIP version \(text(0))", statusCode: 505))
            }
            return (start, nil)
        }
        let method = SIPMethod(text(0))
        let uri = text(1)
        let start = SIPMessage.StartLine.request(method: method, uri: uri)
        guard parts.count == 3, !parts[2].contains(SIPGrammar.space) else {
            return (start, SIPParseError("Malformed request line: expected 'METHOD URI SIP/2.0' with single spaces"))
        }
        guard SIPGrammar.isToken(method.name) else { return (start, SIPParseError("Invalid method name")) }
        let version = text(2).uppercased()
        guard version.hasPrefix("SIP/") else { return (start, SIPParseError("Malformed request line: no SIP version")) }
        guard version == "SIP/2.0" else {
            return (start, SIPParseError("Unsupported SIP version \(text(2))", statusCode: 505))
        }
        guard let parsed = SIPURI(parsing: uri) else { return (start, SIPParseError("Malformed Request-URI")) }
        guard !parsed.isSIP || parsed.headers == nil else {
            return (start, SIPParseError("Headers are not allowed in the Request-URI"))
        }
        return (start, nil)
    }

    /// Validates what the SBC relies on and returns it typed, so it is parsed only once. One pass
    /// over the header list gathers what is checked.
    private static func validate(_ message: SIPMessage) throws(SIPParseError) -> SIPHeaderIndex {
        var vias: [SIPVia] = []
        var contacts: [SIPNameAddress] = []
        var recordRoutes: [SIPNameAddress] = []
        var single = SingleValuedHeaders()
        for field in message.headers {
            let name = field.name
            switch name.code {
            case SIPHeaderName.Code.from, SIPHeaderName.Code.to, SIPHeaderName.Code.callID, SIPHeaderName.Code.cseq,
                 SIPHeaderName.Code.maxForwards, SIPHeaderName.Code.contentLength, SIPHeaderName.Code.contentType:
                guard single[name.code] == nil else { throw SIPParseError("Multiple \(name.displayName) headers") }
                single[name.code] = field.value
            case SIPHeaderName.Code.via:
                guard let list = SIPVia.parseList(field.value) else { throw SIPParseError("Malformed Via header") }
                vias += list
            case SIPHeaderName.Code.contact:
                guard field.value != "*" else { continue }
                guard let list = SIPNameAddress.parseList(field.value) else {
                    throw SIPParseError("Malformed Contact header")
                }
                contacts += list
            case SIPHeaderName.Code.recordRoute, SIPHeaderName.Code.route:
                guard let list = SIPNameAddress.parseList(field.value) else {
                    throw SIPParseError("Malformed \(name.displayName) header")
                }
                if name.code == SIPHeaderName.Code.recordRoute { recordRoutes += list }
            default:
                break
            }
        }
        guard !vias.isEmpty else { throw SIPParseError("Missing Via header") }
        for name in [SIPHeaderName.from, .to, .callID, .cseq] where single[name.code] == nil {
            throw SIPParseError("Missing \(name.displayName) header")
        }
        guard let from = single[SIPHeaderName.Code.from].flatMap(SIPNameAddress.parse) else {
            throw SIPParseError("Malformed From header")
        }
        guard let to = single[SIPHeaderName.Code.to].flatMap(SIPNameAddress.parse) else {
            throw SIPParseError("Malformed To header")
        }
        guard let callID = single[SIPHeaderName.Code.callID], isValidCallID(callID) else {
            throw SIPParseError("Malformed Call-ID header")
        }
        guard let cseq = single[SIPHeaderName.Code.cseq].flatMap(SIPCSeq.parse) else {
            throw SIPParseError("Malformed CSeq header")
        }
        if let method = message.method, cseq.method != method {
            // RFC 4475 mismatch02: for an unknown method 501 is the future-proof answer.
            throw SIPParseError("CSeq method \(cseq.method) does not match request method \(method)",
                                statusCode: SIPMethod.known.contains(method) ? 400 : 501)
        }
        if let value = single[SIPHeaderName.Code.maxForwards], SIPGrammar.boundedDecimal(value, max: 255) == nil {
            throw SIPParseError("Max-Forwards must be 0-255")
        }
        if let value = single[SIPHeaderName.Code.contentLength], SIPGrammar.boundedDecimal(value, max: UInt64(Int32.max)) == nil {
            throw SIPParseError("Malformed Content-Length header")
        }
        return SIPHeaderIndex(vias: vias, from: from, to: to, cseq: cseq, contacts: contacts,
                              recordRoutes: recordRoutes)
    }

    /// The single-valued headers of one message, one slot per header code (1...11): the checks
    /// above run on every message, and a dictionary here cost more than the checks.
    private struct SingleValuedHeaders {
        private var slots = [String?](repeating: nil, count: 12)

        subscript(code: UInt8) -> String? {
            get { slots[Int(code)] }
            set { slots[Int(code)] = newValue }
        }
    }

    /// Decodes a header name or value without its surrounding SP/HTAB, in one allocation.
    private static func trimmedString(_ bytes: ArraySlice<UInt8>) -> String {
        var start = bytes.startIndex
        var end = bytes.endIndex
        while start < end, SIPGrammar.isWhitespace(bytes[start]) { start += 1 }
        while end > start, SIPGrammar.isWhitespace(bytes[end - 1]) { end -= 1 }
        return String(decoding: bytes[start..<end], as: UTF8.self)
    }

    /// callid = word [ "@" word ]
    private static func isValidCallID(_ value: String) -> Bool {
        var ats = 0
        var previous = SIPGrammar.at
        for byte in value.utf8 {
            if byte == SIPGrammar.at {
                ats += 1
                if previous == SIPGrammar.at { return false }
            } else if !SIPGrammar.isWord(byte) {
                return false
            }
            previous = byte
        }
        return ats <= 1 && previous != SIPGrammar.at
    }
}

extension SIPMessage {
    /// Parses and validates a datagram (or a message already framed from a stream).
    public init(parsing bytes: [UInt8]) throws(SIPParseError) {
        self = try SIPMessageParser.parse(bytes)
    }
}
