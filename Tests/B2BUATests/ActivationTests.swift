import SIPCore
import Testing
@testable import B2BUA

/// Group activations and the overflow destination in the B2BUA: new calls follow the activated
/// member, a forced failover takes out the member that is first now, the drain queue watches
/// the calls on the demoted member, and the overflow trunk is tried when every member failed.
@Suite struct ActivationTests {
    static let carrierA = "198.51.100.11"
    static let carrierB = "198.51.100.12"
    static let announcements = "198.51.100.13"
    static let platform = "192.0.2.10"
    static let wall = 1_800_000_000.0

    static func harness(groupKeys: String = "activation: {cooling_s: 60, drain_threshold: 0}") throws -> B2BUAHarness {
        try B2BUAHarness(groupKeys: groupKeys + ", overflow: announcements",
                         extraTrunks: ["{name: announcements, zone: carrier, address: 198.51.100.13, port: 5060}"])
    }

    @Test func newCallsTryTheActivatedMemberFirst() throws {
        var harness = try Self.harness()
        let change = try harness.b2bua.activate(group: "pstn-out", member: "carrier-b", reason: "maintenance",
                                                actor: "ops", force: false, at: Self.wall)
        #expect(change.version.version == 1)
        #expect(harness.b2bua.takeActivationChanges().map(\.group) == ["pstn-out"])
        let out = harness.receive(B2BUAHarness.invite())
        let first = try #require(out.requests(.invite, to: Self.carrierB).first)
        #expect(out.requests(.invite, to: Self.carrierA).isEmpty)
        // B fails: the call still fails over per call, to A, whatever the activation.
        let next = harness.receive(B2BUAHarness.response(503, "Service Unavailable", to: first), from: B2BUAHarness.carrierB)
        #expect(next.requests(.invite, to: Self.carrierA).count == 1)
        // A forced failover now takes out B, the member that is first.
        try harness.b2bua.forceFailover(group: "pstn-out", reason: "r", actor: "ops", now: harness.now)
        let forced = harness.receive(B2BUAHarness.invite(callID: "call-2@192.0.2.10", branch: "z9hG4bKpl2"))
        #expect(forced.requests(.invite, to: Self.carrierB).isEmpty)
        #expect(forced.requests(.invite, to: Self.carrierA).count == 1)
    }

    @Test func coolingAndUnknownGroupsAreRefused() throws {
        var harness = try Self.harness()
        _ = try harness.b2bua.activate(group: "pstn-out", member: "carrier-b", reason: "r", actor: "ops", force: false,
                                       at: Self.wall)
        #expect(throws: B2BUA.ActivationRequestError.refused(.cooling(member: "carrier-b", secondsLeft: 50, version: 1))) {
            try harness.b2bua.rollbackActivation(group: "pstn-out", to: 0, reason: "r", actor: "ops", force: false,
                                                 at: Self.wall + 10)
        }
        #expect(throws: B2BUA.ActivationRequestError.unknownGroup("nope")) {
            try harness.b2bua.activate(group: "nope", member: "carrier-b", reason: "r", actor: "ops", force: false,
                                       at: Self.wall)
        }
    }

    @Test func aSwapWaitsForTheCallsOnTheDemotedMemberToEnd() throws {
        var harness = try Self.harness()
        let invite = try #require(harness.receive(B2BUAHarness.invite()).requests(.invite, to: Self.carrierA).first)
        let answer = harness.receive(B2BUAHarness.response(200, "OK", to: invite, sdp: true), from: B2BUAHarness.carrierA)
        let aTag = try #require(answer.responses(200, to: Self.platform).first?.to?.tag)
        let change = try harness.b2bua.activate(group: "pstn-out", member: "carrier-b", reason: "r", actor: "ops",
                                                force: false, at: Self.wall)
        guard case .queued(let pending) = change else { Issue.record("not queued: \(change)"); return }
        #expect(pending.draining == "carrier-a")
        harness.b2bua.applyDrainedActivations(at: Self.wall + 1)
        #expect(harness.b2bua.activation(of: "pstn-out")?.current.version == 0, "the call is still up")
        harness.receive(B2BUAHarness.platformRequest("BYE", toTag: aTag, cseq: 2, branch: "z9hG4bKbye1"))
        let bye = try #require(harness.sent.requests(.bye, to: Self.carrierA).first)
        harness.receive(B2BUAHarness.response(200, "OK", to: bye), from: B2BUAHarness.carrierA)
        harness.b2bua.applyDrainedActivations(at: Self.wall + 2)
        let state = try #require(harness.b2bua.activation(of: "pstn-out"))
        #expect(state.current.version == 1)
        #expect(state.current.appliedAt == Self.wall + 2)
        #expect(harness.b2bua.takeActivationChanges().map { $0.change.version.version } == [1, 1])
    }

    @Test func everyMemberFailingSendsTheCallToTheOverflowTrunk() throws {
        var harness = try Self.harness()
        let a = try #require(harness.receive(B2BUAHarness.invite()).requests(.invite, to: Self.carrierA).first)
        let b = try #require(harness.receive(B2BUAHarness.response(503, "Service Unavailable", to: a),
                                             from: B2BUAHarness.carrierA).requests(.invite, to: Self.carrierB).first)
        let out = harness.receive(B2BUAHarness.response(503, "Service Unavailable", to: b), from: B2BUAHarness.carrierB)
        #expect(out.responses(503, to: Self.platform).isEmpty, "no bare 503 to the platform")
        let overflow = try #require(out.requests(.invite, to: Self.announcements).first)
        let announcer = SIPEndpoint(host: Self.announcements, port: 5060, transport: .udp, zone: "carrier")
        let answered = harness.receive(B2BUAHarness.response(200, "OK", to: overflow, sdp: true), from: announcer)
        let aTag = try #require(answered.responses(200, to: Self.platform).first?.to?.tag)
        harness.receive(B2BUAHarness.platformRequest("BYE", toTag: aTag, cseq: 2, branch: "z9hG4bKbye2"))
        let bye = try #require(harness.sent.requests(.bye, to: Self.announcements).first)
        harness.receive(B2BUAHarness.response(200, "OK", to: bye), from: announcer)
        let summary = try #require(harness.b2bua.takeFinishedCalls().first)
        #expect(summary.attempts.map(\.trunk) == ["carrier-a", "carrier-b", "announcements"])
        #expect(summary.attempts.map(\.overflow) == [false, false, true])
    }

    @Test func unselectableMembersGoStraightToOverflow() throws {
        var harness = try Self.harness()
        _ = harness.b2bua.startHealthMonitoring(now: harness.now)
        try harness.b2bua.lock(trunk: "carrier-a", reason: "r", actor: "ops", now: harness.now)
        try harness.b2bua.lock(trunk: "carrier-b", reason: "r", actor: "ops", now: harness.now)
        let out = harness.receive(B2BUAHarness.invite())
        #expect(out.requests(.invite, to: Self.announcements).count == 1)
        #expect(out.requests(.invite, to: Self.carrierA).isEmpty && out.requests(.invite, to: Self.carrierB).isEmpty)
    }
}
