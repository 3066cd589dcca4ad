import Testing
import SBCConfig

/// `trunks[].health` (probes and hysteresis) and `trunk_groups[].fail_back`. Every problem case
/// asserts the exact key path and line.
@Suite("Trunk health and fail-back configuration")
struct TrunkHealthConfigTests {
    /// One trunk whose mapping ends at line 11; `health` lines start at line 12.
    static func yaml(trunk extra: String = "") -> String {
        """
        zones:
          - name: core
            bind: 127.0.0.1
            udp_port: 5060
        routes:
          - name: all
            trunk: peer
        trunks:
          - name: peer
            zone: core
            address: 127.0.0.10
        \(extra)
        """
    }

    @Test("defaults: probed every 15 s, 2000 ms timeout, 2xx alive, down after 3, up after 2, 300 s hold, 60 s probation")
    func defaults() throws {
        let trunk = try #require(TestSupport.load(Self.yaml())?.trunk(named: "peer"))
        let health = trunk.health
        #expect(health == TrunkHealthSettings())
        #expect(health.probe)
        #expect(health.probeInterval == .seconds(15))
        #expect(health.probeTimeout == .milliseconds(2000))
        #expect(health.aliveCodes.isEmpty && health.aliveClasses == [2])
        #expect(health.downAfter == 3 && health.upAfter == 2)
        #expect(health.recoveryHold == .seconds(300))
        #expect(health.probation == .seconds(60))
        // An empty mapping and a null are the defaults too.
        #expect(TestSupport.load(Self.yaml(trunk: "    health: {}"))?.trunk(named: "peer")?.health == TrunkHealthSettings())
        #expect(TestSupport.load(Self.yaml(trunk: "    health:"))?.trunk(named: "peer")?.health == TrunkHealthSettings())
    }

    @Test("every key is read")
    func values() throws {
        let yaml = Self.yaml(trunk: """
                health:
                  probe: false
                  probe_interval_s: 30
                  probe_timeout_ms: 5000
                  alive_codes: [2xx, 404, "405", 4XX]
                  down_after: 5
                  up_after: 4
                  recovery_hold_s: 0
                  probation_s: 120
            """)
        let health = try #require(TestSupport.load(yaml)?.trunk(named: "peer")?.health)
        #expect(health == TrunkHealthSettings(probe: false, probeInterval: .seconds(30), probeTimeout: .seconds(5),
                                              aliveCodes: [404, 405], aliveClasses: [2, 4], downAfter: 5, upAfter: 4,
                                              recoveryHold: .zero, probation: .seconds(120)))
    }

    @Test("isAlive: listed codes and classes of final responses only")
    func isAlive() {
        let health = TrunkHealthSettings(aliveCodes: [404], aliveClasses: [2])
        #expect(health.isAlive(status: 200))
        #expect(health.isAlive(status: 299))
        #expect(health.isAlive(status: 404))
        #expect(!health.isAlive(status: 405))
        #expect(!health.isAlive(status: 503))
        #expect(!health.isAlive(status: 100))
        #expect(!TrunkHealthSettings(aliveClasses: [1, 2]).isAlive(status: 180))
        #expect(!health.isAlive(status: 700))
    }

    @Test("health problems name the key and the line", arguments: [
        ("    health: yes", "trunks[0].health", 12, "must be a mapping of keys to values, got \"yes\""),
        ("    health: {probe: yes}", "trunks[0].health.probe", 12, "must be true or false, got \"yes\""),
        ("    health:\n      probe: 1", "trunks[0].health.probe", 13, "must be true or false, got 1"),
        ("    health:\n      probe_interval_s: 0", "trunks[0].health.probe_interval_s", 13,
         "must be an integer 1-3600 (seconds), got 0"),
        ("    health:\n      probe_interval_s: 3601", "trunks[0].health.probe_interval_s", 13,
         "must be an integer 1-3600 (seconds), got 3601"),
        ("    health:\n      probe_timeout_ms: 99", "trunks[0].health.probe_timeout_ms", 13,
         "must be an integer 100-60000 (milliseconds), got 99"),
        ("    health:\n      probe_timeout_ms: 60001", "trunks[0].health.probe_timeout_ms", 13,
         "must be an integer 100-60000 (milliseconds), got 60001"),
        ("    health:\n      probe_interval_s: 1\n      probe_timeout_ms: 1000", "trunks[0].health.probe_timeout_ms", 14,
         "must be less than probe_interval_s (1 s), got 1000 ms: each probe must be decided before the next"),
        ("    health:\n      probe_interval_s: 2", "trunks[0].health.probe_interval_s", 13,
         "must be more than probe_timeout_ms (default 2000 ms), got 2 s"),
        ("    health:\n      alive_codes: []", "trunks[0].health.alive_codes", 13,
         "must list at least one item (a final status code 200-699 such as 404, or a class 2xx-6xx)"),
        ("    health:\n      alive_codes: 200", "trunks[0].health.alive_codes", 13, "must be a list, got 200"),
        ("    health:\n      alive_codes: [2xx, 1xx]", "trunks[0].health.alive_codes[1]", 13,
         "1xx responses are provisional and never decide a probe"),
        ("    health:\n      alive_codes: [180]", "trunks[0].health.alive_codes[0]", 13,
         "180 is provisional and never decides a probe"),
        ("    health:\n      alive_codes: [700]", "trunks[0].health.alive_codes[0]", 13,
         "must be a final status code 200-699 such as 404, or a class 2xx-6xx, got 700"),
        ("    health:\n      alive_codes: [7xx]", "trunks[0].health.alive_codes[0]", 13,
         "must be a final status code 200-699 such as 404, or a class 2xx-6xx, got \"7xx\""),
        ("    health:\n      alive_codes: [ok]", "trunks[0].health.alive_codes[0]", 13,
         "must be a final status code 200-699 such as 404, or a class 2xx-6xx, got \"ok\""),
        ("    health:\n      alive_codes: [{a: 1}]", "trunks[0].health.alive_codes[0]", 13,
         "must be a final status code 200-699 such as 404, or a class 2xx-6xx, got a mapping"),
        ("    health:\n      alive_codes: [404, 404]", "trunks[0].health.alive_codes[1]", 13,
         "404 is already listed at alive_codes[0]"),
        ("    health:\n      alive_codes: [2XX, 2xx]", "trunks[0].health.alive_codes[1]", 13,
         "2xx is already listed at alive_codes[0]"),
        ("    health:\n      down_after: 0", "trunks[0].health.down_after", 13, "must be an integer 1-100, got 0"),
        ("    health:\n      up_after: 101", "trunks[0].health.up_after", 13, "must be an integer 1-100, got 101"),
        ("    health:\n      recovery_hold_s: 86401", "trunks[0].health.recovery_hold_s", 13,
         "must be an integer 0-86400 (seconds), got 86401"),
        ("    health:\n      recovery_hold_s: -1", "trunks[0].health.recovery_hold_s", 13,
         "must be an integer 0-86400 (seconds), got -1"),
        ("    health:\n      probation_s: 3601", "trunks[0].health.probation_s", 13,
         "must be an integer 0-3600 (seconds), got 3601"),
        ("    health:\n      probe_interval_ms: 5", "trunks[0].health.probe_interval_ms", 13,
         "unknown key \"probe_interval_ms\"; did you mean \"probe_interval_s\"?"),
        ("    helth: {probe: false}", "trunks[0].helth", 12, "unknown key \"helth\"; did you mean \"health\"?"),
    ])
    func healthProblems(text: String, keyPath: String, line: Int, message: String) {
        TestSupport.expectSingleProblem(Self.yaml(trunk: text), keyPath: keyPath, line: line, containing: message)
    }

    @Test("problems point at the value's column")
    func columns() {
        TestSupport.expectSingleProblem(Self.yaml(trunk: "    health:\n      down_after: 0"),
                                        keyPath: "trunks[0].health.down_after", line: 13, column: 19,
                                        containing: "must be an integer 1-100")
    }

    // MARK: - fail_back

    @Test("fail_back: auto by default, sticky when written")
    func failBackValues() throws {
        let auto = try #require(TestSupport.load(FailoverConfigTests.yaml())?.trunkGroup(named: "g"))
        #expect(auto.failBack == .auto)
        #expect(TrunkGroupSettings(name: "g", members: ["a"]).failBack == .auto)
        let sticky = try #require(TestSupport.load(FailoverConfigTests.yaml(group: "    fail_back: sticky"))?
            .trunkGroup(named: "g"))
        #expect(sticky.failBack == .sticky)
        #expect(FailBackPolicy.allCases.map(\.rawValue) == ["auto", "sticky"])
    }

    @Test("fail_back problems name the key and the line", arguments: [
        ("    fail_back: manual", "must be one of auto, sticky, got \"manual\""),
        ("    fail_back: stiky", "must be one of auto, sticky, got \"stiky\"; did you mean \"sticky\"?"),
        ("    fail_back: [auto]", "must be one of auto, sticky, got a list"),
        ("    failback: auto", "unknown key \"failback\"; did you mean \"fail_back\"?"),
    ])
    func failBackProblems(text: String, message: String) {
        let keyPath = text.contains("failback:") ? "trunk_groups[0].failback" : "trunk_groups[0].fail_back"
        TestSupport.expectSingleProblem(FailoverConfigTests.yaml(group: text), keyPath: keyPath, line: 15,
                                        containing: message)
    }
}
