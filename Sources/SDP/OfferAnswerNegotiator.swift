/// The RFC 3264 offer/answer state of one dialog, seen on that dialog's wire: what the SBC sent
/// and what the peer sent, and the last exchange both completed.
///
/// Why the B2BUA keeps one per leg: a leg can be replaced under a live call (mid-call failover),
/// and the new leg must be offered exactly what the other side last agreed to. That is the
/// other leg's last *completed* exchange, not whatever body crossed last (an offer that was
/// rejected leaves the session as it was, RFC 3264 §8). The states follow pjmedia's SDP
/// negotiator (`PJMEDIA_SDP_NEG_STATE_*`); a pending offer carries the exchange it would replace
/// so a rejection can restore it, and later PRACK/UPDATE offers (100rel) fit the same machine.
public struct OfferAnswerNegotiator: Sendable, Equatable {
    /// One completed exchange on this dialog.
    public struct Negotiated: Sendable, Equatable {
        /// The SDP the SBC sent (offer or answer).
        public var local: SessionDescription
        /// The SDP the peer sent.
        public var remote: SessionDescription
        /// Per m= line, the formats the answer accepted with their codecs (nil for a format
        /// without rtpmap that is not static): what media will actually flow.
        public var codecs: [[NegotiatedFormat]]
    }

    /// One accepted payload format of one stream.
    public struct NegotiatedFormat: Sendable, Equatable {
        public var payloadType: String
        public var codec: SDPCodec?
    }

    /// Indirect: every leg of every call holds a negotiator, and inline the states' SDP values
    /// would add about half a kilobyte to each leg; boxed, an idle negotiator costs a pointer.
    public indirect enum State: Sendable, Equatable {
        /// No SDP exchanged yet.
        case idle
        /// The SBC offered; the peer's answer is awaited.
        case localOffer(SessionDescription, previous: Negotiated?)
        /// The peer offered; the SBC's answer is awaited.
        case remoteOffer(SessionDescription, previous: Negotiated?)
        /// The last exchange completed.
        case done(Negotiated)
    }

    public private(set) var state: State = .idle

    public init() {}

    /// The last completed exchange, also while a newer offer is pending.
    public var negotiated: Negotiated? {
        switch state {
        case .idle: nil
        case .localOffer(_, let previous), .remoteOffer(_, let previous): previous
        case .done(let negotiated): negotiated
        }
    }

    /// The peer's most recent SDP that still stands: its pending offer, else its side of the
    /// last completed exchange.
    public var latestRemote: SessionDescription? {
        if case .remoteOffer(let offer, _) = state { return offer }
        return negotiated?.remote
    }

    public mutating func sentOffer(_ offer: SessionDescription) {
        state = .localOffer(offer, previous: negotiated)
    }

    public mutating func receivedOffer(_ offer: SessionDescription) {
        state = .remoteOffer(offer, previous: negotiated)
    }

    /// The peer answered our offer. An answer that repeats one already taken (a 200 after a 183
    /// carried the same answer) replaces the remote side of the completed exchange.
    public mutating func receivedAnswer(_ answer: SessionDescription) {
        switch state {
        case .localOffer(let offer, _):
            state = .done(Self.negotiated(local: offer, remote: answer, answer: answer))
        case .done(let previous):
            state = .done(Self.negotiated(local: previous.local, remote: answer, answer: answer))
        case .idle, .remoteOffer:
            break
        }
    }

    /// The SBC answered the peer's offer.
    public mutating func sentAnswer(_ answer: SessionDescription) {
        switch state {
        case .remoteOffer(let offer, _):
            state = .done(Self.negotiated(local: answer, remote: offer, answer: answer))
        case .done(let previous):
            state = .done(Self.negotiated(local: answer, remote: previous.remote, answer: answer))
        case .idle, .localOffer:
            break
        }
    }

    /// The pending offer was rejected (or abandoned): the session stays as it was.
    public mutating func rollback() {
        switch state {
        case .localOffer(_, let previous), .remoteOffer(_, let previous):
            state = previous.map(State.done) ?? .idle
        case .idle, .done:
            break
        }
    }

    private static func negotiated(local: SessionDescription, remote: SessionDescription,
                                   answer: SessionDescription) -> Negotiated {
        Negotiated(local: local, remote: remote, codecs: answer.media.map { description in
            guard description.port != 0 else { return [] }
            return description.formats.map {
                NegotiatedFormat(payloadType: $0, codec: description.codec(forPayloadType: $0))
            }
        })
    }
}

extension SessionDescription {
    /// Whether a peer holding `other` would have to be told about this one: the streams' formats
    /// or their codecs differ (addresses and ports are the relay's business, not the peer's).
    public func changesFormats(from other: SessionDescription) -> Bool {
        guard media.count == other.media.count else { return true }
        return zip(media, other.media).contains { new, old in
            (new.port == 0) != (old.port == 0) || new.formats != old.formats
                || new.formats.contains { new.codec(forPayloadType: $0) != old.codec(forPayloadType: $0) }
        }
    }
}
