// A deliberately small, lenient SIP message reader for assertions (not the SBC's parser).
import Foundation

struct SIPHeader: Sendable, Hashable {
    let name: String
    let value: String
}

struct SIPMessage: Sendable, CustomStringConvertible {
    let startLine: String
    let headers: [SIPHeader]
    let body: String
    let raw: String

    private static let compact: [String: String] = [
        "v": "via", "f": "from", "t": "to", "i": "call-id", "m": "contact", "l": "content-length",
        "c": "content-type", "k": "supported", "s": "subject", "e": "content-encoding", "o": "event",
        "r": "refer-to", "b": "referred-by", "x": "session-expires", "u": "allow-events",
    ]

    static func canonical(_ name: String) -> String {
        let lower = name.trimmingCharacters(in: .whitespaces).lowercased()
        return compact[lower] ?? lower
    }

    init?(bytes: [UInt8]) {
        self.init(text: String(decoding: bytes, as: UTF8.self))
    }

    init?(text: String) {
        let normalized = text.replacingOccurrences(of: "\r\n", with: "\n")
        var lines = normalized.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        while let first = lines.first, first.trimmingCharacters(in: .whitespaces).isEmpty { lines.removeFirst() }
        guard let start = lines.first, start.contains("SIP/2.0") else { return nil }
        var headers: [SIPHeader] = []
        var index = 1
        while index < lines.count, !lines[index].isEmpty {
            let line = lines[index]
            if let first = line.first, first == " " || first == "\t", let last = headers.popLast() {
                // folded continuation line
                headers.append(SIPHeader(name: last.name, value: last.value + " " + line.trimmingCharacters(in: .whitespaces)))
            } else if let colon = line.firstIndex(of: ":") {
                headers.append(SIPHeader(
                    name: String(line[..<colon]).trimmingCharacters(in: .whitespaces),
                    value: String(line[line.index(after: colon)...]).trimmingCharacters(in: .whitespaces)))
            }
            index += 1
        }
        let bodyLines = index + 1 < lines.count ? Array(lines[(index + 1)...]) : []
        self.startLine = start.trimmingCharacters(in: .whitespaces)
        self.headers = headers
        self.body = bodyLines.joined(separator: "\n")
        self.raw = text
    }

    var description: String { startLine }

    var isResponse: Bool { startLine.hasPrefix("SIP/2.0 ") }
    var isRequest: Bool { !isResponse }

    /// Request method, nil for responses.
    var method: String? {
        guard isRequest else { return nil }
        return startLine.split(separator: " ").first.map(String.init)
    }

    var requestURI: String? {
        guard isRequest else { return nil }
        let parts = startLine.split(separator: " ")
        return parts.count >= 2 ? String(parts[1]) : nil
    }

    var statusCode: Int? {
        guard isResponse else { return nil }
        let parts = startLine.split(separator: " ", maxSplits: 2)
        return parts.count >= 2 ? Int(parts[1]) : nil
    }

    /// The reason phrase of a response ("" if there is none).
    var reasonPhrase: String? {
        guard isResponse else { return nil }
        let parts = startLine.split(separator: " ", maxSplits: 2)
        return parts.count == 3 ? String(parts[2]).trimmingCharacters(in: .whitespaces) : ""
    }

    /// All values of a header (full or compact name), in order; comma-separated values are split
    /// for the headers that allow lists of addresses (Via, Contact, Route, Record-Route).
    func values(_ name: String) -> [String] {
        let wanted = Self.canonical(name)
        let matching = headers.filter { Self.canonical($0.name) == wanted }.map(\.value)
        guard ["via", "contact", "route", "record-route"].contains(wanted) else { return matching }
        return matching.flatMap(Self.splitList)
    }

    func first(_ name: String) -> String? { values(name).first }

    var callID: String? { first("Call-ID") }

    var cseqNumber: Int? {
        first("CSeq").flatMap { $0.split(separator: " ").first }.flatMap { Int($0) }
    }

    var cseqMethod: String? {
        first("CSeq").flatMap { $0.split(separator: " ").dropFirst().first }.map(String.init)
    }

    var topViaBranch: String? {
        guard let via = first("Via") else { return nil }
        return Self.parameter("branch", in: via)
    }

    /// The `tag` parameter of From or To.
    func tag(_ header: String) -> String? {
        first(header).flatMap { Self.parameter("tag", in: $0) }
    }

    static func parameter(_ name: String, in value: String) -> String? {
        for part in value.split(separator: ";").dropFirst() {
            let kv = part.split(separator: "=", maxSplits: 1)
            if kv.first.map({ $0.trimmingCharacters(in: .whitespaces).lowercased() }) == name.lowercased() {
                return kv.count == 2 ? String(kv[1]).trimmingCharacters(in: CharacterSet(charactersIn: " >\t")) : ""
            }
        }
        return nil
    }

    /// Splits "a, <sip:b>;x=1, c" on commas outside <> and quotes.
    static func splitList(_ value: String) -> [String] {
        var out: [String] = []
        var current = ""
        var inAngle = false
        var inQuote = false
        for ch in value {
            switch ch {
            case "\"": inQuote.toggle(); current.append(ch)
            case "<" where !inQuote: inAngle = true; current.append(ch)
            case ">" where !inQuote: inAngle = false; current.append(ch)
            case "," where !inAngle && !inQuote:
                out.append(current.trimmingCharacters(in: .whitespaces)); current = ""
            default: current.append(ch)
            }
        }
        let last = current.trimmingCharacters(in: .whitespaces)
        if !last.isEmpty { out.append(last) }
        return out
    }
}

/// True if `ip` occurs in `text` as a whole address (127.0.1.10 does not match 127.0.1.100).
func containsAddress(_ text: String, _ ip: String) -> Bool {
    var searchStart = text.startIndex
    while let range = text.range(of: ip, range: searchStart..<text.endIndex) {
        let before = range.lowerBound == text.startIndex ? nil : text[text.index(before: range.lowerBound)]
        let after = range.upperBound == text.endIndex ? nil : text[range.upperBound]
        let digitOrDot: (Character?) -> Bool = { c in c.map { $0.isNumber || $0 == "." } ?? false }
        if !digitOrDot(before) && !digitOrDot(after) { return true }
        searchStart = range.upperBound
    }
    return false
}

/// Hand-written SIP requests for the raw-socket tests.
enum RawSIP {
    static func branch() -> String { "z9hG4bK-itest-" + UUID().uuidString.prefix(18).lowercased() }
    static func callID(_ local: Endpoint) -> String { UUID().uuidString.lowercased() + "@" + local.ip }
    static func tag() -> String { String(UUID().uuidString.prefix(8)).lowercased() }

    static func options(from local: Endpoint, to sbc: Endpoint, callID: String, branch: String, cseq: Int = 1) -> String {
        lines([
            "OPTIONS sip:\(sbc.ip):\(sbc.port) SIP/2.0",
            "Via: SIP/2.0/UDP \(local.ip):\(local.port);branch=\(branch);rport",
            "Max-Forwards: 70",
            "From: <sip:itest@\(local.ip)>;tag=\(tag())",
            "To: <sip:\(sbc.ip):\(sbc.port)>",
            "Call-ID: \(callID)",
            "CSeq: \(cseq) OPTIONS",
            "Contact: <sip:itest@\(local.ip):\(local.port)>",
            "Accept: application/sdp",
            "Content-Length: 0",
        ])
    }

    static let sdp = lines([
        "v=0",
        "o=itest 1 1 IN IP4 127.0.0.1",
        "s=-",
        "c=IN IP4 127.0.0.1",
        "t=0 0",
        "m=audio 49170 RTP/AVP 0",
        "a=rtpmap:0 PCMU/8000",
    ], blankLine: false)

    /// An INVITE; `headerLines` replaces the default header set when given (to build broken ones).
    static func invite(from local: Endpoint, to sbc: Endpoint, user: String = "+15551230000",
                       callID: String, branch: String, fromTag: String,
                       headerLines: [String]? = nil, body: String = RawSIP.sdp) -> String {
        let headers = headerLines ?? inviteHeaders(from: local, to: sbc, user: user, callID: callID,
                                                   branch: branch, fromTag: fromTag, bodyLength: body.utf8.count)
        return lines(["INVITE sip:\(user)@\(sbc.ip):\(sbc.port) SIP/2.0"] + headers) + body
    }

    static func inviteHeaders(from local: Endpoint, to sbc: Endpoint, user: String = "+15551230000",
                              callID: String, branch: String, fromTag: String, bodyLength: Int) -> [String] {
        [
            "Via: SIP/2.0/UDP \(local.ip):\(local.port);branch=\(branch);rport",
            "Max-Forwards: 70",
            "From: <sip:itest@\(local.ip)>;tag=\(fromTag)",
            "To: <sip:\(user)@\(sbc.ip)>",
            "Call-ID: \(callID)",
            "CSeq: 1 INVITE",
            "Contact: <sip:itest@\(local.ip):\(local.port)>",
            "Content-Type: application/sdp",
            "Content-Length: \(bodyLength)",
        ]
    }

    /// The ACK for a non-2xx final response to an INVITE we sent (RFC 3261 17.1.1.3), or nil when
    /// the response lacks what an ACK needs.
    static func ack(for response: SIPMessage, from local: Endpoint, to sbc: Endpoint, requestURI: String,
                    branch: String) -> String? {
        guard let callID = response.callID, let cseq = response.cseqNumber,
              let from = response.first("From"), let to = response.first("To") else { return nil }
        return lines([
            "ACK \(requestURI) SIP/2.0",
            "Via: SIP/2.0/UDP \(local.ip):\(local.port);branch=\(branch);rport",
            "Max-Forwards: 70",
            "From: \(from)",
            "To: \(to)",
            "Call-ID: \(callID)",
            "CSeq: \(cseq) ACK",
            "Content-Length: 0",
        ])
    }

    /// Joins header lines with CRLF and ends the header block with an empty line.
    static func lines(_ lines: [String], blankLine: Bool = true) -> String {
        lines.joined(separator: "\r\n") + "\r\n" + (blankLine ? "\r\n" : "")
    }
}
