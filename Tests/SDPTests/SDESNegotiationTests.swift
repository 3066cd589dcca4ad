import SDP
import Testing

@Suite struct SDESNegotiationTests {
    static let cmKey = "inline:\(SDPCryptoAttributeTests.rfcKey)"
    static let gcmKey = "inline:\(SDPCryptoAttributeTests.gcmKey)"

    static func audio(_ proto: String, crypto: [String] = [], port: Int = 4000) -> MediaDescription {
        MediaDescription(type: "audio", port: port, proto: proto, formats: ["0", "101"],
                         lines: [SDPLine(type: "a", value: "rtpmap:0 PCMU/8000")]
                             + crypto.map { SDPLine(type: "a", value: "crypto:" + $0) }
                             + [SDPLine(type: "a", value: "sendrecv")])
    }

    /// A platform-style offer: three suites, GCM last.
    static let savpOffer = audio("RTP/SAVP", crypto: [
        "1 AES_CM_128_HMAC_SHA1_80 \(cmKey)",
        "2 AES_CM_128_HMAC_SHA1_32 \(cmKey)",
        "3 AEAD_AES_128_GCM \(gcmKey)",
    ])

    static func settings(_ policy: SRTPPolicy, _ suites: [SRTPCryptoSuite] = [.aeadAES128GCM, .aesCM128HMACSHA1_80],
                         unencryptedSRTCP: Bool = false) -> SDESSettings
    {
        SDESSettings(policy: policy, suites: suites, allowsUnencryptedSRTCP: unencryptedSRTCP)
    }

    func answer(_ settings: SDESSettings, _ offer: MediaDescription, previous: SDESStreamKeys? = nil,
                seed: UInt64 = 1) throws(SDESRefusal) -> SDESAnswer
    {
        var random = SeededRandom(seed: seed)
        return try settings.answer(offer: offer, previous: previous, using: &random)
    }

    func refusal(_ settings: SDESSettings, _ offer: MediaDescription) -> String? {
        #expect(throws: SDESRefusal.self) { try answer(settings, offer) }?.description
    }

    // MARK: Answers: suite choice

    @Test func answerTakesTheTrunksFirstSuiteUnderTheOfferedTag() throws {
        let result = try answer(Self.settings(.optional), Self.savpOffer)
        var random = SeededRandom(seed: 1)
        let expectedKey = SDPCryptoKeyParameter.random(for: .aeadAES128GCM, using: &random)
        #expect(result.proto == "RTP/SAVP")
        #expect(result.crypto == SDPCryptoAttribute(tag: 3, suite: .aeadAES128GCM, key: expectedKey))
        let keys = try #require(result.security.keys)
        #expect(keys.suite == .aeadAES128GCM)
        #expect(keys.remote.keyAndSalt == Array(0...15) + Array(0xA0...0xAB))
        #expect(keys.local == expectedKey)
        #expect(!keys.unencryptedSRTCP)

        var media = Self.savpOffer
        result.apply(to: &media)
        #expect(media.lines.map(\.value) == ["rtpmap:0 PCMU/8000", "crypto:" + result.crypto!.value, "sendrecv"])
    }

    @Test func trunkOrderWinsOverOfferOrder() throws {
        let result = try answer(Self.settings(.required, [.aesCM128HMACSHA1_32, .aesCM128HMACSHA1_80]), Self.savpOffer)
        #expect(result.crypto?.tag == 2)
        #expect(result.crypto?.suite == .aesCM128HMACSHA1_32)
    }

    @Test func unacceptableLinesAreSkippedForALaterAcceptableOne() throws {
        let offer = Self.audio("RTP/SAVP", crypto: [
            "1 AEAD_AES_128_GCM \(Self.gcmKey) UNENCRYPTED_SRTP",
            "2 AEAD_AES_128_GCM \(Self.cmKey)",
            "3 AES_CM_128_HMAC_SHA1_80 \(Self.cmKey)|2^31|1:1",
        ])
        let result = try answer(Self.settings(.required), offer)
        #expect(result.crypto?.tag == 3)
        #expect(result.crypto?.key.mki == nil, "the SBC's own key has no MKI")
        #expect(result.security.keys?.remote.mki == SDPCryptoMKI(value: 1, length: 1))
        #expect(result.security.keys?.remote.lifetime == .powerOfTwo(31))
    }

    @Test func noAcceptableLineListsEveryReasonWithoutKeys() {
        let offer = Self.audio("RTP/SAVP", crypto: [
            "1 F8_128_HMAC_SHA1_80 \(Self.cmKey)",
            "2 AEAD_AES_128_GCM \(Self.cmKey)",
            "3 AES_CM_128_HMAC_SHA1_32 \(Self.cmKey)",
            "4 AES_CM_128_HMAC_SHA1_80 \(Self.cmKey) UNENCRYPTED_SRTCP",
        ])
        let message = refusal(Self.settings(.optional), offer)
        #expect(message == "no acceptable a=crypto: "
            + "a=crypto:1 F8_128_HMAC_SHA1_80: crypto suite F8_128_HMAC_SHA1_80 is not supported; "
            + "a=crypto:2 AEAD_AES_128_GCM: inline key is 30 bytes, expected 28 (16-byte key + 12-byte salt); "
            + "a=crypto:3 AES_CM_128_HMAC_SHA1_32: crypto suite AES_CM_128_HMAC_SHA1_32 is not in this trunk's list; "
            + "a=crypto:4 AES_CM_128_HMAC_SHA1_80: session parameter UNENCRYPTED_SRTCP is not supported: "
            + "this trunk does not allow unencrypted SRTCP")
        #expect(message?.contains(SDPCryptoAttributeTests.rfcKey) == false)
    }

    @Test func unencryptedSRTCPIsEchoedWhereAllowed() throws {
        let offer = Self.audio("RTP/SAVP", crypto: ["5 AES_CM_128_HMAC_SHA1_80 \(Self.cmKey) UNENCRYPTED_SRTCP WSH=512"])
        let result = try answer(Self.settings(.optional, unencryptedSRTCP: true), offer)
        #expect(result.crypto?.sessionParameters == [.unencryptedSRTCP])
        #expect(result.security.keys?.unencryptedSRTCP == true)
        #expect(result.security.keys?.remoteWindowSizeHint == 512)
    }

    // MARK: Answers: policy

    @Test func plainOfferWithoutCrypto() throws {
        let offer = Self.audio("RTP/AVP")
        #expect(try answer(Self.settings(.none), offer) == SDESAnswer(proto: "RTP/AVP", crypto: nil, security: .plain))
        #expect(try answer(Self.settings(.optional), offer) == SDESAnswer(proto: "RTP/AVP", crypto: nil, security: .plain))
        #expect(refusal(Self.settings(.required), offer) == "SRTP required: the offer (RTP/AVP) has no a=crypto")
        #expect(refusal(Self.settings(.required), Self.audio("RTP/AVPF")) == "SRTP required: the offer (RTP/AVPF) has no a=crypto")
    }

    @Test func bestEffortOfferWithCryptoOnRTPAVP() throws {
        let offer = Self.audio("RTP/AVP", crypto: ["1 AES_CM_128_HMAC_SHA1_80 \(Self.cmKey)"])
        let none = try answer(Self.settings(.none), offer)
        #expect(none.security == .plain)
        var media = offer
        none.apply(to: &media)
        #expect(!media.hasCryptoAttributes, "the peer's key is never echoed or passed on")

        for policy in [SRTPPolicy.optional, .required] {
            let secure = try answer(Self.settings(policy), offer)
            #expect(secure.proto == "RTP/AVP", "best-effort SRTP keeps the offered profile")
            #expect(secure.crypto?.tag == 1)
            #expect(secure.security.keys?.suite == .aesCM128HMACSHA1_80)
        }

        let unacceptable = Self.audio("RTP/AVP", crypto: ["1 AES_256_CM_HMAC_SHA1_80 inline:\(String(repeating: "A", count: 62))=="])
        #expect(try answer(Self.settings(.optional), unacceptable).security == .plain, "optional falls back to plain")
        #expect(refusal(Self.settings(.required), unacceptable) == "no acceptable a=crypto: "
            + "a=crypto:1 AES_256_CM_HMAC_SHA1_80: crypto suite AES_256_CM_HMAC_SHA1_80 is not in this trunk's list")
    }

    @Test func secureOffers() throws {
        #expect(refusal(Self.settings(.none), Self.savpOffer) == "SRTP not allowed on this trunk: the offer uses RTP/SAVP")
        #expect(refusal(Self.settings(.optional), Self.audio("RTP/SAVP"))
            == "RTP/SAVP offer without a=crypto: only SDES keying is supported")
        #expect(refusal(Self.settings(.required), Self.audio("UDP/TLS/RTP/SAVPF"))
            == "DTLS-SRTP (UDP/TLS/RTP/SAVPF) is not terminated by the SBC")
        let savpf = Self.audio("RTP/SAVPF", crypto: ["1 AES_CM_128_HMAC_SHA1_80 \(Self.cmKey)"])
        #expect(try answer(Self.settings(.optional), savpf).proto == "RTP/SAVPF")
    }

    @Test func streamsSRTPDoesNotCoverArePlain() throws {
        let fax = MediaDescription(type: "image", port: 5000, proto: "udptl", formats: ["t38"])
        #expect(try answer(Self.settings(.required), fax).security == .plain)
        let rejected = Self.audio("RTP/AVP", port: 0)
        #expect(try answer(Self.settings(.required), rejected).security == .plain)
    }

    @Test func reOfferWithTheSameKeyKeepsTheSBCsKey() throws {
        let first = try answer(Self.settings(.optional), Self.savpOffer, seed: 1)
        let keys = try #require(first.security.keys)
        let again = try answer(Self.settings(.optional), Self.savpOffer, previous: keys, seed: 2)
        #expect(again.security.keys == keys)
        #expect(again.crypto == first.crypto)

        let rekeyed = Self.audio("RTP/SAVP", crypto: ["3 AEAD_AES_128_GCM inline:\(String(repeating: "B", count: 38))=="])
        let changed = try answer(Self.settings(.optional), rekeyed, previous: keys, seed: 2)
        #expect(changed.security.keys?.local != keys.local, "a new peer key gets a new SBC key")
    }

    // MARK: Offers and their answers

    @Test func offersPerPolicy() {
        var random = SeededRandom(seed: 7)
        let none = Self.settings(.none).offer(proto: "RTP/SAVPF", using: &random)
        #expect(none == SDESOffer(proto: "RTP/AVPF", crypto: []))

        let optional = Self.settings(.optional).offer(proto: "RTP/SAVP", using: &random)
        #expect(optional.proto == "RTP/AVP", "best effort: a plain peer can still answer")
        #expect(optional.crypto.map(\.tag) == [1, 2])
        #expect(optional.crypto.map(\.suite) == [.aeadAES128GCM, .aesCM128HMACSHA1_80])
        #expect(optional.crypto.map(\.key.keyAndSalt.count) == [28, 30])
        #expect(optional.crypto[0].key != optional.crypto[1].key)

        let required = Self.settings(.required).offer(proto: "RTP/AVPF", using: &random)
        #expect(required.proto == "RTP/SAVPF")
        #expect(required.crypto.count == 2)

        let fax = Self.settings(.required).offer(proto: "udptl", using: &random)
        #expect(fax == SDESOffer(proto: "udptl", crypto: []))
    }

    @Test func offerReplacesTheOtherLegsKeys() {
        var random = SeededRandom(seed: 3)
        let offer = Self.settings(.required, [.aesCM128HMACSHA1_80]).offer(proto: Self.savpOffer.proto, using: &random)
        var media = Self.savpOffer
        offer.apply(to: &media)
        #expect(media.proto == "RTP/SAVP")
        #expect(media.lines.map(\.value) == ["rtpmap:0 PCMU/8000", "crypto:" + offer.crypto[0].value, "sendrecv"])
    }

    @Test func aPeerAnsweringOurOfferEndsWithMirroredKeys() throws {
        var random = SeededRandom(seed: 11)
        let sbc = Self.settings(.required)
        let offer = sbc.offer(proto: "RTP/AVP", using: &random)
        var offered = Self.audio("RTP/AVP")
        offer.apply(to: &offered)

        let peer = Self.settings(.optional, [.aesCM128HMACSHA1_80])
        let peerAnswer = try peer.answer(offer: offered, using: &random)
        var answered = offered
        peerAnswer.apply(to: &answered)

        let ours = try #require(try sbc.accept(answer: answered, to: offer).keys)
        let theirs = try #require(peerAnswer.security.keys)
        #expect(ours.suite == .aesCM128HMACSHA1_80)
        #expect(ours.local == theirs.remote)
        #expect(ours.remote == theirs.local)
    }

    @Test func answersWithoutCrypto() throws {
        var random = SeededRandom(seed: 5)
        let plainAnswer = Self.audio("RTP/AVP")
        let optional = Self.settings(.optional)
        #expect(try optional.accept(answer: plainAnswer, to: optional.offer(proto: "RTP/AVP", using: &random)) == .plain)
        let required = Self.settings(.required)
        let offer = required.offer(proto: "RTP/AVP", using: &random)
        let error = #expect(throws: SDESRefusal.self) { try required.accept(answer: Self.audio("RTP/SAVP"), to: offer) }
        #expect(error?.description == "SRTP required: the answer (RTP/SAVP) has no a=crypto")
        #expect(try required.accept(answer: Self.audio("RTP/SAVP", port: 0), to: offer) == .plain, "a declined stream")
    }

    @Test(arguments: [
        (["9 AEAD_AES_128_GCM \(gcmKey)"], "the answer's a=crypto:9 AEAD_AES_128_GCM matches no offered line"),
        (["1 AES_CM_128_HMAC_SHA1_80 \(cmKey)"], "the answer's a=crypto:1 AES_CM_128_HMAC_SHA1_80 matches no offered line"),
        (["1 AEAD_AES_128_GCM \(gcmKey)", "2 AES_CM_128_HMAC_SHA1_80 \(cmKey)"], "the answer has 2 a=crypto lines, expected one"),
        (["1 AEAD_AES_128_GCM \(cmKey)"],
         "the answer's a=crypto:1 AEAD_AES_128_GCM: inline key is 30 bytes, expected 28 (16-byte key + 12-byte salt)"),
        (["1 AEAD_AES_128_GCM \(gcmKey) UNENCRYPTED_SRTCP"],
         "the answer's a=crypto:1 AEAD_AES_128_GCM: session parameter UNENCRYPTED_SRTCP is not supported: this trunk does not allow unencrypted SRTCP"),
    ])
    func badAnswersAreRefused(crypto: [String], message: String) {
        var random = SeededRandom(seed: 5)
        let settings = Self.settings(.required, unencryptedSRTCP: true)
        let offer = settings.offer(proto: "RTP/AVP", using: &random)
        let error = #expect(throws: SDESRefusal.self) {
            try settings.accept(answer: Self.audio("RTP/SAVP", crypto: crypto), to: offer)
        }
        #expect(error?.description == message)
    }
}
