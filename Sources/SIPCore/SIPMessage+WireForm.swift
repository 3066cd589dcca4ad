extension SIPMessage {
    /// The length of `serialized()` without building it: what a size check on the send path
    /// needs (`sip.max_udp_message_bytes`), at the cost of one pass over the header fields.
    public var serializedCount: Int {
        var counter = SIPWireCounter()
        write(to: &counter)
        return counter.count
    }

    /// Wire form. Content-Length is written from the actual body whatever the field said, so a
    /// rewritten body can never go out with a stale length. Sized first and copied into one
    /// allocation: appending each String's UTF-8 view to a growing array went through the
    /// generic sequence path, about 180 instructions a piece.
    public func serialized() -> [UInt8] {
        let count = serializedCount
        return [UInt8](unsafeUninitializedCapacity: count) { buffer, initialized in
            var writer = SIPWireWriter(buffer)
            write(to: &writer)
            initialized = writer.count
        }
    }

    /// The one description of the wire layout, so the size and the bytes cannot disagree.
    func write<Sink: SIPWireSink>(to sink: inout Sink) {
        switch startLine {
        case .request(let method, let uri):
            sink.append(method.name)
            sink.append(SIPGrammar.space)
            sink.append(uri)
            sink.append(" SIP/2.0\r\n")
        case .response(let code, let reason):
            sink.append("SIP/2.0 ")
            sink.append(decimal: code)
            sink.append(SIPGrammar.space)
            sink.append(reason)
            sink.append("\r\n")
        }
        var wroteLength = false
        for field in headers {
            sink.append(field.rawName)
            sink.append(": ")
            if field.name == .contentLength {
                sink.append(decimal: body.count)
                wroteLength = true
            } else {
                sink.append(field.value)
            }
            sink.append("\r\n")
        }
        if !wroteLength {
            sink.append("Content-Length: ")
            sink.append(decimal: body.count)
            sink.append("\r\n")
        }
        sink.append("\r\n")
        sink.append(body)
    }
}
