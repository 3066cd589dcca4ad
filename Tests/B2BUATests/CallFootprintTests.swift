@testable import B2BUA
import Routing
import SBCConfig
import SIPCore
import SIPTransaction
import Testing

/// What an established call keeps in memory (issue 15: RSS per established call): the shared
/// trunk settings, the two-sided values kept inline, the fields kept out of line, and upper
/// bounds on the inline sizes of the call's parts so that a large value added inline is noticed.
@Suite struct CallFootprintTests {
    private static func trunk(_ name: String, address: String = "192.0.2.10") -> TrunkSettings {
        var trunk = TrunkSettings(name: name, zone: "carriers", address: address)
        trunk.port = 5060
        return trunk
    }

    @Test func equalTrunkSettingsShareOneBox() {
        let first = SharedTrunkSettings.shared(Self.trunk("footprint-shared"))
        let second = SharedTrunkSettings.shared(Self.trunk("footprint-shared"))
        #expect(first === second)
        #expect(second.settings == Self.trunk("footprint-shared"))
    }

    @Test func changedTrunkSettingsGetTheirOwnBoxAndOldLegsKeepTheirs() {
        let before = SharedTrunkSettings.shared(Self.trunk("footprint-reload"))
        let after = SharedTrunkSettings.shared(Self.trunk("footprint-reload", address: "192.0.2.99"))
        #expect(before !== after)
        #expect(before.settings.address == "192.0.2.10")
        #expect(after.settings.address == "192.0.2.99")
        #expect(SharedTrunkSettings.shared(Self.trunk("footprint-reload", address: "192.0.2.99")) === after)
    }

    @Test func routeDecisionsAreSharedWithoutCandidates() {
        let decision = RouteDecision(routeName: "footprint-route", candidates: [Self.trunk("footprint-c")], critical: true)
        let first = SharedRouteDecision.shared(decision)
        #expect(first.decision.candidates.isEmpty)
        #expect(first.decision.critical)
        #expect(SharedRouteDecision.shared(decision) === first)
        let changed = SharedRouteDecision.shared(RouteDecision(routeName: "footprint-route", candidates: [], critical: false))
        #expect(changed !== first)
        #expect(!changed.decision.critical)
        #expect(first.decision.critical)
    }

    @Test func sidePairReadsLikeADictionary() {
        var pair: SidePair<Int> = [.b: 2]
        #expect(pair[.a] == nil)
        #expect(pair[.b] == 2)
        #expect(!pair.isEmpty)
        pair[.a] = 1
        pair[.b]? += 10
        #expect(pair.values == [1, 12])
        pair[.a, default: 0] += 5
        #expect(pair[.a] == 6)
        pair[.a] = nil
        pair[.b] = nil
        #expect(pair.isEmpty)
        #expect(pair.values.isEmpty)
        var empty: SidePair<Int> = [:]
        empty[.b, default: 7] += 1
        #expect(empty == [.b: 8])
    }

    @Test func outOfLineKeepsValueSemantics() {
        struct Holder {
            @OutOfLine var value: [Int]? = nil
        }
        var first = Holder()
        #expect(first.value == nil)
        first.value = [1]
        var second = first
        second.value?.append(2)
        #expect(first.value == [1])
        #expect(second.value == [1, 2])
        second.value = nil
        #expect(second.value == nil)
        #expect(MemoryLayout<Holder>.size == MemoryLayout<Int>.size)
    }

    @Test func plainStreamSecurityHoldsNothingPerSide() {
        var stream = CallMedia.Stream(ports: [:])
        #expect(stream.security.isEmpty)
        stream.security[.b] = CallMedia.LegSecurity()
        #expect(stream.security[.b] != nil)
        #expect(stream.security[.a] == nil)
        #expect(CallMedia.LegSecurity().isEmpty)
    }

    @Test func callKeepsNoCopyOfTheRouteCandidates() throws {
        let trunks = [Self.trunk("footprint-a"), Self.trunk("footprint-b")]
        let decision = RouteDecision(routeName: "r", candidates: trunks)
        let zone = ZoneIdentity(ZoneSettings(name: "carriers", bind: "192.0.2.2", udpPort: 5060))
        let caller = SIPNameAddress(uri: SIPURI(user: "1", host: "example.com"))
        let callee = SIPNameAddress(uri: SIPURI(user: "2", host: "example.com"))
        let invite = SIPMessage.request(.invite, uri: callee.uri, via: zone.via(branch: "z9hG4bK-footprint", transport: .udp),
                                        maxForwards: 70, from: caller, to: callee, callID: "c",
                                        cseq: SIPCSeq(number: 1, method: .invite))
        let key = try #require(TransactionKey.client(for: invite))
        let leg = CallLeg(side: .a, callID: "c", localTag: "l", remoteTag: "r", localAddress: callee,
                          remoteAddress: caller, remoteTarget: caller.uri, routeSet: [], localCSeq: 0, remoteCSeq: 1,
                          peer: SIPEndpoint(host: "192.0.2.1", port: 5060, transport: .udp, zone: "carriers"),
                          trunk: trunks[0], zone: zone)
        let call = Call(handle: CallHandle(rawValue: 1), a: leg, route: decision,
                        candidates: Call.Candidates(callerInvite: invite, remaining: trunks), callerKey: key,
                        startedAt: .zero)
        #expect(call.route.candidates.isEmpty)
        #expect(call.route.routeName == "r")
        #expect(call.candidates?.remaining.map { $0.name } == ["footprint-a", "footprint-b"])
        call.route = decision
        #expect(call.route.candidates.isEmpty)
        #expect(call.a.trunk == trunks[0])
        call.activeTrunk = trunks[1]
        #expect(call.activeTrunk == trunks[1])
        call.activeTrunk = nil
        #expect(call.activeTrunk == nil)
    }

    /// Upper bounds, with some room, on what each part of a call holds inline. Measured when set:
    /// CallLeg 688 bytes (1,609 with the trunk's settings and session timer inline), Call.Phase
    /// 160 (265), CallMedia.Stream 136.
    @Test func inlineSizesStayBounded() {
        #expect(MemoryLayout<CallLeg>.size <= 760)
        #expect(MemoryLayout<Call.Phase>.size <= 200)
        #expect(MemoryLayout<Call.Established>.size <= 128)
        #expect(MemoryLayout<CallMedia.Stream>.size <= 160)
    }
}
