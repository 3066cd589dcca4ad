import Testing
@testable import SIPAuthentication

/// The retry rules: one retry per challenged request and kind, one more for `stale=true`,
/// realm restriction, missing credentials, preference for SHA-256, nonce counts.
@Suite("Digest client retry rules")
struct DigestClientTests {
    static let credentials = DigestCredentials(username: "lab", password: "secret")
    static let md5 = #"Digest realm="carrier.example", nonce="n1", qop="auth", algorithm=MD5"#
    static let sha = #"Digest realm="carrier.example", nonce="n2", qop="auth", algorithm=SHA-256"#

    func answer(_ client: inout DigestClient, _ values: [String], kind: DigestChallengeKind = .proxy,
                credentials: DigestCredentials? = Self.credentials, retries: DigestRetryState = .init())
        -> Result<DigestClient.Answer, DigestRefusal>
    {
        client.answer(kind: kind, challengeValues: values, credentials: credentials, method: "INVITE",
                      uri: "sip:+1555@198.51.100.11", retries: retries, cnonce: "cn")
    }

    @Test("first challenge answered; the same kind again is refused")
    func oneRetry() throws {
        var client = DigestClient()
        let first = try answer(&client, [Self.md5]).get()
        #expect(first.retries.proxyRetries == 1)
        #expect(first.authorization.nonceCount == 1)
        let again = answer(&client, [Self.md5], retries: first.retries)
        #expect(again == .failure(.refusedAgain(realm: "carrier.example")))
    }

    @Test("stale=true allows exactly one more retry, with the new nonce")
    func staleRetry() throws {
        var client = DigestClient()
        let first = try answer(&client, [Self.md5]).get()
        let stale = #"Digest realm="carrier.example", nonce="n9", qop="auth", stale=true"#
        let second = try answer(&client, [stale], retries: first.retries).get()
        #expect(second.stale)
        #expect(second.authorization.nonce == "n9")
        #expect(second.retries.staleRetryUsed)
        #expect(answer(&client, [stale], retries: second.retries) == .failure(.refusedAgain(realm: "carrier.example")))
    }

    @Test("a 407 then a 401 are two challenges: each kind answered once")
    func proxyThenServer() throws {
        var client = DigestClient()
        let proxy = try answer(&client, [Self.md5], kind: .proxy).get()
        let server = try answer(&client, [Self.sha], kind: .server, retries: proxy.retries).get()
        #expect(server.retries.proxyRetries == 1 && server.retries.serverRetries == 1)
        #expect(server.kind.authorizationHeader == "Authorization")
    }

    @Test("our earlier answer, computed again for the retried request: same nonce, nc + 1, new cnonce")
    func reanswer() throws {
        var client = DigestClient()
        let first = try answer(&client, [Self.md5 + #", opaque="o""#]).get().authorization
        let reanswered = client.reanswer(first.headerValue, credentials: Self.credentials, method: "INVITE",
                                         uri: "sip:+1555@198.51.100.11", cnonce: "cn2")
        let again = try #require(reanswered)
        #expect(again.nonce == first.nonce && again.realm == first.realm && again.opaque == "o")
        #expect(again.nonceCount == 2)
        #expect(again.response == DigestAuthorization.response(
            algorithm: .md5, username: "lab", password: "secret", realm: "carrier.example", nonce: "n1",
            uri: "sip:+1555@198.51.100.11", method: "INVITE", qop: "auth", cnonce: "cn2", nonceCount: 2))
        let other = DigestCredentials(username: "lab", password: "secret", realm: "elsewhere")
        let refused = client.reanswer(first.headerValue, credentials: other, method: "INVITE", uri: "sip:x", cnonce: "c")
        #expect(refused == nil)
    }

    @Test("SHA-256 is preferred over MD5 whatever the order")
    func prefersSHA256() throws {
        var client = DigestClient()
        #expect(try answer(&client, [Self.md5, Self.sha]).get().authorization.algorithm == .sha256)
        #expect(try answer(&client, [Self.sha + ", " + Self.md5]).get().authorization.algorithm == .sha256)
    }

    @Test("realm restriction: another realm is refused, the configured one answered")
    func realmMismatch() throws {
        var client = DigestClient()
        let restricted = DigestCredentials(username: "lab", password: "secret", realm: "other.example")
        #expect(answer(&client, [Self.md5], credentials: restricted)
            == .failure(.realmMismatch(offered: ["carrier.example"], configured: "other.example")))
        let both = [Self.md5, #"Digest realm="other.example", nonce="o1""#]
        let chosen = try answer(&client, both, credentials: restricted).get()
        #expect(chosen.authorization.realm == "other.example")
    }

    @Test("missing credentials, no digest challenge, unsupported algorithm")
    func refusals() {
        var client = DigestClient()
        #expect(answer(&client, [Self.md5], credentials: nil) == .failure(.noCredentials))
        #expect(answer(&client, [#"Basic realm="x""#]) == .failure(.noChallenge))
        #expect(answer(&client, []) == .failure(.noChallenge))
        #expect(answer(&client, [#"Digest realm="r", nonce="n", algorithm=SHA-512-256"#])
            == .failure(.unsupported(algorithms: ["SHA-512-256"])))
        #expect(answer(&client, [#"Digest realm="r", nonce="n", qop="auth-conf""#])
            == .failure(.unsupported(algorithms: ["MD5"])))
    }

    @Test("nonce counts: a nonce answered again gets nc + 1, a new nonce starts at 1")
    func nonceCounts() throws {
        var client = DigestClient()
        #expect(try answer(&client, [Self.md5]).get().authorization.nonceCountText == "00000001")
        #expect(try answer(&client, [Self.md5]).get().authorization.nonceCountText == "00000002")
        #expect(try answer(&client, [Self.sha]).get().authorization.nonceCountText == "00000001")
        #expect(try answer(&client, [Self.md5]).get().authorization.nonceCountText == "00000003")
    }
}
