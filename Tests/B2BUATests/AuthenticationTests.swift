import Logging
import Routing
import SBCConfig
import SIPAuthentication
import SIPCore
import Testing
@testable import B2BUA

/// Digest challenges from carriers answered by the B2BUA (docs/AUTH.md): INVITE (initial and
/// re-INVITE), BYE, OPTIONS probes and REGISTER; the retry rules; credentials only to their trunk.
@Suite struct AuthenticationTests {
    static let carrier = "198.51.100.11"
    static let carrierB = "198.51.100.12"
    static let platform = "192.0.2.10"
    static let password = "lab-secret"

    /// The B2BUA harness with carrier A's credentials (`auth`) and, optionally, a registration.
    static func harness(auth: String? = "{username: lab-user, password: \(password)}", register: String? = nil,
                        probes: Bool = false) throws -> B2BUAHarness {
        var extra: [String] = []
        if let auth { extra.append("auth: \(auth)") }
        if let register { extra.append("register: \(register)") }
        if !probes { extra.append("health: {probe: false, recovery_hold_s: 10}") }
        var harness = try B2BUAHarness(platformKeys: "health: {probe: false}", carrierAKeys: extra.joined(separator: ", "),
                                       carrierBKeys: probes ? "" : "health: {probe: false}", seed: 7)
        let resolved = TrunkCredentialResolver.resolve(harness.configuration)
        #expect(resolved.problems.isEmpty)
        harness.b2bua.useCredentials(resolved.credentials)
        harness.sent += harness.b2bua.startHealthMonitoring(now: harness.now)
        return harness
    }

    /// A response to `request` carrying challenge headers.
    static func challenge(_ status: Int, to request: SIPMessage, _ headers: [String]) -> String {
        let reason = status == 401 ? "Unauthorized" : "Proxy Authentication Required"
        let text = B2BUAHarness.response(status, reason, to: request, contact: false)
        let cseqLine = "CSeq: \(request.firstValue(.cseq)!)\n"
        return text.replacingOccurrences(of: cseqLine, with: cseqLine + headers.map { $0 + "\n" }.joined())
    }

    static let md5Challenge = #"Proxy-Authenticate: Digest realm="carrier.example", nonce="nonce-1", qop="auth", algorithm=MD5, opaque="op-1""#

    /// The platform's INVITE, carrier A's challenge to it, and the SBC's retry.
    static func inviteAndRetry(_ harness: inout B2BUAHarness, _ status: Int = 407,
                               _ headers: [String] = [md5Challenge]) throws -> (invite: SIPMessage, retry: SIPMessage) {
        let invite = try #require(harness.receive(B2BUAHarness.invite()).requests(.invite, to: carrier).first)
        let retry = try #require(harness.receive(challenge(status, to: invite, headers), from: B2BUAHarness.carrierA)
            .requests(.invite, to: carrier).first)
        return (invite, retry)
    }

    /// Checks that `header` answers `method` on `uri` with the lab credentials, as a server would.
    static func verify(_ header: String?, method: String, uri: String, realm: String = "carrier.example") throws {
        let value = try #require(header)
        let parsed = try #require(DigestChallenge.parseList(value).first)
        #expect(parsed["username"] == "lab-user")
        #expect(parsed["realm"] == realm)
        #expect(parsed["uri"] == uri)
        let algorithm = try #require(DigestAlgorithm(token: parsed["algorithm"]))
        let expected = DigestAuthorization.response(
            algorithm: algorithm, username: "lab-user", password: password, realm: realm,
            nonce: parsed["nonce"] ?? "", uri: uri, method: method, qop: parsed["qop"], cnonce: parsed["cnonce"] ?? "",
            nonceCount: UInt32(parsed["nc"] ?? "1", radix: 16) ?? 1)
        #expect(parsed["response"] == expected, "the digest a server computes from the password")
        #expect(!value.contains(password))
    }

    @Test("INVITE 407: retried with Proxy-Authorization, new branch, CSeq + 1; ACK and BYE follow the new CSeq")
    func inviteProxyChallenge() throws {
        var harness = try Self.harness()
        let first = harness.receive(B2BUAHarness.invite())
        let invite = try #require(first.requests(.invite, to: Self.carrier).first)
        harness.receive(B2BUAHarness.response(100, "Trying", to: invite, toTag: nil, contact: false),
                        from: B2BUAHarness.carrierA)
        let challenged = harness.receive(Self.challenge(407, to: invite, [Self.md5Challenge]), from: B2BUAHarness.carrierA)
        let ackOf407 = try #require(challenged.requests(.ack, to: Self.carrier).first)
        #expect(ackOf407.topVia?.branch == invite.topVia?.branch, "the 407 is ACKed by its own transaction")
        #expect(ackOf407.cseq?.number == invite.cseq?.number)
        let retry = try #require(challenged.requests(.invite, to: Self.carrier).first)
        #expect(challenged.messages(to: Self.platform).isEmpty, "the platform sees nothing of the challenge")
        #expect(retry.topVia?.branch != invite.topVia?.branch)
        #expect(retry.cseq?.number == (invite.cseq?.number ?? 0) + 1)
        #expect(retry.callID == invite.callID)
        #expect(retry.from?.tag == invite.from?.tag)
        #expect(retry.to?.tag == nil)
        #expect(retry.body == invite.body)
        try Self.verify(retry.firstValue(SIPHeaderName("proxy-authorization")), method: "INVITE",
                        uri: invite.requestURIText ?? "")
        let authorization = retry.firstValue(SIPHeaderName("proxy-authorization")) ?? ""
        #expect(authorization.contains(#"opaque="op-1""#))
        #expect(authorization.contains("nc=00000001"))

        harness.receive(B2BUAHarness.response(180, "Ringing", to: retry), from: B2BUAHarness.carrierA)
        let answered = harness.receive(B2BUAHarness.response(200, "OK", to: retry, sdp: true), from: B2BUAHarness.carrierA)
        let ack = try #require(answered.requests(.ack, to: Self.carrier).first)
        #expect(ack.cseq?.number == retry.cseq?.number, "the ACK of the 2xx carries the retried INVITE's CSeq")
        let ok = try #require(answered.responses(200, to: Self.platform).first)
        let aTag = try #require(ok.to?.tag)
        harness.receive(B2BUAHarness.platformRequest("ACK", toTag: aTag, cseq: 1, branch: "z9hG4bKack1"))
        let bye = harness.receive(B2BUAHarness.platformRequest("BYE", toTag: aTag, cseq: 2, branch: "z9hG4bKbye1"))
        let carrierBye = try #require(bye.requests(.bye, to: Self.carrier).first)
        #expect(carrierBye.cseq?.number == (retry.cseq?.number ?? 0) + 1, "later requests continue the leg's CSeq")
        #expect(carrierBye.firstValue(SIPHeaderName("proxy-authorization")) == nil)
    }

    @Test("CANCEL of a retried INVITE takes the retry's branch and CSeq")
    func cancelAfterRetry() throws {
        var harness = try Self.harness()
        let (_, retry) = try Self.inviteAndRetry(&harness)
        harness.receive(B2BUAHarness.response(180, "Ringing", to: retry), from: B2BUAHarness.carrierA)
        let cancelText = B2BUAHarness.invite().replacingOccurrences(of: "INVITE sip:", with: "CANCEL sip:")
            .replacingOccurrences(of: "CSeq: 1 INVITE", with: "CSeq: 1 CANCEL")
        let out = harness.receive(cancelText)
        let cancel = try #require(out.requests(.cancel, to: Self.carrier).first)
        #expect(cancel.topVia?.branch == retry.topVia?.branch)
        #expect(cancel.cseq?.number == retry.cseq?.number)
    }

    @Test("refused again: the 401 is the attempt's failure, marked in the CDR and what the platform gets; no failover")
    func refusedAgain() throws {
        var harness = try Self.harness()
        let www = #"WWW-Authenticate: Digest realm="carrier.example", nonce="n1", qop="auth""#
        let (invite, retry) = try Self.inviteAndRetry(&harness, 401, [www])
        try Self.verify(retry.firstValue(SIPHeaderName("authorization")), method: "INVITE", uri: invite.requestURIText ?? "")
        let again = harness.receive(Self.challenge(401, to: retry, [www.replacingOccurrences(of: "n1", with: "n2")]),
                                    from: B2BUAHarness.carrierA)
        #expect(again.requests(.invite, to: Self.carrier).isEmpty, "at most one retry")
        #expect(again.requests(.invite, to: Self.carrierB).isEmpty, "401 is never a failover trigger")
        let relayed = try #require(again.responses(401, to: Self.platform).first)
        #expect(relayed.reasonPhrase.contains("authentication failed: credentials refused"))
        #expect(relayed.firstValue(SIPHeaderName("www-authenticate")) == nil, "the carrier's challenge stays with the SBC")
        let summary = try #require(harness.b2bua.takeFinishedCalls().first)
        #expect(summary.attempts.count == 1)
        #expect(summary.attempts.first?.responseCode == 401)
        #expect(summary.attempts.first?.reason?.contains("authentication failed") == true)
        #expect(!"\(summary)".contains(Self.password))
    }

    @Test("stale=true allows one more retry with the new nonce, and no more")
    func staleNonce() throws {
        var harness = try Self.harness()
        let (_, first) = try Self.inviteAndRetry(&harness)
        let stale = #"Proxy-Authenticate: Digest realm="carrier.example", nonce="nonce-2", qop="auth", stale=true"#
        let second = try #require(harness.receive(Self.challenge(407, to: first, [stale]), from: B2BUAHarness.carrierA)
            .requests(.invite, to: Self.carrier).first)
        #expect(second.cseq?.number == (first.cseq?.number ?? 0) + 1)
        #expect(second.firstValue(SIPHeaderName("proxy-authorization"))?.contains(#"nonce="nonce-2""#) == true)
        #expect(second.values(SIPHeaderName("proxy-authorization")).count == 1, "the stale answer is replaced")
        let third = harness.receive(Self.challenge(407, to: second, [stale.replacingOccurrences(of: "nonce-2", with: "nonce-3")]),
                                    from: B2BUAHarness.carrierA)
        #expect(third.requests(.invite, to: Self.carrier).isEmpty)
        #expect(third.responses(407, to: Self.platform).count == 1)
    }

    @Test("SHA-256 preferred when offered with MD5 (RFC 8760)")
    func prefersSHA256() throws {
        var harness = try Self.harness()
        let sha = #"Proxy-Authenticate: Digest realm="carrier.example", nonce="s1", qop="auth", algorithm=SHA-256"#
        let (invite, retry) = try Self.inviteAndRetry(&harness, 407, [Self.md5Challenge, sha])
        let header = retry.firstValue(SIPHeaderName("proxy-authorization"))
        #expect(header?.contains("algorithm=SHA-256") == true)
        try Self.verify(header, method: "INVITE", uri: invite.requestURIText ?? "")
    }

    @Test("no credentials on the trunk, or another realm: the challenge fails the attempt as authentication")
    func missingCredentialsAndRealmMismatch() throws {
        var none = try Self.harness(auth: nil)
        let invite = try #require(none.receive(B2BUAHarness.invite()).requests(.invite, to: Self.carrier).first)
        let out = none.receive(Self.challenge(407, to: invite, [Self.md5Challenge]), from: B2BUAHarness.carrierA)
        #expect(out.requests(.invite, to: Self.carrier).isEmpty)
        let relayed = try #require(out.responses(407, to: Self.platform).first)
        #expect(relayed.reasonPhrase.contains("no credentials configured"))

        var restricted = try Self.harness(auth: "{username: lab-user, password: \(Self.password), realm: other.example}")
        let second = try #require(restricted.receive(B2BUAHarness.invite()).requests(.invite, to: Self.carrier).first)
        let refused = restricted.receive(Self.challenge(407, to: second, [Self.md5Challenge]), from: B2BUAHarness.carrierA)
        #expect(refused.requests(.invite, to: Self.carrier).isEmpty, "credentials are never sent to another realm")
        let summary = try #require(restricted.b2bua.takeFinishedCalls().first)
        #expect(summary.attempts.first?.reason?.contains("is not the configured realm") == true)
    }

    @Test("re-INVITE from the platform challenged by the carrier: retried, the 2xx ACKed with its CSeq")
    func reinviteChallenge() throws {
        var harness = try Self.harness()
        let first = harness.receive(B2BUAHarness.invite())
        let invite = try #require(first.requests(.invite, to: Self.carrier).first)
        let answered = harness.receive(B2BUAHarness.response(200, "OK", to: invite, sdp: true), from: B2BUAHarness.carrierA)
        let aTag = try #require(answered.responses(200, to: Self.platform).first?.to?.tag)
        harness.receive(B2BUAHarness.platformRequest("ACK", toTag: aTag, cseq: 1, branch: "z9hG4bKack1"))
        let reinvite = try #require(harness.receive(B2BUAHarness.platformRequest("INVITE", toTag: aTag, cseq: 2,
                                                                                 branch: "z9hG4bKre1", sdp: true))
            .requests(.invite, to: Self.carrier).first)
        let out = harness.receive(Self.challenge(407, to: reinvite, [Self.md5Challenge]), from: B2BUAHarness.carrierA)
        let retry = try #require(out.requests(.invite, to: Self.carrier).first)
        #expect(retry.to?.tag == "crtag", "in the same dialog")
        #expect(retry.cseq?.number == (reinvite.cseq?.number ?? 0) + 1)
        try Self.verify(retry.firstValue(SIPHeaderName("proxy-authorization")), method: "INVITE",
                        uri: reinvite.requestURIText ?? "")
        let ok = harness.receive(B2BUAHarness.response(200, "OK", to: retry, sdp: true), from: B2BUAHarness.carrierA)
        #expect(ok.requests(.ack, to: Self.carrier).first?.cseq?.number == retry.cseq?.number)
        #expect(ok.responses(200, to: Self.platform).first?.cseq?.method == .invite)
    }

    @Test("BYE challenged: retried with CSeq + 1; a challenge from the platform is never answered with carrier credentials")
    func byeChallengeAndCredentialsStayWithTheirTrunk() throws {
        var harness = try Self.harness()
        let invite = try #require(harness.receive(B2BUAHarness.invite()).requests(.invite, to: Self.carrier).first)
        let answered = harness.receive(B2BUAHarness.response(200, "OK", to: invite, sdp: true), from: B2BUAHarness.carrierA)
        let aTag = try #require(answered.responses(200, to: Self.platform).first?.to?.tag)
        harness.receive(B2BUAHarness.platformRequest("ACK", toTag: aTag, cseq: 1, branch: "z9hG4bKack1"))

        // The carrier sends INFO; the platform challenges the relayed request: not answered.
        let info = """
            INFO sip:sbc@10.0.1.1:5080 SIP/2.0
            Via: SIP/2.0/UDP 198.51.100.11:5060;branch=z9hG4bKinfo1
            Max-Forwards: 70
            From: \(invite.firstValue(.to)!);tag=crtag
            To: \(invite.firstValue(.from)!)
            Call-ID: \(invite.callID!)
            CSeq: 5 INFO
            Content-Length: 0


            """
        let relayedInfo = try #require(harness.receive(info, from: B2BUAHarness.carrierA).requests(.info, to: Self.platform).first)
        let platformChallenge = #"WWW-Authenticate: Digest realm="carrier.example", nonce="p1", qop="auth""#
        let refused = harness.receive(Self.challenge(401, to: relayedInfo, [platformChallenge]))
        #expect(refused.requests(.info, to: Self.platform).isEmpty, "the platform trunk has no credentials")
        #expect(refused.responses(401, to: Self.carrier).count == 1)
        #expect(!refused.map { String(decoding: $0.message.serialized(), as: UTF8.self) }.joined().contains("lab-user"))

        let bye = try #require(harness.receive(B2BUAHarness.platformRequest("BYE", toTag: aTag, cseq: 2, branch: "z9hG4bKbye1"))
            .requests(.bye, to: Self.carrier).first)
        let retried = harness.receive(Self.challenge(407, to: bye, [Self.md5Challenge]), from: B2BUAHarness.carrierA)
        let retry = try #require(retried.requests(.bye, to: Self.carrier).first)
        #expect(retry.cseq?.number == (bye.cseq?.number ?? 0) + 1)
        try Self.verify(retry.firstValue(SIPHeaderName("proxy-authorization")), method: "BYE",
                        uri: bye.requestURIText ?? "")
        let done = harness.receive(B2BUAHarness.response(200, "OK", to: retry), from: B2BUAHarness.carrierA)
        #expect(done.responses(200, to: Self.platform).first?.cseq?.method == .bye)
        #expect(harness.b2bua.activeCalls == 0)
    }

    @Test("OPTIONS probe challenged: answered, and the answer decides the probe")
    func probeChallenge() throws {
        var harness = try Self.harness(probes: true)
        let probe = try #require(harness.sent.requests(.options, to: Self.carrier).first)
        let www = #"WWW-Authenticate: Digest realm="carrier.example", nonce="o1", algorithm=SHA-256, qop="auth""#
        let out = harness.receive(Self.challenge(401, to: probe, [www]), from: B2BUAHarness.carrierA)
        let retry = try #require(out.requests(.options, to: Self.carrier).first)
        #expect(retry.cseq?.number == 2)
        #expect(retry.topVia?.branch != probe.topVia?.branch)
        try Self.verify(retry.firstValue(SIPHeaderName("authorization")), method: "OPTIONS",
                        uri: probe.requestURIText ?? "")
        harness.receive(B2BUAHarness.response(200, "OK", to: retry, contact: false), from: B2BUAHarness.carrierA)
        let health = try #require(harness.b2bua.trunkHealth(named: "carrier-a"))
        #expect(health.lastProbeAlive == true)
        #expect(health.probesFailed == 0)

        // Carrier B has no credentials: its 407 is the probe's (failed) answer, with the reason.
        let probeB = try #require(harness.sent.requests(.options, to: Self.carrierB).first)
        harness.receive(Self.challenge(407, to: probeB, [Self.md5Challenge]), from: B2BUAHarness.carrierB)
        let healthB = try #require(harness.b2bua.trunkHealth(named: "carrier-b"))
        #expect(healthB.lastProbeAlive == false)
        #expect(healthB.detail.contains("authentication failed") || healthB.state == .degraded)
    }

    // MARK: Registration

    @Test("REGISTER: challenged and answered, registered, refreshed; a refusal takes the trunk down")
    func registration() throws {
        var harness = try Self.harness(register: "{expires_s: 120, retry_min_s: 2}")
        harness.sent += harness.b2bua.startRegistrations(now: harness.now)
        let register = try #require(harness.sent.requests(.register, to: Self.carrier).first)
        #expect(register.requestURIText == "sip:198.51.100.11")
        #expect(register.to?.uri.user == "lab-user")
        #expect(register.firstValue(.expires) == "120")
        #expect(register.contacts.first?.uri.host == "10.0.1.1")
        let www = #"WWW-Authenticate: Digest realm="carrier.example", nonce="r1", qop="auth""#
        let retry = try #require(harness.receive(Self.challenge(401, to: register, [www]), from: B2BUAHarness.carrierA)
            .requests(.register, to: Self.carrier).first)
        #expect(retry.callID == register.callID)
        #expect(retry.cseq?.number == 2)
        try Self.verify(retry.firstValue(SIPHeaderName("authorization")), method: "REGISTER", uri: "sip:198.51.100.11")
        let ok = B2BUAHarness.response(200, "OK", to: retry, contact: false)
            .replacingOccurrences(of: "Content-Length: 0", with: "Contact: <sip:lab-user@10.0.1.1:5080>;expires=100\nContent-Length: 0")
        harness.receive(ok, from: B2BUAHarness.carrierA)
        let binding = try #require(harness.b2bua.registration(of: "carrier-a"))
        #expect(binding.state == .registered)
        #expect(binding.grantedExpires == 100)
        #expect(harness.b2bua.trunkHealth(named: "carrier-a")?.state == .up)

        // Refreshed at 50 s (half of 100), same Call-ID, next CSeq.
        #expect(harness.advance(by: .seconds(49)).requests(.register, to: Self.carrier).isEmpty)
        let refresh = try #require(harness.advance(by: .seconds(1)).requests(.register, to: Self.carrier).first)
        #expect(refresh.callID == register.callID)
        #expect(refresh.cseq?.number == 3)
        harness.receive(B2BUAHarness.response(403, "Forbidden", to: refresh, contact: false), from: B2BUAHarness.carrierA)
        let health = try #require(harness.b2bua.trunkHealth(named: "carrier-a"))
        #expect(health.state == .down)
        #expect(health.cause == "registration_failed")
        #expect(health.detail.contains("403 Forbidden"))
        let events = harness.b2bua.takeHealthEvents()
        #expect(events.contains { if case .trunk(let change) = $0 { change.cause == "registration_failed" } else { false } })

        // Calls skip the unregistered trunk.
        let call = harness.receive(B2BUAHarness.invite())
        #expect(call.requests(.invite, to: Self.carrier).isEmpty)
        #expect(call.requests(.invite, to: Self.carrierB).count == 1)

        // Retry after retry_min_s; success, then the unprobed hold brings the trunk back.
        let again = try #require(harness.advance(by: .seconds(2)).requests(.register, to: Self.carrier).first)
        harness.receive(B2BUAHarness.response(200, "OK", to: again, contact: false), from: B2BUAHarness.carrierA)
        #expect(harness.b2bua.registration(of: "carrier-a")?.state == .registered)
        #expect(harness.b2bua.trunkHealth(named: "carrier-a")?.state == .down, "recovery takes the hold")
        harness.advance(by: .seconds(9))
        #expect(harness.b2bua.trunkHealth(named: "carrier-a")?.state == .down)
        harness.advance(by: .seconds(1))
        #expect(harness.b2bua.trunkHealth(named: "carrier-a")?.state == .up, "recovery_hold_s after the registration")
    }

    @Test("shutdown un-registers (Expires: 0)")
    func unregisterOnDrain() throws {
        var harness = try Self.harness(register: "true")
        harness.sent += harness.b2bua.startRegistrations(now: harness.now)
        let register = try #require(harness.sent.requests(.register, to: Self.carrier).first)
        harness.receive(B2BUAHarness.response(200, "OK", to: register, contact: false), from: B2BUAHarness.carrierA)
        let drained = harness.b2bua.beginDrain(now: harness.now)
        let remove = try #require(drained.requests(.register, to: Self.carrier).first)
        #expect(remove.firstValue(.expires) == "0")
        #expect(remove.callID == register.callID)
    }

    @Test("registrar unreachable: the transport error fails the REGISTER at once")
    func registrarUnreachable() throws {
        var harness = try Self.harness(register: "{registrar: \"198.51.100.11:5070\"}")
        harness.sent += harness.b2bua.startRegistrations(now: harness.now)
        let register = try #require(harness.sent.last { $0.message.method == .register })
        #expect(register.destination.port == 5070)
        _ = harness.b2bua.transportFailed(to: register.destination, reason: "ICMP port unreachable", now: harness.now)
        let health = try #require(harness.b2bua.trunkHealth(named: "carrier-a"))
        #expect(health.state == .down)
        #expect(health.detail.contains("transport error"))
    }
}
