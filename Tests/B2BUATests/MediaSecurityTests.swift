import Media
import SDP
import SIPCore
import Testing
@testable import B2BUA

/// SDES-SRTP termination per leg on the sans-IO B2BUA: each leg keyed by the SBC, its trunk's
/// policy deciding the profile, keys never crossing, identity attributes hidden.
@Suite struct MediaSecurityTests {
    static let carrier = MediaAnchorTests.carrier
    static let platform = MediaAnchorTests.platform
    static let platformKey = "inline:AQIDBAUGBwgJCgsMDQ4PEBESExQVFhcYGRobHB0e"

    /// The platform's SRTP offer: two suites, and identity attributes that name it.
    static let srtpOffer = """
        v=0
        o=agent 100 1 IN IP4 192.0.2.10
        s=call
        c=IN IP4 192.0.2.10
        t=0 0
        m=audio 4000 RTP/SAVP 8 101
        a=rtpmap:8 PCMA/8000
        a=rtpmap:101 telephone-event/8000
        a=crypto:1 AES_CM_128_HMAC_SHA1_32 \(platformKey)
        a=crypto:2 AES_CM_128_HMAC_SHA1_80 \(platformKey)
        a=ssrc:12345 cname:sip:agent@192.0.2.10
        a=msid:stream track
        a=sendrecv

        """

    static func harness(_ srtp: String = "{policy: optional}") throws -> B2BUAHarness {
        try B2BUAHarness(media: MediaAnchorTests.media, platformSRTP: srtp)
    }

    static func lastSpec(_ harness: inout B2BUAHarness) throws -> MediaSessionSpec {
        try #require(MediaAnchorTests.applied(harness.b2bua.takeMediaInstructions()).last)
    }

    @Test func anSRTPPlatformReachesAPlainCarrierAsRTPAndGetsTheSBCsOwnKey() throws {
        var harness = try Self.harness()
        let out = harness.receive(B2BUAHarness.invite(sdpBody: Self.srtpOffer))
        let invite = try #require(out.requests(.invite, to: Self.carrier).first)
        let text = String(decoding: invite.body, as: UTF8.self)
        #expect(text.contains("m=audio") && text.contains("RTP/AVP 8 101"), "plain RTP for the carrier")
        #expect(!text.contains("crypto"), "no key reaches the carrier")
        #expect(!text.contains("cname") && !text.contains("msid") && !text.contains("ssrc"), "identity hidden")

        let answered = harness.receive(B2BUAHarness.response(200, "OK", to: invite, sdpBody: MediaAnchorTests.answer),
                                       from: B2BUAHarness.carrierA)
        let ok = try #require(answered.responses(200, to: Self.platform).first)
        let audio = try #require(MediaAnchorTests.sdp(of: ok).media.first)
        #expect(audio.proto == "RTP/SAVP")
        let crypto = try #require(try audio.cryptoAttributes.first?.get())
        #expect(audio.cryptoAttributes.count == 1)
        #expect(crypto.tag == 2 && crypto.suite == .aesCM128HMACSHA1_80, "the trunk's first suite the platform offered")
        #expect(!String(decoding: ok.body, as: UTF8.self).contains(Self.platformKey), "our own key, not the platform's")

        let stream = try #require(Self.lastSpec(&harness).streams.first)
        let keys = try #require(stream.a.srtp)
        #expect(keys.suite == .aesCM128HMACSHA1_80)
        #expect(keys.local == crypto.key, "the relay protects towards the platform with the key we sent it")
        let offered = try SDPCryptoAttribute(value: "2 AES_CM_128_HMAC_SHA1_80 \(Self.platformKey)")
        #expect(keys.remote == offered.key, "the relay unprotects the platform's packets with the platform's key")
        #expect(stream.b.srtp == nil, "plain towards the carrier")
    }

    @Test func aPlainPlatformStaysPlainUnderOptional() throws {
        var harness = try Self.harness()
        let (invite, ok, _) = try MediaAnchorTests.establish(&harness)
        #expect(!String(decoding: invite.body, as: UTF8.self).contains("crypto"))
        #expect(try MediaAnchorTests.sdp(of: ok).media.first?.proto == "RTP/AVP")
        #expect(try Self.lastSpec(&harness).streams.first?.a.srtp == nil)
    }

    @Test func requiredRefusesAPlainOfferWith488AndAReason() throws {
        var harness = try Self.harness("{policy: required}")
        let out = harness.receive(B2BUAHarness.invite(sdpBody: MediaAnchorTests.offer))
        #expect(out.requests(.invite, to: Self.carrier).isEmpty)
        let refused = try #require(out.responses(488, to: Self.platform).first)
        #expect(refused.reasonPhrase.contains("platform"), "\(refused.reasonPhrase)")
    }

    @Test func dtlsSRTPIsRefusedUnlessBothTrunksRelayIt() throws {
        var harness = try Self.harness()
        let dtls = MediaAnchorTests.offer.replacingOccurrences(of: "RTP/AVP 0 8 101", with: "UDP/TLS/RTP/SAVP 0 8 101")
            + "a=fingerprint:sha-256 AB:CD\na=setup:actpass\n"
        let out = harness.receive(B2BUAHarness.invite(sdpBody: dtls))
        let refused = try #require(out.responses(488, to: Self.platform).first)
        #expect(refused.reasonPhrase.contains("DTLS-SRTP"))
    }

    @Test func aReInviteThatKeepsTheKeysKeepsOurKeyToo() throws {
        var harness = try Self.harness()
        let first = harness.receive(B2BUAHarness.invite(sdpBody: Self.srtpOffer))
        let invite = try #require(first.requests(.invite, to: Self.carrier).first)
        let answered = harness.receive(B2BUAHarness.response(200, "OK", to: invite, sdpBody: MediaAnchorTests.answer),
                                       from: B2BUAHarness.carrierA)
        let ok = try #require(answered.responses(200, to: Self.platform).first)
        let aTag = try #require(ok.to?.tag)
        harness.receive(B2BUAHarness.platformRequest("ACK", toTag: aTag, cseq: 1, branch: "z9hG4bKack1"))
        let before = try #require(Self.lastSpec(&harness).streams.first?.a.srtp)

        let hold = Self.srtpOffer.replacingOccurrences(of: "o=agent 100 1", with: "o=agent 100 2")
            .replacingOccurrences(of: "a=sendrecv", with: "a=sendonly")
        let relayed = harness.receive(B2BUAHarness.platformRequest("INVITE", toTag: aTag, cseq: 2, branch: "z9hG4bKre",
                                                                   sdpBody: hold))
        let reinvite = try #require(relayed.requests(.invite, to: Self.carrier).first)
        #expect(!String(decoding: reinvite.body, as: UTF8.self).contains("crypto"))
        let reanswered = harness.receive(B2BUAHarness.response(200, "OK", to: reinvite, sdpBody: MediaAnchorTests.answer),
                                         from: B2BUAHarness.carrierA)
        let reOK = try #require(reanswered.responses(200, to: Self.platform).first)
        let crypto = try #require(try MediaAnchorTests.sdp(of: reOK).media.first?.cryptoAttributes.first?.get())
        #expect(crypto.key == before.local, "same key: the relay keeps its contexts and rollover counter")
        #expect(try Self.lastSpec(&harness).streams.first?.a.srtp == before)
    }

    @Test func aNewCarrierLegAfterMidCallFailoverLeavesThePlatformsKeys() throws {
        var harness = try B2BUAHarness(media: MediaAnchorTests.media, critical: true, platformSRTP: "{policy: optional}")
        let first = harness.receive(B2BUAHarness.invite(sdpBody: Self.srtpOffer))
        let invite = try #require(first.requests(.invite, to: Self.carrier).first)
        harness.receive(B2BUAHarness.response(200, "OK", to: invite, sdpBody: MediaAnchorTests.answer),
                        from: B2BUAHarness.carrierA)
        let spec = try Self.lastSpec(&harness)
        let platformKeys = try #require(spec.streams.first?.a.srtp)
        let out = harness.media(.timeout(spec.id, side: .b, silence: .seconds(4)))
        let inviteB = try #require(out.requests(.invite, to: "198.51.100.12").first)
        #expect(!String(decoding: inviteB.body, as: UTF8.self).contains("crypto"), "the carrier leg stays plain")
        harness.receive(B2BUAHarness.response(200, "OK", to: inviteB, sdpBody: MidCallFailoverTests.answerB),
                        from: B2BUAHarness.carrierB)
        #expect(try Self.lastSpec(&harness).streams.first?.a.srtp == platformKeys, "the platform's keys and ROC stay")
    }
}
