/// An SDP body (RFC 8866, RFC 4566) as the SBC needs it: the parts it rewrites to anchor
/// media (o=, c=, m= ports, transport attributes) are parsed; everything else is kept as
/// ordered lines so that it leaves the SBC exactly as it arrived.
///
/// `try SessionDescription(parsing: sdp.serialized()) == sdp` holds for every parsed body.
/// Output is canonical rather than byte-identical to the input: CRLF line endings, single
/// spaces between fields, v= and o= first and c= where RFC 8866 puts it.
public struct SessionDescription: Sendable, Equatable, CustomStringConvertible, SDPAttributeHolder {
    /// The o= line. The SBC replaces it per leg (``SDPOriginState``) before sending.
    public var origin: SDPOrigin
    /// The session-level c=, the default for every stream without its own.
    public var connection: SDPConnection?
    /// Every other session-level line (s=, i=, t=, b=, a=, ...), in order. Never holds v=, o=,
    /// c= or m=, which are written from the properties.
    public var sessionLines: [SDPLine]
    public var media: [MediaDescription]

    public init(origin: SDPOrigin, connection: SDPConnection? = nil, sessionLines: [SDPLine] = [],
                media: [MediaDescription] = [])
    {
        self.origin = origin
        self.connection = connection
        self.sessionLines = sessionLines
        self.media = media
    }

    /// Whether a Content-Type names an SDP body: `application/sdp`, ignoring case, blanks and
    /// parameters. Only such bodies are rewritten; anything else (multipart with SDP inside
    /// included) must not be forwarded by an SBC that anchors media.
    public static func looksLikeSDP(contentType: String?) -> Bool {
        guard let contentType else { return false }
        var mediaType = contentType.utf8.prefix { $0 != 0x3B }[...]
        while let first = mediaType.first, first == SDPGrammar.space || first == SDPGrammar.tab {
            mediaType = mediaType.dropFirst()
        }
        while let last = mediaType.last, last == SDPGrammar.space || last == SDPGrammar.tab {
            mediaType = mediaType.dropLast()
        }
        return SDPGrammar.equalsIgnoringASCIICase(mediaType, "application/sdp".utf8)
    }

    // MARK: Session-level attributes (accessors from SDPAttributeHolder)

    public var attributeLines: [SDPLine] {
        get { sessionLines }
        set { sessionLines = newValue }
    }

    /// The session-level direction attribute, which applies to streams without their own.
    public var sessionDirection: MediaDirection? { sessionLines.direction }

    /// Whether two descriptions say the same thing apart from their o= lines: the test RFC 3264
    /// §8 puts on whether a new version is owed.
    public func equalsIgnoringOrigin(_ other: SessionDescription) -> Bool {
        connection == other.connection && sessionLines == other.sessionLines && media == other.media
    }

    // MARK: Serialization

    /// Canonical output: v=0, o=, the session lines in order with c= placed per RFC 8866
    /// (v o s i u e p c b t r z k a), then each media section. CRLF endings.
    public func serialized() -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(64 + 48 * (sessionLines.count + media.reduce(0) { $0 + $1.lines.count + 2 }))
        out.append(contentsOf: "v=0\r\n".utf8)
        Self.appendLine("o", origin.value, to: &out)
        var connectionPending = connection != nil
        for line in sessionLines {
            if connectionPending, Self.followsConnection(line.type) {
                Self.appendLine("c", connection!.value, to: &out)
                connectionPending = false
            }
            Self.append(line, to: &out)
        }
        if connectionPending { Self.appendLine("c", connection!.value, to: &out) }
        for section in media {
            section.serialize(into: &out)
        }
        return out
    }

    /// The serialized body as text, for logs.
    public var description: String { String(decoding: serialized(), as: UTF8.self) }

    /// Session-level line types that RFC 8866 orders after c=.
    private static func followsConnection(_ type: Character) -> Bool {
        switch type {
        case "b", "t", "r", "z", "k", "a": true
        default: false
        }
    }

    static func appendLine(_ type: Character, _ value: String, to out: inout [UInt8]) {
        out.append(contentsOf: type.utf8)
        out.append(SDPGrammar.equals)
        out.append(contentsOf: value.utf8)
        out.append(SDPGrammar.cr)
        out.append(SDPGrammar.lf)
    }

    static func append(_ line: SDPLine, to out: inout [UInt8]) {
        appendLine(line.type, line.value, to: &out)
    }
}
