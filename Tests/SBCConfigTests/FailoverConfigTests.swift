import Testing
import SBCConfig

/// The carrier-failover keys: per-trunk limits and timers, and per-group strategy, weights,
/// failover triggers and Retry-After bounds. Each problem case asserts the exact key path and line.
@Suite("Failover configuration")
struct FailoverConfigTests {
    /// Two trunks in one group; `group` is inserted after the members line (line 14), so its first
    /// line is line 15, and `trunk` after trunk a's address (line 8), so its first line is line 9.
    static func yaml(group: String = "", trunk: String = "") -> String {
        var text = """
            zones:
              - name: core
                bind: 127.0.0.1
                udp_port: 5060
            trunks:
              - name: a
                zone: core
                address: 127.0.0.11

            """
        if !trunk.isEmpty { text += trunk + "\n" }
        text += """
              - name: b
                zone: core
                address: 127.0.0.12
            trunk_groups:
              - name: g
                members: [a, b]

            """
        if !group.isEmpty { text += group + "\n" }
        text += """
            routes:
              - name: all
                trunk_group: g
            """
        return text
    }

    // MARK: - Trunks

    @Test("trunk defaults: no profiles, unlimited, 2000 ms, 120 s, 5 failures in 60 s")
    func trunkDefaults() throws {
        let config = try #require(TestSupport.load(Self.yaml()))
        let trunk = try #require(config.trunk(named: "a"))
        #expect(trunk.profile == nil)
        #expect(trunk.inboundProfile == nil)
        #expect(trunk.maxCalls == 0)
        #expect(!trunk.hasCallLimit)
        #expect(trunk.firstProvisionalTimeout == .milliseconds(2000))
        #expect(trunk.answerTimeout == .seconds(120))
        #expect(trunk.passiveFailureThreshold == 5)
        #expect(trunk.passiveFailureWindow == .seconds(60))
        #expect(trunk == TrunkSettings(name: "a", zone: "core", address: "127.0.0.11"))
    }

    @Test("trunk keys are read")
    func trunkValues() throws {
        let yaml = Self.yaml(trunk: """
                max_calls: 30
                first_provisional_timeout_ms: 800
                answer_timeout_s: 15
                passive_failures: 3
                passive_window_s: 30
            """)
        let trunk = try #require(TestSupport.load(yaml)?.trunk(named: "a"))
        #expect(trunk == TrunkSettings(name: "a", zone: "core", address: "127.0.0.11", maxCalls: 30,
                                       firstProvisionalTimeout: .milliseconds(800), answerTimeout: .seconds(15),
                                       passiveFailureThreshold: 3, passiveFailureWindow: .seconds(30)))
        #expect(trunk.hasCallLimit)
    }

    @Test("trunk values out of range name the key, the line and the range", arguments: [
        ("    max_calls: -1", "trunks[0].max_calls", "must be an integer 0-1000000, got -1"),
        ("    max_calls: 1000001", "trunks[0].max_calls", "must be an integer 0-1000000, got 1000001"),
        ("    first_provisional_timeout_ms: 99", "trunks[0].first_provisional_timeout_ms",
         "must be an integer 100-60000 (milliseconds), got 99"),
        ("    first_provisional_timeout_ms: 2s", "trunks[0].first_provisional_timeout_ms",
         "must be an integer 100-60000 (milliseconds), got \"2s\""),
        ("    answer_timeout_s: 10", "trunks[0].answer_timeout_s",
         "must be at least 15 seconds, got 10: a shorter answer timeout cuts off calls"),
        ("    answer_timeout_s: 3601", "trunks[0].answer_timeout_s", "must be an integer 15-3600 (seconds), got 3601"),
        ("    passive_failures: 1001", "trunks[0].passive_failures", "must be an integer 0-1000, got 1001"),
        ("    passive_window_s: 3601", "trunks[0].passive_window_s", "must be an integer 1-3600 (seconds), got 3601"),
        ("    max_call: 3", "trunks[0].max_call", "unknown key \"max_call\"; did you mean \"max_calls\"?"),
    ])
    func trunkProblems(line: String, keyPath: String, message: String) {
        TestSupport.expectSingleProblem(Self.yaml(trunk: line), keyPath: keyPath, line: 9, containing: message)
    }

    @Test("a trunk's profile and inbound_profile must exist", arguments: [
        ("    profile: carier-b", "trunks[0].profile", "no profile named \"carier-b\"; did you mean \"carrier-b\"?"),
        ("    inbound_profile: other", "trunks[0].inbound_profile", "no profile named \"other\" (defined: carrier-b)"),
    ])
    func trunkProfileReference(line: String, keyPath: String, message: String) {
        let yaml = Self.yaml(trunk: line) + "\nprofiles:\n  - name: carrier-b\n    privacy: id"
        TestSupport.expectSingleProblem(yaml, keyPath: keyPath, line: 9, containing: message)
    }

    @Test("a profile reference without any profiles says none is defined")
    func trunkProfileWithoutProfiles() {
        TestSupport.expectSingleProblem(Self.yaml(trunk: "    profile: x"), keyPath: "trunks[0].profile", line: 9,
                                        containing: "no profile named \"x\" (none is defined)")
    }

    // MARK: - Groups

    @Test("group defaults: priority, weight 1 each, [503, timeout, transport], 5-3600 s, no default quarantine")
    func groupDefaults() throws {
        let group = try #require(TestSupport.load(Self.yaml())?.trunkGroup(named: "g"))
        #expect(group.strategy == .priority)
        #expect(group.weights == ["a": 1, "b": 1])
        #expect(group.weight(of: "b") == 1)
        #expect(group.failoverOn == FailoverTriggers(codes: [503], onTimeout: true, onTransportError: true))
        #expect(group.failoverOn == .default)
        #expect(group.retryAfterMin == .seconds(5))
        #expect(group.retryAfterMax == .seconds(3600))
        #expect(group.retryAfterDefault == .zero)
        #expect(group == TrunkGroupSettings(name: "g", members: ["a", "b"]))
    }

    @Test("weighted groups read a weight per member")
    func weighted() throws {
        let yaml = Self.yaml(group: "    strategy: weighted\n    weights: {a: 70, b: 30}")
        let group = try #require(TestSupport.load(yaml)?.trunkGroup(named: "g"))
        #expect(group.strategy == .weighted)
        #expect(group.weights == ["a": 70, "b": 30])
        #expect(group.weight(of: "a") == 70)
    }

    @Test("weight problems", arguments: [
        ("    strategy: weighted", "trunk_groups[0].weights", 13, "is required (strategy weighted needs a weight"),
        ("    strategy: weighted\n    weights: {a: 70}", "trunk_groups[0].weights.b", 16,
         "is required (strategy weighted needs a weight 1-1000 for every member)"),
        ("    strategy: weighted\n    weights: {a: 70, b: 0}", "trunk_groups[0].weights.b", 16,
         "must be an integer 1-1000, got 0"),
        ("    strategy: weighted\n    weights: {a: 70, b: 30, zz: 5}", "trunk_groups[0].weights.zz", 16,
         "\"zz\" is not a member of this group (members: a, b)"),
        ("    weights: {a: 70, b: 30}", "trunk_groups[0].weights", 15,
         "weights apply only to strategy: weighted; with strategy: priority members are tried in order"),
        ("    strategy: weighted\n    weights: [70, 30]", "trunk_groups[0].weights", 16,
         "must be a mapping of keys to values, got a list"),
        ("    strategy: round_robin", "trunk_groups[0].strategy", 15, "must be one of priority, weighted, got \"round_robin\""),
    ])
    func weightProblems(extra: String, keyPath: String, line: Int, message: String) {
        TestSupport.expectSingleProblem(Self.yaml(group: extra), keyPath: keyPath, line: line, containing: message)
    }

    @Test("failover_on reads codes, classes, timeout and transport")
    func failoverOn() throws {
        let yaml = Self.yaml(group: "    failover_on: [503, \"408\", 5xx, 4XX, timeout, transport, 380]")
        let group = try #require(TestSupport.load(yaml)?.trunkGroup(named: "g"))
        #expect(group.failoverOn == FailoverTriggers(codes: [503, 408, 380], classes: [4, 5], onTimeout: true,
                                                      onTransportError: true))
    }

    @Test("FailoverTriggers.matches: codes, classes, and never 486/487/401/407/6xx or non-failures")
    func matches() {
        let triggers = FailoverTriggers(codes: [503, 408], classes: [], onTimeout: true, onTransportError: false)
        #expect(triggers.matches(status: 503))
        #expect(triggers.matches(status: 408))
        #expect(!triggers.matches(status: 500))
        #expect(!triggers.matches(status: 404))
        let classes = FailoverTriggers(codes: [], classes: [4, 5])
        #expect(classes.matches(status: 480))
        #expect(classes.matches(status: 599))
        for status in [100, 180, 200, 486, 487, 401, 407, 600, 603, 699] {
            #expect(!classes.matches(status: status), "\(status)")
        }
        #expect(!FailoverTriggers(codes: [486]).matches(status: 486))  // even when built in code
    }

    @Test("failover_on problems", arguments: [
        ("[503, 486]", "trunk_groups[0].failover_on[1]", "must never trigger failover: 486 (Busy Here)"),
        ("[487]", "trunk_groups[0].failover_on[0]", "must never trigger failover: 487 (Request Terminated)"),
        ("[401]", "trunk_groups[0].failover_on[0]", "must never trigger failover: 401 (Unauthorized) is a challenge"),
        ("[407]", "trunk_groups[0].failover_on[0]", "must never trigger failover: 407 (Proxy Authentication Required)"),
        ("[6xx]", "trunk_groups[0].failover_on[0]", "must never trigger failover: 6xx is a global failure (RFC 3261 21.6)"),
        ("[603]", "trunk_groups[0].failover_on[0]", "must never trigger failover: 603 is a global failure"),
        ("[200]", "trunk_groups[0].failover_on[0]", "must be a final non-success status code 300-699, got 200"),
        ("[5031]", "trunk_groups[0].failover_on[0]", "must be a final non-success status code 300-699, got 5031"),
        ("[timout]", "trunk_groups[0].failover_on[0]",
         "must be a status code such as 503 or 408, a class 4xx or 5xx, timeout or transport, got \"timout\"; did you mean \"timeout\"?"),
        ("[503, 503]", "trunk_groups[0].failover_on[1]", "503 is already listed at failover_on[0]"),
        ("[[503]]", "trunk_groups[0].failover_on[0]", "got a list"),
        ("[]", "trunk_groups[0].failover_on", "must list at least one trigger"),
        ("503", "trunk_groups[0].failover_on", "must be a list, got 503"),
    ])
    func failoverOnProblems(list: String, keyPath: String, message: String) {
        TestSupport.expectSingleProblem(Self.yaml(group: "    failover_on: \(list)"), keyPath: keyPath, line: 15,
                                        containing: message)
    }

    @Test("Retry-After bounds are read and quarantine clamps to them")
    func retryAfter() throws {
        let yaml = Self.yaml(group: "    retry_after_min_s: 10\n    retry_after_max_s: 600\n    retry_after_default_s: 30")
        let group = try #require(TestSupport.load(yaml)?.trunkGroup(named: "g"))
        #expect(group.retryAfterMin == .seconds(10))
        #expect(group.retryAfterMax == .seconds(600))
        #expect(group.retryAfterDefault == .seconds(30))
        #expect(group.quarantine(retryAfter: 0) == .seconds(10))
        #expect(group.quarantine(retryAfter: 120) == .seconds(120))
        #expect(group.quarantine(retryAfter: 86_400) == .seconds(600))
        #expect(group.quarantine(retryAfter: nil) == .seconds(30))
        #expect(TrunkGroupSettings(name: "x", members: ["a"]).quarantine(retryAfter: nil) == .zero)
    }

    @Test("Retry-After problems", arguments: [
        ("    retry_after_min_s: 3601", "trunk_groups[0].retry_after_min_s", 15, "must be an integer 0-3600 (seconds), got 3601"),
        ("    retry_after_max_s: 86401", "trunk_groups[0].retry_after_max_s", 15, "must be an integer 0-86400 (seconds), got 86401"),
        ("    retry_after_min_s: 60\n    retry_after_max_s: 30", "trunk_groups[0].retry_after_max_s", 16,
         "retry_after_max_s (30 s) must not be less than retry_after_min_s (60 s)"),
        ("    retry_after_max_s: 3", "trunk_groups[0].retry_after_max_s", 15,
         "retry_after_max_s (3 s) must not be less than retry_after_min_s (5 s)"),
        ("    retry_after_default_s: 2", "trunk_groups[0].retry_after_default_s", 15,
         "must be 0 (no quarantine) or within retry_after_min_s-retry_after_max_s (5-3600 s), got 2"),
    ])
    func retryAfterProblems(extra: String, keyPath: String, line: Int, message: String) {
        TestSupport.expectSingleProblem(Self.yaml(group: extra), keyPath: keyPath, line: line, containing: message)
    }
}
