import SIPCore
import Testing
@testable import B2BUA

/// What operators see of live calls (snapshots) and the hang-up they may order.
@Suite struct LiveCallTests {
    static let carrier = "198.51.100.11"
    static let platform = "192.0.2.10"

    @Test func establishedCallShowsItsLegsCodecsMediaAndMidCallState() throws {
        var harness = try MidCallFailoverTests.harness()
        let (invite, _, aTag, spec) = try MidCallFailoverTests.establish(&harness)

        let list = harness.b2bua.callSnapshots()
        #expect(list.count == 1)
        let summary = try #require(list.first)
        #expect(summary.phase == .established)
        #expect(summary.critical)
        #expect(summary.ingressTrunk == "platform" && summary.trunk == "carrier-a")
        #expect(summary.answeredAt != nil)
        #expect(summary.legs.isEmpty && summary.media == nil, "the list carries no detail")

        let call = try #require(harness.b2bua.callSnapshot(id: "\(summary.id)"))
        #expect(call.legs.map(\.side) == [.a, .b])
        let (caller, carrierLeg) = (call.legs[0], call.legs[1])
        #expect(caller.localTag == aTag && caller.remoteTag == "pltag")
        #expect(carrierLeg.callID == invite.callID && carrierLeg.remoteTag == "crtag")
        #expect(carrierLeg.active && carrierLeg.carrierIndex == 0)
        #expect(carrierLeg.peer == "\(Self.carrier):5060" && carrierLeg.transport == "udp")
        #expect(carrierLeg.remoteTarget == "sip:gw@198.51.100.11:5060")
        #expect(carrierLeg.offerAnswer == "done")
        #expect(carrierLeg.codecs.first?.contains("PCMA/8000") == true, "the carrier answered PCMA")
        let media = try #require(call.media)
        #expect(media.session == spec.id.rawValue)
        #expect(media.armed)
        #expect(media.streams.first?.relayPortA == spec.streams.first?.a.local.port)
        #expect(media.streams.first?.remoteB == "\(Self.carrier):5000")
        let midCall = try #require(call.midCall)
        #expect(midCall.failovers == 0 && midCall.trigger == nil)

        #expect(harness.b2bua.callSnapshot(id: invite.callID ?? "")?.id == summary.id, "found by Call-ID too")
        #expect(harness.b2bua.callSnapshot(id: "424242") == nil)
    }

    @Test func ringingCallShowsItsAttemptTimers() throws {
        var harness = try B2BUAHarness()
        harness.receive(B2BUAHarness.invite())
        let call = try #require(harness.b2bua.callSnapshot(id: "call-1@192.0.2.10"))
        #expect(call.phase == .proceeding)
        let timers = try #require(call.timers)
        let firstProvisional = try #require(timers.firstProvisional)
        #expect(firstProvisional > harness.now)
        #expect(call.legs.count == 2)
        #expect(call.legs[1].offerAnswer == "idle", "media anchoring is off here: the SDP passes through")
    }

    @Test func operatorHangUpSendsByeWithReasonToBothLegsAndNamesTheOperator() throws {
        var harness = try B2BUAHarness()
        _ = try BasicCallTests.establish(&harness)
        let id = try #require(harness.b2bua.callSnapshots().first?.id)

        let out = try harness.b2bua.terminate(call: id, reason: "fraud on this number", actor: "noc", now: harness.now)
        let toCaller = try #require(out.requests(.bye, to: Self.platform).first)
        let toCarrier = try #require(out.requests(.bye, to: Self.carrier).first)
        #expect(toCaller.firstValue(.reason) == B2BUA.operatorHangUpReason)
        #expect(toCarrier.firstValue(.reason) == B2BUA.operatorHangUpReason)
        #expect(!toCarrier.serialized().contains(Array("fraud".utf8)), "the operator's reason stays inside")
        #expect(harness.b2bua.activeCalls == 0)
        let record = try #require(harness.b2bua.takeFinishedCalls().first)
        #expect(record.endedBy == "operator:noc")
        #expect(record.disposition == .answered)

        #expect(throws: B2BUA.HangUpError.unknownCall(id)) {
            try harness.b2bua.terminate(call: id, reason: "again", actor: "noc", now: harness.now)
        }
    }

    @Test func operatorHangUpOfARingingCallCancelsItAndAnswers487() throws {
        var harness = try B2BUAHarness()
        let first = harness.receive(B2BUAHarness.invite())
        let invite = try #require(first.requests(.invite, to: Self.carrier).first)
        harness.receive(B2BUAHarness.response(180, "Ringing", to: invite), from: B2BUAHarness.carrierA)
        let id = try #require(harness.b2bua.callSnapshots().first?.id)

        let out = try harness.b2bua.terminate(call: id, reason: "stuck", actor: "noc", now: harness.now)
        #expect(out.responses(487, to: Self.platform).count == 1, "no 5xx: the platform must not retry elsewhere")
        #expect(out.requests(.cancel, to: Self.carrier).count == 1)
        let record = try #require(harness.b2bua.takeFinishedCalls().first)
        #expect(record.finalStatus == 487)
        #expect(record.endedBy == "operator:noc")
    }

    @Test func callAlreadyEndingIsNotHungUpTwice() throws {
        var harness = try B2BUAHarness()
        let (_, aTag) = try BasicCallTests.establish(&harness)
        harness.receive(B2BUAHarness.platformRequest("BYE", toTag: aTag, cseq: 2, branch: "z9hG4bKbye1"))
        let id = try #require(harness.b2bua.callSnapshots().first?.id)
        #expect(harness.b2bua.callSnapshots().first?.phase == .terminating)
        #expect(throws: B2BUA.HangUpError.alreadyEnding(id)) {
            try harness.b2bua.terminate(call: id, reason: "late", actor: "noc", now: harness.now)
        }
    }
}
