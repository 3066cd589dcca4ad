import SBCConfig
import Testing
@testable import Routing

@Suite struct TrunkAvailabilityTests {
    static func trunk(maxCalls: Int = 0) -> TrunkSettings {
        var trunk = TrunkSettings(name: "carrier-a", zone: "carrier", address: "198.51.100.11")
        trunk.maxCalls = maxCalls
        trunk.passiveFailureThreshold = 3
        trunk.passiveFailureWindow = .seconds(60)
        return trunk
    }

    @Test func quarantineLastsItsDurationAndOnlyExtends() {
        var availability = TrunkAvailability()
        let trunk = Self.trunk()
        #expect(availability.quarantine("carrier-a", for: .seconds(30), now: .seconds(100)) != nil)
        #expect(availability.unavailability(of: trunk, now: .seconds(129)) == .quarantined(until: .seconds(130)))
        #expect(availability.quarantine("carrier-a", for: .seconds(10), now: .seconds(110)) == nil,
                "a shorter Retry-After does not cut a quarantine short")
        #expect(availability.unavailability(of: trunk, now: .seconds(130)) == nil)
        #expect(availability.quarantine("carrier-a", for: .zero, now: .seconds(130)) == nil)
    }

    @Test func passiveFailuresCountOnlyWithinTheWindow() {
        var availability = TrunkAvailability()
        let trunk = Self.trunk()
        #expect(availability.recordFailure(trunk, now: .seconds(0)) == nil)
        #expect(availability.recordFailure(trunk, now: .seconds(50)) == nil)
        #expect(availability.recordFailure(trunk, now: .seconds(70)) == nil, "the failure at 0 s left the window")
        let change = availability.recordFailure(trunk, now: .seconds(80))
        #expect(change == .markedDown(trunk: "carrier-a", failures: 3, window: .seconds(60)))
        #expect(availability.unavailability(of: trunk, now: .seconds(139)) == .passiveDown(until: .seconds(140)))
        #expect(availability.unavailability(of: trunk, now: .seconds(140)) == nil, "back after one window")
        #expect(availability.recordFailure(trunk, now: .seconds(141)) == nil, "failures start counting afresh")
    }

    @Test func callLimitCountsCallsInProgress() {
        var availability = TrunkAvailability()
        let trunk = Self.trunk(maxCalls: 2)
        availability.callStarted(on: "carrier-a")
        #expect(availability.unavailability(of: trunk, now: .zero) == nil)
        availability.callStarted(on: "carrier-a")
        #expect(availability.unavailability(of: trunk, now: .zero) == .atCallLimit(2))
        availability.callEnded(on: "carrier-a")
        #expect(availability.unavailability(of: trunk, now: .zero) == nil)
        availability.callEnded(on: "carrier-a")
        availability.callEnded(on: "carrier-a")
        #expect(availability.activeCalls(on: "carrier-a") == 0, "never below zero")
    }

    @Test func zeroThresholdTurnsPassiveHealthOff() {
        var availability = TrunkAvailability()
        var trunk = Self.trunk()
        trunk.passiveFailureThreshold = 0
        for second in 0..<100 { #expect(availability.recordFailure(trunk, now: .seconds(second)) == nil) }
        #expect(availability.unavailability(of: trunk, now: .seconds(100)) == nil)
    }
}
