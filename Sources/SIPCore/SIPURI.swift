/// A URI as it appears in SIP: `sip:`/`sips:` and `tel:` are parsed into their parts; any other
/// scheme (RFC 4475 unksm) is kept as an opaque absolute URI so that it can still be carried.
public struct SIPURI: Sendable, Hashable, CustomStringConvertible, SIPWireWritable {
    /// Lower-cased scheme: "sip", "sips", "tel" or another absolute-URI scheme.
    public var scheme: String
    /// User part, still %-escaped as received (escapes are significant for comparison rules).
    public var user: String?
    public var password: String?
    /// Host name, IPv4 literal, or bracketed IPv6 reference; empty for `tel:` and opaque URIs.
    public var host: String
    public var port: UInt16?
    public var parameters: [SIPParameter]
    /// The `?hname=hvalue&...` part, raw; never allowed in a Request-URI (RFC 3261 19.1.5).
    public var headers: String?
    /// Everything after the colon for schemes we do not parse.
    public var opaque: String?

    public init(scheme: String = "sip", user: String? = nil, host: String, port: UInt16? = nil,
                parameters: [SIPParameter] = [])
    {
        self.scheme = scheme
        self.user = user
        password = nil
        self.host = host
        self.port = port
        self.parameters = parameters
        headers = nil
        opaque = nil
    }

    public var isSIP: Bool { scheme == "sip" || scheme == "sips" }

    /// `host[:port]`, as used in Via sent-by and for transport targets.
    public var hostPort: String { port.map { "\(host):\($0)" } ?? host }

    public var description: String { wireText }

    /// Writes the URI: a name-addr or a Request-URI is written into its header's bytes directly.
    func write<Sink: SIPWireSink>(to sink: inout Sink) {
        sink.append(scheme)
        sink.append(UInt8(ascii: ":"))
        if let opaque {
            sink.append(opaque)
            return
        }
        if let user {
            sink.append(user)
            if let password {
                sink.append(UInt8(ascii: ":"))
                sink.append(password)
            }
            if isSIP { sink.append(UInt8(ascii: "@")) }
        }
        if isSIP {
            sink.append(host)
            if let port {
                sink.append(UInt8(ascii: ":"))
                sink.append(decimal: Int(port))
            }
        }
        parameters.write(to: &sink)
        if let headers {
            sink.append(UInt8(ascii: "?"))
            sink.append(headers)
        }
    }

    /// Parses one URI; nil when it is not a well-formed URI (spaces, bad host, bad port, ...).
    public init?(parsing text: String) {
        var text = text
        guard let uri = text.withUTF8({ SIPURI(utf8: $0) }) else { return nil }
        self = uri
    }

    /// The same from bytes of a header value (name-addr, Via), without building a string first.
    init?(bytes: ArraySlice<UInt8>) {
        guard let uri = bytes.withUnsafeBufferPointer({ SIPURI(utf8: $0) }) else { return nil }
        self = uri
    }

    /// Works on the bytes in place: a URI is parsed for every From, To, Contact and Request-URI,
    /// and copies of its bytes were most of what that cost (issue 15).
    private init?(utf8 bytes: UnsafeBufferPointer<UInt8>) {
        guard let colon = bytes.firstIndex(of: SIPGrammar.colon), colon > 0,
              SIPGrammar.isAlphanumeric(bytes[0]),
              bytes[..<colon].allSatisfy({ SIPGrammar.isAlphanumeric($0) || $0 == 0x2B || $0 == 0x2D || $0 == 0x2E })
        else { return nil }
        let rest = UnsafeBufferPointer(rebasing: bytes[(colon + 1)...])
        // RFC 3986 characters only: a `<`, `>` or `"` here would let a URI we echo back (To,
        // Contact) close its name-addr early, and the SBC would send headers it cannot parse.
        guard !rest.isEmpty, rest.allSatisfy(SIPGrammar.isURIChar) else { return nil }
        scheme = Self.scheme(UnsafeBufferPointer(rebasing: bytes[..<colon]))
        user = nil
        password = nil
        host = ""
        port = nil
        parameters = []
        headers = nil
        opaque = nil
        switch scheme {
        case "sip", "sips":
            guard parseSIP(rest) else { return nil }
        case "tel":
            guard parseTel(rest) else { return nil }
        default:
            opaque = Self.string(rest)
        }
    }

    /// The lower-cased scheme; the usual ones as literals, which cost no allocation.
    private static func scheme(_ bytes: UnsafeBufferPointer<UInt8>) -> String {
        func matches(_ literal: StaticString) -> Bool {
            literal.utf8CodeUnitCount == bytes.count
                && zip(UnsafeBufferPointer(start: literal.utf8Start, count: literal.utf8CodeUnitCount), bytes)
                .allSatisfy { $0 == $1 | 0x20 }
        }
        if matches("sip") { return "sip" }
        if matches("sips") { return "sips" }
        if matches("tel") { return "tel" }
        return String(decoding: bytes.map { $0 >= 0x41 && $0 <= 0x5A ? $0 | 0x20 : $0 }, as: UTF8.self)
    }

    private static func string(_ bytes: Slice<UnsafeBufferPointer<UInt8>>) -> String {
        String(decoding: UnsafeBufferPointer(rebasing: bytes), as: UTF8.self)
    }

    private static func string(_ bytes: UnsafeBufferPointer<UInt8>) -> String {
        String(decoding: bytes, as: UTF8.self)
    }

    private mutating func parseSIP(_ rest: UnsafeBufferPointer<UInt8>) -> Bool {
        var hostStart = 0
        if let at = rest.firstIndex(of: SIPGrammar.at) {
            let userInfo = rest[..<at]
            guard !userInfo.isEmpty else { return false }
            if let colon = userInfo.firstIndex(of: SIPGrammar.colon) {
                guard colon > 0 else { return false }
                user = Self.string(userInfo[..<colon])
                password = Self.string(userInfo[(colon + 1)...])
            } else {
                user = Self.string(userInfo)
            }
            hostStart = at + 1
        }
        var index = hostStart
        // Host: bracketed IPv6 reference or hostname/IPv4 characters.
        if index < rest.count, rest[index] == 0x5B {
            guard let close = rest[index...].firstIndex(of: 0x5D) else { return false }
            host = Self.string(rest[index...close])
            index = close + 1
        } else {
            let start = index
            while index < rest.count, SIPGrammar.isAlphanumeric(rest[index]) || rest[index] == 0x2D
                || rest[index] == 0x2E || rest[index] == 0x5F
            {
                index += 1
            }
            host = Self.string(rest[start..<index])
        }
        guard !host.isEmpty else { return false }
        if index < rest.count, rest[index] == SIPGrammar.colon {
            index += 1
            var value = 0
            let start = index
            // As `SIPGrammar.boundedDecimal`: 1-20 digits, at most 65535.
            while index < rest.count, SIPGrammar.isDigit(rest[index]) {
                value = value * 10 + Int(rest[index] - 0x30)
                guard value <= 65535, index - start < 20 else { return false }
                index += 1
            }
            guard index > start else { return false }
            port = UInt16(value)
        }
        var paramsEnd = rest.count
        if let question = rest[index...].firstIndex(of: SIPGrammar.question) {
            headers = Self.string(rest[(question + 1)...])
            paramsEnd = question
        }
        return parseParameters(rest[index..<paramsEnd])
    }

    private mutating func parseTel(_ rest: UnsafeBufferPointer<UInt8>) -> Bool {
        let semicolon = rest.firstIndex(of: SIPGrammar.semicolon) ?? rest.count
        guard semicolon > 0 else { return false }
        user = Self.string(rest[..<semicolon])
        return parseParameters(rest[semicolon...])
    }

    /// `*(";" pname ["=" pvalue])`, with no empty parameters.
    private mutating func parseParameters(_ bytes: Slice<UnsafeBufferPointer<UInt8>>) -> Bool {
        guard !bytes.isEmpty else { return true }
        guard bytes.first == SIPGrammar.semicolon else { return false }
        var start = bytes.startIndex + 1
        while true {
            let end = bytes[start...].firstIndex(of: SIPGrammar.semicolon) ?? bytes.endIndex
            guard end > start else { return false }
            let piece = bytes[start..<end]
            if let equals = piece.firstIndex(of: SIPGrammar.equals) {
                guard equals > start else { return false }
                parameters.append(SIPParameter(name: Self.string(piece[..<equals]), value: Self.string(piece[(equals + 1)...])))
            } else {
                parameters.append(SIPParameter(name: Self.string(piece), value: nil))
            }
            guard end < bytes.endIndex else { return true }
            start = end + 1
        }
    }
}
