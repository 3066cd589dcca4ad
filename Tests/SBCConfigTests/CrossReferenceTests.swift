import Foundation
import Testing
import SBCConfig

/// Problems that need the whole file: duplicate names, references between sections, socket
/// collisions and route reachability. Each starts from ``base`` (a two-zone lab in 24 lines) with
/// one change and asserts the exact key path and line of the one problem.
@Suite("Cross-reference problems")
struct CrossReferenceTests {
    static let base = """
        zones:
          - name: platform
            bind: 127.0.0.1
            udp_port: 5060
          - name: carrier
            bind: 127.0.0.1
            udp_port: 5080
        trunks:
          - name: platform
            zone: platform
            address: 127.0.0.10
          - name: carrier-a
            zone: carrier
            address: 127.0.0.11
        trunk_groups:
          - name: pstn
            members: [carrier-a]
        routes:
          - name: out
            from_trunk: platform
            trunk_group: pstn
          - name: in
            from_zone: carrier
            trunk: platform
        """

    /// `base` with `original` replaced by `replacement` (which must occur exactly once).
    static func edit(_ original: String, _ replacement: String) -> String {
        precondition(base.components(separatedBy: original).count == 2, "not unique: \(original)")
        return base.replacingOccurrences(of: original, with: replacement)
    }

    @Test("the base file itself is valid")
    func baseLoads() throws {
        let config = try #require(TestSupport.load(Self.base))
        #expect(config.summary == "node \"sbc\": 2 zones, 2 trunks, 1 trunk group, 2 routes")
    }

    // MARK: - Duplicate names

    @Test("duplicate names are reported at the repeat, naming the first",
          arguments: [
            ("  - name: carrier\n", "  - name: platform\n", "zones[1].name", 5,
             "duplicate zone name \"platform\"; zones[0] (line 2) already uses it"),
            ("  - name: carrier-a\n", "  - name: platform\n", "trunks[1].name", 12,
             "duplicate trunk name \"platform\"; trunks[0] (line 9) already uses it"),
            ("  - name: in\n", "  - name: out\n", "routes[1].name", 22,
             "duplicate route name \"out\"; routes[0] (line 19) already uses it"),
          ])
    func duplicateNames(original: String, replacement: String, keyPath: String, line: Int, message: String) {
        // Renaming may break references too; only the duplicate is asserted for zones and trunks.
        let found = TestSupport.problems(Self.edit(original, replacement))
        let problem = found.first { $0.keyPath == keyPath }
        #expect(problem?.line == line, "\(found)")
        #expect(problem?.message == message)
    }

    @Test("a duplicate trunk group name is the only problem")
    func duplicateGroupName() {
        let yaml = Self.edit("    members: [carrier-a]\n", "    members: [carrier-a]\n  - name: pstn\n    members: [platform]\n")
        TestSupport.expectSingleProblem(yaml, keyPath: "trunk_groups[1].name", line: 18,
                                        containing: "duplicate trunk group name \"pstn\"; trunk_groups[0] (line 16)")
    }

    // MARK: - References

    @Test("a trunk's zone must exist; without a close name the defined zones are listed")
    func trunkZoneMustExist() {
        TestSupport.expectSingleProblem(Self.edit("    zone: carrier\n", "    zone: pstn\n"),
                                        keyPath: "trunks[1].zone", line: 13, column: 11,
                                        containing: "no zone named \"pstn\" (defined: platform, carrier)")
    }

    @Test("a trunk's zone must listen on the trunk's transport")
    func trunkTransportNeedsZonePort() {
        TestSupport.expectSingleProblem(Self.edit("    address: 127.0.0.11\n", "    address: 127.0.0.11\n    transport: tcp\n"),
                                        keyPath: "trunks[1].transport", line: 15,
                                        containing: "trunk \"carrier-a\" uses tcp but zone \"carrier\" has no tcp_port")
    }

    @Test("two trunks with the same address, port and transport cannot be told apart")
    func ambiguousTrunks() {
        TestSupport.expectSingleProblem(Self.edit("address: 127.0.0.11", "address: 127.0.0.10"),
                                        keyPath: "trunks[1].address", line: 14,
                                        containing: "same address, port and transport as trunk \"platform\" at trunks[0] (line 9)")
    }

    @Test("group members must exist and be listed once",
          arguments: [
            ("[carrier-a, carrier-b]", "trunk_groups[0].members[1]", "no trunk named \"carrier-b\"; did you mean \"carrier-a\"?"),
            ("[carrier-a, carrier-a]", "trunk_groups[0].members[1]", "trunk \"carrier-a\" is already listed at members[0]"),
          ])
    func groupMembers(members: String, keyPath: String, message: String) {
        TestSupport.expectSingleProblem(Self.edit("[carrier-a]", members), keyPath: keyPath, line: 17,
                                        containing: message)
    }

    @Test("a group strategy other than priority or weighted is refused")
    func groupStrategy() {
        TestSupport.expectSingleProblem(Self.edit("    members: [carrier-a]\n", "    strategy: round-robin\n    members: [carrier-a]\n"),
                                        keyPath: "trunk_groups[0].strategy", line: 17,
                                        containing: "must be one of priority, weighted, got \"round-robin\"")
    }

    @Test("a route needs exactly one destination",
          arguments: [
            ("    trunk: platform", "    trunk: platform\n    trunk_group: pstn", "routes[1].trunk_group", 25,
             "a route sends to exactly one destination: set trunk or trunk_group, not both"),
            ("    trunk: platform", "", "routes[1]", 22, "route \"in\" needs a destination: set trunk or trunk_group"),
          ])
    func routeDestination(original: String, replacement: String, keyPath: String, line: Int, message: String) {
        TestSupport.expectSingleProblem(Self.edit(original, replacement), keyPath: keyPath, line: line,
                                        containing: message)
    }

    @Test("route references must exist, with a hint when trunk and trunk_group are mixed up",
          arguments: [
            ("trunk_group: pstn", "trunk_group: carrier-a", "routes[0].trunk_group", 21,
             "\"carrier-a\" is a trunk, not a trunk group; write trunk: carrier-a"),
            ("    trunk: platform", "    trunk: pstn", "routes[1].trunk", 24, "\"pstn\" is a trunk group; write trunk_group: pstn"),
            ("trunk_group: pstn", "trunk_group: pstn-out", "routes[0].trunk_group", 21,
             "no trunk group named \"pstn-out\"; did you mean \"pstn\"?"),
            ("from_trunk: platform", "from_trunk: platfrom", "routes[0].from_trunk", 20,
             "no trunk named \"platfrom\"; did you mean \"platform\"?"),
            ("from_zone: carrier", "from_zone: carriers", "routes[1].from_zone", 23,
             "no zone named \"carriers\"; did you mean \"carrier\"?"),
          ])
    func routeReferences(original: String, replacement: String, keyPath: String, line: Int, message: String) {
        TestSupport.expectSingleProblem(Self.edit(original, replacement), keyPath: keyPath, line: line,
                                        containing: message)
    }

    @Test("from_trunk and from_zone must agree, or the route never matches")
    func routeFromTrunkOutsideZone() {
        TestSupport.expectSingleProblem(Self.edit("    from_trunk: platform\n", "    from_trunk: platform\n    from_zone: carrier\n"),
                                        keyPath: "routes[0].from_zone", line: 21,
                                        containing: "trunk \"platform\" is in zone \"platform\", not \"carrier\", so this route can never match")
    }

    // MARK: - Reachability

    @Test("a default route that is not last makes every later route unreachable")
    func defaultRouteNotLast() {
        let yaml = Self.edit("  - name: out\n    from_trunk: platform\n", "  - name: out\n")
        let found = TestSupport.problems(yaml)
        #expect(found.map(\.keyPath) == ["routes[1]"])
        #expect(found.map(\.line) == [21])
        #expect(found.first?.message == "route \"in\" is unreachable: route \"out\" at routes[0] (line 19) has no match "
            + "keys and catches every call; only the last route may be a default route")
    }

    @Test("a default route as the last route is fine")
    func defaultRouteLast() throws {
        let yaml = Self.base + "\n  - name: fallback\n    trunk: platform"
        let config = try #require(TestSupport.load(yaml))
        #expect(config.routes.last?.isDefault == true)
    }

    @Test("a general route above a more specific one for the same source shadows it")
    func shadowedByGeneralRoute() {
        let yaml = Self.base + "\n  - name: critical\n    from_trunk: platform\n    request_user_prefix: \"+1999\"\n    trunk: carrier-a"
        TestSupport.expectSingleProblem(yaml, keyPath: "routes[2]", line: 25,
                                        containing: "route \"critical\" is unreachable: route \"out\" at routes[0] (line 19) "
                                            + "matches every call this route matches")
    }

    @Test("a from_zone route shadows a later from_trunk route for a trunk of that zone; specific-first is fine")
    func zoneShadowsTrunk() throws {
        let shadowed = Self.base + "\n  - name: from-a\n    from_trunk: carrier-a\n    trunk: platform"
        TestSupport.expectSingleProblem(shadowed, keyPath: "routes[2]", line: 25, containing: "route \"in\" at routes[1]")

        let specificFirst = Self.edit("  - name: out\n", "  - name: critical\n    from_trunk: platform\n    request_user_prefix: \"+1999\"\n    trunk: carrier-a\n  - name: out\n")
        #expect(TestSupport.load(specificFirst)?.routes.count == 3)
    }

    // MARK: - Socket collisions

    @Test("two zones may not bind the same address, port and protocol")
    func bindCollision() {
        TestSupport.expectSingleProblem(Self.edit("udp_port: 5080", "udp_port: 5060"),
                                        keyPath: "zones[1].udp_port", line: 7,
                                        containing: "zone \"carrier\" would bind 127.0.0.1:5060/udp, which zone \"platform\" "
                                            + "at zones[0] (line 2) already binds as 127.0.0.1:5060/udp")
    }

    @Test("the same port over another protocol, or on another address, is fine")
    func bindNoCollision() throws {
        let otherProtocol = Self.edit("    udp_port: 5080\n", "    tcp_port: 5060\n")
            .replacingOccurrences(of: "address: 127.0.0.11", with: "address: 127.0.0.11\n    transport: tcp")
        #expect(TestSupport.load(otherProtocol) != nil)
        let otherAddress = Self.edit("    bind: 127.0.0.1\n    udp_port: 5080", "    bind: 127.0.0.2\n    udp_port: 5060")
        #expect(TestSupport.load(otherAddress) != nil)
        let otherFamily = Self.edit("    bind: 127.0.0.1\n    udp_port: 5080", "    bind: \"::\"\n    advertised_address: sbc.example.net\n    udp_port: 5060")
        #expect(TestSupport.load(otherFamily) != nil)
    }

    @Test("a wildcard bind collides with a specific address on the same port and protocol")
    func wildcardCollision() {
        let yaml = Self.edit("    bind: 127.0.0.1\n    udp_port: 5080",
                             "    bind: 0.0.0.0\n    advertised_address: 192.0.2.1\n    udp_port: 5060")
        TestSupport.expectSingleProblem(yaml, keyPath: "zones[1].udp_port", line: 8,
                                        containing: "(a wildcard bind covers every address of its family)")
    }

    @Test("IPv6 addresses collide by value, not by spelling")
    func ipv6CanonicalCollision() {
        let yaml = Self.edit("    bind: 127.0.0.1\n    udp_port: 5060", "    bind: \"::1\"\n    udp_port: 5060")
            .replacingOccurrences(of: "    bind: 127.0.0.1\n    udp_port: 5080", with: "    bind: 0:0:0:0:0:0:0:1\n    udp_port: 5060")
            .replacingOccurrences(of: "127.0.0.1", with: "::1")
        TestSupport.expectSingleProblem(yaml, keyPath: "zones[1].udp_port", line: 7,
                                        containing: "would bind [0:0:0:0:0:0:0:1]:5060/udp, which zone \"platform\"")
    }
}
