import SIPCore
import Testing
@testable import B2BUA

/// Per-call failover between the members of a trunk group (carrier A primary, B secondary).
@Suite struct FailoverTests {
    static let carrierA = "198.51.100.11"
    static let carrierB = "198.51.100.12"
    static let platform = "192.0.2.10"

    @Test func serviceUnavailableFailsOverToTheSecondary() throws {
        var harness = try B2BUAHarness()
        let first = try #require(harness.receive(B2BUAHarness.invite()).requests(.invite, to: Self.carrierA).first)
        let out = harness.receive(B2BUAHarness.response(503, "Service Unavailable", to: first),
                                  from: B2BUAHarness.carrierA)
        #expect(out.requests(.ack, to: Self.carrierA).count == 1, "the 503 is ACKed by the transaction")
        #expect(out.messages(to: Self.platform).isEmpty, "the platform never sees the failure")
        let second = try #require(out.requests(.invite, to: Self.carrierB).first)
        #expect(second.topVia?.branch != first.topVia?.branch)
        #expect(second.from?.tag != first.from?.tag)
        #expect(second.cseq?.number != first.cseq?.number)
        #expect(second.callID == first.callID, "preserve keeps the platform's Call-ID on every attempt")
        let answered = harness.receive(B2BUAHarness.response(200, "OK", to: second, sdp: true),
                                       from: B2BUAHarness.carrierB)
        #expect(answered.responses(200, to: Self.platform).count == 1)
        #expect(answered.requests(.ack, to: Self.carrierB).count == 1)
    }

    @Test func retryAfterQuarantinesThePrimaryForItsDuration() throws {
        var harness = try B2BUAHarness()
        let first = try #require(harness.receive(B2BUAHarness.invite()).requests(.invite, to: Self.carrierA).first)
        var unavailable = B2BUAHarness.response(503, "Service Unavailable", to: first)
        unavailable = unavailable.replacingOccurrences(of: "Content-Length: 0", with: "Retry-After: 30\nContent-Length: 0")
        harness.receive(unavailable, from: B2BUAHarness.carrierA)
        for index in 2...4 {
            harness.advance(by: .seconds(5))
            let out = harness.receive(B2BUAHarness.invite(callID: "call-\(index)@192.0.2.10", branch: "z9hG4bKq\(index)"))
            #expect(out.requests(.invite, to: Self.carrierA).isEmpty, "no INVITE is wasted on a quarantined trunk")
            #expect(out.requests(.invite, to: Self.carrierB).count == 1)
        }
        harness.advance(by: .seconds(16))
        let after = harness.receive(B2BUAHarness.invite(callID: "call-9@192.0.2.10", branch: "z9hG4bKq9"))
        #expect(after.requests(.invite, to: Self.carrierA).count == 1, "after Retry-After the primary is used again")
    }

    @Test func silentPrimaryFailsOverAfterTheFirstProvisionalTimer() throws {
        var harness = try B2BUAHarness()
        harness.receive(B2BUAHarness.invite())
        #expect(harness.advance(by: .milliseconds(1900)).requests(.invite, to: Self.carrierB).isEmpty)
        let out = harness.advance(by: .milliseconds(200))
        #expect(out.requests(.invite, to: Self.carrierB).count == 1)
        let later = harness.advance(by: .seconds(10))
        #expect(later.requests(.invite, to: Self.carrierA).isEmpty, "the abandoned INVITE is not retransmitted")
    }

    @Test func busyIsRelayedWithoutFailover() throws {
        var harness = try B2BUAHarness()
        let first = try #require(harness.receive(B2BUAHarness.invite()).requests(.invite, to: Self.carrierA).first)
        let out = harness.receive(B2BUAHarness.response(486, "Busy Here", to: first), from: B2BUAHarness.carrierA)
        #expect(out.requests(.invite, to: Self.carrierB).isEmpty)
        #expect(out.responses(486, to: Self.platform).count == 1)
    }

    @Test func earlyMediaCommitsTheCallToItsTrunk() throws {
        var harness = try B2BUAHarness()
        let first = try #require(harness.receive(B2BUAHarness.invite()).requests(.invite, to: Self.carrierA).first)
        let progress = harness.receive(B2BUAHarness.response(183, "Session Progress", to: first, sdp: true),
                                       from: B2BUAHarness.carrierA)
        #expect(progress.responses(183, to: Self.platform).count == 1)
        let out = harness.receive(B2BUAHarness.response(503, "Service Unavailable", to: first),
                                  from: B2BUAHarness.carrierA)
        #expect(out.requests(.invite, to: Self.carrierB).isEmpty, "never fail over after early media")
        #expect(out.responses(503, to: Self.platform).count == 1)
    }

    @Test func whenEveryCandidateFailsThePlatformGetsOneFinalWithoutRetryAfter() throws {
        var harness = try B2BUAHarness()
        let first = try #require(harness.receive(B2BUAHarness.invite()).requests(.invite, to: Self.carrierA).first)
        let second = try #require(harness.receive(B2BUAHarness.response(503, "Service Unavailable", to: first),
                                                  from: B2BUAHarness.carrierA).requests(.invite, to: Self.carrierB).first)
        let reply = B2BUAHarness.response(503, "Overloaded", to: second)
            .replacingOccurrences(of: "Content-Length: 0", with: "Retry-After: 60\nContent-Length: 0")
        let out = harness.receive(reply, from: B2BUAHarness.carrierB)
        let final = try #require(out.responses(503, to: Self.platform).first)
        #expect(!final.contains(.retryAfter))
        #expect(harness.sent.messages(to: Self.platform).filter { ($0.statusCode ?? 0) >= 300 }.count == 1)
        let summary = try #require(harness.b2bua.takeFinishedCalls().first)
        #expect(summary.disposition == .failed)
        #expect(summary.attempts.map(\.outcome) == [.failedOver, .rejected])
        #expect(summary.attempts.map(\.trunk) == ["carrier-a", "carrier-b"])
    }

    @Test func callerCancelDuringFailoverStopsEverything() throws {
        var harness = try B2BUAHarness()
        let first = try #require(harness.receive(B2BUAHarness.invite()).requests(.invite, to: Self.carrierA).first)
        let second = try #require(harness.receive(B2BUAHarness.response(503, "Service Unavailable", to: first),
                                                  from: B2BUAHarness.carrierA).requests(.invite, to: Self.carrierB).first)
        harness.receive(B2BUAHarness.response(180, "Ringing", to: second), from: B2BUAHarness.carrierB)
        let out = harness.receive(CancelAndPolicyTests.cancel())
        #expect(out.responses(487, to: Self.platform).count == 1)
        #expect(out.requests(.cancel, to: Self.carrierB).count == 1)
        harness.receive(B2BUAHarness.response(487, "Request Terminated", to: second), from: B2BUAHarness.carrierB)
        #expect(harness.b2bua.activeCalls == 0)
        #expect(harness.sent.requests(.invite, to: Self.carrierA).count == 1)
    }

    @Test func passiveFailuresTakeTheTrunkOutOfSelection() throws {
        var harness = try B2BUAHarness()
        for index in 1...5 {
            let out = harness.receive(B2BUAHarness.invite(callID: "p\(index)@192.0.2.10", branch: "z9hG4bKp\(index)"))
            let invite = try #require(out.requests(.invite, to: Self.carrierA).first)
            let failed = harness.receive(B2BUAHarness.response(500, "Server Error", to: invite),
                                         from: B2BUAHarness.carrierA)
            #expect(failed.requests(.invite, to: Self.carrierB).isEmpty, "500 is not a trigger in this group")
            harness.advance(by: .seconds(1))
            // 408 is: five of them within 60 s mark the trunk down.
            let next = harness.receive(B2BUAHarness.invite(callID: "q\(index)@192.0.2.10", branch: "z9hG4bKq\(index)"))
            if let retry = next.requests(.invite, to: Self.carrierA).first {
                harness.receive(B2BUAHarness.response(408, "Request Timeout", to: retry), from: B2BUAHarness.carrierA)
            }
        }
        let out = harness.receive(B2BUAHarness.invite(callID: "after@192.0.2.10", branch: "z9hG4bKafter"))
        #expect(out.requests(.invite, to: Self.carrierA).isEmpty, "carrier A is down after 5 failures in 60 s")
        #expect(out.requests(.invite, to: Self.carrierB).count == 1)
    }

    @Test func aTrunkAtItsCallLimitIsSkipped() throws {
        var harness = try B2BUAHarness(carrierAMaxCalls: 1)
        let first = harness.receive(B2BUAHarness.invite())
        #expect(first.requests(.invite, to: Self.carrierA).count == 1)
        let second = harness.receive(B2BUAHarness.invite(callID: "call-2@192.0.2.10", branch: "z9hG4bKpl2"))
        #expect(second.requests(.invite, to: Self.carrierA).isEmpty)
        #expect(second.requests(.invite, to: Self.carrierB).count == 1)
    }

    @Test func aLateAnswerFromAnAbandonedAttemptIsAckedAndHungUp() throws {
        var harness = try B2BUAHarness()
        let first = harness.receive(B2BUAHarness.invite())
        let toA = try #require(first.requests(.invite, to: Self.carrierA).first)
        let failover = harness.advance(by: .milliseconds(2100))
        #expect(failover.requests(.invite, to: Self.carrierB).count == 1)
        let late = B2BUAHarness.response(200, "OK", to: toA, sdp: true)
        let out = harness.receive(late, from: B2BUAHarness.carrierA)
        let ack = try #require(out.requests(.ack, to: Self.carrierA).first)
        let bye = try #require(out.requests(.bye, to: Self.carrierA).first)
        #expect(ack.requestURIText == "sip:gw@198.51.100.11:5060" && bye.requestURIText == ack.requestURIText)
        #expect(ack.cseq?.number == toA.cseq?.number && bye.cseq?.number == (toA.cseq?.number ?? 0) + 1)
        #expect(bye.to?.tag == "crtag" && bye.callID == toA.callID)
        #expect(out.messages(to: "192.0.2.10").isEmpty, "the caller never hears of the abandoned attempt")
        let again = harness.receive(late, from: B2BUAHarness.carrierA)
        #expect(again.requests(.ack, to: Self.carrierA).count == 1, "a retransmission is ACKed again (the ACK was lost)")
        #expect(again.requests(.bye, to: Self.carrierA).isEmpty, "but does not start another BYE")
    }
}
