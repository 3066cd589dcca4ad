import Testing
import SBCConfig

/// The route match keys beyond trunk, zone and prefix (regexes, caller prefix, header), the
/// `critical` and `profile` keys, and the `routing` section. Problem cases start from the minimal
/// file (route `all` on lines 10-11) with keys added to the route from line 12.
@Suite("Route match configuration")
struct RouteMatchConfigTests {
    /// The minimal file with `keys` added to its one route (first added line: 12).
    static func route(_ keys: String) -> String {
        TestSupport.minimal.replacingOccurrences(of: "    trunk: peer", with: "    trunk: peer\n" + keys)
    }

    @Test("every new route key is read")
    func values() throws {
        let yaml = Self.route("""
                request_user_regex: "^\\\\+1999\\\\d{7}$"
                from_user_prefix: "+4420"
                from_user_regex: "^\\\\+44"
                header: {name: X-Skill, equals: billing}
                profile: special
            profiles:
              - name: special
                privacy: id
            """)
        let config = try #require(TestSupport.load(yaml))
        let route = try #require(config.route(named: "all"))
        #expect(route == RouteSettings(name: "all", requestUserRegex: "^\\+1999\\d{7}$", fromUserPrefix: "+4420",
                                       fromUserRegex: "^\\+44", header: HeaderMatch(name: "X-Skill", equals: "billing"),
                                       profile: "special", trunk: "peer"))
        #expect(!route.isDefault)
        let trunk = try #require(config.trunk(named: "peer"))
        #expect(config.outboundProfile(route: route, trunk: trunk)?.name == "special")
    }

    @Test("critical: true is read on a route to a trunk group")
    func criticalOnAGroup() throws {
        let yaml = FailoverConfigTests.yaml().replacingOccurrences(of: "    trunk_group: g", with: "    trunk_group: g\n    critical: true")
        let route = try #require(TestSupport.load(yaml)?.route(named: "all"))
        #expect(route.critical)
    }

    @Test("critical: true on a route to a single trunk is an error: there is nothing to fail over to")
    func criticalNeedsAGroup() {
        TestSupport.expectSingleProblem(Self.route("    critical: true"), keyPath: "routes[0].critical", line: 12,
                                        containing: "critical: true needs a trunk_group to fail over within; "
                                            + "route \"all\" sends to the single trunk \"peer\"")
    }

    @Test("defaults: not critical, no profile, and a route with no match keys is a default route")
    func defaults() throws {
        let route = try #require(TestSupport.load(TestSupport.minimal)?.route(named: "all"))
        #expect(!route.critical)
        #expect(route.profile == nil)
        #expect(route.header == nil)
        #expect(route.isDefault)
        #expect(RouteSettings(name: "x", critical: true, profile: "p", trunk: "t").isDefault)
    }

    @Test("any match key makes a route specific", arguments: [
        RouteSettings(name: "r", requestUserRegex: "^1", trunk: "t"),
        RouteSettings(name: "r", fromUserPrefix: "+44", trunk: "t"),
        RouteSettings(name: "r", fromUserRegex: "x", trunk: "t"),
        RouteSettings(name: "r", header: HeaderMatch(name: "X-A", present: true), trunk: "t"),
    ])
    func specific(route: RouteSettings) {
        #expect(!route.isDefault)
    }

    @Test("header matches: equals, regex, present")
    func headerForms() throws {
        for (text, expected) in [
            ("{name: X-Skill, regex: \"^bill\"}", HeaderMatch(name: "X-Skill", regex: "^bill")),
            ("{name: X-Skill, present: true}", HeaderMatch(name: "X-Skill", present: true)),
            ("{name: X-Skill, present: false}", HeaderMatch(name: "X-Skill", present: false)),
        ] {
            let route = try #require(TestSupport.load(Self.route("    header: \(text)"))?.route(named: "all"))
            #expect(route.header == expected)
        }
    }

    @Test("route key problems", arguments: [
        ("    request_user_regex: \"^(1\"", "routes[0].request_user_regex",
         "is not a valid regular expression: expected ')'"),
        ("    from_user_regex: \"[z-a]\"", "routes[0].from_user_regex", "is not a valid regular expression:"),
        ("    from_user_prefix: \"+44 20\"", "routes[0].from_user_prefix",
         "must be the start of a From user part such as +4420 (no spaces"),
        ("    critical: yes", "routes[0].critical", "must be true or false, got \"yes\""),
        ("    profile: nope", "routes[0].profile", "no profile named \"nope\" (none is defined)"),
        ("    header: X-Skill", "routes[0].header", "must be a mapping of keys to values, got \"X-Skill\""),
        ("    header: {equals: billing}", "routes[0].header.name", "is required (the header to look at, such as X-Skill)"),
        ("    header: {name: \"X Skill\", present: true}", "routes[0].header.name", "must be a header name such as X-Provider"),
        ("    header: {name: X-Skill}", "routes[0].header", "needs one condition: equals: TEXT, regex: PATTERN or present"),
        ("    header: {name: X-Skill, equals: a, present: true}", "routes[0].header.present",
         "takes exactly one condition of equals, regex and present, got equals and present"),
        ("    header: {name: X-Skill, regex: \"(\"}", "routes[0].header.regex", "is not a valid regular expression"),
        ("    header: {name: X-Skill, present: 1}", "routes[0].header.present", "must be true or false, got 1"),
        ("    header: {name: X-Skill, equal: a}", "routes[0].header.equal", "unknown key \"equal\"; did you mean \"equals\"?"),
        ("    request_user_regexp: x", "routes[0].request_user_regexp",
         "unknown key \"request_user_regexp\"; did you mean \"request_user_regex\"?"),
    ])
    func problems(keys: String, keyPath: String, message: String) {
        TestSupport.expectSingleProblem(Self.route(keys), keyPath: keyPath, line: 12, containing: message)
    }

    /// A route with a wrong match key is still not a default route, so it does not make a later
    /// route look unreachable in addition to its own problem.
    @Test("a wrong regex does not turn the route into a default route")
    func wrongRegexIsNotDefault() {
        let yaml = Self.route("    from_user_regex: \"(\"\n  - name: second\n    trunk: peer")
        let found = TestSupport.problems(yaml)
        #expect(found.map(\.keyPath) == ["routes[0].from_user_regex"])
    }

    @Test("reachability with the new match keys", arguments: [
        // (earlier route keys, later route keys, unreachable?)
        ("    from_user_prefix: \"+44\"", "    from_user_prefix: \"+4420\"", true),
        ("    from_user_prefix: \"+4420\"", "    from_user_prefix: \"+44\"", false),
        ("    request_user_regex: \"^1\"", "    request_user_regex: \"^1\"\n    from_user_prefix: \"+1\"", true),
        ("    request_user_regex: \"^1\"", "    request_user_regex: \"^12\"", false),
        ("    header: {name: X-Skill, present: true}", "    header: {name: x-skill, equals: billing}", true),
        ("    header: {name: X-Skill, equals: billing}", "    header: {name: X-Skill, equals: sales}", false),
        ("    header: {name: X-Skill, present: true}", "    header: {name: X-Skill, present: false}", false),
        // (critical is no match key; `false` because a critical route to a single trunk is refused)
        ("    critical: false\n    from_trunk: peer", "    from_trunk: peer\n    from_user_prefix: \"1\"", true),
    ])
    func reachability(earlier: String, later: String, unreachable: Bool) {
        let yaml = """
            zones:
              - name: core
                bind: 127.0.0.1
                udp_port: 5060
            trunks:
              - name: peer
                zone: core
                address: 127.0.0.10
            routes:
              - name: first
                trunk: peer
            \(earlier)
              - name: second
                trunk: peer
            \(later)
            """
        let found = TestSupport.problems(yaml)
        if unreachable {
            #expect(found.count == 1 && found[0].keyPath == "routes[1]"
                && found[0].message.contains("route \"second\" is unreachable: route \"first\""), "\(found)")
        } else {
            #expect(found.isEmpty, "\(found)")
        }
    }

    // MARK: - routing section

    @Test("routing.unroutable_status: default 404, 403 allowed")
    func unroutableStatus() throws {
        #expect(TestSupport.load(TestSupport.minimal)?.routing == RoutingSettings(unroutableStatus: 404))
        let config = try #require(TestSupport.load(TestSupport.minimal + "\nrouting:\n  unroutable_status: 403"))
        #expect(config.routing.unroutableStatus == 403)
        #expect(config.routing.unroutableReason == "Forbidden")
        #expect(RoutingSettings().unroutableReason == "Not Found")
    }

    @Test("routing problems", arguments: [
        ("routing:\n  unroutable_status: 503", "routing.unroutable_status", 13, "must be 404 or 403, got 503"),
        ("routing:\n  unroutable_status: not-found", "routing.unroutable_status", 13, "must be 404 or 403, got \"not-found\""),
        ("routing:\n  unroutable: 404", "routing.unroutable", 13,
         "unknown key \"unroutable\"; did you mean \"unroutable_status\"?"),
        ("routng:\n  unroutable_status: 404", "routng", 12, "unknown key \"routng\"; did you mean \"routing\"?"),
    ])
    func routingProblems(extra: String, keyPath: String, line: Int, message: String) {
        TestSupport.expectSingleProblem(TestSupport.minimal + "\n" + extra, keyPath: keyPath, line: line,
                                        containing: message)
    }
}
