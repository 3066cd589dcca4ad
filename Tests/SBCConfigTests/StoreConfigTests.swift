import Testing
@testable import SBCConfig

@Suite("store: SQLite by default, or a PostgreSQL database shared by a cluster")
struct StoreConfigTests {
    static func yaml(_ store: String) -> String {
        """
        zones:
          - {name: core, bind: 127.0.0.1, udp_port: 5060}
        trunks:
          - {name: a, zone: core, address: 127.0.0.10}
        routes:
          - {name: all, trunk: a}
        store:
        \(store)
        """
    }

    @Test("absent: SQLite in the state directory, buffer 100,000")
    func defaults() throws {
        let config = try #require(TestSupport.load(Self.yaml("  {}")))
        #expect(config.store == StoreSettings(backend: .sqlite, buffer: 100_000))
    }

    @Test("postgres: the URL's parts, the password's source, reconcile and timeout")
    func postgres() throws {
        let config = try #require(TestSupport.load(Self.yaml("""
              backend: postgres
              url: postgres://sbc@127.0.0.1:5433/sbc
              password_env: SBC_STORE_PASSWORD
              reconcile_s: 3
              timeout_ms: 500
              buffer: 5000
            """)))
        #expect(config.store.buffer == 5000)
        let expected = PostgresStoreSettings(host: "127.0.0.1", port: 5433, user: "sbc", database: "sbc",
                                             password: .environment("SBC_STORE_PASSWORD"), reconcile: .seconds(3),
                                             timeout: .milliseconds(500))
        #expect(config.store.backend == .postgres(expected))
        #expect(expected.displayURL == "postgres://sbc@127.0.0.1:5433/sbc")
        let defaultPort = try #require(TestSupport.load(Self.yaml("""
              {backend: postgres, url: "postgresql://u@db.example/d", password_file: /run/pw}
            """)))
        guard case .postgres(let settings) = defaultPort.store.backend else { Issue.record("not postgres"); return }
        #expect(settings.port == 5432 && settings.host == "db.example" && settings.password == .file("/run/pw"))
    }

    @Test("mistakes name the key and never echo a password written in the URL",
          arguments: [
              ("  {backend: postgres, url: \"postgres://sbc:hunter2@h/d\", password_env: P}", "store.url", "must not hold a password"),
              ("  {backend: postgres, url: \"mysql://sbc@h/d\", password_env: P}", "store.url", "postgres://"),
              ("  {backend: postgres, url: \"postgres://h/d\", password_env: P}", "store.url", "needs a user"),
              ("  {backend: postgres, url: \"postgres://u@h:99999/d\", password_env: P}", "store.url", "1-65535"),
              ("  {backend: postgres, url: \"postgres://u@h/d\"}", "store.password", "needs one of"),
              ("  {backend: postgres, password_env: P}", "store.url", "is required"),
              ("  {url: \"postgres://u@h/d\"}", "store.url", "only with backend: postgres"),
              ("  {backend: mysql}", "store.backend", "sqlite, postgres"),
              ("  {buffer: 10}", "store.buffer", "1000-10000000"),
          ])
    func problems(store: String, keyPath: String, message: String) {
        TestSupport.expectSingleProblem(Self.yaml(store), keyPath: keyPath, line: 8, containing: message)
        let error = TestSupport.problems(Self.yaml(store)).map(\.description).joined()
        #expect(!error.contains("hunter2"))
    }

    @Test("a changed store waits for a restart; a reload keeps the running one")
    func reload() throws {
        let running = try #require(TestSupport.load(Self.yaml("  {}")))
        let loaded = try #require(TestSupport.load(Self.yaml(
            "  {backend: postgres, url: \"postgres://u@h/d\", password_env: P}")))
        let diff = ConfigurationDiff(running: running, loaded: loaded)
        #expect(diff.changes.map(\.description) == ["store changed (backend): restart_required"])
        #expect(diff.effective.store == running.store)
    }
}
