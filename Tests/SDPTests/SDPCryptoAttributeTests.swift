import SDP
import Testing

@Suite struct SDPCryptoAttributeTests {
    /// RFC 4568 §9.1's example key (30 bytes).
    static let rfcKey = "PS1uQCVeeCFCanVmcjkpPywjNWhcYD0mXXtxaVBR"
    /// libsrtp2's GCM test key: 00..0f then a0..ab (28 bytes).
    static let gcmKey = "AAECAwQFBgcICQoLDA0OD6ChoqOkpaanqKmqqw=="

    // MARK: Valid attributes

    @Test func rfc4568ExampleWithLifetimeAndMKI() throws {
        let attribute = try SDPCryptoAttribute(value: "1 AES_CM_128_HMAC_SHA1_80 inline:\(Self.rfcKey)|2^20|1:4")
        #expect(attribute.tag == 1)
        #expect(attribute.suite == .aesCM128HMACSHA1_80)
        #expect(attribute.keys.count == 1)
        #expect(attribute.key.keyAndSalt.count == 30)
        #expect(attribute.key.keyAndSalt.prefix(3) == [0x3D, 0x2D, 0x6E])
        #expect(attribute.key.lifetime == .powerOfTwo(20))
        #expect(attribute.key.lifetime?.packetCount == 1_048_576)
        #expect(attribute.key.mki == SDPCryptoMKI(value: 1, length: 4))
        #expect(attribute.key.mki?.bytes == [0, 0, 0, 1])
        #expect(attribute.sessionParameters.isEmpty)
        #expect(attribute.value == "1 AES_CM_128_HMAC_SHA1_80 inline:\(Self.rfcKey)|2^20|1:4")
    }

    @Test func gcmKeyWithAndWithoutPadding() throws {
        let padded = try SDPCryptoAttribute(value: "7 AEAD_AES_128_GCM inline:\(Self.gcmKey)")
        #expect(padded.suite == .aeadAES128GCM)
        #expect(padded.key.keyAndSalt == Array(0...15) + Array(0xA0...0xAB))
        let unpadded = try SDPCryptoAttribute(value: "7 AEAD_AES_128_GCM inline:\(Self.gcmKey.dropLast(2))")
        #expect(unpadded == padded)
        #expect(unpadded.value == "7 AEAD_AES_128_GCM inline:\(Self.gcmKey)", "written back padded")
    }

    @Test func decimalLifetimeMKIOnlyAndLowercaseSuite() throws {
        let withLifetime = try SDPCryptoAttribute(value: "3 aes_cm_128_hmac_sha1_32 inline:\(Self.rfcKey)|1000")
        #expect(withLifetime.suite == .aesCM128HMACSHA1_32)
        #expect(withLifetime.key.lifetime == .packets(1000))
        #expect(withLifetime.key.mki == nil)
        #expect(withLifetime.value == "3 AES_CM_128_HMAC_SHA1_32 inline:\(Self.rfcKey)|1000")
        let withMKI = try SDPCryptoAttribute(value: "999999999 AES_CM_128_HMAC_SHA1_80 inline:\(Self.rfcKey)|258:2")
        #expect(withMKI.tag == 999_999_999)
        #expect(withMKI.key.lifetime == nil)
        #expect(withMKI.key.mki?.bytes == [1, 2])
    }

    @Test func severalKeysAndEverySessionParameter() throws {
        let value = "2 AES_CM_128_HMAC_SHA1_80 inline:\(Self.rfcKey)|2^20|1:4;inline:\(Self.rfcKey)|2^20|2:4 "
            + "KDR=0 UNENCRYPTED_SRTCP UNENCRYPTED_SRTP UNAUTHENTICATED_SRTP FEC_ORDER=SRTP_FEC "
            + "FEC_KEY=inline:\(Self.rfcKey) WSH=256 -X_VENDOR=1"
        let attribute = try SDPCryptoAttribute(value: value)
        #expect(attribute.keys.map(\.mki) == [SDPCryptoMKI(value: 1, length: 4), SDPCryptoMKI(value: 2, length: 4)])
        #expect(attribute.sessionParameters == [
            .keyDerivationRate(0), .unencryptedSRTCP, .unencryptedSRTP, .unauthenticatedSRTP, .fecOrder(.srtpFEC),
            .fecKey([SDPCryptoKeyParameter(keyAndSalt: attribute.key.keyAndSalt)]), .windowSizeHint(256),
            .extension("-X_VENDOR=1"),
        ])
        #expect(attribute.windowSizeHint == 256)
        #expect(attribute.value == value)
    }

    @Test func tabsAndRunsOfSpacesSeparateFields() throws {
        let attribute = try SDPCryptoAttribute(value: "1\tAES_CM_128_HMAC_SHA1_80  inline:\(Self.rfcKey)   WSH=64")
        #expect(attribute.value == "1 AES_CM_128_HMAC_SHA1_80 inline:\(Self.rfcKey) WSH=64")
    }

    @Test(arguments: SRTPCryptoSuite.allCases)
    func generatedKeysRoundTripForEverySuite(suite: SRTPCryptoSuite) throws {
        var random = SeededRandom(seed: 42)
        let key = SDPCryptoKeyParameter.random(for: suite, using: &random)
        #expect(key.keyAndSalt.count == suite.keyAndSaltLength)
        let attribute = SDPCryptoAttribute(tag: 5, suite: suite, key: key)
        #expect(try SDPCryptoAttribute(value: attribute.value) == attribute)
    }

    @Test func suiteSizes() {
        #expect(SRTPCryptoSuite.aesCM128HMACSHA1_80.keyAndSaltLength == 30)
        #expect(SRTPCryptoSuite.aesCM128HMACSHA1_32.rtpTagLength == 4)
        #expect(SRTPCryptoSuite.aesCM128HMACSHA1_32.rtcpTagLength == 10)
        #expect(SRTPCryptoSuite.aes256CMHMACSHA1_80.keyAndSaltLength == 46)
        #expect(SRTPCryptoSuite.aeadAES128GCM.keyAndSaltLength == 28)
        #expect(SRTPCryptoSuite.aeadAES128GCM.rtpTagLength == 16)
        #expect(SRTPCryptoSuite.aeadAES256GCM.keyAndSaltLength == 44)
    }

    @Test func descriptionsNeverShowTheKey() throws {
        let attribute = try SDPCryptoAttribute(
            value: "1 AES_CM_128_HMAC_SHA1_80 inline:\(Self.rfcKey)|2^20|1:4 FEC_KEY=inline:\(Self.rfcKey)")
        #expect(attribute.description == "crypto:1 AES_CM_128_HMAC_SHA1_80 inline:<30 bytes>|2^20|1:4 FEC_KEY=inline:<30 bytes>")
        #expect(!"\(attribute.key)".contains(Self.rfcKey.prefix(8)))
    }

    // MARK: Malformed and unsupported attributes

    static let key = "inline:\(rfcKey)"

    @Test(arguments: [
        ("", "a=crypto: missing the tag (expected <tag> <suite> inline:<key> [session parameters])"),
        ("0 AES_CM_128_HMAC_SHA1_80 \(key)", "a=crypto: tag '0' is not a number from 1 to 999999999"),
        ("1000000000 AES_CM_128_HMAC_SHA1_80 \(key)", "a=crypto: tag '1000000000' is not a number from 1 to 999999999"),
        ("x1 AES_CM_128_HMAC_SHA1_80 \(key)", "a=crypto: tag 'x1' is not a number from 1 to 999999999"),
        ("1", "a=crypto:1: missing the crypto suite (expected <tag> <suite> inline:<key> [session parameters])"),
        ("1 AES_CM_128_HMAC_SHA1_80",
         "a=crypto:1 AES_CM_128_HMAC_SHA1_80: missing the key parameters (expected <tag> <suite> inline:<key> [session parameters])"),
        ("1 F8_128_HMAC_SHA1_80 \(key)", "a=crypto:1 F8_128_HMAC_SHA1_80: crypto suite F8_128_HMAC_SHA1_80 is not supported"),
        ("1 AES_CM_128_HMAC_SHA1_80 uri:sip:keys@example.com",
         "a=crypto:1 AES_CM_128_HMAC_SHA1_80: key method 'uri' is not supported (only inline)"),
        ("1 AES_CM_128_HMAC_SHA1_80 \(rfcKey)", "a=crypto:1 AES_CM_128_HMAC_SHA1_80: malformed key parameter: expected inline:<key>"),
        ("1 AES_CM_128_HMAC_SHA1_80 inline:PS1uQCVeeCFCanVm*jkpPywjNWhcYD0mXXtxaVBR",
         "a=crypto:1 AES_CM_128_HMAC_SHA1_80: inline key is not valid base64: character 17 is not base64"),
        ("1 AES_CM_128_HMAC_SHA1_80 inline:PS1uQCVeeCFCan=mcjkpPywjNWhcYD0mXXtxaVBR",
         "a=crypto:1 AES_CM_128_HMAC_SHA1_80: inline key is not valid base64: misplaced '=' padding"),
        ("1 AES_CM_128_HMAC_SHA1_80 inline:PS1uQCVeeCFCanVmcjkpPywjNWhcYD0mXXtxaVBRx",
         "a=crypto:1 AES_CM_128_HMAC_SHA1_80: inline key is not valid base64: truncated (length 4n+1)"),
        ("1 AES_CM_128_HMAC_SHA1_80 inline:", "a=crypto:1 AES_CM_128_HMAC_SHA1_80: inline key is not valid base64: empty key"),
        ("1 AES_CM_128_HMAC_SHA1_80 inline:\(gcmKey)",
         "a=crypto:1 AES_CM_128_HMAC_SHA1_80: inline key is 28 bytes, expected 30 (16-byte key + 14-byte salt)"),
        ("1 AEAD_AES_128_GCM \(key)", "a=crypto:1 AEAD_AES_128_GCM: inline key is 30 bytes, expected 28 (16-byte key + 12-byte salt)"),
        ("1 AES_CM_128_HMAC_SHA1_80 \(key)|2^49",
         "a=crypto:1 AES_CM_128_HMAC_SHA1_80: lifetime '2^49': above the 2^48 packets a master key may protect (RFC 3711 §9.2)"),
        ("1 AES_CM_128_HMAC_SHA1_80 \(key)|281474976710657",
         "a=crypto:1 AES_CM_128_HMAC_SHA1_80: lifetime '281474976710657': above the 2^48 packets a master key may protect (RFC 3711 §9.2)"),
        ("1 AES_CM_128_HMAC_SHA1_80 \(key)|2^x", "a=crypto:1 AES_CM_128_HMAC_SHA1_80: lifetime '2^x': expected 2^n or a decimal packet count"),
        ("1 AES_CM_128_HMAC_SHA1_80 \(key)|0", "a=crypto:1 AES_CM_128_HMAC_SHA1_80: lifetime '0': a key must protect at least one packet"),
        ("1 AES_CM_128_HMAC_SHA1_80 \(key)|1:0", "a=crypto:1 AES_CM_128_HMAC_SHA1_80: MKI '1:0': the length must be 1 to 128 bytes"),
        ("1 AES_CM_128_HMAC_SHA1_80 \(key)|1:129", "a=crypto:1 AES_CM_128_HMAC_SHA1_80: MKI '1:129': the length must be 1 to 128 bytes"),
        ("1 AES_CM_128_HMAC_SHA1_80 \(key)|256:1", "a=crypto:1 AES_CM_128_HMAC_SHA1_80: MKI '256:1': the value does not fit in 1 byte"),
        ("1 AES_CM_128_HMAC_SHA1_80 \(key)|x:4", "a=crypto:1 AES_CM_128_HMAC_SHA1_80: MKI 'x:4': expected value:length in decimal"),
        ("1 AES_CM_128_HMAC_SHA1_80 \(key)|2^20|1:4|7",
         "a=crypto:1 AES_CM_128_HMAC_SHA1_80: malformed key parameter: more than two '|' parameters after the key"),
        ("1 AES_CM_128_HMAC_SHA1_80 \(key)|1:4|2^20",
         "a=crypto:1 AES_CM_128_HMAC_SHA1_80: malformed key parameter: the lifetime must come before the MKI and only once"),
        ("1 AES_CM_128_HMAC_SHA1_80 \(key);\(key)",
         "a=crypto:1 AES_CM_128_HMAC_SHA1_80: malformed key parameter: several keys need an MKI each, all of one length (RFC 4568 §6.1)"),
        ("1 AES_CM_128_HMAC_SHA1_80 \(key)|1:4;\(key)|2:2",
         "a=crypto:1 AES_CM_128_HMAC_SHA1_80: malformed key parameter: several keys need an MKI each, all of one length (RFC 4568 §6.1)"),
        ("1 AES_CM_128_HMAC_SHA1_80 \(key) KDR=25",
         "a=crypto:1 AES_CM_128_HMAC_SHA1_80: session parameter KDR: expected KDR=n with n from 0 to 24"),
        ("1 AES_CM_128_HMAC_SHA1_80 \(key) WSH=32",
         "a=crypto:1 AES_CM_128_HMAC_SHA1_80: session parameter WSH: expected WSH=n with n of at least 64"),
        ("1 AES_CM_128_HMAC_SHA1_80 \(key) FEC_ORDER=FEC",
         "a=crypto:1 AES_CM_128_HMAC_SHA1_80: session parameter FEC_ORDER: expected FEC_SRTP or SRTP_FEC"),
        ("1 AES_CM_128_HMAC_SHA1_80 \(key) UNENCRYPTED_SRTCP=1",
         "a=crypto:1 AES_CM_128_HMAC_SHA1_80: session parameter UNENCRYPTED_SRTCP: takes no value"),
        ("1 AES_CM_128_HMAC_SHA1_80 \(key) FEC_KEY=inline:\(gcmKey)",
         "a=crypto:1 AES_CM_128_HMAC_SHA1_80: inline key is 28 bytes, expected 30 (16-byte key + 14-byte salt)"),
    ])
    func malformedAttributesNameTheProblem(value: String, message: String) {
        let error = #expect(throws: SDPCryptoError.self) { try SDPCryptoAttribute(value: value) }
        #expect(error?.description == message)
        #expect(error.map { !$0.description.contains(Self.rfcKey) } == true, "the key never appears in an error")
    }

    @Test func unknownSuiteIsUnsupportedWhileBadKeyIsMalformed() {
        let unknown = #expect(throws: SDPCryptoError.self) {
            try SDPCryptoAttribute(value: "1 F8_128_HMAC_SHA1_80 \(Self.key)")
        }
        #expect(unknown?.isUnsupported == true)
        let badKey = #expect(throws: SDPCryptoError.self) {
            try SDPCryptoAttribute(value: "1 AEAD_AES_128_GCM \(Self.key)")
        }
        #expect(badKey?.isUnsupported == false)
    }

    // MARK: What the SBC terminates

    @Test(arguments: [
        "", " KDR=0", " WSH=128", " WSH=100000", " FEC_ORDER=SRTP_FEC", "|2^31", "|2^20|1:4", "|7:1",
    ])
    func supportedParameters(suffix: String) throws {
        let attribute = try SDPCryptoAttribute(value: "1 AES_CM_128_HMAC_SHA1_80 \(Self.key)\(suffix)")
        try attribute.checkTerminable(allowsUnencryptedSRTCP: false)
    }

    @Test(arguments: [
        ("|1:4;\(key)|2:4",
         "a=crypto:1 AES_CM_128_HMAC_SHA1_80: 2 master keys in one attribute are not supported: the SBC keeps one key per direction and re-keys by offer/answer, not by MKI"),
        (" KDR=10", "a=crypto:1 AES_CM_128_HMAC_SHA1_80: session parameter KDR is not supported: the SBC derives session keys once (KDR=0)"),
        (" UNENCRYPTED_SRTP", "a=crypto:1 AES_CM_128_HMAC_SHA1_80: session parameter UNENCRYPTED_SRTP is not supported: the SBC relays only encrypted SRTP"),
        (" UNAUTHENTICATED_SRTP",
         "a=crypto:1 AES_CM_128_HMAC_SHA1_80: session parameter UNAUTHENTICATED_SRTP is not supported: the SBC relays and latches only authenticated SRTP"),
        (" UNENCRYPTED_SRTCP",
         "a=crypto:1 AES_CM_128_HMAC_SHA1_80: session parameter UNENCRYPTED_SRTCP is not supported: this trunk does not allow unencrypted SRTCP"),
        (" FEC_ORDER=FEC_SRTP",
         "a=crypto:1 AES_CM_128_HMAC_SHA1_80: session parameter FEC_ORDER is not supported: the relay protects packet by packet, so FEC must be applied before SRTP (SRTP_FEC)"),
        (" FEC_KEY=\(key)", "a=crypto:1 AES_CM_128_HMAC_SHA1_80: session parameter FEC_KEY is not supported: the SBC keeps no separate FEC key"),
        (" X_NEW=1", "a=crypto:1 AES_CM_128_HMAC_SHA1_80: session parameter X_NEW is not supported: unknown to the SBC"),
        (" -X_OPT", "a=crypto:1 AES_CM_128_HMAC_SHA1_80: session parameter -X_OPT is not supported: unknown to the SBC"),
    ])
    func unsupportedParametersAreRefusedWithTheReason(suffix: String, message: String) throws {
        let attribute = try SDPCryptoAttribute(value: "1 AES_CM_128_HMAC_SHA1_80 \(Self.key)\(suffix)")
        let error = #expect(throws: SDPCryptoError.self) { try attribute.checkTerminable(allowsUnencryptedSRTCP: false) }
        #expect(error?.description == message)
        #expect(error?.isUnsupported == true)
    }

    @Test func unencryptedSRTCPOnlyWhereTheTrunkAllowsIt() throws {
        let attribute = try SDPCryptoAttribute(value: "1 AES_CM_128_HMAC_SHA1_80 \(Self.key) UNENCRYPTED_SRTCP")
        try attribute.checkTerminable(allowsUnencryptedSRTCP: true)
        #expect(throws: SDPCryptoError.self) { try attribute.checkTerminable(allowsUnencryptedSRTCP: false) }
    }

    // MARK: In a media section

    @Test func mediaSectionReadsAndReplacesCryptoLines() throws {
        var media = MediaDescription(type: "audio", port: 4000, proto: "RTP/SAVP", formats: ["0"], lines: [
            SDPLine(type: "a", value: "rtpmap:0 PCMU/8000"),
            SDPLine(type: "a", value: "crypto:1 AES_CM_128_HMAC_SHA1_80 \(Self.key)"),
            SDPLine(type: "a", value: "crypto:2 BOGUS \(Self.key)"),
            SDPLine(type: "a", value: "sendrecv"),
        ])
        #expect(media.securityProfile == .secure)
        #expect(media.hasCryptoAttributes)
        let parsed = media.cryptoAttributes
        #expect(parsed.count == 2)
        #expect((try? parsed[0].get())?.tag == 1)
        #expect(throws: SDPCryptoError.self) { try parsed[1].get() }
        let replacement = SDPCryptoAttribute(tag: 9, suite: .aeadAES128GCM,
                                             key: SDPCryptoKeyParameter(keyAndSalt: Array(0...15) + Array(0xA0...0xAB)))
        media.setCryptoAttributes([replacement])
        #expect(media.lines.map(\.value) == ["rtpmap:0 PCMU/8000", "crypto:9 AEAD_AES_128_GCM inline:\(Self.gcmKey)", "sendrecv"])
        media.setCryptoAttributes([])
        #expect(!media.hasCryptoAttributes)
    }

    @Test(arguments: [
        ("RTP/AVP", RTPSecurityProfile.plain, "RTP/SAVP", "RTP/AVP"),
        ("RTP/AVPF", .plain, "RTP/SAVPF", "RTP/AVPF"),
        ("RTP/SAVP", .secure, "RTP/SAVP", "RTP/AVP"),
        ("rtp/savpf", .secure, "rtp/savpf", "RTP/AVPF"),
        ("UDP/TLS/RTP/SAVPF", .dtls, "UDP/TLS/RTP/SAVPF", "UDP/TLS/RTP/SAVPF"),
        ("udptl", .notRTP, "udptl", "udptl"),
    ])
    func securityProfiles(proto: String, profile: RTPSecurityProfile, secured: String, plain: String) {
        #expect(RTPSecurityProfile(proto: proto) == profile)
        #expect(RTPSecurityProfile.secured(proto) == secured)
        #expect(RTPSecurityProfile.plain(proto) == plain)
    }
}

/// A counter posing as a random source: every key it makes is known in advance, and two seeds
/// never make the same key.
struct SeededRandom: RandomNumberGenerator {
    var state: UInt64

    init(seed: UInt64) { state = seed << 32 }

    mutating func next() -> UInt64 {
        state &+= 0x0103_0507_0B0D_1113
        return state
    }
}
