import Foundation
import Testing
import SBCConfig

/// Problems with single values: wrong types, ranges, enum values, required keys, names and IP
/// literals. Each case is the minimal valid file (lines 1-11, see ``TestSupport/minimal``) with
/// one change, and asserts the one problem's exact key path and line.
@Suite("Value problems")
struct ValueProblemTests {
    /// One case: YAML appended to (or replacing part of) the minimal file, and the problem expected.
    struct Case: CustomTestStringConvertible, Sendable {
        var yaml: String
        var keyPath: String
        var line: Int
        var message: String
        var testDescription: String { keyPath + ": " + message }

        /// The minimal file with `extra` appended (its first line is line 12).
        static func appending(_ extra: String, _ keyPath: String, _ line: Int, _ message: String) -> Case {
            Case(yaml: TestSupport.minimal + "\n" + extra, keyPath: keyPath, line: line, message: message)
        }

        /// The minimal file with `original` replaced by `replacement`.
        static func replacing(_ original: String, _ replacement: String, _ keyPath: String, _ line: Int,
                              _ message: String) -> Case {
            precondition(TestSupport.minimal.contains(original))
            return Case(yaml: TestSupport.minimal.replacingOccurrences(of: original, with: replacement),
                        keyPath: keyPath, line: line, message: message)
        }
    }

    static let rangeCases: [Case] = [
        .appending("sip:\n  t1_ms: 20", "sip.t1_ms", 13, "must be an integer 50-10000 (milliseconds), got 20"),
        .appending("sip:\n  t1_ms: 0x1F4", "sip.t1_ms", 13,
                   "must be an integer 50-10000 (milliseconds), got \"0x1F4\""),
        .appending("sip:\n  max_message_bytes: 1.5", "sip.max_message_bytes", 13,
                   "must be an integer 1024-1048576 (bytes), got 1.5"),
        .appending("sip:\n  max_forwards: 0", "sip.max_forwards", 13, "must be an integer 1-255, got 0"),
        .appending("sip:\n  tcp_idle_timeout_s: 5m", "sip.tcp_idle_timeout_s", 13,
                   "must be an integer 10-86400 (seconds), got \"5m\""),
        .appending("shutdown:\n  drain_s: 86401", "shutdown.drain_s", 13,
                   "must be an integer 0-86400 (seconds), got 86401"),
        .appending("shutdown:\n  drain_s: -1", "shutdown.drain_s", 13,
                   "must be an integer 0-86400 (seconds), got -1"),
        .replacing("address: 127.0.0.10", "address: 127.0.0.10\n    port: 70000", "trunks[0].port", 9,
                   "must be an integer 1-65535, got 70000"),
        .replacing("udp_port: 5060", "udp_port: 0", "zones[0].udp_port", 4, "must be an integer 1-65535, got 0"),
        .appending("sip:\n  t1_ms: 2000\n  t2_ms: 1000", "sip.t2_ms", 14,
                   "T2 (1000 ms) must not be less than T1 (2000 ms)"),
        .appending("sip:\n  t1_ms: 5000", "sip.t1_ms", 13, "T2 (4000 ms) must not be less than T1 (5000 ms)"),
    ]

    @Test("integers: wrong types and out-of-range values name the range and the unit", arguments: rangeCases)
    func ranges(_ testCase: Case) {
        TestSupport.expectSingleProblem(testCase.yaml, keyPath: testCase.keyPath, line: testCase.line,
                                        containing: testCase.message)
    }

    static let choiceCases: [Case] = [
        .appending("sip:\n  unknown_methods: rejct", "sip.unknown_methods", 13,
                   "must be one of reject, relay, got \"rejct\"; did you mean \"reject\"?"),
        .appending("logging:\n  level: verbose", "logging.level", 13,
                   "must be one of trace, debug, info, notice, warning, error, critical, got \"verbose\""),
        .appending("logging:\n  format: JSON", "logging.format", 13,
                   "must be one of json, text, got \"JSON\"; did you mean \"json\"?"),
        .appending("security:\n  unknown_source: 403", "security.unknown_source", 13,
                   "must be one of reject, drop, got 403"),
        .replacing("address: 127.0.0.10", "address: 127.0.0.10\n    transport: sctp", "trunks[0].transport", 9,
                   "must be one of udp, tcp, tls, got \"sctp\""),
        .replacing("address: 127.0.0.10", "address: 127.0.0.10\n    call_id: keep", "trunks[0].call_id", 9,
                   "must be one of preserve, new, got \"keep\""),
    ]

    @Test("enumerations list the allowed values and suggest the near miss", arguments: choiceCases)
    func choices(_ testCase: Case) {
        TestSupport.expectSingleProblem(testCase.yaml, keyPath: testCase.keyPath, line: testCase.line,
                                        containing: testCase.message)
    }

    static let typeCases: [Case] = [
        .appending("sip: 5", "sip", 12, "must be a mapping of keys to values, got 5"),
        .appending("logging:\n  - level", "logging", 13, "must be a mapping of keys to values, got a list"),
        .appending("node:\n  name: [a, b]", "node.name", 13, "must be a string, got a list"),
        .appending("node:\n  state_dir: {path: x}", "node.state_dir", 13, "must be a string, got a mapping"),
        .replacing("    trunk: peer", "    trunk:\n      name: peer", "routes[0].trunk", 12,
                   "must be a string, got a mapping"),
        .appending("trunk_groups: pstn", "trunk_groups", 12, "must be a list, got \"pstn\""),
        .appending("trunk_groups:\n  - name: g\n    members: peer", "trunk_groups[0].members", 14,
                   "must be a list, got \"peer\""),
        .appending("trunk_groups:\n  - name: g\n    members: [peer, {x: 1}]", "trunk_groups[0].members[1]", 14,
                   "must be a string, got a mapping"),
        .appending("trunk_groups:\n  - just-a-name", "trunk_groups[0]", 13,
                   "must be a mapping of keys to values, got \"just-a-name\""),
    ]

    @Test("wrong types say what was expected and what was found", arguments: typeCases)
    func types(_ testCase: Case) {
        TestSupport.expectSingleProblem(testCase.yaml, keyPath: testCase.keyPath, line: testCase.line,
                                        containing: testCase.message)
    }

    static let requiredCases: [Case] = [
        .replacing("    bind: 127.0.0.1\n", "", "zones[0].bind", 2, "is required (the local IP address to listen on)"),
        .replacing("  - name: peer\n    zone: core", "  - zone: core", "trunks[0].name", 6,
                   "is required (every trunk needs a unique name)"),
        .replacing("    zone: core\n", "", "trunks[0].zone", 6, "is required"),
        .replacing("    address: 127.0.0.10", "    address:", "trunks[0].address", 8, "is required (the peer's IP address)"),
        .appending("trunk_groups:\n  - name: g", "trunk_groups[0].members", 13, "is required"),
        .appending("trunk_groups:\n  - name: g\n    members: []", "trunk_groups[0].members", 14,
                   "must list at least one trunk"),
        .replacing("    udp_port: 5060\n", "", "zones[0]", 2, "listens on nothing: set udp_port, tcp_port, tls_port or several"),
        .appending("trunk_groups:\n  -", "trunk_groups[0]", 13, "is empty; a trunk group needs name and members"),
    ]

    @Test("required keys are reported at the mapping that lacks them", arguments: requiredCases)
    func required(_ testCase: Case) {
        TestSupport.expectSingleProblem(testCase.yaml, keyPath: testCase.keyPath, line: testCase.line,
                                        containing: testCase.message)
    }

    static let literalCases: [Case] = [
        .replacing("bind: 127.0.0.1", "bind: 127.0.0.300", "zones[0].bind", 3,
                   "must be an IPv4 or IPv6 address, got \"127.0.0.300\": not a valid IPv4 or IPv6 address"),
        .replacing("bind: 127.0.0.1", "bind: \"[::1]\"", "zones[0].bind", 3, "write IPv6 addresses without brackets"),
        .replacing("bind: 127.0.0.1", "bind: 127.0.0.1:5060", "zones[0].bind", 3,
                   "put the port in its own key, not after the address"),
        .replacing("address: 127.0.0.10", "address: carrier.example.com", "trunks[0].address", 8,
                   "host names are not allowed here, only numeric addresses"),
        .replacing("address: 127.0.0.10", "address: 10.0.0.0/8", "trunks[0].address", 8,
                   "a single address is expected, not a prefix"),
        .replacing("address: 127.0.0.10", "address: 0.0.0.0", "trunks[0].address", 8,
                   "must be a specific address, got the wildcard \"0.0.0.0\""),
        .replacing("bind: 127.0.0.1", "bind: 0.0.0.0", "zones[0].advertised_address", 2,
                   "is required when bind is the wildcard 0.0.0.0"),
        .replacing("bind: 127.0.0.1", "bind: 127.0.0.1\n    advertised_address: not a host!", "zones[0].advertised_address", 4,
                   "must be a specific IP address or a host name, got \"not a host!\""),
        .replacing("name: core", "name: core zone", "zones[0].name", 2,
                   "must be 1-64 characters: letters, digits, '-', '_' or '.', got \"core zone\""),
        .appending("node:\n  name: lab sbc", "node.name", 13, "must be 1-64 characters usable in a SIP header token"),
        .replacing("    trunk: peer", "    request_user_prefix: +1 999\n    trunk: peer", "routes[0].request_user_prefix", 11,
                   "must be the start of a Request-URI user part"),
    ]

    @Test("addresses, names and prefixes are checked, with a hint for common mistakes", arguments: literalCases)
    func literals(_ testCase: Case) {
        TestSupport.expectSingleProblem(testCase.yaml, keyPath: testCase.keyPath, line: testCase.line,
                                        containing: testCase.message)
    }

    @Test("an unknown key in a list item names the item and suggests the key")
    func unknownKeyInListItem() {
        TestSupport.expectSingleProblem(
            TestSupport.minimal.replacingOccurrences(of: "address: 127.0.0.10", with: "adress: 127.0.0.10"),
            keyPath: "trunks[0].adress", line: 8, column: 5,
            containing: "unknown key \"adress\"; did you mean \"address\"?")
    }

    @Test("the documented example line: a port that is not a number")
    func documentedExampleLine() {
        let yaml = TestSupport.minimal.replacingOccurrences(of: "address: 127.0.0.10",
                                                            with: "address: 127.0.0.10\n    port: abc")
        let found = TestSupport.problems(yaml, source: "conf/lab.yaml")
        #expect(found.map(\.description) == [#"conf/lab.yaml:9:11: trunks[0].port: must be an integer 1-65535, got "abc""#])
    }
}
