import Testing
@testable import SIPAuthentication

/// `WWW-Authenticate` / `Proxy-Authenticate` parsing: quoted strings with commas and escapes,
/// several challenges in one value, bare list values, other schemes.
@Suite("Digest challenge parsing")
struct DigestChallengeTests {
    @Test("one challenge: quoted and token values, names case-insensitive")
    func single() throws {
        let list = DigestChallenge.parseList(
            #"Digest REALM="carrier.example", nonce="a,b=c", Algorithm=SHA-256, qop="auth,auth-int", stale=TRUE, opaque="x\"y""#)
        #expect(list.count == 1)
        let challenge = try #require(list.first)
        #expect(challenge.isDigest)
        #expect(challenge.realm == "carrier.example")
        #expect(challenge.nonce == "a,b=c", "a comma and = inside quotes belong to the value")
        #expect(challenge.algorithm == .sha256)
        #expect(challenge.qopOptions == ["auth", "auth-int"])
        #expect(challenge.stale)
        #expect(challenge.opaque == #"x"y"#, "escapes resolved")
    }

    @Test("several challenges in one value, SHA-256 and MD5 (RFC 8760 section 2.4)")
    func multipleInOneValue() {
        let list = DigestChallenge.parseList(
            #"Digest realm="a.example", nonce="n1", algorithm=SHA-256, qop="auth", Digest realm="a.example", nonce="n2", algorithm=MD5, qop="auth""#)
        #expect(list.count == 2)
        #expect(list.map(\.nonce) == ["n1", "n2"])
        #expect(list.map(\.algorithm) == [.sha256, .md5])
    }

    @Test("an unquoted qop list continues the value; another scheme starts a new challenge")
    func bareListAndOtherSchemes() {
        let list = DigestChallenge.parseList(#"Digest realm="r", qop=auth,auth-int, nonce="n", Basic realm="r2""#)
        #expect(list.count == 2)
        #expect(list[0].qopOptions == ["auth", "auth-int"])
        #expect(list[0].nonce == "n")
        #expect(list[1].scheme == "Basic")
        #expect(!list[1].isDigest)
        #expect(list[1].realm == "r2")
    }

    @Test("no algorithm means MD5; an unknown one is not answerable; unterminated quotes do not crash")
    func defaultsAndGarbage() {
        #expect(DigestChallenge.parseList(#"Digest realm="r", nonce="n""#).first?.algorithm == .md5)
        #expect(DigestChallenge.parseList(#"Digest realm="r", nonce="n", algorithm=SHA-512-256"#).first?.algorithm == nil)
        #expect(DigestChallenge.parseList(#"Digest realm="r, nonce="#).first?.realm == "r, nonce=")
        #expect(DigestChallenge.parseList("").isEmpty)
        #expect(DigestChallenge.parseList(" , ,").isEmpty)
        #expect(DigestChallenge.parseList("Digest").first?.parameters.isEmpty == true)
    }
}
