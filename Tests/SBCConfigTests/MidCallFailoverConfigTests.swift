import Testing
import SBCConfig

/// `trunk_groups[].mid_call_failover`: defaults, every key read, and each problem with its key
/// path and line.
@Suite("Mid-call failover configuration")
struct MidCallFailoverConfigTests {
    /// The group of `FailoverConfigTests.yaml`, with `mid_call_failover` starting at line 15.
    static func yaml(_ block: String) -> String {
        FailoverConfigTests.yaml(group: "    mid_call_failover:\n" + block)
    }

    @Test("defaults: every trigger on, 8 s re-INVITE timeout, 3 ICMP errors, no keepalive, 2 failovers, no pacing")
    func defaults() throws {
        let group = try #require(TestSupport.load(FailoverConfigTests.yaml())?.trunkGroups.first)
        #expect(group.midCallFailover == MidCallFailoverSettings())
        let settings = group.midCallFailover
        #expect(settings.onReinviteFailure && settings.onMediaTimeout && settings.onTransportLoss)
        #expect(settings.reinviteTimeout == .seconds(8))
        #expect(settings.icmpErrors == 3)
        #expect(settings.keepaliveInterval == nil)
        #expect(settings.keepaliveFailures == 2)
        #expect(settings.maxFailovers == 2)
        #expect(settings.maxRate == 0)
    }

    @Test("every key is read")
    func values() throws {
        let yaml = Self.yaml("""
                  on_reinvite_failure: false
                  reinvite_timeout_ms: 2500
                  on_media_timeout: false
                  on_transport_loss: false
                  icmp_errors: 1
                  keepalive_interval_s: 20
                  keepalive_failures: 3
                  max_mid_call_failovers: 4
                  max_rate: 50
            """)
        let group = try #require(TestSupport.load(yaml)?.trunkGroups.first)
        #expect(group.midCallFailover == MidCallFailoverSettings(
            onReinviteFailure: false, reinviteTimeout: .milliseconds(2500), onMediaTimeout: false, onTransportLoss: false,
            icmpErrors: 1, keepaliveInterval: .seconds(20), keepaliveFailures: 3, maxFailovers: 4, maxRate: 50))
    }

    @Test("keepalive_interval_s: 0 turns the keepalive off")
    func keepaliveOff() throws {
        let group = try #require(TestSupport.load(Self.yaml("      keepalive_interval_s: 0"))?.trunkGroups.first)
        #expect(group.midCallFailover.keepaliveInterval == nil)
    }

    @Test("problems name the key, the line and the range", arguments: [
        ("      reinvite_timeout_ms: 100", "trunk_groups[0].mid_call_failover.reinvite_timeout_ms",
         "must be an integer 500-60000 (milliseconds), got 100"),
        ("      icmp_errors: -1", "trunk_groups[0].mid_call_failover.icmp_errors", "must be an integer 0-1000, got -1"),
        ("      max_mid_call_failovers: 0", "trunk_groups[0].mid_call_failover.max_mid_call_failovers",
         "must be an integer 1-10, got 0"),
        ("      keepalive_failures: 11", "trunk_groups[0].mid_call_failover.keepalive_failures",
         "must be an integer 1-10, got 11"),
        ("      max_rate: 10001", "trunk_groups[0].mid_call_failover.max_rate", "must be an integer 0-10000, got 10001"),
        ("      on_media_timeout: maybe", "trunk_groups[0].mid_call_failover.on_media_timeout", "true or false"),
        ("      max_failovers: 3", "trunk_groups[0].mid_call_failover.max_failovers",
         "unknown key \"max_failovers\""),
    ])
    func problems(line: String, keyPath: String, message: String) {
        TestSupport.expectSingleProblem(Self.yaml(line), keyPath: keyPath, line: 16, containing: message)
    }
}
