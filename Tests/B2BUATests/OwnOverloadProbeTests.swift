import Logging
import Routing
import SBCConfig
import SIPCore
import Testing
@testable import B2BUA

/// A probe that timed out while the SBC itself was overloaded never counts against a carrier
/// (docs/OVERLOAD.md): in a storm the answer may sit unread in the SBC's own socket.
@Suite struct OwnOverloadProbeTests {
    static let yaml = """
        zones: [{name: platform, bind: 10.0.0.1, udp_port: 5060}, {name: carrier, bind: 10.0.1.1, udp_port: 5080}]
        trunks:
          - {name: platform, zone: platform, address: 192.0.2.10, health: {probe: false}}
          - {name: carrier-a, zone: carrier, address: 198.51.100.11}
        routes: [{name: out, from_trunk: platform, trunk: carrier-a}, {name: in, from_zone: carrier, trunk: platform}]
        media: {enabled: false}
        """

    @Test("the history says whether an overload overlapped a probe's lifetime")
    func history() {
        var history = OwnLoadHistory()
        #expect(!history.overlaps(from: .seconds(1), to: .seconds(3)))
        history.update(overloaded: true, now: .seconds(10))
        #expect(history.overlaps(from: .seconds(9), to: .seconds(11)))
        #expect(history.overlaps(from: .seconds(11), to: .seconds(12)), "still overloaded")
        history.update(overloaded: false, now: .seconds(20))
        #expect(history.overlaps(from: .seconds(19), to: .seconds(21)), "ended during the probe")
        #expect(!history.overlaps(from: .seconds(21), to: .seconds(23)), "sent after the overload ended")
        history.update(overloaded: false, now: .seconds(30))
        #expect(history.state == .normal(lastOverloadEnded: .seconds(20)), "a repeated report changes nothing")
    }

    @Test("probe timeouts during the SBC's own overload are discarded; afterwards they count again")
    func probesDuringOverload() throws {
        // Carrier A probed with the defaults: 15 s interval, 2 s timeout, down after 3 failures.
        let config = try ConfigLoader.parse(yaml: Self.yaml, source: "own-overload.yaml")
        var harness = try B2BUAHarness()
        harness.b2bua = B2BUA(settings: B2BUASettings(configuration: config, productName: "SwiftSBC/test"),
                              routing: RoutingTable(configuration: config), logger: Logger(label: "test"),
                              ids: IdentifierGenerator(seed: 3))
        harness.sent += harness.b2bua.startHealthMonitoring(now: harness.now)
        #expect(!harness.sent.requests(.options, to: "198.51.100.11").isEmpty, "the first probe went out")
        harness.b2bua.ownLoadChanged(overloaded: true, now: harness.now)
        // Five probe intervals with no answer (15 s interval, 2 s timeout, down after 3).
        for _ in 0..<75 { harness.advance(by: .seconds(1)) }
        #expect(harness.b2bua.trunkHealth(named: "carrier-a")?.state == .up)
        #expect(harness.b2bua.trunkHealth(named: "carrier-a")?.probesFailed == 0)
        #expect(harness.b2bua.discardedProbes >= 4, "every timeout was discarded")

        harness.b2bua.ownLoadChanged(overloaded: false, now: harness.now)
        for _ in 0..<60 { harness.advance(by: .seconds(1)) }
        #expect(harness.b2bua.trunkHealth(named: "carrier-a")?.state == .down,
                "a carrier that does not answer a normally loaded SBC still goes down")
    }
}
