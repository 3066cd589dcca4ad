/// Rewrites a description so that the side receiving it sees only the SBC's relay: every
/// address and port a peer could send media to is replaced, and everything that would let it
/// reach the other side directly (ICE candidates and credentials) is removed. What the two
/// ends negotiate between themselves (codecs, fmtp, ptime, directions, crypto, DTLS
/// fingerprints) passes untouched.
public enum SDPRelayRewriter {
    /// Attributes describing transport candidates (RFC 8839 ICE, session and media level).
    /// The relay terminates each side's transport, so these describe addresses the other side
    /// must never see, and credentials that would only make it start ICE against the relay.
    public static let transportCandidateAttributes: [String] = [
        "candidate", "remote-candidates", "ice-ufrag", "ice-pwd", "ice-options", "ice-lite",
        "ice-mismatch", "end-of-candidates", "ice-pacing",
    ]

    /// Rewrites `description` for the other side of the SBC. `endpoints[i]` is the relay
    /// endpoint of media section i; nil (or a missing entry) means the stream is not relayed:
    /// its port becomes 0 with its formats kept, as RFC 3264 §6 and §8.2 require of a rejected
    /// or removed stream.
    ///
    /// - The session-level c= becomes the first relayed endpoint's address; a media-level c= is
    ///   written only for streams whose endpoint has a different address, so when all streams
    ///   share one address there is a single session-level c= (the usual case). When no stream
    ///   is relayed the session c= is the unspecified address (0.0.0.0 or ::) of the original
    ///   address family, so that no peer address remains.
    /// - m= port becomes the RTP port (a `/count` is dropped: the relay offers one port).
    /// - a=rtcp names the relay's RTCP port and address when `rtcpPort` is set, and is removed
    ///   otherwise (rtcp-mux, or RTP + 1), as is any a=rtcp of a rejected stream.
    /// - ``transportCandidateAttributes`` are removed at session and media level.
    ///
    /// The o= line still names the sender: stamp it with the leg's ``SDPOriginState`` next.
    public static func rewrite(_ description: inout SessionDescription, endpoints: [SDPRelayEndpoint?]) {
        stripTransportCandidates(&description.sessionLines)
        let relayed = description.media.indices.lazy.compactMap { $0 < endpoints.count ? endpoints[$0] : nil }
        let sessionConnection = relayed.first?.connection
            ?? SDPConnection.unspecified(addressType: description.senderAddressType)
        description.connection = sessionConnection

        for index in description.media.indices {
            var section = description.media[index]
            stripTransportCandidates(&section.lines)
            section.portCount = nil
            if index < endpoints.count, let endpoint = endpoints[index] {
                let connection = endpoint.connection
                section.port = endpoint.rtpPort
                section.connection = connection == sessionConnection ? nil : connection
                // Every a=rtcp goes (a peer may send several); the relay's own, if any, replaces them.
                section.rtcp = nil
                section.rtcp = endpoint.rtcpPort.map { SDPRTCPAttribute(port: $0, connection: connection) }
            } else {
                section.port = 0
                section.connection = nil
                section.rtcp = nil
            }
            description.media[index] = section
        }
    }

    /// Attributes that name the sending party rather than describe the media (RFC 5576 `ssrc`
    /// with its `cname`, often `user@host`; RFC 8830 `msid`): removed at both levels when the
    /// receiving trunk's `sdp_identity` is `strip`. SSRCs themselves still flow in the RTP.
    public static let identityAttributes: [String] = ["ssrc", "ssrc-group", "msid", "msid-semantic"]

    /// Removes ``identityAttributes`` from the session and every media section.
    public static func stripIdentity(_ description: inout SessionDescription) {
        for name in identityAttributes {
            description.removeAttributes(named: name)
            for index in description.media.indices { description.media[index].removeAttributes(named: name) }
        }
    }

    static func stripTransportCandidates(_ lines: inout [SDPLine]) {
        lines.removeAll(where: isTransportCandidate)
    }

    /// Measures the line's attribute name once so that only names of that length are compared:
    /// this runs for every line of every body crossing the SBC.
    private static func isTransportCandidate(_ line: SDPLine) -> Bool {
        guard line.type == "a" else { return false }
        let utf8 = line.value.utf8
        let nameLength = utf8.firstIndex(of: SDPGrammar.colon).map { utf8.distance(from: utf8.startIndex, to: $0) }
            ?? utf8.count
        return transportCandidateAttributes.contains { $0.utf8.count == nameLength && line.isAttribute(named: $0) }
    }
}
