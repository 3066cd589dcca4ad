/// A header name normalised for lookup: lower-cased and with compact forms (RFC 3261 7.3.3 and
/// later registrations) expanded, so that `v`, `Via` and `VIA` are the same header.
public struct SIPHeaderName: Sendable, Hashable, CustomStringConvertible {
    /// Lower-case long form, the lookup key.
    public let canonical: String

    public init(_ name: String) {
        let lower = name.lowercased()
        canonical = lower.utf8.count == 1 ? (Self.compactForms[lower] ?? lower) : lower
    }

    private init(canonical: String) { self.canonical = canonical }

    public var description: String { canonical }

    /// The spelling the SBC uses when it writes this header itself.
    public var displayName: String { Self.displayNames[canonical] ?? canonical }

    private static let compactForms: [String: String] = [
        "i": "call-id", "m": "contact", "f": "from", "t": "to", "v": "via", "l": "content-length",
        "c": "content-type", "e": "content-encoding", "k": "supported", "s": "subject", "o": "event",
        "r": "refer-to", "b": "referred-by", "u": "allow-events", "x": "session-expires", "y": "identity",
        "a": "accept-contact", "j": "reject-contact", "d": "request-disposition",
    ]

    private static let displayNames: [String: String] = [
        "via": "Via", "from": "From", "to": "To", "call-id": "Call-ID", "cseq": "CSeq", "contact": "Contact",
        "max-forwards": "Max-Forwards", "content-length": "Content-Length", "content-type": "Content-Type",
        "route": "Route", "record-route": "Record-Route", "retry-after": "Retry-After", "server": "Server",
        "user-agent": "User-Agent", "reason": "Reason", "allow": "Allow", "supported": "Supported",
        "require": "Require", "proxy-require": "Proxy-Require", "unsupported": "Unsupported", "accept": "Accept",
        "warning": "Warning", "expires": "Expires", "date": "Date",
    ]

    public static let via = SIPHeaderName(canonical: "via")
    public static let from = SIPHeaderName(canonical: "from")
    public static let to = SIPHeaderName(canonical: "to")
    public static let callID = SIPHeaderName(canonical: "call-id")
    public static let cseq = SIPHeaderName(canonical: "cseq")
    public static let contact = SIPHeaderName(canonical: "contact")
    public static let maxForwards = SIPHeaderName(canonical: "max-forwards")
    public static let contentLength = SIPHeaderName(canonical: "content-length")
    public static let contentType = SIPHeaderName(canonical: "content-type")
    public static let route = SIPHeaderName(canonical: "route")
    public static let recordRoute = SIPHeaderName(canonical: "record-route")
    public static let retryAfter = SIPHeaderName(canonical: "retry-after")
    public static let server = SIPHeaderName(canonical: "server")
    public static let userAgent = SIPHeaderName(canonical: "user-agent")
    public static let reason = SIPHeaderName(canonical: "reason")
    public static let allow = SIPHeaderName(canonical: "allow")
    public static let supported = SIPHeaderName(canonical: "supported")
    public static let require = SIPHeaderName(canonical: "require")
    public static let proxyRequire = SIPHeaderName(canonical: "proxy-require")
    public static let unsupported = SIPHeaderName(canonical: "unsupported")
    public static let accept = SIPHeaderName(canonical: "accept")
    public static let warning = SIPHeaderName(canonical: "warning")
    public static let expires = SIPHeaderName(canonical: "expires")

    /// Headers that RFC 3261 allows only once; a second occurrence makes the message malformed
    /// (RFC 4475 multi01, mcl01).
    public static let singleValued: Set<SIPHeaderName> = [
        .from, .to, .callID, .cseq, .maxForwards, .contentLength, .contentType,
    ]

    /// Headers whose values may be comma-separated lists (RFC 3261 7.3.1) that we split.
    public static let listValued: Set<SIPHeaderName> = [.via, .contact, .route, .recordRoute]
}
