import Media
import Testing
@testable import B2BUA

/// `trunks[].latching` reaches each side of the relay session, and a media timeout caused by a
/// latch refusing the party's real source says so in the BYE's Reason.
@Suite struct LatchingTests {
    static let carrier = "198.51.100.11"
    static let platform = "192.0.2.10"

    @Test func eachSideLatchesUnderItsTrunksPolicy() throws {
        var harness = try B2BUAHarness(media: MediaAnchorTests.media, platformKeys: "latching: any",
                                       carrierAKeys: "latching: signalled")
        _ = try MediaAnchorTests.establish(&harness)
        let specs = MediaAnchorTests.applied(harness.b2bua.takeMediaInstructions())
        #expect(!specs.isEmpty)
        for spec in specs {
            #expect(spec.streams.allSatisfy { $0.a.latching == .anySource && $0.b.latching == .signalledAddress })
        }
    }

    @Test func withoutTheKeyTheRelaysOwnPolicyApplies() throws {
        var harness = try B2BUAHarness(media: MediaAnchorTests.media)
        _ = try MediaAnchorTests.establish(&harness)
        let spec = try #require(MediaAnchorTests.applied(harness.b2bua.takeMediaInstructions()).last)
        #expect(spec.streams.allSatisfy { $0.a.latching == nil && $0.b.latching == nil }, "media.latching")
    }

    @Test func aTimeoutWithPacketsFromAnUnexpectedSourceSaysWhereFrom() throws {
        var harness = try B2BUAHarness(media: MediaAnchorTests.media)
        _ = try MediaAnchorTests.establish(&harness)
        let spec = try #require(MediaAnchorTests.applied(harness.b2bua.takeMediaInstructions()).last)
        let unexpected = UnexpectedMediaSource(packets: 142, source: MediaAddress(host: "127.0.0.20", port: 40012),
                                               expected: MediaAddress(host: "127.0.0.10", port: 4000), latched: false,
                                               policy: .signalledAddress)
        let out = harness.media(.timeout(spec.id, side: .a, silence: .seconds(4), unexpected: unexpected))
        let expected = "SIP;cause=408;text=\"Media timeout: no RTP from platform for 4 s (142 packets arrived from "
            + "127.0.0.20:40012, not the signalled 127.0.0.10; set trunks[].latching: any for a party behind NAT)\""
        #expect(out.requests(.bye, to: Self.platform).first?.firstValue(.reason) == expected)
        #expect(out.requests(.bye, to: Self.carrier).first?.firstValue(.reason) == expected)
    }

    @Test func aPlainTimeoutKeepsItsShortReason() throws {
        var harness = try B2BUAHarness(media: MediaAnchorTests.media)
        _ = try MediaAnchorTests.establish(&harness)
        let spec = try #require(MediaAnchorTests.applied(harness.b2bua.takeMediaInstructions()).last)
        let out = harness.media(.timeout(spec.id, side: .b, silence: .seconds(4)))
        #expect(out.requests(.bye, to: Self.platform).first?.firstValue(.reason)
            == "SIP;cause=408;text=\"Media timeout: no RTP from carrier-a for 4 s\"")
    }

    @Test func aLatchedSideOnlyNamesTheSourceItHolds() {
        let text = B2BUA.mediaTimeoutText(
            party: "platform", seconds: 4,
            unexpected: UnexpectedMediaSource(packets: 7, source: MediaAddress(host: "198.51.100.9", port: 4000),
                                              expected: MediaAddress(host: "127.0.0.10", port: 4000), latched: true,
                                              policy: .anySource))
        #expect(text == "Media timeout: no RTP from platform for 4 s (7 packets arrived from 198.51.100.9:4000, "
            + "not the latched 127.0.0.10:4000)")
    }
}
