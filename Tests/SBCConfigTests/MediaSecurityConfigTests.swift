import SDP
import Testing
import SBCConfig

/// `trunks[].srtp` and `trunks[].sdp_identity`: defaults, values, and each problem with its key
/// path and line (the keys are added to trunk `a` of `FailoverConfigTests.yaml`, from line 9).
@Suite("Media security configuration")
struct MediaSecurityConfigTests {
    @Test("defaults: plain RTP only, GCM then AES-CM suites, no unencrypted SRTCP, DTLS refused, identity stripped")
    func defaults() throws {
        let trunk = try #require(TestSupport.load(FailoverConfigTests.yaml())?.trunk(named: "a"))
        #expect(trunk.srtp == MediaSecuritySettings())
        #expect(trunk.srtp.policy == .none)
        #expect(trunk.srtp.suites == [.aeadAES128GCM, .aesCM128HMACSHA1_80, .aesCM128HMACSHA1_32])
        #expect(!trunk.srtp.unencryptedSRTCP)
        #expect(trunk.srtp.dtls == .refuse)
        #expect(trunk.sdpIdentity == .strip)
    }

    @Test("every key is read")
    func values() throws {
        let yaml = FailoverConfigTests.yaml(trunk: """
                srtp:
                  policy: required
                  suites: [AES_CM_128_HMAC_SHA1_80, AEAD_AES_256_GCM]
                  unencrypted_srtcp: true
                  dtls: relay
                sdp_identity: keep
            """)
        let trunk = try #require(TestSupport.load(yaml)?.trunk(named: "a"))
        #expect(trunk.srtp == MediaSecuritySettings(policy: .required, suites: [.aesCM128HMACSHA1_80, .aeadAES256GCM],
                                                    unencryptedSRTCP: true, dtls: .relay))
        #expect(trunk.sdpIdentity == .keep)
        #expect(trunk.srtp.sdes.policy == .required)
    }

    @Test("problems name the key, the line and what is allowed", arguments: [
        ("    srtp: {policy: mandatory}", "trunks[0].srtp.policy", "must be one of none, optional, required"),
        ("    srtp: {suites: [AES_CM_128_HMAC_SHA1_81]}", "trunks[0].srtp.suites[0]",
         "did you mean \"AES_CM_128_HMAC_SHA1_80\"?"),
        ("    srtp: {suites: []}", "trunks[0].srtp.suites", "must list at least one suite"),
        ("    srtp: {suites: [AEAD_AES_128_GCM, AEAD_AES_128_GCM]}", "trunks[0].srtp.suites[1]",
         "lists AEAD_AES_128_GCM twice"),
        ("    srtp: {dtls: terminate}", "trunks[0].srtp.dtls", "must be one of refuse, relay"),
        ("    srtp: {key: x}", "trunks[0].srtp.key", "unknown key \"key\""),
        ("    sdp_identity: rewrite", "trunks[0].sdp_identity", "must be one of strip, keep"),
    ])
    func problems(line: String, keyPath: String, message: String) {
        TestSupport.expectSingleProblem(FailoverConfigTests.yaml(trunk: line), keyPath: keyPath, line: 9,
                                        containing: message)
    }
}
