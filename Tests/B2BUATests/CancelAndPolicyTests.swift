import SIPCore
import Testing
@testable import B2BUA

/// CANCEL, refusals and shutdown: everything that ends a request without a call.
@Suite struct CancelAndPolicyTests {
    static let carrier = "198.51.100.11"
    static let platform = "192.0.2.10"

    static func cancel(branch: String = "z9hG4bKpl1") -> String {
        """
        CANCEL sip:+15551230000@10.0.0.1 SIP/2.0
        Via: SIP/2.0/UDP 192.0.2.10:5060;branch=\(branch)
        Max-Forwards: 70
        From: "Agent" <sip:+15550001111@192.0.2.10>;tag=pltag
        To: <sip:+15551230000@10.0.0.1>
        Call-ID: call-1@192.0.2.10
        CSeq: 1 CANCEL
        Content-Length: 0


        """
    }

    @Test func cancelWhileRingingAnswers487AndCancelsTheCallee() throws {
        var harness = try B2BUAHarness()
        let invite = try #require(harness.receive(B2BUAHarness.invite()).requests(.invite, to: Self.carrier).first)
        harness.receive(B2BUAHarness.response(180, "Ringing", to: invite), from: B2BUAHarness.carrierA)
        let out = harness.receive(Self.cancel())
        #expect(out.messages(to: Self.platform).contains { $0.statusCode == 200 && $0.cseq?.method == .cancel })
        #expect(out.responses(487, to: Self.platform).count == 1)
        let cancel = try #require(out.requests(.cancel, to: Self.carrier).first)
        #expect(cancel.topVia?.branch == invite.topVia?.branch, "CANCEL reuses the INVITE's branch")
        #expect(cancel.cseq?.number == invite.cseq?.number)
        let end = harness.receive(B2BUAHarness.response(487, "Request Terminated", to: invite),
                                  from: B2BUAHarness.carrierA)
        #expect(end.requests(.ack, to: Self.carrier).count == 1)
        #expect(end.messages(to: Self.platform).isEmpty, "the caller already has its 487")
        #expect(harness.b2bua.activeCalls == 0)
    }

    @Test func cancelBeforeAnyProvisionalWaitsForOne() throws {
        var harness = try B2BUAHarness()
        let invite = try #require(harness.receive(B2BUAHarness.invite()).requests(.invite, to: Self.carrier).first)
        let out = harness.receive(Self.cancel())
        #expect(out.requests(.cancel, to: Self.carrier).isEmpty, "RFC 3261 9.1: no CANCEL before a provisional")
        let ringing = harness.receive(B2BUAHarness.response(180, "Ringing", to: invite), from: B2BUAHarness.carrierA)
        #expect(ringing.requests(.cancel, to: Self.carrier).count == 1)
        #expect(ringing.messages(to: Self.platform).isEmpty)
    }

    @Test("a CANCEL reaches the call whose INVITE it names, not another one in progress")
    func cancelFindsItsOwnCallAmongOthers() throws {
        var harness = try B2BUAHarness()
        let first = try #require(harness.receive(B2BUAHarness.invite()).requests(.invite, to: Self.carrier).first)
        let second = try #require(harness.receive(B2BUAHarness.invite(callID: "call-2@192.0.2.10", branch: "z9hG4bKpl2"))
            .requests(.invite, to: Self.carrier).first)
        harness.receive(B2BUAHarness.response(180, "Ringing", to: first), from: B2BUAHarness.carrierA)
        harness.receive(B2BUAHarness.response(180, "Ringing", to: second), from: B2BUAHarness.carrierA)
        let cancel = Self.cancel(branch: "z9hG4bKpl2").replacingOccurrences(of: "call-1@", with: "call-2@")
        let out = harness.receive(cancel)
        #expect(out.responses(487, to: Self.platform).map(\.callID) == ["call-2@192.0.2.10"])
        let sent = try #require(out.requests(.cancel, to: Self.carrier).first)
        #expect(sent.topVia?.branch == second.topVia?.branch)
        #expect(out.requests(.cancel, to: Self.carrier).count == 1)
        harness.receive(B2BUAHarness.response(487, "Request Terminated", to: second), from: B2BUAHarness.carrierA)
        #expect(harness.b2bua.activeCalls == 1, "the first call still rings")
    }

    @Test("a 2xx the caller never ACKs ends that call after 64*T1 with BYEs, and leaves the others alone")
    func unacknowledgedAnswerEndsItsCall() throws {
        var harness = try B2BUAHarness()
        _ = try BasicCallTests.establish(&harness)
        let invite = try #require(harness.receive(B2BUAHarness.invite(callID: "call-2@192.0.2.10", branch: "z9hG4bKpl2"))
            .requests(.invite, to: Self.carrier).first)
        let answer = harness.receive(B2BUAHarness.response(200, "OK", to: invite, sdp: true), from: B2BUAHarness.carrierA)
        #expect(answer.responses(200, to: Self.platform).count == 1)
        let out = harness.advance(by: .seconds(33))
        let byes = out.requests(.bye, to: Self.carrier)
        #expect(Set(byes.map(\.callID)) == ["call-2@192.0.2.10"], "a BYE (and its retransmissions) for that call only")
        #expect(byes.first?.firstValue(.reason)?.contains("ACK timeout") == true)
        #expect(harness.b2bua.activeCalls == 1, "the acknowledged call stays up")
    }

    @Test func cancelForUnknownTransactionGets481() throws {
        var harness = try B2BUAHarness()
        let out = harness.receive(Self.cancel(branch: "z9hG4bKnothing"))
        #expect(out.responses(481, to: Self.platform).count == 1)
    }

    @Test func unknownSourceIsForbidden() throws {
        var harness = try B2BUAHarness()
        let stranger = SIPEndpoint(host: "203.0.113.99", port: 5060, transport: .udp, zone: "platform")
        let out = harness.receive(B2BUAHarness.invite(), from: stranger)
        #expect(out.count == 1)
        #expect(out.first?.message.statusCode == 403)
        #expect(out.first?.destination.host == "203.0.113.99")
        #expect(harness.b2bua.activeCalls == 0)
    }

    @Test func malformedRequestGets400WithTheReason() throws {
        var harness = try B2BUAHarness()
        let out = harness.receive("""
            INVITE sip:+15551230000@10.0.0.1 SIP/2.0
            Via: SIP/2.0/UDP 192.0.2.10:5060;branch=z9hG4bKbad
            From: <sip:a@192.0.2.10>;tag=1
            To: <sip:b@10.0.0.1>
            Call-ID: bad-1
            CSeq: 99999999999 INVITE
            Content-Length: 0


            """)
        let response = try #require(out.first?.message)
        #expect(response.statusCode == 400)
        guard case .response(_, let reason) = response.startLine else { return }
        #expect(reason == "Malformed CSeq header")
    }

    @Test func garbageIsDroppedSilently() throws {
        var harness = try B2BUAHarness()
        #expect(harness.receive("\u{1}\u{2}garbage").isEmpty)
        #expect(harness.receive("SIP/2.0 200").isEmpty)
    }

    @Test func outOfDialogOptionsIsAnsweredLocally() throws {
        var harness = try B2BUAHarness()
        let out = harness.receive("""
            OPTIONS sip:10.0.0.1 SIP/2.0
            Via: SIP/2.0/UDP 192.0.2.10:5060;branch=z9hG4bKopt
            Max-Forwards: 70
            From: <sip:ping@192.0.2.10>;tag=o1
            To: <sip:10.0.0.1>
            Call-ID: opt-1
            CSeq: 1 OPTIONS
            Content-Length: 0


            """)
        let ok = try #require(out.first?.message)
        #expect(ok.statusCode == 200)
        #expect(ok.firstValue(.allow)?.contains("INVITE") == true)
        #expect(out.requests(.options, to: Self.carrier).isEmpty)
    }

    @Test func maxForwardsZeroGets483() throws {
        var harness = try B2BUAHarness()
        let out = harness.receive(B2BUAHarness.invite().replacingOccurrences(of: "Max-Forwards: 70", with: "Max-Forwards: 0"))
        #expect(out.responses(483, to: Self.platform).count == 1)
        #expect(out.requests(.invite, to: Self.carrier).isEmpty)
    }

    @Test func methodsWithoutDialogAreRefused() throws {
        var harness = try B2BUAHarness()
        func request(_ method: String) -> String {
            """
            \(method) sip:10.0.0.1 SIP/2.0
            Via: SIP/2.0/UDP 192.0.2.10:5060;branch=z9hG4bK\(method)
            Max-Forwards: 70
            From: <sip:x@192.0.2.10>;tag=m1
            To: <sip:10.0.0.1>
            Call-ID: m-\(method)
            CSeq: 1 \(method)
            Content-Length: 0


            """
        }
        #expect(harness.receive(request("REGISTER")).first?.message.statusCode == 405)
        #expect(harness.receive(request("FROBNICATE")).first?.message.statusCode == 501)
    }

    @Test func drainRefusesNewCallsThenClosesEstablishedOnes() throws {
        var harness = try B2BUAHarness()
        _ = try BasicCallTests.establish(&harness)
        harness.sent = []
        _ = harness.b2bua.beginDrain(now: harness.now)
        let refused = harness.receive(B2BUAHarness.invite(callID: "call-2@192.0.2.10", branch: "z9hG4bKpl2"))
        #expect(refused.responses(503, to: Self.platform).count == 1)
        let during = harness.advance(by: .seconds(5))
        #expect(during.requests(.bye, to: Self.platform).isEmpty, "calls may end by themselves during the drain")
        #expect(during.requests(.bye, to: Self.carrier).isEmpty)
        let closing = harness.advance(by: .seconds(6))
        #expect(closing.requests(.bye, to: Self.platform).count == 1)
        #expect(closing.requests(.bye, to: Self.carrier).count == 1)
        #expect(closing.requests(.bye, to: Self.carrier).first?.firstValue(.reason)?.contains("503") == true)
        #expect(harness.b2bua.activeCalls == 0)
    }
}
