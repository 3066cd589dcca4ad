import Yams

/// Per-source request rate limit for addresses that are no trunk's (key `security.rate_limit`),
/// in the manner of Kamailio's `pike`: a source that sends more than `requests_per_s` (with
/// `burst` of slack) is blocked for `block_s`: its packets are dropped unanswered and counted.
///
/// Why only strangers: every request from them is refused anyway (403 or silence), and a
/// scanner or flood must not cost the SBC a parse and an answer per packet. Trunks are never
/// blocked: their excess is refused by overload control with 503 and Retry-After, which a
/// carrier or platform understands, where silence would look like a dead SBC.
public struct RateLimitSettings: Sendable, Equatable {
    /// Sustained requests per second allowed from one address (key `requests_per_s`, default 20,
    /// range 0-1000000; 0 turns the limit off).
    public var requestsPerSecond: Int
    /// Requests allowed at once above the sustained rate (key `burst`, default 40, range 1-1000000).
    public var burst: Int
    /// How long a source that went over stays blocked (key `block_s`, default 60, range 1-86400).
    public var blockDuration: Duration

    public static let defaultRequestsPerSecond = 20
    public static let defaultBurst = 40
    public static let defaultBlockDuration: Duration = .seconds(60)

    public init(requestsPerSecond: Int = RateLimitSettings.defaultRequestsPerSecond,
                burst: Int = RateLimitSettings.defaultBurst,
                blockDuration: Duration = RateLimitSettings.defaultBlockDuration) {
        self.requestsPerSecond = requestsPerSecond
        self.burst = burst
        self.blockDuration = blockDuration
    }

    public var isEnabled: Bool { requestsPerSecond > 0 }
}

extension RateLimitSettings {
    static let keys = ["requests_per_s", "burst", "block_s"]

    /// Reads `security.rate_limit`; absent or null means the defaults.
    static func read(_ node: Node?, at path: String, problems: ProblemCollector) -> RateLimitSettings {
        var settings = RateLimitSettings()
        guard let reader = MappingReader(node, at: path, keys: keys, problems: problems) else { return settings }
        settings.requestsPerSecond = reader.integer("requests_per_s", in: 0...1_000_000) ?? settings.requestsPerSecond
        settings.burst = reader.integer("burst", in: 1...1_000_000) ?? settings.burst
        settings.blockDuration = reader.seconds("block_s", in: 1...86_400) ?? settings.blockDuration
        return settings
    }
}
