import SDP
import Testing

/// telephone-event in SDP (docs/MEDIA.md, "DTMF"): found per section, offered with a free payload
/// type to a leg whose other side did not offer it, removed from an answer whose offer lacked it.
@Suite struct TelephoneEventSDPTests {
    /// One audio stream with `formats` and the a= lines `attributes`.
    static func audio(_ formats: String, _ attributes: [String]) throws -> SessionDescription {
        try SDPFixtures.parse("v=0\no=- 1 1 IN IP4 192.0.2.1\ns=-\nc=IN IP4 192.0.2.1\nt=0 0\nm=audio 4000 RTP/AVP \(formats)\n"
            + attributes.map { "a=\($0)\n" }.joined())
    }

    @Test func findsTheFormatItsClockRateAndThePacketTime() throws {
        let carrier = try SDPFixtures.parse(SDPFixtures.carrierAudioVideo)
        #expect(carrier.media[0].telephoneEvent == MediaDescription.TelephoneEvent(payloadType: 101, clockRate: 8000))
        #expect(carrier.media[0].packetTime == .milliseconds(20))
        #expect(carrier.media[1].telephoneEvent == nil, "video")
        let browser = try SDPFixtures.parse(SDPFixtures.webRTC)
        #expect(browser.media[0].telephoneEvent == MediaDescription.TelephoneEvent(payloadType: 110, clockRate: 48000))
        #expect(browser.media[0].packetTime == nil)
        #expect(try SDPFixtures.parse(SDPFixtures.sipp).media[0].telephoneEvent == nil)
    }

    @Test func addsTelephoneEventWithPayloadType101AfterTheCodecLines() throws {
        var sdp = try SDPFixtures.parse(SDPFixtures.sipp)
        #expect(sdp.media[0].addTelephoneEvent() == MediaDescription.TelephoneEvent(payloadType: 101, clockRate: 8000))
        #expect(SDPFixtures.text(sdp) == SDPFixtures.crlf("""
        v=0
        o=user1 53655765 2353687637 IN IP4 127.0.1.1
        s=-
        c=IN IP4 127.0.1.1
        t=0 0
        m=audio 6000 RTP/AVP 0 101
        a=rtpmap:0 PCMU/8000
        a=rtpmap:101 telephone-event/8000
        a=fmtp:101 0-16

        """))
        #expect(sdp.media[0].addTelephoneEvent() == nil, "already there")
    }

    @Test func picksAFreeDynamicPayloadTypeAndTheFirstCodecsClock() throws {
        var sdp = try Self.audio("101 96 0", ["rtpmap:101 opus/48000/2", "rtpmap:96 AMR-WB/16000", "fmtp:97 mode-set=1"])
        let added = sdp.media[0].addTelephoneEvent()
        #expect(added == MediaDescription.TelephoneEvent(payloadType: 98, clockRate: 48000),
                "101 and 96 are formats, 97 has an fmtp line: 98 is the first free")
        #expect(sdp.media[0].formats == ["101", "96", "0", "98"])
        #expect(sdp.media[0].telephoneEvent == added)
    }

    @Test func anAnswerRepeatsTheOffersPayloadTypeWhenItIsFree() throws {
        var sdp = try SDPFixtures.parse(SDPFixtures.sipp)
        let offered = MediaDescription.TelephoneEvent(payloadType: 96, clockRate: 8000)
        #expect(sdp.media[0].addTelephoneEvent(preferred: offered) == offered)
        var taken = try SDPFixtures.parse(SDPFixtures.sipp)
        #expect(taken.media[0].addTelephoneEvent(preferred: MediaDescription.TelephoneEvent(payloadType: 0, clockRate: 8000))
            == MediaDescription.TelephoneEvent(payloadType: 101, clockRate: 8000), "PCMU holds 0")
    }

    @Test func onlyAcceptedAudioRTPSectionsGetIt() throws {
        var video = try SDPFixtures.parse(SDPFixtures.carrierAudioVideo)
        #expect(video.media[1].addTelephoneEvent() == nil)
        var fax = try SDPFixtures.parse(SDPFixtures.t38)
        #expect(fax.media.allSatisfy { $0.telephoneEvent == nil })
        for index in fax.media.indices { #expect(fax.media[index].addTelephoneEvent() == nil) }
        var rejected = try SDPFixtures.parse(SDPFixtures.sipp)
        rejected.media[0].port = 0
        #expect(rejected.media[0].addTelephoneEvent() == nil)
    }

    @Test func removesTheFormatWithItsLinesButNeverTheLastFormat() throws {
        var sdp = try SDPFixtures.parse(SDPFixtures.carrierAudioVideo)
        #expect(sdp.media[0].removeTelephoneEvent() == ["101"])
        let text = SDPFixtures.text(sdp)
        #expect(!text.contains("telephone-event") && !text.contains("fmtp:101"))
        #expect(sdp.media[0].telephoneEvent == nil)
        var only = try Self.audio("101", ["rtpmap:101 telephone-event/8000"])
        #expect(only.media[0].removeTelephoneEvent().isEmpty, "a section without formats would be invalid")
        #expect(only.media[0].formats == ["101"])
    }
}
