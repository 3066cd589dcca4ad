extension SIPMessage {
    /// The length of `serialized()` without building it: what a size check on the send path
    /// needs (`sip.max_udp_message_bytes`), at the cost of one pass over the header fields.
    public var serializedCount: Int {
        var count: Int
        switch startLine {
        case .request(let method, let uri): count = method.name.utf8.count + 1 + uri.utf8.count + " SIP/2.0\r\n".utf8.count
        case .response(let code, let reason): count = "SIP/2.0 \(code) ".utf8.count + reason.utf8.count + 2
        }
        let bodyLength = String(body.count).utf8.count
        var wroteLength = false
        for field in headers {
            count += field.rawName.utf8.count + 4
            if field.name == .contentLength {
                count += bodyLength
                wroteLength = true
            } else {
                count += field.value.utf8.count
            }
        }
        if !wroteLength { count += "Content-Length: \r\n".utf8.count + bodyLength }
        return count + 2 + body.count
    }
}
