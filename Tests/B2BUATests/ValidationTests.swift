import SBCConfig
import SIPCore
import Testing
@testable import B2BUA

/// DID validation through the B2BUA with a manual clock: test calls through carrier A only, with
/// its Request-URI form and caller, CANCEL after 18x, ACK and BYE after 200, timeouts, pacing,
/// digest authentication and the run's events.
struct ValidationTests {
    static let carrier = "198.51.100.11"

    static func harness(reachable: String = "ringing") throws -> B2BUAHarness {
        try B2BUAHarness(carrierAKeys: "validation: {dids: [\"+15550100\", \"+15550101\", \"+15550102\"], "
                            + "caller: \"+15559990000\", timeout_s: 5, pace_ms: 200, reachable: \(reachable)}")
    }

    static func start(_ harness: inout B2BUAHarness) throws -> String {
        let started = try harness.b2bua.startValidation(trunk: "carrier-a", actor: "ops", reason: "pre-activation",
                                                        now: harness.now)
        harness.sent += started.outbound
        return started.run
    }

    @Test func callsEachDIDThroughTheTrunkOnlyAndDecidesEach() throws {
        var h = try Self.harness()
        let run = try Self.start(&h)
        let first = try #require(h.sent.requests(.invite, to: Self.carrier).first)
        #expect(first.requestURIText == "sip:+15550100@198.51.100.11")
        #expect(first.from?.uri.user == "+15559990000" && first.to?.uri.user == "+15550100")
        #expect(first.contentType == "application/sdp" && !first.body.isEmpty)
        #expect(h.sent.filter { $0.destination.host != Self.carrier }.isEmpty)  // no platform leg, no other trunk

        // DID 1 rings: reachable, cancelled.
        let cancel = try #require(h.receive(B2BUAHarness.response(180, "Ringing", to: first), from: B2BUAHarness.carrierA)
            .requests(.cancel, to: Self.carrier).first)
        #expect(cancel.cseq?.number == first.cseq?.number && cancel.topVia?.branch == first.topVia?.branch)
        h.receive(B2BUAHarness.response(487, "Request Terminated", to: first), from: B2BUAHarness.carrierA)

        // DID 2 after the pace: answered, ACK then BYE.
        h.sent.removeAll()
        let second = try #require(h.advance(by: .milliseconds(200)).requests(.invite, to: Self.carrier).first)
        #expect(second.to?.uri.user == "+15550101")
        let afterAnswer = h.receive(B2BUAHarness.response(200, "OK", to: second, sdp: true), from: B2BUAHarness.carrierA)
        let ack = try #require(afterAnswer.requests(.ack, to: Self.carrier).first)
        let bye = try #require(afterAnswer.requests(.bye, to: Self.carrier).first)
        #expect(ack.requestURIText == "sip:gw@198.51.100.11:5060" && ack.to?.tag == "crtag")
        #expect(bye.to?.tag == "crtag" && bye.callID == second.callID)

        // DID 3 is silent: timeout after 5 s, nothing more sent (no provisional: no CANCEL).
        h.sent.removeAll()
        let third = try #require(h.advance(by: .milliseconds(200)).requests(.invite, to: Self.carrier).first)
        #expect(third.to?.uri.user == "+15550102")
        h.advance(by: .seconds(5))
        #expect(h.sent.requests(.cancel, to: Self.carrier).filter { $0.callID == third.callID }.isEmpty)

        let events = h.b2bua.takeValidationEvents()
        var verdicts: [String: TestCall.Verdict] = [:]
        var finished: DIDValidationRun?
        for event in events {
            switch event {
            case .result(let id, let trunk, let result):
                #expect(id == run && trunk == "carrier-a")
                verdicts[result.did] = result.outcome.verdict
            case .finished(let done, _): finished = done
            case .started: break
            }
        }
        #expect(verdicts == ["+15550100": .reachable, "+15550101": .reachable, "+15550102": .timeout])
        #expect(finished?.passed == false && h.b2bua.validationRun(of: "carrier-a") == nil)
        #expect(h.b2bua.validationRefusal(trunk: "carrier-a", maxAge: .seconds(3600), now: h.now)?.contains("did not pass") == true)
        // The silent DID's INVITE was abandoned: never retransmitted again.
        h.sent.removeAll()
        h.advance(by: .seconds(40))
        #expect(h.sent.filter { $0.message.callID == third.callID }.isEmpty)
    }

    @Test func refusedDIDIsUnreachableAndARunPassesWhenAllAreReachable() throws {
        var h = try Self.harness(reachable: "answered")
        _ = try Self.start(&h)
        let first = try #require(h.sent.requests(.invite, to: Self.carrier).first)
        h.receive(B2BUAHarness.response(404, "Not Found", to: first), from: B2BUAHarness.carrierA)
        let results = h.b2bua.takeValidationEvents().compactMap { event -> DIDValidationRun.Result? in
            if case .result(_, _, let result) = event { return result }
            return nil
        }
        #expect(results.first?.outcome.verdict == .unreachable && results.first?.outcome.status == 404)
        #expect(throws: B2BUA.ValidationError.running(trunk: "carrier-a", run: h.b2bua.validationRun(of: "carrier-a")!.id)) {
            try h.b2bua.startValidation(trunk: "carrier-a", actor: "ops", reason: "again", now: h.now)
        }
    }

    @Test func unknownOrUnconfiguredTrunksAreRefused() throws {
        var h = try Self.harness()
        #expect(throws: B2BUA.ValidationError.unknownTrunk("nope")) {
            try h.b2bua.startValidation(trunk: "nope", actor: "ops", reason: "r", now: h.now)
        }
        #expect(throws: B2BUA.ValidationError.notConfigured("carrier-b")) {
            try h.b2bua.startValidation(trunk: "carrier-b", actor: "ops", reason: "r", now: h.now)
        }
    }

    @Test func challengeIsAnsweredWithTheTrunksCredentials() throws {
        var h = try Self.harness()
        h.b2bua.useCredentials(["carrier-a": TrunkAuthSettings(username: "lab-user", password: .inline("lab-secret"))])
        _ = try Self.start(&h)
        let first = try #require(h.sent.requests(.invite, to: Self.carrier).first)
        let challenge = B2BUAHarness.response(407, "Proxy Authentication Required", to: first, contact: false)
            .replacingOccurrences(of: "CSeq: 1 INVITE\n",
                                  with: "CSeq: 1 INVITE\nProxy-Authenticate: Digest realm=\"carrier.example\", nonce=\"n1\", qop=\"auth\"\n")
        let retry = try #require(h.receive(challenge, from: B2BUAHarness.carrierA).requests(.invite, to: Self.carrier).first)
        #expect(retry.firstValue(SIPHeaderName("proxy-authorization"))?.contains("username=\"lab-user\"") == true)
        #expect(retry.cseq?.number == 2 && retry.callID == first.callID)
        // The retried INVITE is the call's now: its 180 is CANCELled with its CSeq.
        let cancel = try #require(h.receive(B2BUAHarness.response(180, "Ringing", to: retry), from: B2BUAHarness.carrierA)
            .requests(.cancel, to: Self.carrier).first)
        #expect(cancel.cseq?.number == 2)
    }
}
