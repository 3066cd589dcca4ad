/// Builds responses to requests as RFC 3261 8.2.6 requires: Via, From, To, Call-ID and CSeq
/// copied, a To-tag added when the response creates or ends a dialog attempt.
public enum SIPResponseBuilder {
    public static func response(to request: SIPMessage, statusCode: Int, reason: String? = nil,
                                toTag: String? = nil, extraHeaders: [SIPHeaderField] = []) -> SIPMessage
    {
        var response = SIPMessage(startLine: .response(statusCode: statusCode,
                                                       reason: sanitized(reason ?? defaultReason(statusCode))))
        for field in request.headers where field.name == .via {
            response.headers.append(field)
        }
        for name in [SIPHeaderName.from, .to, .callID, .cseq] {
            guard let field = request.headers.first(where: { $0.name == name }) else { continue }
            response.headers.append(field)
        }
        var taggedTo: SIPNameAddress?
        if let toTag, statusCode > 100, var to = request.to, to.tag == nil {
            to.tag = toTag
            response.set(.to, to.description)
            taggedTo = to
        }
        response.headers.append(contentsOf: extraHeaders)
        response.set(.contentLength, "0")
        if !extraHeaders.contains(where: { SIPHeaderIndex.holds($0.name) }) {
            response.inheritIndex(of: request, to: taggedTo)
        }
        return response
    }

    /// Reason phrases are free text, but never CR/LF or control characters (header injection).
    public static func sanitized(_ text: String) -> String {
        let printable = text.utf8.count <= 200 && text.utf8.allSatisfy { $0 >= 0x20 && $0 != 0x7F }
        if printable { return text }
        return String(text.unicodeScalars.filter { $0.value >= 0x20 && $0.value != 0x7F }.prefix(200).map(Character.init))
    }

    public static func defaultReason(_ code: Int) -> String {
        switch code {
        case 100: "Trying"
        case 180: "Ringing"
        case 183: "Session Progress"
        case 200: "OK"
        case 400: "Bad Request"
        case 403: "Forbidden"
        case 404: "Not Found"
        case 405: "Method Not Allowed"
        case 408: "Request Timeout"
        case 415: "Unsupported Media Type"
        case 416: "Unsupported URI Scheme"
        case 420: "Bad Extension"
        case 480: "Temporarily Unavailable"
        case 481: "Call/Transaction Does Not Exist"
        case 482: "Loop Detected"
        case 483: "Too Many Hops"
        case 486: "Busy Here"
        case 487: "Request Terminated"
        case 488: "Not Acceptable Here"
        case 491: "Request Pending"
        case 500: "Server Internal Error"
        case 501: "Not Implemented"
        case 502: "Bad Gateway"
        case 503: "Service Unavailable"
        case 504: "Server Time-out"
        case 505: "Version Not Supported"
        case 513: "Message Too Large"
        default: "Status \(code)"
        }
    }
}
