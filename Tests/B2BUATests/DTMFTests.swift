import Media
import SDP
import SIPCore
import Testing
@testable import B2BUA

/// DTMF per trunk in the B2BUA (docs/MEDIA.md, "DTMF"): relay events become SIP INFO on a leg
/// that takes INFO, INFO becomes a relay command for a leg that takes RFC 4733, telephone-event is
/// offered to a leg that needs it and stripped from the answer back, and each leg's payload types
/// reach the relay.
@Suite struct DTMFTests {
    static let carrier = "198.51.100.11"
    static let platform = "192.0.2.10"

    /// One PCMU stream, with telephone-event as `eventPT` if given (and a=ptime:20 if asked).
    static func sdp(owner: String, host: String, port: Int, eventPT: Int?, ptime: Bool = false) -> String {
        "v=0\no=\(owner) 7 7 IN IP4 \(host)\ns=-\nc=IN IP4 \(host)\nt=0 0\n"
            + "m=audio \(port) RTP/AVP 0\(eventPT.map { " \($0)" } ?? "")\na=rtpmap:0 PCMU/8000\n"
            + (eventPT.map { "a=rtpmap:\($0) telephone-event/8000\na=fmtp:\($0) 0-15\n" } ?? "") + (ptime ? "a=ptime:20\n" : "")
    }

    static let offerWithEvents = sdp(owner: "agent", host: platform, port: 4000, eventPT: 101, ptime: true)
    static let offerWithoutEvents = sdp(owner: "agent", host: platform, port: 4000, eventPT: nil)

    static func answer(eventPT: Int?) -> String {
        sdp(owner: "carrier", host: carrier, port: 5000, eventPT: eventPT)
    }

    static func harness(platform: String = "", carrierA: String) throws -> B2BUAHarness {
        try B2BUAHarness(platform: platform, carrierA: carrierA, media: MediaAnchorTests.media)
    }

    /// INVITE with `offer`, 200 with `answer`, ACK.
    static func establish(_ harness: inout B2BUAHarness, offer: String = DTMFTests.offerWithEvents,
                          answer: String = DTMFTests.answer(eventPT: 101)) throws
        -> (invite: SIPMessage, ok: SIPMessage, aTag: String)
    {
        try MediaAnchorTests.establish(&harness, offer: offer, answer: answer)
    }

    static func lastSpec(_ harness: inout B2BUAHarness) throws -> MediaSessionSpec {
        try #require(MediaAnchorTests.applied(harness.b2bua.takeMediaInstructions()).last)
    }

    /// An INFO from the platform in its dialog.
    static func platformInfo(toTag: String, cseq: Int, branch: String, type: String, body: String) -> String {
        """
        INFO sip:sbc@10.0.0.1:5060 SIP/2.0
        Via: SIP/2.0/UDP 192.0.2.10:5060;branch=\(branch)
        Max-Forwards: 70
        From: "Agent" <sip:+15550001111@192.0.2.10>;tag=pltag
        To: <sip:+15551230000@10.0.0.1>;tag=\(toTag)
        Call-ID: call-1@192.0.2.10
        CSeq: \(cseq) INFO
        Content-Type: \(type)
        Content-Length: \(body.utf8.count)

        \(body)
        """
    }

    static func report(_ event: UInt8, samples: UInt32 = 1280) -> TelephoneEventReport {
        TelephoneEventReport(event: event, duration: samples, volume: 10, ending: .endBit)
    }

    // MARK: - Events to INFO

    @Test func eventsFromThePlatformBecomeINFOInTheCarriersDialog() throws {
        var harness = try Self.harness(carrierA: "dtmf: info")
        let (invite, _, _) = try Self.establish(&harness)
        let spec = try Self.lastSpec(&harness)
        let stream = try #require(spec.streams.first)
        #expect(stream.a.dtmf.receivePayloadType == 101, "the platform's events are detected")
        #expect(stream.b.dtmf.sendPayloadType == nil, "and never forwarded to a carrier that takes INFO")
        #expect(stream.b.dtmf.receivePayloadType == 101 && stream.a.dtmf.sendPayloadType == 101)
        #expect(stream.a.dtmf.interval == .milliseconds(20), "the platform's ptime")

        var sent: [SIPMessage] = []
        for (number, digit) in [UInt8(4), 11, 4].enumerated() {
            let out = harness.media(.telephoneEvent(spec.id, side: .a, Self.report(digit, samples: 1280 + UInt32(number) * 80),
                                                    length: .milliseconds(160 + number * 10)))
            sent += out.requests(.info, to: Self.carrier)
        }
        #expect(sent.count == 3)
        #expect(sent.map { String(decoding: $0.body, as: UTF8.self) } == [
            "Signal=4\r\nDuration=160\r\n", "Signal=#\r\nDuration=170\r\n", "Signal=4\r\nDuration=180\r\n",
        ])
        #expect(sent.allSatisfy { $0.mediaType == "application/dtmf-relay" })
        #expect(sent.allSatisfy { $0.callID == invite.callID && $0.to?.tag == "crtag" && $0.from?.tag == invite.from?.tag })
        let numbers = sent.compactMap { $0.cseq?.number }
        #expect(numbers.count == 3 && numbers == numbers.sorted() && Set(numbers).count == 3
                && numbers[0] > invite.cseq!.number, "the carrier dialog's own CSeq space")

        // Refusals and silence never end the call.
        harness.receive(B2BUAHarness.response(481, "Call Does Not Exist", to: sent[0]), from: B2BUAHarness.carrierA)
        harness.receive(B2BUAHarness.response(200, "OK", to: sent[1]), from: B2BUAHarness.carrierA)
        let later = harness.advance(by: .seconds(40))
        #expect(later.requests(.bye, to: Self.carrier).isEmpty && later.requests(.bye, to: Self.platform).isEmpty)
        #expect(harness.b2bua.activeCalls == 1)

        let counts = harness.b2bua.takeDTMFCounts()
        #expect(counts.filter { $0 == DTMFEventCount(trunk: "platform", direction: .received, method: .rfc4733) }.count == 3)
        #expect(counts.filter { $0 == DTMFEventCount(trunk: "carrier-a", direction: .sent, method: .info) }.count == 3)
    }

    @Test func infoBodyTypeIsTheCarriersAndEventsBeforeTheAnswerSendNothing() throws {
        var harness = try Self.harness(carrierA: "dtmf: info, dtmf_info_type: dtmf")
        let first = harness.receive(B2BUAHarness.invite(sdpBody: Self.offerWithEvents))
        let invite = try #require(first.requests(.invite, to: Self.carrier).first)
        harness.receive(B2BUAHarness.response(183, "Session Progress", to: invite, sdpBody: Self.answer(eventPT: 101)),
                        from: B2BUAHarness.carrierA)
        let id = try Self.lastSpec(&harness).id
        #expect(harness.media(.telephoneEvent(id, side: .a, Self.report(1), length: .milliseconds(100))).isEmpty,
                "no INFO into an early dialog")
        harness.receive(B2BUAHarness.response(200, "OK", to: invite, sdpBody: Self.answer(eventPT: 101)),
                        from: B2BUAHarness.carrierA)
        let info = try #require(harness.media(.telephoneEvent(id, side: .a, Self.report(12), length: .milliseconds(100)))
            .requests(.info, to: Self.carrier).first)
        #expect(info.mediaType == "application/dtmf")
        #expect(String(decoding: info.body, as: UTF8.self) == "A")
    }

    @Test func eventsRelayedToAPassthroughOrRFC4733CarrierAreOnlyCounted() throws {
        var harness = try Self.harness(carrierA: "dtmf: rfc4733")
        _ = try Self.establish(&harness)
        let spec = try Self.lastSpec(&harness)
        #expect(spec.streams[0].b.dtmf.sendPayloadType == 101, "forwarded with the carrier's payload type")
        let out = harness.media(.telephoneEvent(spec.id, side: .a, Self.report(3), length: .milliseconds(100)))
        #expect(out.isEmpty)
        #expect(harness.b2bua.takeDTMFCounts() == [
            DTMFEventCount(trunk: "platform", direction: .received, method: .rfc4733),
            DTMFEventCount(trunk: "carrier-a", direction: .sent, method: .rfc4733),
        ])
    }

    // MARK: - INFO to events

    @Test func infoFromThePlatformBecomesARelayCommandForAnRFC4733Carrier() throws {
        var harness = try Self.harness(carrierA: "dtmf: rfc4733")
        let (_, _, aTag) = try Self.establish(&harness)
        let spec = try Self.lastSpec(&harness)
        for (index, (type, body)) in [("application/dtmf-relay", "Signal=#\r\nDuration=200\r\n"),
                                      ("application/dtmf", "9")].enumerated() {
            let out = harness.receive(Self.platformInfo(toTag: aTag, cseq: 2 + index, branch: "z9hG4bKinfo\(index)",
                                                        type: type, body: body))
            #expect(out.responses(200, to: Self.platform).count == 1, "answered here")
            #expect(out.messages(to: Self.carrier).isEmpty, "not relayed to a carrier that takes RFC 4733")
        }
        let commands = harness.b2bua.takeMediaInstructions().compactMap { instruction -> [String]? in
            guard case .telephoneEvent(let id, let side, let stream, let event, let duration) = instruction.command else {
                return nil
            }
            return ["\(id == spec.id)", "\(side)", "\(stream)", "\(event)", "\(duration)"]
        }
        #expect(commands == [["true", "b", "0", "11", "0.2 seconds"], ["true", "b", "0", "9", "0.25 seconds"]],
                "towards the carrier side, the default 250 ms for a body without duration")
        #expect(harness.b2bua.takeDTMFCounts().map(\.method) == [.info, .rfc4733, .info, .rfc4733])
    }

    @Test func infoIsRelayedToAPassthroughCarrierAndConvertedBetweenBodyTypes() throws {
        var plain = try Self.harness(carrierA: "")
        let (_, _, aTag) = try Self.establish(&plain)
        let relayed = plain.receive(Self.platformInfo(toTag: aTag, cseq: 2, branch: "z9hG4bKi1", type: "application/dtmf",
                                                      body: "5"))
        let info = try #require(relayed.requests(.info, to: Self.carrier).first)
        #expect(String(decoding: info.body, as: UTF8.self) == "5" && info.mediaType == "application/dtmf")
        #expect(relayed.responses(200, to: Self.platform).isEmpty, "the carrier's answer is relayed")
        _ = plain.b2bua.takeMediaInstructions()

        var converting = try Self.harness(carrierA: "dtmf: info")
        let (_, _, tag) = try Self.establish(&converting)
        let out = converting.receive(Self.platformInfo(toTag: tag, cseq: 2, branch: "z9hG4bKi2", type: "application/dtmf",
                                                       body: "5"))
        #expect(out.responses(200, to: Self.platform).count == 1)
        let converted = try #require(out.requests(.info, to: Self.carrier).first)
        #expect(converted.mediaType == "application/dtmf-relay")
        #expect(String(decoding: converted.body, as: UTF8.self) == "Signal=5\r\nDuration=250\r\n")
        let same = converting.receive(Self.platformInfo(toTag: tag, cseq: 3, branch: "z9hG4bKi3",
                                                        type: "application/dtmf-relay", body: "Signal=6\r\nDuration=90"))
        #expect(same.responses(200, to: Self.platform).isEmpty, "already the carrier's type: relayed end to end")
        #expect(same.requests(.info, to: Self.carrier).count == 1)
    }

    // MARK: - SDP

    @Test func telephoneEventOfferedToAnRFC4733CarrierAndStrippedFromTheAnswerBack() throws {
        var harness = try Self.harness(carrierA: "dtmf: rfc4733")
        let (invite, ok, aTag) = try Self.establish(&harness, offer: Self.offerWithoutEvents,
                                                    answer: Self.answer(eventPT: 101))
        let offered = try #require(try SessionDescription(parsing: invite.body).media.first)
        #expect(offered.formats == ["0", "101"])
        #expect(offered.telephoneEvent == MediaDescription.TelephoneEvent(payloadType: 101, clockRate: 8000))
        let answered = try #require(try SessionDescription(parsing: ok.body).media.first)
        #expect(answered.formats == ["0"], "the platform never offered it")
        #expect(!String(decoding: ok.body, as: UTF8.self).contains("telephone-event"))

        let spec = try Self.lastSpec(&harness)
        let stream = try #require(spec.streams.first)
        #expect(stream.b.dtmf.receivePayloadType == 101 && stream.b.dtmf.sendPayloadType == 101)
        #expect(stream.a.dtmf.receivePayloadType == nil && stream.a.dtmf.sendPayloadType == nil,
                "the platform neither sends nor takes events: the carrier's are not forwarded to it")

        // The platform's INFO is injected towards the carrier.
        harness.receive(Self.platformInfo(toTag: aTag, cseq: 2, branch: "z9hG4bKi9", type: "application/dtmf-relay",
                                          body: "Signal=7\r\nDuration=120\r\n"))
        #expect(harness.b2bua.takeMediaInstructions().contains {
            if case .telephoneEvent(_, .b, 0, 7, .milliseconds(120)) = $0.command { true } else { false }
        })
    }

    @Test func anINFOCarriersAnswerKeepsThePlatformsTelephoneEventSoThePlatformMaySendEvents() throws {
        var harness = try Self.harness(carrierA: "dtmf: info")
        let (_, ok, _) = try Self.establish(&harness, offer: Self.offerWithEvents, answer: Self.answer(eventPT: nil))
        let answered = try #require(try SessionDescription(parsing: ok.body).media.first)
        #expect(answered.formats == ["0", "101"], "the SBC takes the platform's events itself")
        #expect(answered.telephoneEvent == MediaDescription.TelephoneEvent(payloadType: 101, clockRate: 8000))
        let stream = try #require(try Self.lastSpec(&harness).streams.first)
        #expect(stream.a.dtmf.receivePayloadType == 101 && stream.b.dtmf.sendPayloadType == nil)

        var passthrough = try Self.harness(carrierA: "")
        let (_, plain, _) = try Self.establish(&passthrough, offer: Self.offerWithEvents, answer: Self.answer(eventPT: nil))
        #expect(try SessionDescription(parsing: plain.body).media.first?.formats == ["0"],
                "a passthrough carrier's answer crosses as it is")
    }

    @Test func passthroughAndInfoCarriersAreOfferedWhatThePlatformOffered() throws {
        for mode in ["", "dtmf: info", "dtmf: passthrough"] {
            var harness = try Self.harness(carrierA: mode)
            let out = harness.receive(B2BUAHarness.invite(sdpBody: Self.offerWithoutEvents))
            let invite = try #require(out.requests(.invite, to: Self.carrier).first)
            #expect(try SessionDescription(parsing: invite.body).media.first?.formats == ["0"], "\(mode)")
        }
    }

    @Test func bothTakesRFC4733WhenNegotiatedAndINFOOtherwise() throws {
        var negotiated = try Self.harness(carrierA: "dtmf: both")
        _ = try Self.establish(&negotiated, offer: Self.offerWithoutEvents, answer: Self.answer(eventPT: 96))
        let spec = try Self.lastSpec(&negotiated)
        #expect(spec.streams[0].b.dtmf.sendPayloadType == 96, "the carrier's own payload type")
        #expect(spec.streams[0].b.dtmf.receivePayloadType == 101, "the one the SBC offered it")

        var refused = try Self.harness(carrierA: "dtmf: both")
        let (_, _, aTag) = try Self.establish(&refused, offer: Self.offerWithoutEvents, answer: Self.answer(eventPT: nil))
        let out = refused.receive(Self.platformInfo(toTag: aTag, cseq: 2, branch: "z9hG4bKb1", type: "application/dtmf",
                                                    body: "2"))
        #expect(out.responses(200, to: Self.platform).count == 1)
        let info = try #require(out.requests(.info, to: Self.carrier).first)
        #expect(String(decoding: info.body, as: UTF8.self) == "Signal=2\r\nDuration=250\r\n", "INFO fallback")
    }

    @Test func payloadTypesFollowEachLegsOwnSDP() throws {
        // The platform offers events as 101; the carrier answers them as 100 (RFC 3264 lets it).
        var harness = try Self.harness(carrierA: "dtmf: passthrough")
        _ = try Self.establish(&harness, offer: Self.offerWithEvents, answer: Self.answer(eventPT: 100))
        let stream = try #require(try Self.lastSpec(&harness).streams.first)
        #expect(stream.a.dtmf.sendPayloadType == 101 && stream.b.dtmf.receivePayloadType == 101,
                "the carrier sends with the payload type of the offer it got, the platform takes that one")
        #expect(stream.b.dtmf.sendPayloadType == 100 && stream.a.dtmf.receivePayloadType == 100,
                "the platform sends with the carrier's answer, which the carrier takes")
    }
}
