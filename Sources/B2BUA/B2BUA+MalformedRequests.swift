import SIPCore

extension B2BUA {
    /// Where the answer to a request that did not parse goes: as for any request (RFC 3261
    /// 18.2.2), with the top Via read leniently (`SIPVia.parseTopLeniently`) because it may be
    /// what is malformed (RFC 4475 badinv01, badvers). Over TCP and TLS the source keeps its
    /// connection, so the answer goes back on it.
    static func malformedResponseDestination(for request: SIPMessage, source: SIPEndpoint) -> SIPEndpoint {
        guard source.transport == .udp, request.topVia == nil,
              let via = request.firstValue(.via).flatMap(SIPVia.parseTopLeniently)
        else { return responseDestination(for: request, source: source) }
        guard via.rport == nil else { return source }
        var destination = source
        destination.port = via.port ?? 5060
        return destination
    }
}

extension B2BUA {
    /// Whether a malformed request from `source` is answered at all: not when it comes from an
    /// address that is no trunk's and `security.unknown_source` is `drop`, because a 400 would
    /// tell a scanner that something listens there, which is what `drop` is for.
    func answersMalformed(from source: SIPEndpoint) -> Bool {
        settings.unknownSource != .drop || routing.sourceTrunk(zone: source.zone, address: source.host) != nil
    }
}
