import SIPCore

/// libFuzzer entry point: one datagram through everything the SBC does with it before routing.
///
/// The overload screen (`SIPRequestPeek`) reads raw bytes before any parse; then the parser; then,
/// for a malformed request, the 400/505 the B2BUA builds from the partial message (RFC 4475 wants
/// answers to odd requests, so partial messages must be safe to read); for an accepted message,
/// every typed view, the edge's screening and header limits, and serialisation. A crash, trap or
/// ASan report anywhere here is something a peer on the internet can trigger with one packet.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzSIPParser(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    _ = SIPRequestPeek.isNewCall(bytes)
    do {
        let message = try SIPMessageParser.parse(bytes)
        readEverything(message)
        if message.isRequest {
            _ = SIPRequestScreening.rejection(for: message)
            _ = SIPHeaderLimits.standard.rejection(for: message)
            let response = SIPResponseBuilder.response(to: message, statusCode: 200, toTag: "fuzz")
            _ = response.serialized()
        }
        _ = message.serialized()
    } catch {
        _ = error.description
        if error.canRespond, let request = error.partialMessage {
            let response = SIPResponseBuilder.response(to: request, statusCode: error.statusCode, reason: error.reason)
            _ = response.serialized()
        }
        if let partial = error.partialMessage { readEverything(partial) }
    }
    return 0
}

/// Touches every typed view the B2BUA reads; on a message the parser rejected these must fail
/// softly (nil or empty), never trap.
private func readEverything(_ message: SIPMessage) {
    _ = message.method
    _ = message.statusCode
    _ = message.reasonPhrase
    _ = message.requestURI?.description
    _ = message.callID
    _ = message.cseq?.description
    _ = message.from?.tag
    _ = message.to?.description
    _ = message.vias.map { ($0.branch, $0.rport, $0.received, $0.description) }
    _ = message.topVia
    _ = message.contacts.map(\.description)
    _ = message.routes.map(\.uri.hostPort)
    _ = message.recordRoutes.count
    _ = message.maxForwards
    _ = message.contentLength
    _ = message.mediaType
    _ = message.retryAfter
}
