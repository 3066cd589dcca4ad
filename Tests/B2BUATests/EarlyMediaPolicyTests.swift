import SIPCore
import Testing
@testable import B2BUA

/// `trunks[].early_media` (relay, ringback, none) and `trunk_groups[].failover_after_early_media`.
@Suite struct EarlyMediaPolicyTests {
    static let carrierA = "198.51.100.11"
    static let carrierB = "198.51.100.12"
    static let platform = "192.0.2.10"
    typealias H = B2BUAHarness

    static func invite(_ harness: inout B2BUAHarness) throws -> SIPMessage {
        try #require(harness.receive(H.invite()).requests(.invite, to: carrierA).first)
    }

    /// Carrier A's 183 with SDP, then its 503: what the B2BUA sent for the 503.
    static func earlyMediaThen503(_ harness: inout B2BUAHarness) throws -> [SIPOutbound] {
        let invite = try Self.invite(&harness)
        harness.receive(H.carrierResponse(183, "Session Progress", to: invite, sdpBody: H.carrierSDP(port: 5000)),
                        from: H.carrierA)
        return harness.receive(H.carrierResponse(503, "Service Unavailable", to: invite), from: H.carrierA)
    }

    @Test func relayPassesTheEarlyMediaSDPOn() throws {
        var harness = try B2BUAHarness(carrierA: "early_media: relay")
        let invite = try Self.invite(&harness)
        let out = harness.receive(H.carrierResponse(183, "Session Progress", to: invite, sdpBody: H.carrierSDP(port: 5000)),
                                  from: H.carrierA)
        let progress = try #require(out.responses(183, to: Self.platform).first)
        #expect(String(decoding: progress.body, as: UTF8.self).contains("m=audio 5000"))
    }

    @Test func ringbackTurns183IntoOne180WithoutSDPAndThe200CarriesTheAnswer() throws {
        var harness = try B2BUAHarness(carrierA: "early_media: ringback")
        let invite = try Self.invite(&harness)
        let out = harness.receive(H.carrierResponse(183, "Session Progress", to: invite, extra: ["Require: 100rel", "RSeq: 5"],
                                                    sdpBody: H.carrierSDP(port: 5000)), from: H.carrierA)
        let ringing = try #require(out.responses(180, to: Self.platform).first)
        #expect(ringing.body.isEmpty && ringing.firstValue(.contentType) == nil)
        #expect(out.responses(183, to: Self.platform).isEmpty)
        #expect(out.requests(.prack, to: Self.carrierA).count == 1, "the reliable 183 is still PRACKed")
        let more = harness.receive(H.carrierResponse(180, "Ringing", to: invite), from: H.carrierA)
        #expect(more.messages(to: Self.platform).isEmpty, "one 180 for the call")
        let answered = harness.receive(H.carrierResponse(200, "OK", to: invite), from: H.carrierA)
        let ok = try #require(answered.responses(200, to: Self.platform).first)
        #expect(String(decoding: ok.body, as: UTF8.self).contains("m=audio 5000"), "the withheld SDP answers in the 200")
    }

    @Test func ringbackLeavesTheCallFreeToFailOver() throws {
        var harness = try B2BUAHarness(carrierA: "early_media: ringback")
        let failed = try Self.earlyMediaThen503(&harness)
        #expect(failed.requests(.invite, to: Self.carrierB).count == 1, "the caller heard nothing of carrier A")
        #expect(failed.responses(503, to: Self.platform).isEmpty)
    }

    @Test func noneSendsNothingButTryingUntilTheAnswer() throws {
        var harness = try B2BUAHarness(carrierA: "early_media: none")
        let invite = try Self.invite(&harness)
        #expect(harness.sent.responses(100, to: Self.platform).count == 1)
        let early = harness.receive(H.carrierResponse(180, "Ringing", to: invite), from: H.carrierA)
            + harness.receive(H.carrierResponse(183, "Session Progress", to: invite, sdpBody: H.carrierSDP(port: 5000)),
                              from: H.carrierA)
        #expect(early.messages(to: Self.platform).isEmpty)
        let answered = harness.receive(H.carrierResponse(200, "OK", to: invite, sdpBody: H.carrierSDP(port: 5000)),
                                       from: H.carrierA)
        #expect(answered.responses(200, to: Self.platform).count == 1)
    }

    @Test func failoverAfterEarlyMediaIsForbiddenByDefault() throws {
        var harness = try B2BUAHarness()
        let failed = try Self.earlyMediaThen503(&harness)
        #expect(failed.requests(.invite, to: Self.carrierB).isEmpty)
        #expect(failed.responses(503, to: Self.platform).count == 1)
    }

    @Test func failoverAfterEarlyMediaWhenTheGroupAllowsIt() throws {
        var harness = try B2BUAHarness(group: "failover_after_early_media: true")
        let failed = try Self.earlyMediaThen503(&harness)
        let next = try #require(failed.requests(.invite, to: Self.carrierB).first)
        #expect(failed.responses(503, to: Self.platform).isEmpty)
        let answered = harness.receive(H.carrierResponse(200, "OK", to: next, sdpBody: H.carrierSDP(port: 7000, host: Self.carrierB)),
                                       from: H.carrierB)
        let ok = try #require(answered.responses(200, to: Self.platform).first)
        #expect(String(decoding: ok.body, as: UTF8.self).contains("m=audio 7000"))
    }
}
