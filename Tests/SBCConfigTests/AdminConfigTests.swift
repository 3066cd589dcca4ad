import Testing
import SBCConfig

/// The `admin` section: listen address and tokens (by hash or environment variable, never in plain
/// text) with scopes. Every problem case asserts the exact key path and line.
@Suite("Admin API configuration")
struct AdminConfigTests {
    /// `TestSupport.minimal` (11 lines) with `admin:` at line 12 and `body` from line 13.
    static func yaml(_ body: String) -> String {
        TestSupport.minimal + "\nadmin:\n" + body
    }

    static let hash = "7005ca487338ea85c2a92aed553803f8cce2b39b4ac5b396e257c195ce140f29"

    @Test("defaults: enabled on 127.0.0.1:8080 with no tokens")
    func defaults() throws {
        let config = try #require(TestSupport.load(TestSupport.minimal))
        #expect(config.admin == AdminSettings())
        #expect(config.admin.enabled)
        #expect(config.admin.listenAddress == "127.0.0.1:8080")
        #expect(config.admin.tokens.isEmpty)
        #expect(config.admin.listenEndpoint?.host == "127.0.0.1" && config.admin.listenEndpoint?.port == 8080)
        #expect(SBCConfiguration().admin == AdminSettings(enabled: true, listenAddress: "127.0.0.1:8080", tokens: []))
    }

    @Test("every key is read: tokens by hash and by environment variable, scopes")
    func values() throws {
        let yaml = Self.yaml("""
              enabled: false
              listen: "[::1]:9090"
              tokens:
                - name: noc
                  sha256: \(Self.hash)
                  scopes: ["*"]
                - name: grafana
                  env: SBC_GRAFANA_TOKEN
                  scopes: [metrics:read, trunks:read]
            """)
        let admin = try #require(TestSupport.load(yaml)?.admin)
        #expect(admin == AdminSettings(enabled: false, listenAddress: "[::1]:9090", tokens: [
            AdminTokenSettings(name: "noc", sha256: Self.hash, scopes: ["*"]),
            AdminTokenSettings(name: "grafana", environment: "SBC_GRAFANA_TOKEN", scopes: ["metrics:read", "trunks:read"]),
        ]))
        #expect(admin.listenEndpoint?.host == "::1" && admin.listenEndpoint?.port == 9090)
        #expect(admin.token(named: "noc")?.grants("groups:write") == true)
        #expect(admin.token(named: "grafana")?.grants("metrics:read") == true)
        #expect(admin.token(named: "grafana")?.grants("trunks:write") == false)
        #expect(AdminTokenSettings.knownScopes == ["trunks:read", "trunks:write", "groups:write", "audit:read",
                                                   "metrics:read", "tls:read", "tls:write", "calls:read", "calls:write",
                                                   "status:read", "config:read", "config:write"])
    }

    @Test("a wildcard listen address is allowed (an explicit decision)")
    func wildcardListen() throws {
        let admin = try #require(TestSupport.load(Self.yaml("  listen: 0.0.0.0:8080"))?.admin)
        #expect(admin.listenEndpoint?.host == "0.0.0.0")
    }

    @Test("admin problems name the key and the line", arguments: [
        ("  enable: true", "admin.enable", 13, "unknown key \"enable\"; did you mean \"enabled\"?"),
        ("  enabled: maybe", "admin.enabled", 13, "must be true or false, got \"maybe\""),
        ("  listen: 127.0.0.1", "admin.listen", 13, "must be IP:port such as 127.0.0.1:8080 or [::1]:8080, got "
            + "\"127.0.0.1\": the port is missing"),
        ("  listen: localhost:8080", "admin.listen", 13, "\"localhost\" is not an IP address; host names are not allowed"),
        ("  listen: 127.0.0.1:0", "admin.listen", 13, "with a port 1-65535, got \"127.0.0.1:0\""),
        ("  listen: 127.0.0.1:http", "admin.listen", 13, "with a port 1-65535, got \"127.0.0.1:http\""),
        ("  listen: \"::1:8080\"", "admin.listen", 13, "write an IPv6 address in brackets, as in [::1]:8080"),
        ("  listen: \"[::1]\"", "admin.listen", 13, "must be IP:port"),
        ("  tokens: 5", "admin.tokens", 13, "must be a list, got 5"),
    ])
    func adminProblems(text: String, keyPath: String, line: Int, message: String) {
        TestSupport.expectSingleProblem(Self.yaml(text), keyPath: keyPath, line: line, containing: message)
    }

    @Test("the section must be a mapping")
    func notAMapping() {
        TestSupport.expectSingleProblem(TestSupport.minimal + "\nadmin: 8080", keyPath: "admin", line: 12,
                                        containing: "must be a mapping of keys to values, got 8080")
    }

    @Test("token problems name the key and the line", arguments: [
        // Token entries start at line 14 ("  tokens:" is line 13).
        ("    - {name: a, scopes: [\"*\"]}", "admin.tokens[0]", 14,
         "needs sha256 or env: plain-text tokens are not accepted in the configuration"),
        ("    - {name: a, sha256: \(AdminConfigTests.hash), env: T, scopes: [\"*\"]}", "admin.tokens[0].env", 14,
         "set sha256 or env, not both"),
        ("    - {name: a, sha256: \(AdminConfigTests.hash.uppercased()), scopes: [\"*\"]}", "admin.tokens[0].sha256", 14,
         "must be 64 lowercase hex characters (as sha256sum prints them), got upper-case letters"),
        ("    - {name: a, sha256: 7005ca4873, scopes: [\"*\"]}", "admin.tokens[0].sha256", 14,
         "must be 64 hex characters (the SHA-256 of the token), got 10"),
        ("    - {name: a, env: 1TOKEN, scopes: [\"*\"]}", "admin.tokens[0].env", 14,
         "must be the name of an environment variable (letters, digits and _, not starting with a digit)"),
        ("    - {name: a, env: SBC-TOKEN, scopes: [\"*\"]}", "admin.tokens[0].env", 14,
         "must be the name of an environment variable"),
        ("    - {name: a, env: T}", "admin.tokens[0].scopes", 14,
         "is required (what this token may do: trunks:read, trunks:write, groups:write, audit:read, metrics:read"),
        ("    - {name: a, env: T, scopes: []}", "admin.tokens[0].scopes", 14, "must list at least one scope"),
        ("    - {name: a, env: T, scopes: \"*\"}", "admin.tokens[0].scopes", 14, "must be a list, got \"*\""),
        ("    - {name: a, env: T, scopes: [trunks:reed]}", "admin.tokens[0].scopes[0]", 14,
         "must be one of trunks:read, trunks:write, groups:write, audit:read, metrics:read, tls:read, tls:write, "
            + "calls:read, calls:write, status:read, config:read, config:write or \"*\" for all, got "
            + "\"trunks:reed\"; did you mean \"trunks:read\"?"),
        ("    - {name: a, env: T, scopes: [admin]}", "admin.tokens[0].scopes[0]", 14, "got \"admin\""),
        ("    - {name: a, env: T, scopes: [\"*\", \"*\"]}", "admin.tokens[0].scopes[1]", 14,
         "\"*\" is already listed at scopes[0]"),
        ("    - {env: T, scopes: [\"*\"]}", "admin.tokens[0].name", 14, "is required"),
        ("    - {name: my token, env: T, scopes: [\"*\"]}", "admin.tokens[0].name", 14,
         "must be 1-64 characters: letters, digits, '-', '_' or '.', got \"my token\""),
        ("    - {name: a, env: T, scopes: [\"*\"], scope: [x]}", "admin.tokens[0].scope", 14,
         "unknown key \"scope\"; did you mean \"scopes\"?"),
        ("    -", "admin.tokens[0]", 14, "is empty; a token needs name, scopes and sha256 or env"),
    ])
    func tokenProblems(entry: String, keyPath: String, line: Int, message: String) {
        TestSupport.expectSingleProblem(Self.yaml("  tokens:\n" + entry), keyPath: keyPath, line: line,
                                        containing: message)
    }

    @Test("plain-text tokens are refused, say why, and never echo the secret", arguments: [
        ("    - {name: a, token: s3cret-value, scopes: [\"*\"]}", "admin.tokens[0].token",
         "unknown key \"token\": plain-text tokens are not accepted in the configuration"),
        ("    - {name: a, secret: s3cret-value, scopes: [\"*\"]}", "admin.tokens[0].secret",
         "unknown key \"secret\": plain-text tokens are not accepted"),
        ("    - s3cret-value", "admin.tokens[0]",
         "must be a mapping {name, scopes, sha256 or env}, got a plain value: plain-text tokens are not accepted"),
        ("    - {name: a, sha256: s3cret-value, scopes: [\"*\"]}", "admin.tokens[0].sha256",
         "not the token itself: plain-text tokens are not accepted"),
    ])
    func plainTextRefused(entry: String, keyPath: String, message: String) {
        let yaml = Self.yaml("  tokens:\n" + entry)
        TestSupport.expectSingleProblem(yaml, keyPath: keyPath, line: 14, containing: message)
        let problems = TestSupport.problems(yaml)
        #expect(problems.allSatisfy { !$0.message.contains("s3cret-value") })
        #expect(problems.allSatisfy { $0.message.contains("sha256sum") })
    }

    @Test("token names are unique; the repeat names the first one's line")
    func duplicateNames() {
        let yaml = Self.yaml("""
              tokens:
                - {name: noc, env: A, scopes: ["*"]}
                - {name: noc, env: B, scopes: [metrics:read]}
            """)
        TestSupport.expectSingleProblem(yaml, keyPath: "admin.tokens[1].name", line: 15,
                                        containing: "duplicate token name \"noc\"; tokens[0] (line 14) already uses it")
    }
}
