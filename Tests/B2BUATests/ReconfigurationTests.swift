import Logging
import Routing
import SBCConfig
import SIPCore
import Testing
@testable import B2BUA

/// Configuration hot reload inside the B2BUA (docs/RELOAD.md): new calls take the new routing,
/// calls already up or in progress keep the settings they started with, unchanged trunks keep
/// their health state, removed trunks leave the health table without breaking their calls.
@Suite struct ReconfigurationTests {
    static let carrierA = "198.51.100.11"
    static let carrierB = "198.51.100.12"
    static let carrierC = "198.51.100.13"
    static let platform = "192.0.2.10"

    /// The harness's zones and platform with `carriers` and the group's `members`; no trunk is
    /// probed, as in the harness.
    static func configuration(carriers: String, members: String) throws -> SBCConfiguration {
        try ConfigLoader.parse(yaml: """
            zones:
              - {name: platform, bind: 10.0.0.1, udp_port: 5060}
              - {name: carrier, bind: 10.0.1.1, udp_port: 5080}
            trunks:
              - {name: platform, zone: platform, address: 192.0.2.10, port: 5060, health: {probe: false}}
            \(carriers)
            trunk_groups:
              - {name: pstn-out, members: [\(members)], failover_on: [503, 408, timeout, transport]}
            routes:
              - {name: out, from_trunk: platform, trunk_group: pstn-out}
              - {name: in, from_zone: carrier, trunk: platform}
            shutdown: {drain_s: 10}
            media: {enabled: false}
            """, source: "reload.yaml")
    }

    static func reload(_ harness: inout B2BUAHarness, _ config: SBCConfiguration) -> B2BUA.HealthReconfiguration {
        harness.b2bua.reconfigure(settings: B2BUASettings(configuration: config, productName: "SwiftSBC/test"),
                                  routing: RoutingTable(configuration: config), credentials: [:], now: harness.now)
    }

    static let onlyB = """
          - {name: carrier-b, zone: carrier, address: 198.51.100.12, port: 5060, health: {probe: false}}
        """
    static let bAndC = """
          - {name: carrier-b, zone: carrier, address: 198.51.100.12, port: 5060, health: {probe: false}}
          - {name: carrier-c, zone: carrier, address: 198.51.100.13, port: 5060, health: {probe: false}}
        """

    /// A call up on carrier A; the reload removes carrier A. The next call goes to carrier B, and
    /// the first call still ends normally with BYE from carrier A, relayed to the platform.
    @Test func removedTrunkKeepsItsEstablishedCall() throws {
        var harness = try B2BUAHarness()
        _ = harness.b2bua.startHealthMonitoring(now: harness.now)
        let (invite, _) = try BasicCallTests.establish(&harness)
        let report = Self.reload(&harness, try Self.configuration(carriers: Self.onlyB, members: "carrier-b"))
        #expect(report.removed == ["carrier-a"])
        #expect(harness.b2bua.trunkHealth(named: "carrier-a") == nil)

        let second = harness.receive(B2BUAHarness.invite(callID: "call-2@192.0.2.10", branch: "z9hG4bKpl2"))
        #expect(second.requests(.invite, to: Self.carrierB).count == 1, "new calls use the new routing")
        #expect(second.requests(.invite, to: Self.carrierA).isEmpty)

        let bye = B2BUAHarness.carrierBye(for: invite)
        let out = harness.receive(bye, from: B2BUAHarness.carrierA)
        #expect(out.responses(403, to: Self.carrierA).isEmpty, "the removed carrier's BYE is not refused")
        let platformBye = try #require(out.requests(.bye, to: Self.platform).first)
        let done = harness.receive(B2BUAHarness.platformOK(to: platformBye))
        #expect(done.responses(200, to: Self.carrierA).count == 1)
        #expect(harness.b2bua.activeCalls == 1, "the second call is still trying carrier B")
    }

    /// A new, unrelated request from the removed carrier's address is a stranger again.
    @Test func removedTrunkIsAStrangerOutsideItsDialogs() throws {
        var harness = try B2BUAHarness()
        _ = Self.reload(&harness, try Self.configuration(carriers: Self.onlyB, members: "carrier-b"))
        let out = harness.receive(B2BUAHarness.invite(callID: "new@198.51.100.11"), from: B2BUAHarness.carrierA)
        #expect(out.responses(403, to: Self.carrierA).count == 1)
    }

    /// A call still trying carrier A when the reload drops carrier B from the group fails over
    /// along the candidates it started with: the reload does not rewrite calls in progress.
    @Test func callInProgressKeepsItsCandidates() throws {
        var harness = try B2BUAHarness()
        let first = harness.receive(B2BUAHarness.invite())
        let invite = try #require(first.requests(.invite, to: Self.carrierA).first)
        let carriers = """
              - {name: carrier-a, zone: carrier, address: 198.51.100.11, port: 5060, health: {probe: false}}
              - {name: carrier-b, zone: carrier, address: 198.51.100.12, port: 5060, health: {probe: false}}
            """
        _ = Self.reload(&harness, try Self.configuration(carriers: carriers, members: "carrier-a"))
        let out = harness.receive(B2BUAHarness.response(503, "Service Unavailable", to: invite),
                                  from: B2BUAHarness.carrierA)
        #expect(out.requests(.invite, to: Self.carrierB).count == 1, "the call's own candidate list is kept")
    }

    /// Unchanged trunks keep their health state (a lock stays); a new trunk starts `up`;
    /// a removed locked trunk is reported with who locked it.
    @Test func healthOfUnchangedTrunksIsKept() throws {
        var harness = try B2BUAHarness()
        _ = harness.b2bua.startHealthMonitoring(now: harness.now)
        try harness.b2bua.lock(trunk: "carrier-b", reason: "maintenance", actor: "noc", now: harness.now)
        try harness.b2bua.lock(trunk: "carrier-a", reason: "broken", actor: "ops", now: harness.now)
        let before = try #require(harness.b2bua.trunkHealth(named: "carrier-b"))
        harness.now += .seconds(5)
        let report = Self.reload(&harness, try Self.configuration(carriers: Self.bAndC, members: "carrier-b, carrier-c"))
        #expect(report.started == ["carrier-c"])
        #expect(report.removed == ["carrier-a"])
        #expect(report.locksDropped == ["carrier-a": "ops"])
        #expect(report.resettled.isEmpty)
        let after = try #require(harness.b2bua.trunkHealth(named: "carrier-b"))
        #expect(after.state == .locked)
        #expect(after.since == before.since, "an unchanged trunk's state machine is the same value")
        #expect(harness.b2bua.trunkHealth(named: "carrier-c")?.state == .up)

        // Carrier B is locked, carrier C takes the new call.
        let out = harness.receive(B2BUAHarness.invite())
        #expect(out.requests(.invite, to: Self.carrierC).count == 1)
    }

    /// New thresholds on a trunk carry its state over (the restart restore) instead of resetting it.
    @Test func changedHealthSettingsKeepTheState() throws {
        var harness = try B2BUAHarness()
        _ = harness.b2bua.startHealthMonitoring(now: harness.now)
        try harness.b2bua.lock(trunk: "carrier-b", reason: "maintenance", actor: "noc", now: harness.now)
        let carriers = """
              - {name: carrier-a, zone: carrier, address: 198.51.100.11, port: 5060, health: {probe: false}}
              - {name: carrier-b, zone: carrier, address: 198.51.100.12, port: 5060, health: {probe: false, down_after: 5}}
            """
        let report = Self.reload(&harness, try Self.configuration(carriers: carriers, members: "carrier-a, carrier-b"))
        #expect(report.resettled == ["carrier-b"])
        let health = try #require(harness.b2bua.trunkHealth(named: "carrier-b"))
        #expect(health.state == .locked)
        #expect(health.lockedBy == "noc")
        #expect(health.settings.downAfter == 5)
    }
}
