import Testing
@testable import SBCConfig

/// The trunk group consistency lint (`sbc check-config` warnings, TrunkGroupConsistency): each
/// setting group members should share, where the warning points, and what stays quiet.
@Suite("Trunk group consistency warnings")
struct GroupConsistencyTests {
    /// Line numbers matter: carrier-a's entry starts at line 10, carrier-b's at 16, the group at 23.
    /// `A_EXTRA` and `B_EXTRA` are lines 14-15 and 20-21 (two lines each, YAML comments when unused);
    /// `GROUP_EXTRA` is line 25.
    static let template = """
        zones:
          - name: core
            bind: 127.0.0.1
            udp_port: 5060
            tcp_port: 5060
            tls_port: 5061
            tls: {certificate: /etc/sbc/sbc.pem, key: /etc/sbc/sbc.key}
        trunks:
          - {name: platform, zone: core, address: 127.0.0.10}
          - name: carrier-a
            zone: core
            address: 127.0.0.11
            port: 5060
        A_EXTRA
          - name: carrier-b
            zone: core
            address: 127.0.0.12
            port: 5060
        B_EXTRA
        trunk_groups:
          - name: pstn-out
            members: [carrier-a, carrier-b]
        GROUP_EXTRA
        routes:
          - {name: out, from_trunk: platform, trunk_group: pstn-out}
        """

    static func yaml(a: [String] = [], b: [String] = [], group: String = "") -> String {
        func lines(_ extra: [String]) -> String {
            (extra + Array(repeating: "# -", count: 2 - extra.count)).map { "    \($0)" }.joined(separator: "\n")
        }
        return template.replacingOccurrences(of: "A_EXTRA", with: lines(a))
            .replacingOccurrences(of: "B_EXTRA", with: lines(b))
            .replacingOccurrences(of: "GROUP_EXTRA", with: group.isEmpty ? "# -" : "    \(group)")
    }

    static func warnings(_ yaml: String, sourceLocation: SourceLocation = #_sourceLocation) -> [ConfigWarning] {
        do {
            return try ConfigLoader.parseReporting(yaml: yaml, source: "test.yaml").warnings
        } catch {
            Issue.record("unexpected problems:\n\(error)", sourceLocation: sourceLocation)
            return []
        }
    }

    @Test("a consistent group gets no warning")
    func consistentGroup() {
        #expect(Self.warnings(Self.yaml()).isEmpty)
        let same = ["codecs: [PCMU, PCMA]", "srtp: {policy: optional}"]
        #expect(Self.warnings(Self.yaml(a: same, b: same)).isEmpty)
        // Case and telephone-event (always kept) make no difference; udp and tcp are both "not TLS".
        #expect(Self.warnings(Self.yaml(a: ["codecs: [PCMU, PCMA, telephone-event]", "transport: udp"],
                                        b: ["codecs: [pcmu, pcma]", "transport: tcp"])).isEmpty)
        // Written or defaulted, the same value is the same.
        #expect(Self.warnings(Self.yaml(a: ["100rel: supported", "early_media: relay"], b: ["dtmf: passthrough"])).isEmpty)
    }

    @Test("codec order: the warning names both trunks and the lines of both")
    func codecOrder() throws {
        let found = Self.warnings(Self.yaml(a: ["codecs: [PCMU, PCMA]"], b: ["codecs: [PCMA, PCMU]"]))
        #expect(found.count == 1, "\(found)")
        let warning = try #require(found.first)
        #expect(warning.keyPath == "trunks[2].codecs")
        #expect(warning.line == 20, "at carrier-b's codecs")
        #expect(warning.message.contains("trunk \"carrier-b\" (trunks[2], line 16)"))
        #expect(warning.message.contains("trunk \"carrier-a\" (trunks[1], line 10)"))
        #expect(warning.message.contains("trunk group \"pstn-out\" (trunk_groups[0], line 23)"))
        #expect(warning.message.contains("codec order (codecs): PCMA, PCMU (line 20) vs PCMU, PCMA (line 14)"))
        #expect(warning.message.contains("leading cause of failover failure"))
        #expect(warning.description.hasPrefix("test.yaml:20:13: warning: trunks[2].codecs: trunk \"carrier-b\""))
    }

    @Test("a codec list on one member only")
    func codecsOnOneMember() throws {
        let found = Self.warnings(Self.yaml(a: ["codecs: [PCMU]"]))
        let warning = try #require(found.first)
        #expect(found.count == 1)
        #expect(warning.keyPath == "trunks[2]", "carrier-b writes no codecs: the warning is at its entry")
        #expect(warning.line == 16)
        #expect(warning.message.contains("codec order (codecs): any (default) vs PCMU (line 14)"))
    }

    @Test("SRTP policy, transport security, 100rel, early media and DTMF each warn")
    func eachSetting() throws {
        let cases: [(a: String, b: String, noun: String, key: String)] = [
            ("srtp: {policy: required}", "srtp: {policy: none}", "SRTP policy (srtp.policy): none (line 20) vs required (line 14)",
             "trunks[2].srtp.policy"),
            ("transport: udp", "transport: tls", "transport security (transport: tls or not): tls (line 20) vs udp (line 14)",
             "trunks[2].transport"),
            ("100rel: required", "100rel: off", "100rel: off (line 20) vs required (line 14)", "trunks[2].100rel"),
            ("early_media: relay", "early_media: ringback",
             "early-media policy (early_media): ringback (line 20) vs relay (line 14)", "trunks[2].early_media"),
            ("dtmf: rfc4733", "dtmf: info", "DTMF mode (dtmf): info (line 20) vs rfc4733 (line 14)", "trunks[2].dtmf"),
        ]
        for item in cases {
            let found = Self.warnings(Self.yaml(a: [item.a], b: [item.b]))
            #expect(found.count == 1, "\(item.key): \(found)")
            let warning = try #require(found.first)
            #expect(warning.keyPath == item.key)
            #expect(warning.line == 20)
            #expect(warning.message.contains(item.noun), "\(warning.message)")
            #expect(warning.message.contains("(trunks[1], line 10)") && warning.message.contains("(trunks[2], line 16)"))
        }
    }

    @Test("several differences give one warning each, in file order")
    func severalDifferences() {
        let found = Self.warnings(Self.yaml(a: ["codecs: [PCMU]", "early_media: none"],
                                            b: ["codecs: [PCMA]", "100rel: off"]))
        #expect(found.map(\.keyPath) == ["trunks[2]", "trunks[2].codecs", "trunks[2].100rel"],
                "early_media (carrier-b takes the default: at its entry), then codecs and 100rel")
        #expect(found.map(\.line) == [16, 20, 21])
    }

    @Test("allow_differences silences a deliberate difference, and only that one")
    func allowedDifferences() {
        let yaml = Self.yaml(a: ["dtmf: rfc4733", "codecs: [PCMU]"], b: ["dtmf: info", "codecs: [PCMA]"],
                             group: "allow_differences: [dtmf]")
        #expect(Self.warnings(yaml).map(\.keyPath) == ["trunks[2].codecs"])
        let config = TestSupport.load(yaml)
        #expect(config?.trunkGroups.first?.allowedDifferences == [.dtmf])
    }

    @Test("allow_differences names settings the lint knows")
    func unknownAllowedDifference() {
        TestSupport.expectSingleProblem(Self.yaml(group: "allow_differences: [codec]"),
                                        keyPath: "trunk_groups[0].allow_differences[0]", line: 25,
                                        containing: "must be one of codecs, srtp, transport, 100rel, early_media, dtmf, "
                                            + "got \"codec\"; did you mean \"codecs\"?")
    }

    @Test("a configuration with problems reports problems, not warnings")
    func problemsFirst() {
        let yaml = Self.yaml(a: ["codecs: [PCMU]", "port: 99999"], b: ["codecs: [PCMA]"])
        #expect(throws: ConfigError.self) { try ConfigLoader.parseReporting(yaml: yaml, source: "test.yaml") }
    }

    @Test("the shipped files are warning-free")
    func shippedFiles() throws {
        for file in ["conf/lab.yaml", "conf/sbc.example.yaml"] {
            let loaded = try ConfigLoader.loadReporting(path: TestSupport.path(file))
            #expect(loaded.warnings.isEmpty, "\(file): \(loaded.warnings.map(\.description))")
        }
    }
}

/// `trunks[].refer` and `trunks[].latching`.
@Suite("Transfer and latching keys per trunk")
struct ReferAndLatchingConfigTests {
    @Test("defaults: REFER relayed, latching from media.latching")
    func defaults() throws {
        let config = try #require(TestSupport.load(TestSupport.minimal))
        #expect(config.trunks[0].refer == .relay)
        #expect(config.trunks[0].latching == nil)
    }

    @Test("values are read")
    func values() throws {
        let yaml = TestSupport.minimal.replacingOccurrences(
            of: "    address: 127.0.0.10", with: "    address: 127.0.0.10\n    refer: terminate\n    latching: any")
        let config = try #require(TestSupport.load(yaml))
        #expect(config.trunks[0].refer == .terminate)
        #expect(config.trunks[0].latching == .any)
    }

    @Test("a wrong value is a problem at its line")
    func wrongValue() {
        let yaml = TestSupport.minimal.replacingOccurrences(of: "    address: 127.0.0.10",
                                                            with: "    address: 127.0.0.10\n    refer: transfer")
        TestSupport.expectSingleProblem(yaml, keyPath: "trunks[0].refer", line: 9,
                                        containing: "must be one of relay, terminate, reject, got \"transfer\"")
        let latching = TestSupport.minimal.replacingOccurrences(of: "    address: 127.0.0.10",
                                                                with: "    address: 127.0.0.10\n    latching: nat")
        TestSupport.expectSingleProblem(latching, keyPath: "trunks[0].latching", line: 9,
                                        containing: "must be one of signalled, any")
    }
}
