import Testing
@testable import SBCConfig

/// `trunks[].auth` (digest credentials) and `trunks[].register` (REGISTER binding), and the
/// resolution of passwords from the file, the environment or a password file.
@Suite("Trunk authentication and registration configuration")
struct TrunkAuthConfigTests {
    /// One trunk whose mapping ends at line 11; extra keys start at line 12.
    static func yaml(trunk extra: String = "") -> String { TrunkHealthConfigTests.yaml(trunk: extra) }

    @Test("auth: username and one password source; realm optional; nothing by default")
    func authValues() throws {
        #expect(try #require(TestSupport.load(Self.yaml())?.trunk(named: "peer")).auth == nil)
        let env = try #require(TestSupport.load(Self.yaml(trunk: """
                auth: {username: acct-1, password_env: CARRIER_A_PASSWORD, realm: carrier.example}
            """))?.trunk(named: "peer"))
        #expect(env.auth == TrunkAuthSettings(username: "acct-1", password: .environment("CARRIER_A_PASSWORD"),
                                              realm: "carrier.example"))
        let file = try #require(TestSupport.load(Self.yaml(trunk: "    auth: {username: a, password_file: /etc/sbc/pw}"))?
            .trunk(named: "peer"))
        #expect(file.auth?.password == .file("/etc/sbc/pw"))
        let inline = try #require(TestSupport.load(Self.yaml(trunk: "    auth: {username: a, password: s3cret}"))?
            .trunk(named: "peer"))
        #expect(inline.auth?.password == .inline("s3cret"))
        #expect(!"\(inline)".contains("s3cret"), "a trunk's description never shows its password")
        #expect(!String(reflecting: inline).contains("s3cret"))
    }

    @Test("auth problems: no password source, two of them, no username")
    func authProblems() {
        TestSupport.expectSingleProblem(Self.yaml(trunk: "    auth: {username: a}"), keyPath: "trunks[0].auth.password",
                                        line: 12, containing: "needs one of password_env, password_file or password")
        TestSupport.expectSingleProblem(Self.yaml(trunk: "    auth: {username: a, password: x, password_env: PW}"),
                                        keyPath: "trunks[0].auth.password_env", line: 12, containing: "takes only one of")
        TestSupport.expectSingleProblem(Self.yaml(trunk: "    auth: {password_env: PW}"), keyPath: "trunks[0].auth.username",
                                        line: 12, containing: "is required")
    }

    @Test("register: true or a mapping; defaults; the user comes from auth if not given")
    func registerValues() throws {
        let plain = try #require(TestSupport.load(Self.yaml(trunk: """
                auth: {username: acct-1, password_env: PW}
                register: true
            """))?.trunk(named: "peer"))
        #expect(plain.register == TrunkRegistrationSettings())
        #expect(plain.register?.expires == 3600)
        let full = try #require(TestSupport.load(Self.yaml(trunk: """
                register: {enabled: true, expires_s: 600, registrar: "127.0.0.20:5070", user: "+15551230000",
                           domain: carrier.example, retry_min_s: 2, retry_max_s: 60}
            """))?.trunk(named: "peer"))
        #expect(full.register == TrunkRegistrationSettings(expires: 600, registrarHost: "127.0.0.20", registrarPort: 5070,
                                                           user: "+15551230000", domain: "carrier.example",
                                                           retryMin: .seconds(2), retryMax: .seconds(60)))
    }

    @Test("register problems: no user, a registrar that is not IP:port, expires out of range")
    func registerProblems() {
        TestSupport.expectSingleProblem(Self.yaml(trunk: "    register: true"), keyPath: "trunks[0].register", line: 12,
                                        containing: "needs `user`")
        TestSupport.expectSingleProblem(Self.yaml(trunk: "    register: {user: a, registrar: carrier.example}"),
                                        keyPath: "trunks[0].register.registrar", line: 12, containing: "must be IP:port")
        TestSupport.expectSingleProblem(Self.yaml(trunk: "    register: {user: a, expires_s: 10}"),
                                        keyPath: "trunks[0].register.expires_s", line: 12, containing: "60-86400")
        TestSupport.expectSingleProblem(Self.yaml(trunk: "    register: {user: a, retry_min_s: 30, retry_max_s: 10}"),
                                        keyPath: "trunks[0].register.retry_max_s", line: 12, containing: "at least")
    }

    @Test("passwords resolved from the environment and files; problems and warnings never show the password")
    func resolution() throws {
        let config = try #require(TestSupport.load("""
            zones:
              - {name: core, bind: 127.0.0.1, udp_port: 5060}
            routes:
              - {name: all, trunk: a}
            trunks:
              - {name: a, zone: core, address: 127.0.0.10, auth: {username: ua, password_env: PW_A}}
              - {name: b, zone: core, address: 127.0.0.11, auth: {username: ub, password_file: /run/pw-b}}
              - {name: c, zone: core, address: 127.0.0.12, auth: {username: uc, password: inline-secret, realm: r}}
              - {name: d, zone: core, address: 127.0.0.13, auth: {username: ud, password_env: PW_MISSING}}
              - {name: e, zone: core, address: 127.0.0.14, auth: {username: ue, password_file: /run/missing}}
            """))
        let result = TrunkCredentialResolver.resolve(
            config, environment: { $0 == "PW_A" ? "env-secret" : nil },
            readFile: { path in
                path == "/run/pw-b" ? .success("file-secret\n")
                    : .failure(ConfigError(problems: [ConfigProblem(source: path, keyPath: "", message: "cannot open: No such file")]))
            })
        #expect(result.credentials["a"] == TrunkAuthSettings(username: "ua", password: .inline("env-secret")))
        #expect(result.credentials["b"]?.password == .inline("file-secret"), "the trailing newline is stripped")
        #expect(result.credentials["c"] == TrunkAuthSettings(username: "uc", password: .inline("inline-secret"), realm: "r"))
        #expect(result.credentials["d"] == nil && result.credentials["e"] == nil)
        #expect(result.problems.count == 2)
        #expect(result.problems.contains { $0.contains("PW_MISSING is not set") })
        #expect(result.problems.contains { $0.contains("/run/missing") && $0.contains("No such file") })
        #expect(result.warnings.count == 1)
        #expect(result.warnings.first?.contains("trunks[2].auth.password") == true)
        let everything = (result.problems + result.warnings).joined() + "\(result.credentials)"
        for secret in ["env-secret", "file-secret", "inline-secret"] {
            #expect(!everything.contains(secret))
        }
    }
}
