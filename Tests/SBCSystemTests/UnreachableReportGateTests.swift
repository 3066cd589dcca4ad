import Testing
@testable import SBCSystem
@testable import SIPTransport

/// ICMP errors from a peer that went away are reported once per window and destination.
@Suite struct UnreachableReportGateTests {
    @Test("one report per destination and zone per window; other destinations and later windows pass")
    func window() throws {
        var gate = UnreachableReportGate(window: .milliseconds(250))
        let platform = try SocketAddress(host: "127.0.83.10", port: 5060)
        let carrier = try SocketAddress(host: "127.0.83.11", port: 5060)
        let start = MonotonicInstant(nanoseconds: 1_000_000_000)
        let first = gate.admit(zone: "platform", destination: platform, now: start)
        #expect(first)
        // A thousand more ICMP errors within the window: none reported.
        var passed = 0
        for i in 1...1000 where gate.admit(zone: "platform", destination: platform, now: start + .microseconds(i * 200)) {
            passed += 1
        }
        #expect(passed == 0)
        let otherDestination = gate.admit(zone: "carrier", destination: carrier, now: start + .milliseconds(10))
        let otherZone = gate.admit(zone: "carrier", destination: platform, now: start + .milliseconds(10))
        let nextWindow = gate.admit(zone: "platform", destination: platform, now: start + .milliseconds(250))
        #expect(otherDestination && otherZone && nextWindow)
    }

    @Test("the table of destinations stays bounded")
    func bounded() throws {
        var gate = UnreachableReportGate(window: .milliseconds(250))
        let start = MonotonicInstant(nanoseconds: 1_000_000_000)
        var admitted = 0
        for i in 0..<5000 {
            let destination = try SocketAddress(host: "10.0.\(i / 250).\(i % 250)", port: 5060)
            if gate.admit(zone: "carrier", destination: destination, now: start + .milliseconds(i)) { admitted += 1 }
        }
        #expect(admitted == 5000, "every destination's first report passes")
        #expect(gate.lastReported.count <= UnreachableReportGate.capacity)
    }
}
