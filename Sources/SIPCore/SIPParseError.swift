/// Why bytes are not an acceptable SIP message, and what to answer.
///
/// `partialMessage` holds what could be read (start line and raw headers) so that a 400 can
/// still be built for a malformed request, as RFC 3261 8.2 expects, when enough is known to
/// route a response back.
public struct SIPParseError: Error, Sendable, CustomStringConvertible {
    public var reason: String
    /// Status a server would answer with: 400, or 505 for an unsupported SIP version.
    public var statusCode: Int
    public var partialMessage: SIPMessage?

    public init(_ reason: String, statusCode: Int = 400, partialMessage: SIPMessage? = nil) {
        self.reason = reason
        self.statusCode = statusCode
        self.partialMessage = partialMessage
    }

    /// A response can be built for a request with a top Via that says where to send it (read
    /// leniently: RFC 4475 badinv01 and badvers want answers to requests whose Via is odd) and a
    /// CSeq (how the client matches it, RFC 3261 17.1.3); the first of each repeated header and
    /// whatever exists of From, To and Call-ID is copied. RFC 4475 asks for a 400 even when those
    /// are missing (insuf) or repeated (multi01). Malformed responses and ACKs are never answered.
    public var canRespond: Bool {
        guard let message = partialMessage, message.isRequest, message.method != .ack,
              let via = message.firstValue(.via), SIPVia.parseTopLeniently(via) != nil
        else { return false }
        return !message.values(.cseq).isEmpty
    }

    public var description: String { "\(statusCode) \(reason)" }
}
