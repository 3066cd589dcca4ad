/// Why a well-formed request is still refused before it reaches the B2BUA, and with what status.
public struct SIPRejection: Sendable, Equatable, Error {
    public var statusCode: Int
    public var reason: String
    /// Extra headers the response must carry (Unsupported for 420, Accept for 415/406).
    public var headers: [SIPHeaderField]

    public init(statusCode: Int, reason: String, headers: [SIPHeaderField] = []) {
        self.statusCode = statusCode
        self.reason = reason
        self.headers = headers
    }
}

/// Checks on a parsed request that are semantic rather than syntactic (RFC 3261 8.2 and 16.3,
/// RFC 4475 section 3.3). They run before any dialog or routing work so that refusals are cheap.
public enum SIPRequestScreening {
    /// Option tags the SBC can honour when a request lists them in Require/Proxy-Require.
    public static let supportedExtensions: Set<String> = ["timer"]

    /// Body types the SBC accepts on session-describing requests; SDP is what it must understand.
    public static let sessionBodyTypes: Set<String> = ["application/sdp", "multipart/mixed", "multipart/alternative"]

    /// `extensions`: the option tags honoured in Require (the receiving trunk may add `100rel`).
    public static func rejection(for request: SIPMessage,
                                 supporting extensions: Set<String> = supportedExtensions) -> SIPRejection? {
        guard let method = request.method else { return nil }
        guard let uri = request.requestURI else {
            return SIPRejection(statusCode: 400, reason: "Malformed Request-URI")
        }
        guard uri.isSIP || uri.scheme == "tel" else {
            return SIPRejection(statusCode: 416, reason: "Unsupported URI Scheme \(uri.scheme)")
        }
        if request.topVia?.branch == SIPVia.magicCookie {
            // RFC 4475 badbranch: a bare cookie would make every such request one transaction.
            return SIPRejection(statusCode: 400, reason: "Via branch is only the magic cookie")
        }
        if request.maxForwards == 0, method != .ack {
            return SIPRejection(statusCode: 483, reason: "Too Many Hops")
        }
        guard method != .ack, method != .cancel else { return nil }
        let required = (request.values(.require) + request.values(.proxyRequire))
            .flatMap { $0.split(separator: ",") }
            .map { $0.trimmingWhitespace() }
            .filter { !$0.isEmpty && !extensions.contains($0.lowercased()) }
        if !required.isEmpty {
            return SIPRejection(statusCode: 420, reason: "Bad Extension",
                                headers: [SIPHeaderField(.unsupported, required.joined(separator: ", "))])
        }
        let describesSession = method == .invite || method == .update || method == .prack
        if describesSession, !request.body.isEmpty, let type = request.mediaType, !sessionBodyTypes.contains(type) {
            return SIPRejection(statusCode: 415, reason: "Unsupported Media Type \(type)",
                                headers: [SIPHeaderField(.accept, "application/sdp")])
        }
        if method == .invite, let accept = request.firstValue(.accept), !acceptsSDP(accept) {
            return SIPRejection(statusCode: 406, reason: "Not Acceptable: answers are application/sdp",
                                headers: [SIPHeaderField(.accept, "application/sdp")])
        }
        return nil
    }

    private static func acceptsSDP(_ accept: String) -> Bool {
        accept.split(separator: ",").contains { range in
            let type = String(range.prefix { $0 != ";" }).trimmingWhitespace().lowercased()
            return type == "application/sdp" || type == "application/*" || type == "*/*" || type.isEmpty
        }
    }
}
