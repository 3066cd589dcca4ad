import Testing
@testable import SBCConfig

/// The reload classifier: every difference between the running and the reloaded configuration
/// is named and classified live or restart-required, and the effective configuration keeps the
/// restart-only values (docs/RELOAD.md).
@Suite struct ConfigurationDiffTests {
    static let base = """
        zones:
          - name: core
            bind: 127.0.0.1
            udp_port: 5060
          - name: edge
            bind: 127.0.0.2
            udp_port: 5060
        trunks:
          - name: peer
            zone: core
            address: 127.0.0.10
          - name: carrier-a
            zone: edge
            address: 127.0.0.20
            codecs: [PCMU]
          - name: carrier-b
            zone: edge
            address: 127.0.0.21
        trunk_groups:
          - name: out
            members: [carrier-a, carrier-b]
        routes:
          - name: to-carriers
            from_trunk: peer
            trunk_group: out
        admin:
          listen: 127.0.0.1:8080
          tokens:
            - name: noc
              sha256: 0000000000000000000000000000000000000000000000000000000000000000
              scopes: ["*"]
        """

    static func config(_ yaml: String) throws -> SBCConfiguration {
        try ConfigLoader.parse(yaml: yaml, source: "test.yaml")
    }

    @Test func identicalFilesHaveNoChanges() throws {
        let running = try Self.config(Self.base)
        let diff = ConfigurationDiff(running: running, loaded: running)
        #expect(diff.isEmpty)
        #expect(diff.effective == running)
    }

    @Test func addedRouteAndChangedTrunkAreLive() throws {
        let running = try Self.config(Self.base)
        let edited = Self.base
            .replacingOccurrences(of: "    codecs: [PCMU]\n", with: "    codecs: [PCMA]\n")
            .replacingOccurrences(of: "admin:", with: """
                  - name: direct-b
                    from_trunk: carrier-a
                    trunk: peer
                admin:
                """)
        let diff = ConfigurationDiff(running: running, loaded: try Self.config(edited))
        #expect(diff.restartRequired.isEmpty)
        #expect(diff.live.contains(ConfigurationChange(section: "routes", name: "direct-b", kind: .added, effect: .live)))
        #expect(diff.live.contains(ConfigurationChange(section: "trunks", name: "carrier-a", kind: .changed, effect: .live,
                                                       keys: ["codecs"])))
        #expect(diff.effective.routes.map(\.name) == ["to-carriers", "direct-b"])
        #expect(diff.problems(source: "test.yaml").isEmpty)
    }

    @Test func removedTrunkAndGroupMemberAreLive() throws {
        let running = try Self.config(Self.base)
        let edited = Self.base
            .replacingOccurrences(of: "  - name: carrier-b\n    zone: edge\n    address: 127.0.0.21\n", with: "")
            .replacingOccurrences(of: "[carrier-a, carrier-b]", with: "[carrier-a]")
        let diff = ConfigurationDiff(running: running, loaded: try Self.config(edited))
        #expect(diff.changes.count == 2)
        #expect(diff.changes.first == ConfigurationChange(section: "trunks", name: "carrier-b", kind: .removed,
                                                          effect: .live))
        #expect(diff.changes.last?.section == "trunk_groups")
        #expect(diff.changes.last?.keys.contains("members") == true, "\(diff.changes)")
    }

    @Test func zonePortChangeNeedsARestartAndIsNotApplied() throws {
        let running = try Self.config(Self.base)
        let edited = Self.base.replacingOccurrences(of: "bind: 127.0.0.2\n    udp_port: 5060",
                                                    with: "bind: 127.0.0.2\n    udp_port: 5070")
        let diff = ConfigurationDiff(running: running, loaded: try Self.config(edited))
        #expect(diff.live.isEmpty)
        #expect(diff.restartRequired == [
            ConfigurationChange(section: "zones", name: "edge", kind: .changed, effect: .restartRequired,
                                keys: ["udp_port"]),
        ])
        #expect(diff.effective.zone(named: "edge")?.udpPort == 5060)
    }

    @Test func restartOnlySectionsKeepTheirRunningValues() throws {
        let running = try Self.config(Self.base)
        let edited = Self.base.replacingOccurrences(of: "listen: 127.0.0.1:8080", with: "listen: 127.0.0.1:9090")
            + "\nmedia:\n  port_min: 42000\n  port_max: 42999\nsip:\n  t1_ms: 250\nlogging:\n  level: debug\n"
        let diff = ConfigurationDiff(running: running, loaded: try Self.config(edited))
        #expect(diff.live.isEmpty)
        #expect(Set(diff.restartRequired.map(\.section)) == ["admin", "media", "sip", "logging"])
        #expect(diff.restartRequired.first { $0.section == "admin" }?.keys == ["listen"])
        #expect(diff.restartRequired.first { $0.section == "media" }?.keys == ["port_min", "port_max"])
        #expect(diff.effective == running)
    }

    @Test func tokensAreLive() throws {
        let running = try Self.config(Self.base)
        let edited = Self.base + """

                - name: ops
                  sha256: 1111111111111111111111111111111111111111111111111111111111111111
                  scopes: ["trunks:read"]
            """
        let diff = ConfigurationDiff(running: running, loaded: try Self.config(edited))
        #expect(diff.changes == [ConfigurationChange(section: "admin.tokens", name: "ops", kind: .added, effect: .live)])
        #expect(diff.effective.admin.tokens.map(\.name) == ["noc", "ops"])
    }

    /// A trunk in a zone the file adds: the zone waits for a restart, so the trunk cannot be
    /// applied alone; the reload is refused with the key named.
    @Test func liveChangeDependingOnARestartOnlyOneIsAProblem() throws {
        let running = try Self.config(Self.base)
        let edited = Self.base
            .replacingOccurrences(of: "trunks:\n", with: """
                  - name: lab
                    bind: 127.0.0.3
                    udp_port: 5060
                trunks:
                  - name: carrier-c
                    zone: lab
                    address: 127.0.0.30

                """)
        let diff = ConfigurationDiff(running: running, loaded: try Self.config(edited))
        #expect(diff.restartRequired.contains(ConfigurationChange(section: "zones", name: "lab", kind: .added,
                                                                  effect: .restartRequired)))
        let problems = diff.problems(source: "test.yaml")
        #expect(problems.contains { $0.keyPath.hasPrefix("trunks[0]") && $0.message.contains("restart") },
                "\(problems)")
    }

    @Test func keysAreSnakeCase() {
        #expect(ConfigurationDiff.snakeCase("listenAddress") == "listen_address")
        #expect(ConfigurationDiff.snakeCase("port") == "port")
    }
}
