import SDP
import Testing

@Suite struct CodecPolicyTests {
    @Test func filtersAndReordersAudioAndLeavesVideoAlone() throws {
        var sdp = try SDPFixtures.parse(SDPFixtures.carrierAudioVideo)
        let policy = CodecPolicy(allowed: ["PCMA", "pcmu", "telephone-event"])
        #expect(policy.apply(to: &sdp) == .filtered(removed: ["18", "3"]))
        #expect(SDPFixtures.text(sdp) == SDPFixtures.crlf("""
        v=0
        o=carrier 1000 1000 IN IP4 203.0.113.80
        s=SBC
        c=IN IP4 203.0.113.80
        t=0 0
        m=audio 20000 RTP/AVP 8 0 101
        a=rtpmap:101 telephone-event/8000
        a=fmtp:101 0-16
        a=ptime:20
        m=video 20002 RTP/AVP 34
        a=rtpmap:34 H263/90000

        """))
    }

    @Test func removedPayloadTypesLoseRtpmapFmtpAndRtcpFb() throws {
        var sdp = try SDPFixtures.parse(SDPFixtures.webRTC)
        #expect(CodecPolicy(allowed: ["PCMA"]).apply(to: &sdp.media[0]) == .filtered(removed: ["111", "9", "0", "13"]))
        let audio = SDPFixtures.text(sdp).split(separator: "\r\n").drop { !$0.hasPrefix("m=") }.joined(separator: "\n")
        #expect(audio == """
        m=audio 54321 UDP/TLS/RTP/SAVPF 8 110
        c=IN IP4 198.51.100.10
        a=rtcp:9 IN IP4 0.0.0.0
        a=candidate:842163049 1 udp 1677729535 198.51.100.10 54321 typ srflx raddr 10.0.0.5 rport 54321 generation 0
        a=ice-ufrag:EsAw
        a=ice-pwd:P2uYro0UCOQ4zxjKXaWCBui1
        a=ice-options:trickle
        a=fingerprint:sha-256 D2:FA:0E:C3:22:59:5E:14:95:69:92:3D:13:B4:84:24:2C:C2:A2:C0:3E:FD:34:8E:5E:EA:6F:AF:52:CE:E6:0F
        a=setup:actpass
        a=mid:0
        a=sendrecv
        a=rtcp-mux
        a=rtpmap:8 PCMA/8000
        a=rtpmap:110 telephone-event/48000
        a=ssrc:3735928559 cname:4TOk42mSjXCkVIa6
        a=end-of-candidates
        """)
    }

    @Test func telephoneEventIsKeptEvenWhenNotListedAndGoesLast() throws {
        var audio = try SDPFixtures.parse(SDPFixtures.linphoneICE).media[0]
        #expect(CodecPolicy(allowed: ["opus", "PCMA"]).apply(to: &audio) == .filtered(removed: ["97", "0", "18"]))
        #expect(audio.formats == ["96", "8", "101"])
        #expect(audio.attribute("fmtp") == .some("96 useinbandfec=1"))
        #expect(!audio.lines.contains { $0.value.hasPrefix("rtpmap:97") || $0.value.hasPrefix("fmtp:97") || $0.value.hasPrefix("fmtp:18") })
        #expect(audio.lines.contains(SDPLine(type: "a", value: "rtcp-fb:* trr-int 1000")), "wildcard feedback stays")
        #expect(audio.lines.contains(SDPLine(type: "a", value: "rtcp-fb:96 nack")))
    }

    @Test func orderIsStableAmongFormatsOfOneName() {
        var audio = MediaDescription(type: "audio", port: 4000, proto: "RTP/AVP", formats: ["111", "0", "112", "101"], lines: [
            SDPLine(type: "a", value: "rtpmap:111 opus/48000/2"),
            SDPLine(type: "a", value: "rtpmap:112 OPUS/48000"),
            SDPLine(type: "a", value: "rtpmap:101 telephone-event/8000"),
        ])
        #expect(CodecPolicy(allowed: ["telephone-event", "PCMU", "opus"]).apply(to: &audio) == .filtered(removed: []))
        #expect(audio.formats == ["101", "0", "111", "112"])
        #expect(audio.lines.count == 3)
    }

    @Test func staticPayloadTypeWithoutRtpmapIsRecognised() throws {
        var audio = try SDPFixtures.parse(SDPFixtures.carrierAudioVideo).media[0]
        #expect(CodecPolicy(allowed: ["G729"]).apply(to: &audio) == .filtered(removed: ["0", "8", "3"]))
        #expect(audio.formats == ["18", "101"])
        #expect(audio.attribute("fmtp") == .some("18 annexb=no"))
    }

    @Test func dynamicPayloadTypeWithoutRtpmapIsRemoved() {
        var audio = MediaDescription(type: "audio", port: 4000, proto: "RTP/AVP", formats: ["8", "98"],
                                     lines: [SDPLine(type: "a", value: "fmtp:98 mode=30")])
        #expect(CodecPolicy(allowed: ["PCMA", "iLBC"]).apply(to: &audio) == .filtered(removed: ["98"]))
        #expect(audio.formats == ["8"])
        #expect(audio.lines.isEmpty)
    }

    @Test func comfortNoisePassesOnlyWhenListedAndIsNotAVoiceCodec() throws {
        let audio = try SDPFixtures.parse(SDPFixtures.webRTC).media[0]
        var withCN = audio
        #expect(CodecPolicy(allowed: ["PCMU", "CN"]).apply(to: &withCN) == .filtered(removed: ["111", "9", "8"]))
        #expect(withCN.formats == ["0", "13", "110"])
        var withoutCN = audio
        #expect(CodecPolicy(allowed: ["PCMU"]).apply(to: &withoutCN) == .filtered(removed: ["111", "9", "8", "13"]))
        var onlyCN = audio
        #expect(CodecPolicy(allowed: ["CN", "telephone-event"]).apply(to: &onlyCN) == .noCommonCodec)
        #expect(onlyCN == audio)
    }

    @Test func noVoiceCodecLeftIsNotAcceptableAndLeavesTheSectionAsItWas() throws {
        let original = try SDPFixtures.parse(SDPFixtures.hold)
        var sdp = original
        #expect(CodecPolicy(allowed: ["G729", "telephone-event"]).apply(to: &sdp) == .noCommonCodec)
        #expect(sdp == original)
    }

    @Test func anyAudioSectionWithoutVoiceCodecFailsTheDescription() throws {
        var sdp = try SDPFixtures.parse(SDPFixtures.sipp)
        var second = sdp.media[0]
        second.formats = ["8"]
        second.lines = []
        sdp.media.append(second)
        #expect(CodecPolicy(allowed: ["PCMA"]).apply(to: &sdp) == .noCommonCodec)
        #expect(sdp.media[0].formats == ["0"], "the failing section is untouched")
    }

    @Test func emptyPolicyIsANoOp() throws {
        let original = try SDPFixtures.parse(SDPFixtures.linphoneICE)
        var sdp = original
        let policy = CodecPolicy(allowed: [])
        #expect(policy.isEmpty)
        #expect(policy.apply(to: &sdp) == .unchanged)
        #expect(policy.apply(to: &sdp.media[0]) == .unchanged)
        #expect(sdp == original)
    }

    @Test func alreadyConformingOfferIsUnchanged() throws {
        var sdp = try SDPFixtures.parse(SDPFixtures.hold)
        #expect(CodecPolicy(allowed: ["PCMA", "telephone-event"]).apply(to: &sdp) == .unchanged)
    }

    @Test func nonAudioRejectedAndNonRTPSectionsAreLeftAlone() throws {
        var fax = try SDPFixtures.parse(SDPFixtures.t38)
        #expect(CodecPolicy(allowed: ["PCMA"]).apply(to: &fax) == .unchanged)
        var rejected = MediaDescription(type: "audio", port: 0, proto: "RTP/AVP", formats: ["18"])
        #expect(CodecPolicy(allowed: ["PCMA"]).apply(to: &rejected) == .unchanged)
        var video = try SDPFixtures.parse(SDPFixtures.carrierAudioVideo).media[1]
        #expect(CodecPolicy(allowed: ["PCMA"]).apply(to: &video) == .unchanged)
    }
}
