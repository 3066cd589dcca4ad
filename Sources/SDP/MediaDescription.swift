/// One media section: the `m=` line and everything up to the next one.
///
/// Apart from the media-level c= (which the SBC rewrites and so parses), every line of the
/// section is kept in `lines` in its original order, a= lines included. Attributes are read
/// from there on demand rather than kept twice, so an edit cannot leave two views disagreeing
/// and a section the SBC does not touch is written back line for line.
public struct MediaDescription: Sendable, Equatable, SDPAttributeHolder {
    /// "audio", "video", "image", "application", ...
    public var type: String
    public var port: Int
    /// The `/2` of `m=audio 49170/2 ...` (RFC 8866 §5.14); nil when absent.
    public var portCount: Int?
    /// Transport protocol as written: RTP/AVP, RTP/SAVP, RTP/AVPF, UDP/TLS/RTP/SAVPF, udptl, ...
    public var proto: String
    /// Payload types (RTP) or format tokens (e.g. "t38"), in the sender's preference order.
    public var formats: [String]
    /// The media-level c=, which overrides the session-level one for this stream.
    public var connection: SDPConnection?
    /// Every other line of the section (i=, b=, k=, a=, unknown), in order.
    public var lines: [SDPLine]

    public init(type: String, port: Int, portCount: Int? = nil, proto: String, formats: [String],
                connection: SDPConnection? = nil, lines: [SDPLine] = [])
    {
        self.type = type
        self.port = port
        self.portCount = portCount
        self.proto = proto
        self.formats = formats
        self.connection = connection
        self.lines = lines
    }

    /// The text after `m=`.
    public var mediaLineValue: String {
        var text = type + " " + String(port)
        if let portCount { text += "/" + String(portCount) }
        text += " " + proto
        for format in formats {
            text += " " + format
        }
        return text
    }

    // MARK: Attributes (accessors from SDPAttributeHolder)

    public var attributeLines: [SDPLine] {
        get { lines }
        set { lines = newValue }
    }

    // MARK: Direction

    /// The direction written in this section, without the session-level default.
    public var mediaLevelDirection: MediaDirection? { lines.direction }

    /// a=sendrecv/sendonly/recvonly/inactive at media level, else the session-level one, else
    /// sendrecv (RFC 3264 §5.1).
    public func direction(session: SessionDescription) -> MediaDirection {
        lines.direction ?? session.sessionLines.direction ?? .sendrecv
    }

    /// Writes the direction at media level, where the first direction attribute stood (else at
    /// the end), and removes any other direction attribute of the section so that exactly one
    /// applies. A session-level direction is left alone: the media-level one overrides it.
    public mutating func setDirection(_ direction: MediaDirection) {
        let line = SDPLine(type: "a", value: direction.rawValue)
        var replaced = false
        lines = lines.compactMap { existing in
            guard existing.type == "a", MediaDirection(attributeValue: existing.value) != nil else { return existing }
            if replaced { return nil }
            replaced = true
            return line
        }
        if !replaced { lines.append(line) }
    }

    // MARK: Transport

    /// Whether `a=rtcp-mux` (RFC 5761) is present. Setting true adds it when missing.
    public var rtcpMux: Bool {
        get { attribute("rtcp-mux") != nil }
        set {
            if newValue {
                if !rtcpMux { lines.append(SDPLine(type: "a", value: "rtcp-mux")) }
            } else {
                removeAttributes(named: "rtcp-mux")
            }
        }
    }

    /// The first `a=rtcp` (RFC 3605); nil when absent or unreadable. Setting nil removes every
    /// a=rtcp line; setting a value replaces the first in place or appends one.
    public var rtcp: SDPRTCPAttribute? {
        get {
            guard case let .some(.some(value)) = attribute("rtcp") else { return nil }
            return SDPRTCPAttribute(value: value)
        }
        set {
            if let newValue {
                setAttribute("rtcp", newValue.value)
            } else {
                removeAttributes(named: "rtcp")
            }
        }
    }

    /// True for streams the relay can carry: an accepted stream (port != 0) over a UDP-based
    /// protocol (RTP/*, UDP/TLS/RTP/*, udptl, UDP). TCP-based and unknown protocols cannot be
    /// anchored by a datagram relay and must be rejected instead.
    public var isRelayable: Bool {
        guard port != 0 else { return false }
        let proto = proto.utf8
        return proto.starts(with: "RTP/".utf8, by: Self.sameLetter)
            || proto.starts(with: "UDP/TLS/RTP/".utf8, by: Self.sameLetter)
            || SDPGrammar.equalsIgnoringASCIICase(proto, "udptl".utf8)
            || SDPGrammar.equalsIgnoringASCIICase(proto, "UDP".utf8)
    }

    /// Whether the protocol carries RTP, so that numeric formats are RTP payload types.
    public var isRTP: Bool {
        let proto = proto.utf8
        return proto.starts(with: "RTP/".utf8, by: Self.sameLetter)
            || proto.starts(with: "UDP/TLS/RTP/".utf8, by: Self.sameLetter)
            || proto.starts(with: "TCP/RTP/".utf8, by: Self.sameLetter)
            || proto.starts(with: "TCP/TLS/RTP/".utf8, by: Self.sameLetter)
    }

    /// Media-level c= else the session-level one.
    public func effectiveConnection(session: SessionDescription) -> SDPConnection? {
        connection ?? session.connection
    }

    // MARK: Codecs

    /// The codec of a payload type: an explicit `a=rtpmap:<pt> name/rate[/channels]`, else the
    /// RFC 3551 static assignment for payload types 0-34 of an RTP stream. nil for a dynamic
    /// payload type without a (readable) rtpmap.
    public func codec(forPayloadType payloadType: String) -> SDPCodec? {
        for line in lines {
            guard case let .some(.some(value)) = line.attributeText(named: "rtpmap"),
                  let (mapped, codec) = Self.rtpmap(value), mapped == payloadType
            else { continue }
            if let codec { return codec }
            break
        }
        return staticCodec(payloadType)
    }

    /// Every payload type's codec, for callers that look at all formats. Formats with no known
    /// codec are absent.
    public var codecs: [String: SDPCodec] {
        var result: [String: SDPCodec] = [:]
        for (format, codec) in zip(formats, formatCodecs()) {
            if let codec, result[format] == nil { result[format] = codec }
        }
        return result
    }

    /// The codec of each format, in format order: one pass over the lines and linear lookups,
    /// since a section has a handful of formats and hashing them costs more than comparing.
    func formatCodecs() -> [SDPCodec?] {
        var explicit: [(payloadType: Substring, codec: SDPCodec?)] = []
        for line in lines {
            guard case let .some(.some(value)) = line.attributeText(named: "rtpmap"),
                  let entry = Self.rtpmap(value)
            else { continue }
            explicit.append(entry)
        }
        return formats.map { format in
            if let entry = explicit.first(where: { $0.payloadType == format }), let codec = entry.codec { return codec }
            return staticCodec(format)
        }
    }

    private func staticCodec(_ payloadType: String) -> SDPCodec? {
        guard isRTP, let number = SDPGrammar.decimal(payloadType.utf8, max: 127) else { return nil }
        return SDPCodec.staticPayloadType(Int(number))
    }

    /// Splits an rtpmap value into its payload type and codec (nil when the encoding part is
    /// malformed, so that a static payload type falls back to its table entry).
    static func rtpmap(_ value: Substring) -> (payloadType: Substring, codec: SDPCodec?)? {
        guard let space = value.utf8.firstIndex(of: SDPGrammar.space) else { return nil }
        var encoding = value[value.utf8.index(after: space)...]
        while encoding.utf8.first == SDPGrammar.space { encoding = encoding.dropFirst() }
        while encoding.utf8.last == SDPGrammar.space { encoding = encoding.dropLast() }
        return (value[..<space], SDPCodec(encoding: encoding))
    }

    /// The payload type an `a=rtpmap`, `a=fmtp` or `a=rtcp-fb` value starts with.
    static func leadingPayloadType(_ value: Substring) -> Substring {
        let end = value.utf8.firstIndex(of: SDPGrammar.space) ?? value.endIndex
        return value[..<end]
    }

    private static func sameLetter(_ a: UInt8, _ b: UInt8) -> Bool {
        SDPGrammar.lowercased(a) == SDPGrammar.lowercased(b)
    }

    // MARK: Parsing and serialization

    /// Parses the text after `m=`: `media port[/count] proto fmt...`. Formats may be missing
    /// although RFC 8866 asks for one: some user agents reject streams that way, and the
    /// section is still understood.
    init(parsingMediaLine bytes: SDPGrammar.Bytes, line: Int) throws(SDPParseError) {
        let fields = SDPGrammar.fields(bytes)
        guard fields.count >= 3 else {
            throw SDPParseError(line: line, reason: "m= line has \(fields.count) fields, expected at least 3 (media port proto fmt ...)")
        }
        let portField = fields[1]
        let slash = portField.firstIndex(of: SDPGrammar.slash) ?? portField.endIndex
        port = try Self.number(portField[..<slash], what: "m= port", line: line)
        if slash < portField.endIndex {
            let count = try Self.number(portField[(slash + 1)...], what: "m= port count", line: line)
            guard count > 0 else { throw SDPParseError(line: line, reason: "m= port count must be at least 1") }
            portCount = count
        } else {
            portCount = nil
        }
        type = SDPGrammar.string(fields[0])
        proto = SDPGrammar.string(fields[2])
        formats = fields[3...].map(SDPGrammar.string)
        connection = nil
        lines = []
    }

    private static func number(_ bytes: SDPGrammar.Bytes, what: String, line: Int) throws(SDPParseError) -> Int {
        guard SDPGrammar.isNumeric(bytes) else {
            throw SDPParseError(line: line, reason: "\(what) '\(SDPGrammar.excerpt(bytes))' is not a number")
        }
        guard let value = SDPGrammar.decimal(bytes, max: 65535) else {
            throw SDPParseError(line: line, reason: "\(what) \(SDPGrammar.excerpt(bytes)) is greater than 65535")
        }
        return Int(value)
    }

    /// Appends the section: m=, then the lines with c= placed per RFC 8866 (m i c b k a).
    func serialize(into out: inout [UInt8]) {
        out.append(contentsOf: "m=".utf8)
        out.append(contentsOf: type.utf8)
        out.append(SDPGrammar.space)
        out.append(contentsOf: String(port).utf8)
        if let portCount {
            out.append(SDPGrammar.slash)
            out.append(contentsOf: String(portCount).utf8)
        }
        out.append(SDPGrammar.space)
        out.append(contentsOf: proto.utf8)
        for format in formats {
            out.append(SDPGrammar.space)
            out.append(contentsOf: format.utf8)
        }
        out.append(SDPGrammar.cr)
        out.append(SDPGrammar.lf)
        var connectionPending = connection != nil
        for line in lines {
            if connectionPending, line.type == "b" || line.type == "k" || line.type == "a" {
                SessionDescription.appendLine("c", connection!.value, to: &out)
                connectionPending = false
            }
            SessionDescription.append(line, to: &out)
        }
        if connectionPending { SessionDescription.appendLine("c", connection!.value, to: &out) }
    }
}
