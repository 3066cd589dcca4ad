/// The `503 Service Unavailable` of a new call refused by overload control, built from the
/// INVITE's bytes without parsing it (docs/OVERLOAD.md).
///
/// Why not the parser: in a storm the SBC refuses two calls for every one it takes, so the cost of
/// a refusal is paid at twice the rate of the calls it protects. Parsing the INVITE into a
/// `SIPMessage`, building the response as one and serialising it cost about a tenth of a whole
/// call; copying five header lines costs a fraction of that. RFC 3261 8.2.6.2 is all a response
/// needs: every Via in order, From, To with a tag added, Call-ID and CSeq, copied as they came
/// (compact forms and folded continuation lines included).
///
/// A request that lacks one of them, or is not a request at all, gets nothing here: the caller
/// falls back to the parser, which decides whether it can be answered.
struct StatelessRefusal {
    /// The To-tag prefix; its ACKs are dropped before the parser (`SIPRequestPeek.isAck`).
    let tagPrefix: [UInt8]
    /// The Server header sent (`security.server_header`), nil for none.
    let server: String?
    /// Per refusal reason: Reason, Retry-After, Server, Content-Length and the blank line.
    private let tails: [AdmissionControl.Refusal: [UInt8]]
    /// Tags are `prefix` + 8 hex digits: a random start, then counted, so two refusals in one
    /// storm never share a tag and no system call is made per refusal.
    private var nextTag: UInt32

    static let statusLine: [UInt8] = Array("SIP/2.0 503 Service Unavailable\r\n".utf8)

    init(tagPrefix: [UInt8], retryAfter: Int, server: String?, tagSeed: UInt32 = .random(in: 0...UInt32.max)) {
        self.tagPrefix = tagPrefix
        self.server = server
        nextTag = tagSeed
        var tails: [AdmissionControl.Refusal: [UInt8]] = [:]
        for refusal in AdmissionControl.Refusal.allCases {
            var tail = "Reason: SIP;cause=503;text=\"\(refusal.text)\"\r\n"
            if retryAfter > 0 { tail += "Retry-After: \(retryAfter)\r\n" }
            if let server { tail += "Server: \(server)\r\n" }
            tail += "Content-Length: 0\r\n\r\n"
            tails[refusal] = Array(tail.utf8)
        }
        self.tails = tails
    }

    /// The 503's bytes for `request`, or nil when it is not a request with Via, From, To,
    /// Call-ID and CSeq.
    mutating func response(to request: UnsafeRawBufferPointer, _ refusal: AdmissionControl.Refusal) -> [UInt8]? {
        guard let lines = Self.copiedLines(request) else { return nil }
        var out: [UInt8] = []
        out.reserveCapacity(request.count / 2 + 200)
        out.append(contentsOf: Self.statusLine)
        for range in lines.vias { Self.appendLine(request, range, to: &out) }
        Self.appendLine(request, lines.from, to: &out)
        // The To line with our tag before its line end.
        out.append(contentsOf: UnsafeRawBufferPointer(rebasing: request[lines.to]))
        out.append(contentsOf: [UInt8(ascii: ";"), UInt8(ascii: "t"), UInt8(ascii: "a"), UInt8(ascii: "g"), UInt8(ascii: "=")])
        out.append(contentsOf: tagPrefix)
        Self.appendHex(nextTag, to: &out)
        nextTag &+= 1
        out.append(contentsOf: [13, 10])
        Self.appendLine(request, lines.callID, to: &out)
        Self.appendLine(request, lines.cseq, to: &out)
        out.append(contentsOf: tails[refusal] ?? [])
        return out
    }

    mutating func response(to request: [UInt8], _ refusal: AdmissionControl.Refusal) -> [UInt8]? {
        request.withUnsafeBytes { response(to: $0, refusal) }
    }

    /// The Call-ID of a request, for the refusal's log line (only built when debug logging is
    /// on: the metadata is an autoclosure).
    static func callID(of request: [UInt8]) -> String? {
        request.withUnsafeBytes { bytes -> String? in
            guard let range = copiedLines(bytes)?.callID else { return nil }
            var start = range.lowerBound
            while start < range.upperBound, bytes[start] != UInt8(ascii: ":") { start += 1 }
            start += 1
            while start < range.upperBound, bytes[start] == 32 || bytes[start] == 9 { start += 1 }
            guard start < range.upperBound else { return nil }
            return String(decoding: UnsafeRawBufferPointer(rebasing: bytes[start..<range.upperBound]), as: UTF8.self)
        }
    }

    /// Byte ranges of the header lines to copy: each without its final line end, continuation
    /// lines included.
    struct Lines {
        var vias: [Range<Int>] = []
        var from: Range<Int>
        var to: Range<Int>
        var callID: Range<Int>
        var cseq: Range<Int>
    }

    enum Header { case via, from, to, callID, cseq, other }

    static func copiedLines(_ bytes: UnsafeRawBufferPointer) -> Lines? {
        // A response starts with "SIP/": never answered.
        guard bytes.count > 8, !(bytes[0] == UInt8(ascii: "S") && bytes[1] == UInt8(ascii: "I")) else { return nil }
        var vias: [Range<Int>] = []
        var from: Range<Int>?, to: Range<Int>?, callID: Range<Int>?, cseq: Range<Int>?
        /// The header being read: its kind and its bytes so far (continuation lines included).
        var current: (header: Header, range: Range<Int>)?
        func close() {
            guard let (header, range) = current else { return }
            switch header {
            case .via: vias.append(range)
            case .from: if from == nil { from = range }
            case .to: if to == nil { to = range }
            case .callID: if callID == nil { callID = range }
            case .cseq: if cseq == nil { cseq = range }
            case .other: break
            }
            current = nil
        }
        var lineStart = 0
        var requestLine = true
        var ended = false
        while lineStart < bytes.count {
            var lineEnd = lineStart
            while lineEnd < bytes.count, bytes[lineEnd] != 10 { lineEnd += 1 }
            guard lineEnd < bytes.count else { break }
            let contentEnd = lineEnd > lineStart && bytes[lineEnd - 1] == 13 ? lineEnd - 1 : lineEnd
            if requestLine {
                requestLine = false
            } else if contentEnd == lineStart {
                ended = true
                break
            } else if bytes[lineStart] == 32 || bytes[lineStart] == 9 {
                // A folded continuation belongs to the header before it.
                if let (header, range) = current { current = (header, range.lowerBound..<contentEnd) }
            } else {
                close()
                current = (header(bytes, lineStart, contentEnd), lineStart..<contentEnd)
            }
            lineStart = lineEnd + 1
        }
        close()
        guard ended, !vias.isEmpty, let from, let to, let callID, let cseq else { return nil }
        return Lines(vias: vias, from: from, to: to, callID: callID, cseq: cseq)
    }

    /// Which header a line starts, by its name (any case; compact forms v, f, t, i).
    static func header(_ bytes: UnsafeRawBufferPointer, _ start: Int, _ end: Int) -> Header {
        var nameEnd = start
        while nameEnd < end, bytes[nameEnd] != UInt8(ascii: ":"), bytes[nameEnd] != 32, bytes[nameEnd] != 9 { nameEnd += 1 }
        var colon = nameEnd
        while colon < end, bytes[colon] == 32 || bytes[colon] == 9 { colon += 1 }
        guard colon < end, bytes[colon] == UInt8(ascii: ":") else { return .other }
        let name = UnsafeRawBufferPointer(rebasing: bytes[start..<nameEnd])
        for (candidate, header) in names where equalsIgnoringCase(name, candidate) { return header }
        return .other
    }

    private static let names: [([UInt8], Header)] = [
        (Array("via".utf8), .via), (Array("v".utf8), .via), (Array("from".utf8), .from), (Array("f".utf8), .from),
        (Array("to".utf8), .to), (Array("t".utf8), .to), (Array("call-id".utf8), .callID), (Array("i".utf8), .callID),
        (Array("cseq".utf8), .cseq),
    ]

    private static func equalsIgnoringCase(_ bytes: UnsafeRawBufferPointer, _ lower: [UInt8]) -> Bool {
        guard bytes.count == lower.count else { return false }
        for i in 0..<lower.count where bytes[i] | 0x20 != lower[i] { return false }
        return true
    }

    private static func appendLine(_ bytes: UnsafeRawBufferPointer, _ range: Range<Int>, to out: inout [UInt8]) {
        out.append(contentsOf: UnsafeRawBufferPointer(rebasing: bytes[range]))
        out.append(contentsOf: [13, 10])
    }

    private static let hexDigits: [UInt8] = Array("0123456789abcdef".utf8)

    private static func appendHex(_ value: UInt32, to out: inout [UInt8]) {
        for shift in stride(from: 28, through: 0, by: -4) { out.append(hexDigits[Int(value >> UInt32(shift) & 0xF)]) }
    }
}
