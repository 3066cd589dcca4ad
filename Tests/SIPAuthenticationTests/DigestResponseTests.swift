import Testing
@testable import SIPAuthentication

/// Response values against the RFC examples (RFC 2617 3.5, RFC 7616 3.9.1) and the shape of
/// the header the SBC writes.
@Suite("Digest responses")
struct DigestResponseTests {
    @Test("RFC 2617 section 3.5: MD5, qop=auth")
    func rfc2617Example() {
        let response = DigestAuthorization.response(
            algorithm: .md5, username: "Mufasa", password: "Circle Of Life", realm: "testrealm@host.com",
            nonce: "dcd98b7102dd2f0e8b11d0f600bfb0c093", uri: "/dir/index.html", method: "GET", qop: "auth",
            cnonce: "0a4f113b", nonceCount: 1)
        #expect(response == "6629fae49393a05397450978507c4ef1")
    }

    static let rfc7616Challenge = """
        Digest realm="http-auth@example.org", qop="auth, auth-int", algorithm=SHA-256, \
        nonce="7ypf/xlj9XXwfDPEoM4URrv/xwf94BcCAzFZH4GiTo0v", opaque="FQhe/qaU925kfnzjCev0ciny7QMkPqMAFRtzCUYo5tdS"
        """
    static let rfc7616Cnonce = "f2/wE4q74E6zIJEtWaHKaf5wv/H5QzzpXusqGemxURZJ"
    static let mufasa = DigestCredentials(username: "Mufasa", password: "Circle of Life")

    @Test("RFC 7616 section 3.9.1: SHA-256 and MD5")
    func rfc7616Examples() throws {
        let challenge = try #require(DigestChallenge.parseList(Self.rfc7616Challenge).first)
        let sha = try #require(DigestAuthorization(challenge: challenge, credentials: Self.mufasa, method: "GET",
                                                   uri: "/dir/index.html", cnonce: Self.rfc7616Cnonce, nonceCount: 1))
        #expect(sha.algorithm == .sha256)
        #expect(sha.qop == "auth", "auth is preferred over auth-int")
        #expect(sha.response == "753927fa0e85d155564e2e272a28d1802ca10daf4496794697cf8db5856cb6c1")
        #expect(sha.nonceCountText == "00000001")

        var md5Challenge = challenge
        md5Challenge.parameters = challenge.parameters.map { $0.name == "algorithm" ? ("algorithm", "MD5") : $0 }
        let md5 = try #require(DigestAuthorization(challenge: md5Challenge, credentials: Self.mufasa, method: "GET",
                                                   uri: "/dir/index.html", cnonce: Self.rfc7616Cnonce, nonceCount: 1))
        #expect(md5.response == "8ca523f5e9506fed4657c9700eebdbec")
    }

    @Test("the header: quoted strings, tokens for algorithm, qop and nc, opaque echoed")
    func headerValue() throws {
        let challenge = try #require(DigestChallenge.parseList(Self.rfc7616Challenge).first)
        let answer = try #require(DigestAuthorization(challenge: challenge, credentials: Self.mufasa, method: "GET",
                                                      uri: "/dir/index.html", cnonce: Self.rfc7616Cnonce, nonceCount: 1))
        #expect(answer.headerValue == """
            Digest username="Mufasa", realm="http-auth@example.org", \
            nonce="7ypf/xlj9XXwfDPEoM4URrv/xwf94BcCAzFZH4GiTo0v", uri="/dir/index.html", \
            response="753927fa0e85d155564e2e272a28d1802ca10daf4496794697cf8db5856cb6c1", algorithm=SHA-256, \
            cnonce="f2/wE4q74E6zIJEtWaHKaf5wv/H5QzzpXusqGemxURZJ", qop=auth, nc=00000001, \
            opaque="FQhe/qaU925kfnzjCev0ciny7QMkPqMAFRtzCUYo5tdS"
            """)
    }

    @Test("legacy challenge without qop (RFC 2069): no cnonce, no nc, no algorithm written")
    func legacyWithoutQop() throws {
        let challenge = try #require(DigestChallenge.parseList(#"Digest realm="carrier.example", nonce="abc123""#).first)
        let answer = try #require(DigestAuthorization(challenge: challenge, credentials: Self.mufasa, method: "INVITE",
                                                      uri: "sip:+15551230000@198.51.100.11", cnonce: "ignored",
                                                      nonceCount: 1))
        #expect(answer.qop == nil)
        #expect(answer.cnonce == nil)
        // H(H(A1):nonce:H(A2)) computed by hand from the definitions.
        let ha1 = DigestAlgorithm.md5.hex("Mufasa:carrier.example:Circle of Life")
        let ha2 = DigestAlgorithm.md5.hex("INVITE:sip:+15551230000@198.51.100.11")
        #expect(answer.response == DigestAlgorithm.md5.hex("\(ha1):abc123:\(ha2)"))
        #expect(!answer.headerValue.contains("nc="))
        #expect(!answer.headerValue.contains("cnonce="))
        #expect(!answer.headerValue.contains("algorithm="))
    }

    @Test("-sess algorithms hash nonce and cnonce into HA1; auth-int hashes the body; userhash")
    func sessionIntegrityAndUserhash() throws {
        let challenge = try #require(DigestChallenge.parseList(
            #"Digest realm="r", nonce="n", qop="auth-int", algorithm=SHA-256-sess, userhash=true"#).first)
        let body = Array("v=0\r\n".utf8)
        let answer = try #require(DigestAuthorization(challenge: challenge, credentials: Self.mufasa, method: "INVITE",
                                                      uri: "sip:x@h", body: body, cnonce: "c", nonceCount: 2))
        let h = DigestAlgorithm.sha256
        let ha1 = h.hex("\(h.hex("Mufasa:r:Circle of Life")):n:c")
        let ha2 = h.hex("INVITE:sip:x@h:\(h.hex(body))")
        #expect(answer.response == h.hex("\(ha1):n:00000002:c:auth-int:\(ha2)"))
        #expect(answer.username == h.hex("Mufasa:r"))
        #expect(answer.headerValue.contains("userhash=true"))
        #expect(!answer.headerValue.contains("Mufasa"))
    }

    @Test("a -sess algorithm without qop cannot be answered (no cnonce)")
    func sessionWithoutQop() throws {
        let challenge = try #require(DigestChallenge.parseList(#"Digest realm="r", nonce="n", algorithm=MD5-sess"#).first)
        #expect(DigestAuthorization(challenge: challenge, credentials: Self.mufasa, method: "INVITE", uri: "sip:x@h",
                                    cnonce: "c", nonceCount: 1) == nil)
    }

    @Test("credentials never print their password")
    func credentialsRedacted() {
        let credentials = DigestCredentials(username: "lab", password: "s3cret-pass", realm: "carrier.example")
        struct Holder { var credentials: DigestCredentials }
        let texts = ["\(credentials)", String(reflecting: credentials), "\(Holder(credentials: credentials))",
                     String(reflecting: Holder(credentials: credentials))]
        var dumped = ""
        dump(Holder(credentials: credentials), to: &dumped)
        for text in texts + [dumped] {
            #expect(!text.contains("s3cret"), "\(text)")
        }
        #expect(texts[0].contains("lab"))
    }
}
