/// A SIP request or response: start line, ordered header fields and body bytes.
///
/// Header fields keep their order and spelling so that whatever the SBC does not rewrite goes out
/// as it came in; typed views (`vias`, `cseq`, `from`, ...) are parsed on access. The parser has
/// already validated every header the SBC depends on, so on a parsed message these succeed.
public struct SIPMessage: Sendable, Equatable {
    public enum StartLine: Sendable, Equatable {
        case request(method: SIPMethod, uri: String)
        case response(statusCode: Int, reason: String)
    }

    public var startLine: StartLine
    /// Any change through this view drops the typed-header cache; the named mutators below
    /// (`set`, `add`, `prepend`, `remove`) keep it when the header they touch is not one it holds.
    public var headers: [SIPHeaderField] {
        get { fields }
        set {
            fields = newValue
            index = nil
        }
        _modify {
            index = nil
            yield &fields
        }
    }
    private var fields: [SIPHeaderField]
    public var body: [UInt8]
    /// Typed headers from parsing or from a typed build (`request(_:uri:via:...)`), each dropped
    /// once it may have changed; nil when none is left.
    var index: SIPHeaderIndex?

    public init(startLine: StartLine, headers: [SIPHeaderField] = [], body: [UInt8] = []) {
        self.startLine = startLine
        fields = headers
        self.body = body
        index = nil
    }

    /// Why keep the cache through other edits: the B2BUA rewrites Max-Forwards, Content-Length,
    /// Server and the like on messages whose To, From and Via it then reads again; re-parsing
    /// those name-addresses was about a tenth of the signalling cost per call (issue 15).
    private mutating func changing(_ name: SIPHeaderName) {
        if let index, SIPHeaderIndex.holds(name) { self.index = index.dropping(name) }
    }

    public static func == (lhs: SIPMessage, rhs: SIPMessage) -> Bool {
        lhs.startLine == rhs.startLine && lhs.headers == rhs.headers && lhs.body == rhs.body
    }

    public static func request(_ method: SIPMethod, uri: SIPURI) -> SIPMessage {
        SIPMessage(startLine: .request(method: method, uri: uri.description))
    }

    /// A request with its dialog headers, built from typed values that it keeps typed: the
    /// transaction layer and the B2BUA read the Via, From, To and CSeq of every request the SBC
    /// sends, and parsing back the text just written cost about a twentieth of a call (issue 15).
    public static func request(_ method: SIPMethod, uri: SIPURI, via: SIPVia, maxForwards: Int, from: SIPNameAddress,
                               to: SIPNameAddress, callID: String, cseq: SIPCSeq) -> SIPMessage
    {
        var message = SIPMessage(startLine: .request(method: method, uri: uri.description), headers: [
            SIPHeaderField(.via, via.description), SIPHeaderField(.maxForwards, String(maxForwards)),
            SIPHeaderField(.from, from.description), SIPHeaderField(.to, to.description),
            SIPHeaderField(.callID, callID), SIPHeaderField(.cseq, cseq.description),
        ])
        message.index = SIPHeaderIndex(vias: [via], from: from, to: to, cseq: cseq, contacts: nil, recordRoutes: nil)
        return message
    }

    /// A response's typed headers from its request's (RFC 3261 8.2.6 copies Via, From, To and
    /// CSeq), with the To that the response carries.
    mutating func inheritIndex(of request: SIPMessage, to: SIPNameAddress?) {
        guard let cached = request.index else { return }
        index = SIPHeaderIndex(vias: cached.vias, from: cached.from, to: to ?? cached.to, cseq: cached.cseq,
                               contacts: nil, recordRoutes: nil)
    }

    /// The same message without the parser's typed-header cache and without spare room in its
    /// header list: for messages kept for long (a transaction's request lives 32 s after its
    /// answer, a dialog's last ACK as long as the call), where memory matters more than the
    /// occasional re-parse. A message built by appending headers has up to twice the room it
    /// uses (the array doubles), about 0.7 KiB for an ACK (issue 15); parsed messages have
    /// none and are not copied.
    public var compacted: SIPMessage {
        var copy = self
        copy.index = nil
        if copy.fields.capacity > copy.fields.count + 2 {
            var exact: [SIPHeaderField] = []
            exact.reserveCapacity(copy.fields.count)
            exact.append(contentsOf: copy.fields)
            copy.fields = exact
        }
        return copy
    }

    public var isRequest: Bool {
        if case .request = startLine { return true }
        return false
    }

    public var method: SIPMethod? {
        if case .request(let method, _) = startLine { return method }
        return nil
    }

    public var statusCode: Int? {
        if case .response(let code, _) = startLine { return code }
        return nil
    }

    /// A response's reason phrase ("" for a request).
    public var reasonPhrase: String {
        if case .response(_, let text) = startLine { return text }
        return ""
    }

    public var requestURIText: String? {
        if case .request(_, let uri) = startLine { return uri }
        return nil
    }

    public var requestURI: SIPURI? {
        get { requestURIText.flatMap(SIPURI.init(parsing:)) }
        set {
            if case .request(let method, _) = startLine, let newValue {
                startLine = .request(method: method, uri: newValue.description)
            }
        }
    }

    // MARK: Generic header access

    public func firstValue(_ name: SIPHeaderName) -> String? {
        headers.first { $0.name == name }?.value
    }

    public func values(_ name: SIPHeaderName) -> [String] {
        headers.compactMap { $0.name == name ? $0.value : nil }
    }

    public func contains(_ name: SIPHeaderName) -> Bool {
        headers.contains { $0.name == name }
    }

    /// Replaces every occurrence of `name` with one field at the position of the first, or
    /// appends it when absent.
    public mutating func set(_ name: SIPHeaderName, _ value: String) {
        changing(name)
        if let position = fields.firstIndex(where: { $0.name == name }) {
            fields[position].value = value
            guard fields[(position + 1)...].contains(where: { $0.name == name }) else { return }
            var seen = false
            fields.removeAll { field in
                guard field.name == name else { return false }
                defer { seen = true }
                return seen
            }
        } else {
            fields.append(SIPHeaderField(name, value))
        }
    }

    public mutating func add(_ name: SIPHeaderName, _ value: String) {
        changing(name)
        fields.append(SIPHeaderField(name, value))
    }

    /// Inserts before the first field called `name` (or at the top): Via and Record-Route are
    /// pushed this way.
    public mutating func prepend(_ name: SIPHeaderName, _ value: String) {
        changing(name)
        let position = fields.firstIndex { $0.name == name } ?? 0
        fields.insert(SIPHeaderField(name, value), at: position)
    }

    /// Rewrites the top Via in place (`received`/`rport` on arrival, RFC 3261 18.2.1, RFC 3581)
    /// and keeps the typed-header cache, with the new top Via in it: every request is stamped
    /// before the transaction layer and the B2BUA read its Via, To and From.
    public mutating func updateTopVia(_ update: (inout SIPVia) -> Void) {
        guard let position = fields.firstIndex(where: { $0.name == .via }) else { return }
        // A field without a comma holds one Via: the cached one, when there is a cache.
        let single = index?.vias?.first.flatMap { fields[position].value.utf8.contains(SIPGrammar.comma) ? nil : [$0] }
        guard var vias = single ?? SIPVia.parseList(fields[position].value), !vias.isEmpty else { return }
        update(&vias[0])
        fields[position].value = vias.map(\.description).joined(separator: ", ")
        index = index?.replacingTopVia(vias[0])
    }

    public mutating func remove(_ name: SIPHeaderName) {
        guard fields.contains(where: { $0.name == name }) else { return }
        changing(name)
        fields.removeAll { $0.name == name }
    }

    /// Sets the body and the matching Content-Length/Content-Type.
    public mutating func setBody(_ body: [UInt8], contentType: String?) {
        self.body = body
        if let contentType { set(.contentType, contentType) } else if body.isEmpty { remove(.contentType) }
        set(.contentLength, String(body.count))
    }

    // MARK: Typed views

    public var callID: String? { firstValue(.callID) }
    public var cseq: SIPCSeq? { index?.cseq ?? firstValue(.cseq).flatMap(SIPCSeq.parse) }
    public var from: SIPNameAddress? { index?.from ?? firstValue(.from).flatMap(SIPNameAddress.parse) }
    public var to: SIPNameAddress? { index?.to ?? firstValue(.to).flatMap(SIPNameAddress.parse) }
    public var vias: [SIPVia] { index?.vias ?? values(.via).flatMap { SIPVia.parseList($0) ?? [] } }
    public var topVia: SIPVia? {
        if let vias = index?.vias { return vias.first }
        return firstValue(.via).flatMap { SIPVia.parseList($0)?.first }
    }
    /// The top Via's branch: what a client transaction is keyed by. On a message the SBC built
    /// (no parser cache) a plain `;branch=` is read without parsing the whole Via, which was
    /// the most frequent re-parse per call; anything less plain takes the full parse.
    public var topViaBranch: String? {
        if let vias = index?.vias { return vias.first?.branch }
        guard let value = firstValue(.via) else { return nil }
        return SIPVia.plainBranch(in: value) ?? SIPVia.parseList(value)?.first?.branch
    }
    public var contacts: [SIPNameAddress] {
        index?.contacts ?? values(.contact).flatMap { SIPNameAddress.parseList($0) ?? [] }
    }
    public var routes: [SIPNameAddress] { values(.route).flatMap { SIPNameAddress.parseList($0) ?? [] } }
    public var recordRoutes: [SIPNameAddress] {
        index?.recordRoutes ?? values(.recordRoute).flatMap { SIPNameAddress.parseList($0) ?? [] }
    }
    public var maxForwards: Int? {
        firstValue(.maxForwards).flatMap { SIPGrammar.boundedDecimal($0, max: 255) }.map(Int.init)
    }
    public var contentLength: Int? {
        firstValue(.contentLength).flatMap { SIPGrammar.boundedDecimal($0, max: UInt64(Int32.max)) }.map(Int.init)
    }
    public var contentType: String? { firstValue(.contentType) }
    public var retryAfter: SIPRetryAfter? { firstValue(.retryAfter).flatMap(SIPRetryAfter.parse) }

    /// The media type of the body without parameters, lower-cased (`application/sdp`).
    public var mediaType: String? {
        contentType.map { value in
            String(value.prefix { $0 != ";" }).trimmingWhitespace().lowercased()
        }
    }
}

extension StringProtocol {
    /// Trims SP and HTAB only: SIP whitespace, without Foundation.
    public func trimmingWhitespace() -> String {
        let bytes = Array(utf8)
        var start = 0
        var end = bytes.count
        while start < end, SIPGrammar.isWhitespace(bytes[start]) { start += 1 }
        while end > start, SIPGrammar.isWhitespace(bytes[end - 1]) { end -= 1 }
        return String(decoding: bytes[start..<end], as: UTF8.self)
    }
}
