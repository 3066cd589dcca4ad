import SIPCore

/// libFuzzer entry point, differential: what the SBC forwards for any message it accepts must
/// parse again, and mean the same thing.
///
/// The forwarding path is approximated sans-IO: a request the edge's `SIPHeaderLimits` would
/// refuse is dropped (the SBC answers 400); otherwise the fields those limits find unfit are left
/// out, as the B2BUA's header copy does, and the message is serialised. Re-parsing those bytes
/// must succeed and give the same start line, Call-ID, CSeq, From/To tags, Via branches, Contact
/// and body; serialising the re-parsed message must give the same bytes (a fixed point), so a
/// message cannot change meaning on a second hop through the SBC.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzSIPRoundTrip(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    guard var message = try? SIPMessageParser.parse(bytes) else { return 0 }
    let limits = SIPHeaderLimits.standard
    if message.isRequest, limits.rejection(for: message) != nil { return 0 }
    message.headers.removeAll { !limits.allows($0) }
    let filtered = message.serialized()
    guard let original = try? SIPMessageParser.parse(filtered) else {
        // Leaving out unfit fields may drop a header the parser requires (an overlong From of a
        // response): such a message is not forwarded. Any other failure is a bug.
        let required: [SIPHeaderName] = [.via, .from, .to, .callID, .cseq]
        guard required.allSatisfy(message.contains) else { return 0 }
        fatalError("forwarded bytes do not parse again:\n\(printable(filtered))")
    }
    let forwarded = original.serialized()
    let reparsed: SIPMessage
    do {
        reparsed = try SIPMessageParser.parse(forwarded)
    } catch {
        fatalError("serialised message does not parse again (\(error)):\n\(printable(forwarded))")
    }
    check(original.startLine == reparsed.startLine, "start line", forwarded)
    check(original.callID == reparsed.callID, "Call-ID", forwarded)
    check(original.cseq == reparsed.cseq, "CSeq", forwarded)
    check(original.from?.tag == reparsed.from?.tag, "From tag", forwarded)
    check(original.to?.tag == reparsed.to?.tag, "To tag", forwarded)
    check(original.vias.map(\.branch) == reparsed.vias.map(\.branch), "Via branches", forwarded)
    check(original.contacts == reparsed.contacts, "Contact", forwarded)
    check(original.body == reparsed.body, "body", forwarded)
    check(original.headers.count == reparsed.headers.count, "header count", forwarded)
    check(reparsed.serialized() == forwarded, "serialisation is not a fixed point", forwarded)
    return 0
}

private func check(_ condition: Bool, _ what: String, _ bytes: [UInt8]) {
    guard !condition else { return }
    fatalError("\(what) changed after a round trip through the serialiser:\n\(printable(bytes))")
}

/// The bytes with control characters escaped, for the crash report.
private func printable(_ bytes: [UInt8]) -> String {
    bytes.prefix(4096).map { byte in
        switch byte {
        case 0x0A: "\\n\n"
        case 0x20...0x7E: String(UnicodeScalar(byte))
        default: "\\x" + String(byte, radix: 16)
        }
    }.joined()
}
