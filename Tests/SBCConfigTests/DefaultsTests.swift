import Testing
@testable import SBCConfig

/// Documented defaults: what a minimal file gets, what `key:` with no value means, and that the
/// public initializers default to the same values the loader does (other targets build
/// configurations in code for their tests and must get the production defaults).
@Suite("Defaults")
struct DefaultsTests {
    @Test("a minimal file gets every documented default")
    func minimalFileDefaults() throws {
        let config = try #require(TestSupport.load(TestSupport.minimal))

        #expect(config.node.name == "sbc")
        #expect(config.node.stateDirectory == "./state")
        #expect(config.sip.t1 == .milliseconds(500))
        #expect(config.sip.t2 == .seconds(4))
        #expect(config.sip.t4 == .seconds(5))
        #expect(config.sip.maxMessageBytes == 65535)
        #expect(config.sip.maxForwards == 70)
        #expect(config.sip.unknownMethods == .reject)
        #expect(config.sip.tcpIdleTimeout == .seconds(300))
        #expect(config.zones == [ZoneSettings(name: "core", bind: "127.0.0.1", udpPort: 5060)])
        #expect(config.zones[0].tcpPort == nil)
        #expect(config.zones[0].advertisedAddress == nil)
        #expect(config.trunks == [TrunkSettings(name: "peer", zone: "core", address: "127.0.0.10", port: 5060,
                                                transport: .udp, callIDPolicy: .preserve)])
        #expect(config.trunkGroups.isEmpty)
        #expect(config.routes == [RouteSettings(name: "all", trunk: "peer")])
        #expect(config.routes[0].isDefault)
        #expect(config.security.unknownSource == .reject)
        #expect(config.security.serverHeader == "SwiftSBC", "a product name, no version")
        #expect(config.shutdown.drain == .seconds(30))
        #expect(config.logging.level == .info)
        #expect(config.logging.format == .json)
    }

    @Test("public initializers default to the documented values")
    func initializerDefaults() {
        let config = SBCConfiguration()
        #expect(config.node == NodeSettings(name: "sbc", stateDirectory: "./state"))
        #expect(config.sip == SIPSettings(t1: .milliseconds(500), t2: .seconds(4), t4: .seconds(5),
                                          maxMessageBytes: 65535, maxForwards: 70, unknownMethods: .reject,
                                          tcpIdleTimeout: .seconds(300)))
        #expect(config.security == SecuritySettings(unknownSource: .reject))
        #expect(config.shutdown == ShutdownSettings(drain: .seconds(30)))
        #expect(config.logging == LoggingSettings(level: .info, format: .json))
        #expect(TrunkGroupSettings(name: "g", members: ["a"]).strategy == .priority)
        #expect(TrunkSettings(name: "t", zone: "z", address: "192.0.2.1").port == 5060)
    }

    @Test("security.server_header: a product token, or an empty string for no Server/User-Agent at all")
    func serverHeader() throws {
        let named = try #require(TestSupport.load(TestSupport.minimal + "\nsecurity: {server_header: \"Edge SBC\"}"))
        #expect(named.security.serverHeader == "Edge SBC")
        let silent = try #require(TestSupport.load(TestSupport.minimal + "\nsecurity: {server_header: \"\"}"))
        #expect(silent.security.serverHeader == nil)
        let problems = TestSupport.problems(TestSupport.minimal + "\nsecurity: {server_header: \"SBC\\r\\nX: 1\"}")
        #expect(problems.map(\.keyPath) == ["security.server_header"])
    }

    @Test("a key with no value, ~ or null takes its default; empty optional sections are fine")
    func nullMeansDefault() throws {
        let yaml = TestSupport.minimal + """

            node:
            sip:
              t1_ms:
              max_forwards: ~
              unknown_methods: null
            trunk_groups:
            security:
            logging: ~
            """
        let config = try #require(TestSupport.load(yaml))
        #expect(config.node == NodeSettings())
        #expect(config.sip == SIPSettings())
        #expect(config.trunkGroups.isEmpty)
        #expect(config.security == SecuritySettings())
        #expect(config.logging == LoggingSettings())
    }

    @Test("quoted numbers are numbers, and number-like names are names")
    func scalarLeniency() throws {
        let yaml = """
            zones:
              - name: 5060
                bind: "::1"
                tcp_port: "5070"
            trunks:
              - name: "peer"
                zone: "5060"
                address: 0:0:0:0:0:0:0:2
                transport: tcp
                port: '5071'
            routes:
              - name: r
                request_user_prefix: '+1999'
                trunk: peer
            """
        let config = try #require(TestSupport.load(yaml))
        #expect(config.zones[0] == ZoneSettings(name: "5060", bind: "::1", tcpPort: 5070))
        #expect(config.trunks[0].port == 5071)
        #expect(config.routes[0].requestUserPrefix == "+1999")
        #expect(!config.routes[0].isDefault)
    }

    @Test("anchors, merge keys and x- blocks share settings between trunks; explicit keys win")
    func mergeKeys() throws {
        let yaml = """
            x-carrier: &carrier
              zone: core
              port: 5080
              transport: udp
            zones:
              - name: core
                bind: 127.0.0.1
                udp_port: 5060
            trunks:
              - name: a
                address: 127.0.0.11
                <<: *carrier
              - name: b
                address: 127.0.0.12
                port: 5090
                <<: [*carrier]
            routes:
              - name: r
                trunk: a
            """
        let config = try #require(TestSupport.load(yaml))
        #expect(config.trunks == [
            TrunkSettings(name: "a", zone: "core", address: "127.0.0.11", port: 5080),
            TrunkSettings(name: "b", zone: "core", address: "127.0.0.12", port: 5090),
        ])
    }

    @Test("a problem in a merged value points at the anchored block where it is written")
    func mergedValueProblem() {
        let yaml = """
            x-carrier: &carrier
              port: 0
            """ + "\n" + TestSupport.minimal.replacingOccurrences(of: "    address: 127.0.0.10",
                                                                 with: "    address: 127.0.0.10\n    <<: *carrier")
        TestSupport.expectSingleProblem(yaml, keyPath: "trunks[0].port", line: 2,
                                        containing: "must be an integer 1-65535, got 0")
    }

    @Test("derived values: transaction timeout, route target, trunks of a target, log level order")
    func derivedValues() {
        #expect(SIPSettings(t1: .milliseconds(250)).transactionTimeout == .seconds(16))
        #expect(RouteSettings(name: "r", trunkGroup: "g").target == .trunkGroup("g"))
        #expect(RouteSettings(name: "r", trunkGroup: "g", trunk: "t").target == nil)
        #expect(RouteSettings(name: "r").target == nil)
        #expect(LogLevel.trace < .debug && LogLevel.warning < .error && LogLevel.error < .critical)
        #expect(LogLevel.allCases.map(\.rawValue)
            == ["trace", "debug", "info", "notice", "warning", "error", "critical"])

        let config = SBCConfiguration(
            trunks: [TrunkSettings(name: "a", zone: "z", address: "192.0.2.1"),
                     TrunkSettings(name: "b", zone: "z", address: "192.0.2.2")],
            trunkGroups: [TrunkGroupSettings(name: "g", members: ["b", "a"])])
        #expect(config.trunks(for: .trunkGroup("g")).map(\.name) == ["b", "a"])
        #expect(config.trunks(for: .trunk("a")).map(\.name) == ["a"])
        #expect(config.trunks(for: .trunk("nope")).isEmpty)
        #expect(config.trunkGroup(named: "nope") == nil)
    }

    @Test("did-you-mean suggestions: typos, dashes, forgotten units, and nothing for unrelated words")
    func suggestions() {
        let keys = TrunkSettings.keys
        #expect(NameSuggester.suggestion(for: "adress", among: keys) == "address")
        #expect(NameSuggester.suggestion(for: "prot", among: keys) == "port")
        #expect(NameSuggester.suggestion(for: "call-id", among: keys) == "call_id")
        #expect(NameSuggester.suggestion(for: "t1", among: SIPSettings.keys) == "t1_ms")
        #expect(NameSuggester.suggestion(for: "tcp_idle_timeout_ms", among: SIPSettings.keys) == "tcp_idle_timeout_s")
        #expect(NameSuggester.suggestion(for: "warn", among: LogLevel.allCases.map(\.rawValue)) == "warning")
        #expect(NameSuggester.suggestion(for: "banana", among: keys) == nil)
        #expect(NameSuggester.suggestion(for: "zone", among: ["name"]) == nil)
        #expect(NameSuggester.editDistance("kitten", "sitting") == 3)
        #expect(NameSuggester.editDistance("", "abc") == 3)
    }
}
