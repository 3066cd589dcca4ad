import SDP
import Testing

/// The per-dialog RFC 3264 state: what each end last agreed to survives a rejected offer, and a
/// pending offer of the peer's counts as its latest SDP.
@Suite struct OfferAnswerNegotiatorTests {
    static func sdp(_ formats: String, version: Int = 1, port: Int = 4000) throws -> SessionDescription {
        let rtpmaps = formats.split(separator: " ").map { format -> String in
            switch format {
            case "0": "a=rtpmap:0 PCMU/8000"
            case "8": "a=rtpmap:8 PCMA/8000"
            default: "a=rtpmap:\(format) telephone-event/8000"
            }
        }.joined(separator: "\r\n")
        let text = "v=0\r\no=- 1 \(version) IN IP4 192.0.2.10\r\ns=-\r\nc=IN IP4 192.0.2.10\r\nt=0 0\r\n"
            + "m=audio \(port) RTP/AVP \(formats)\r\n\(rtpmaps)\r\n"
        return try SessionDescription(parsing: Array(text.utf8))
    }

    @Test func aRemoteOfferAndOurAnswerCompleteAnExchangeWithTheAnswersCodecs() throws {
        var negotiator = OfferAnswerNegotiator()
        #expect(negotiator.state == .idle)
        #expect(negotiator.latestRemote == nil)
        let offer = try Self.sdp("0 8 101")
        negotiator.receivedOffer(offer)
        #expect(negotiator.latestRemote == offer, "a pending offer is the peer's latest SDP")
        #expect(negotiator.negotiated == nil)
        let answer = try Self.sdp("8 101", port: 40000)
        negotiator.sentAnswer(answer)
        let done = try #require(negotiator.negotiated)
        #expect(done.local == answer && done.remote == offer)
        #expect(done.codecs.first?.map(\.payloadType) == ["8", "101"])
        #expect(done.codecs.first?.first?.codec?.name == "PCMA")
    }

    @Test func aRejectedOfferLeavesTheLastExchange() throws {
        var negotiator = OfferAnswerNegotiator()
        negotiator.sentOffer(try Self.sdp("0 8"))
        negotiator.receivedAnswer(try Self.sdp("0"))
        let agreed = try #require(negotiator.negotiated)
        negotiator.receivedOffer(try Self.sdp("8", version: 2))
        #expect(negotiator.negotiated == agreed, "still the old exchange while the offer is pending")
        negotiator.rollback()
        #expect(negotiator.state == .done(agreed))
        #expect(negotiator.latestRemote == agreed.remote)
    }

    @Test func aRepeatedAnswerReplacesTheRemoteSide() throws {
        var negotiator = OfferAnswerNegotiator()
        negotiator.sentOffer(try Self.sdp("0 8"))
        negotiator.receivedAnswer(try Self.sdp("0"))
        let final = try Self.sdp("8", version: 2)
        negotiator.receivedAnswer(final)
        #expect(negotiator.negotiated?.remote == final)
    }

    @Test func answersOutOfTurnAreIgnoredAndRollbackWithoutHistoryIsIdle() throws {
        var negotiator = OfferAnswerNegotiator()
        negotiator.receivedAnswer(try Self.sdp("0"))
        negotiator.sentAnswer(try Self.sdp("0"))
        #expect(negotiator.state == .idle)
        negotiator.sentOffer(try Self.sdp("0"))
        negotiator.rollback()
        #expect(negotiator.state == .idle)
    }

    @Test func formatChangesAreWhatAPeerMustBeToldAbout() throws {
        let pcma = try Self.sdp("8 101")
        #expect(!(try Self.sdp("8 101", version: 5, port: 42000)).changesFormats(from: pcma), "ports are the relay's")
        #expect(try Self.sdp("0 101").changesFormats(from: pcma))
        #expect(try Self.sdp("8").changesFormats(from: pcma))
        #expect(try Self.sdp("8 102").changesFormats(from: pcma), "another payload type")
    }
}
