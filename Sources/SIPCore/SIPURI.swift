/// A URI as it appears in SIP: `sip:`/`sips:` and `tel:` are parsed into their parts; any other
/// scheme (RFC 4475 unksm) is kept as an opaque absolute URI so that it can still be carried.
public struct SIPURI: Sendable, Hashable, CustomStringConvertible {
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

    public var description: String {
        if let opaque { return "\(scheme):\(opaque)" }
        var text = scheme + ":"
        if let user {
            text += user
            if let password { text += ":" + password }
            if isSIP { text += "@" }
        }
        if isSIP { text += hostPort }
        text += parameters.serialized
        if let headers { text += "?" + headers }
        return text
    }

    /// Parses one URI; nil when it is not a well-formed URI (spaces, bad host, bad port, ...).
    public init?(parsing text: String) {
        let bytes = Array(text.utf8)
        guard let colon = bytes.firstIndex(of: SIPGrammar.colon), colon > 0 else { return nil }
        let schemeText = String(decoding: bytes[..<colon], as: UTF8.self).lowercased()
        guard let first = schemeText.utf8.first, SIPGrammar.isAlphanumeric(first),
              schemeText.utf8.allSatisfy({ SIPGrammar.isAlphanumeric($0) || $0 == 0x2B || $0 == 0x2D || $0 == 0x2E })
        else { return nil }
        let rest = Array(bytes[(colon + 1)...])
        // RFC 3986 characters only: a `<`, `>` or `"` here would let a URI we echo back (To,
        // Contact) close its name-addr early, and the SBC would send headers it cannot parse.
        guard !rest.isEmpty, rest.allSatisfy(SIPGrammar.isURIChar) else { return nil }
        scheme = schemeText
        user = nil
        password = nil
        host = ""
        port = nil
        parameters = []
        headers = nil
        opaque = nil
        switch schemeText {
        case "sip", "sips":
            guard parseSIP(rest) else { return nil }
        case "tel":
            guard parseTel(rest) else { return nil }
        default:
            opaque = String(decoding: rest, as: UTF8.self)
        }
    }

    private mutating func parseSIP(_ rest: [UInt8]) -> Bool {
        var hostStart = 0
        if let at = rest.firstIndex(of: SIPGrammar.at) {
            let userInfo = rest[..<at]
            guard !userInfo.isEmpty else { return false }
            if let colon = userInfo.firstIndex(of: SIPGrammar.colon) {
                user = String(decoding: userInfo[..<colon], as: UTF8.self)
                password = String(decoding: userInfo[(colon + 1)...], as: UTF8.self)
            } else {
                user = String(decoding: userInfo, as: UTF8.self)
            }
            guard user?.isEmpty == false else { return false }
            hostStart = at + 1
        }
        var index = hostStart
        // Host: bracketed IPv6 reference or hostname/IPv4 characters.
        if index < rest.count, rest[index] == 0x5B {
            guard let close = rest[index...].firstIndex(of: 0x5D) else { return false }
            host = String(decoding: rest[index...close], as: UTF8.self)
            index = close + 1
        } else {
            let start = index
            while index < rest.count, SIPGrammar.isAlphanumeric(rest[index]) || rest[index] == 0x2D
                || rest[index] == 0x2E || rest[index] == 0x5F
            {
                index += 1
            }
            host = String(decoding: rest[start..<index], as: UTF8.self)
        }
        guard !host.isEmpty else { return false }
        if index < rest.count, rest[index] == SIPGrammar.colon {
            index += 1
            let start = index
            while index < rest.count, SIPGrammar.isDigit(rest[index]) { index += 1 }
            guard let value = SIPGrammar.boundedDecimal(String(decoding: rest[start..<index], as: UTF8.self),
                                                        max: 65535)
            else { return false }
            port = UInt16(value)
        }
        let tail = Array(rest[index...])
        var paramsEnd = tail.count
        if let question = tail.firstIndex(of: SIPGrammar.question) {
            headers = String(decoding: tail[(question + 1)...], as: UTF8.self)
            paramsEnd = question
        }
        return parseParameters(tail[..<paramsEnd])
    }

    private mutating func parseTel(_ rest: [UInt8]) -> Bool {
        let semicolon = rest.firstIndex(of: SIPGrammar.semicolon) ?? rest.count
        let number = String(decoding: rest[..<semicolon], as: UTF8.self)
        guard !number.isEmpty else { return false }
        user = number
        return parseParameters(rest[semicolon...])
    }

    /// `*(";" pname ["=" pvalue])`, with no empty parameters.
    private mutating func parseParameters(_ bytes: ArraySlice<UInt8>) -> Bool {
        guard !bytes.isEmpty else { return true }
        guard bytes.first == SIPGrammar.semicolon else { return false }
        for piece in bytes.dropFirst().split(separator: SIPGrammar.semicolon, omittingEmptySubsequences: false) {
            guard !piece.isEmpty else { return false }
            if let equals = piece.firstIndex(of: SIPGrammar.equals) {
                let name = String(decoding: piece[..<equals], as: UTF8.self)
                guard !name.isEmpty else { return false }
                parameters.append(SIPParameter(name: name, value: String(decoding: piece[(equals + 1)...], as: UTF8.self)))
            } else {
                parameters.append(SIPParameter(name: String(decoding: piece, as: UTF8.self), value: nil))
            }
        }
        return true
    }
}
