import Testing
import SBCConfig

/// The `alerts` section: the webhook and its delivery retries. Every problem case asserts the
/// exact key path and line.
@Suite("Alert configuration")
struct AlertConfigTests {
    /// `TestSupport.minimal` (11 lines) with `alerts:` at line 12 and `body` from line 13.
    static func yaml(_ body: String) -> String {
        TestSupport.minimal + "\nalerts:\n" + body
    }

    @Test("defaults: no webhook, 2000 ms timeout, 5 attempts, 500 ms backoff doubling")
    func defaults() throws {
        let alerts = try #require(TestSupport.load(TestSupport.minimal)?.alerts)
        #expect(alerts == AlertSettings())
        #expect(alerts.webhookURL == nil)
        #expect(alerts.timeout == .milliseconds(2000))
        #expect(alerts.maxAttempts == 5)
        #expect(alerts.backoff == .milliseconds(500))
        #expect((1...4).map { alerts.delay(beforeRetry: $0) }
            == [.milliseconds(500), .seconds(1), .seconds(2), .seconds(4)])
        #expect(SBCConfiguration().alerts == AlertSettings())
    }

    @Test("every key is read")
    func values() throws {
        let yaml = Self.yaml("""
              webhook_url: "https://hooks.example.com/services/T00/B00?channel=noc"
              timeout_ms: 1500
              max_attempts: 3
              backoff_ms: 250
            """)
        let alerts = try #require(TestSupport.load(yaml)?.alerts)
        #expect(alerts == AlertSettings(webhookURL: "https://hooks.example.com/services/T00/B00?channel=noc",
                                        timeout: .milliseconds(1500), maxAttempts: 3, backoff: .milliseconds(250)))
        let plain = try #require(TestSupport.load(Self.yaml("  webhook_url: http://127.0.0.1:9000/alerts"))?.alerts)
        #expect(plain.webhookURL == "http://127.0.0.1:9000/alerts")
    }

    @Test("alert problems name the key and the line", arguments: [
        ("  webhook_url: ftp://alerts.example.com/x", "alerts.webhook_url",
         "must be an http:// or https:// URL such as https://alerts.example.com/sbc, got "
            + "\"ftp://alerts.example.com/x\": it must start with http:// or https://"),
        ("  webhook_url: alerts.example.com", "alerts.webhook_url", "it must start with http:// or https://"),
        ("  webhook_url: \"https://\"", "alerts.webhook_url", "it has no host"),
        ("  webhook_url: \"https:///path\"", "alerts.webhook_url", "it has no host"),
        ("  webhook_url: \"https://a.example/x y\"", "alerts.webhook_url",
         "it must not contain spaces or control characters"),
        ("  webhook_url: [x]", "alerts.webhook_url", "must be a string, got a list"),
        ("  timeout_ms: 99", "alerts.timeout_ms", "must be an integer 100-60000 (milliseconds), got 99"),
        ("  max_attempts: 0", "alerts.max_attempts", "must be an integer 1-20, got 0"),
        ("  max_attempts: 21", "alerts.max_attempts", "must be an integer 1-20, got 21"),
        ("  backoff_ms: 5", "alerts.backoff_ms", "must be an integer 10-60000 (milliseconds), got 5"),
        ("  webhook: http://x", "alerts.webhook", "unknown key \"webhook\"; did you mean \"webhook_url\"?"),
    ])
    func problems(text: String, keyPath: String, message: String) {
        TestSupport.expectSingleProblem(Self.yaml(text), keyPath: keyPath, line: 13, containing: message)
    }

    @Test("the section must be a mapping")
    func notAMapping() {
        TestSupport.expectSingleProblem(TestSupport.minimal + "\nalerts: [x]", keyPath: "alerts", line: 12,
                                        containing: "must be a mapping of keys to values, got a list")
    }
}
