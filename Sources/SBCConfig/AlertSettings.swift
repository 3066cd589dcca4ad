import Yams

/// Where trunk state changes are announced (YAML section `alerts`, optional).
///
/// Why a webhook: a carrier going down, a quarantine, an operator lock and a fail-back waiting for
/// approval are things a person must hear about at once, and every chat and paging system accepts
/// an HTTP POST. Delivery is retried with exponential backoff because the moment a carrier fails
/// is often a moment the network is unwell; alerts never block call handling.
public struct AlertSettings: Sendable, Equatable {
    /// The URL trunk state changes are POSTed to as JSON (key `webhook_url`, default none = no
    /// alerts): `http://` or `https://`, with a host. Why optional: a lab or a node watched only
    /// through `/metrics` needs none.
    public var webhookURL: String?

    /// How long one delivery attempt may take (key `timeout_ms`, default 2000 ms, range
    /// 100-60000). Why short: a hanging receiver must not hold back the next alert.
    public var timeout: Duration

    /// Most delivery attempts per alert, the first included (key `max_attempts`, default 5, range
    /// 1-20). With the default backoff, 5 attempts span about 7.5 s of retrying.
    public var maxAttempts: Int

    /// Wait before the first retry, doubled for each further retry (key `backoff_ms`, default 500 ms,
    /// range 10-60000): 500 ms, 1 s, 2 s, 4 s. Why doubling: a receiver that is down is not
    /// hammered, one that blipped gets the alert within a second.
    public var backoff: Duration

    public static let defaultTimeout: Duration = .milliseconds(2000)
    public static let defaultMaxAttempts = 5
    public static let defaultBackoff: Duration = .milliseconds(500)

    /// Creates alert settings; every argument defaults to the documented default.
    public init(webhookURL: String? = nil, timeout: Duration = AlertSettings.defaultTimeout,
                maxAttempts: Int = AlertSettings.defaultMaxAttempts,
                backoff: Duration = AlertSettings.defaultBackoff) {
        self.webhookURL = webhookURL
        self.timeout = timeout
        self.maxAttempts = maxAttempts
        self.backoff = backoff
    }

    /// The wait before retry number `retry` (1 for the first retry): ``backoff`` doubled per retry.
    public func delay(beforeRetry retry: Int) -> Duration {
        backoff * (1 << min(max(retry - 1, 0), 30))
    }
}

extension AlertSettings {
    /// The keys of the `alerts` section.
    static let keys = ["webhook_url", "timeout_ms", "max_attempts", "backoff_ms"]

    static let timeoutRange = 100...60_000
    static let maxAttemptsRange = 1...20
    static let backoffRange = 10...60_000

    /// Reads the `alerts` section; absent or null means all defaults.
    static func read(_ node: Node?, at path: String, problems: ProblemCollector) -> AlertSettings {
        var settings = AlertSettings()
        guard let reader = MappingReader(node, at: path, keys: keys, problems: problems) else { return settings }
        settings.webhookURL = readURL(reader)
        settings.timeout = reader.milliseconds("timeout_ms", in: timeoutRange) ?? settings.timeout
        settings.maxAttempts = reader.integer("max_attempts", in: maxAttemptsRange) ?? settings.maxAttempts
        settings.backoff = reader.milliseconds("backoff_ms", in: backoffRange) ?? settings.backoff
        return settings
    }

    /// `webhook_url`: `http://` or `https://`, a non-empty host, no spaces or control characters.
    private static func readURL(_ reader: MappingReader) -> String? {
        guard let text = reader.string("webhook_url") else { return nil }
        let lowered = text.lowercased()
        let scheme = ["https://", "http://"].first { lowered.hasPrefix($0) }
        let problem: String?
        if let scheme {
            let rest = text.dropFirst(scheme.count)
            let authority = rest.prefix { !"/?#".contains($0) }
            let host = authority.split(separator: "@").last.map(String.init) ?? ""
            if host.isEmpty || host.hasPrefix(":") {
                problem = "has no host"
            } else if text.contains(where: { $0.isWhitespace || ($0.asciiValue.map { $0 < 0x20 || $0 == 0x7F } ?? false) }) {
                problem = "must not contain spaces or control characters (percent-encode them)"
            } else {
                problem = nil
            }
        } else {
            problem = "must start with http:// or https://"
        }
        guard let problem else { return text }
        reader.problems.report(reader.path("webhook_url"),
                               "must be an http:// or https:// URL such as https://alerts.example.com/sbc, got "
                                   + "\(MappingReader.describe(.init(text))): it \(problem)")
        return nil
    }
}
