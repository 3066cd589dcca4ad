import Yams

/// What happens to traffic from an address that is not a configured trunk (key
/// `security.unknown_source`).
public enum UnknownSourcePolicy: String, Sendable, Equatable, CaseIterable {
    /// Answer requests with `403 Forbidden` (the default). Why the default:
    /// a misconfigured but legitimate peer (a carrier that added a new signalling address) gets a
    /// clear answer that shows up in its logs and in ours, instead of timing out mysteriously.
    case reject
    /// Drop silently. Why offer it: on an interface exposed to the internet, answering every
    /// scanner (SIPVicious and friends) confirms that a SIP service is there and costs bandwidth;
    /// silence makes the SBC look like a closed port.
    case drop
}

/// Admission of traffic (YAML section `security`).
///
/// Why a section for one key: this is where access control grows (rate limits per source, allowed
/// methods per zone), and keeping security-relevant keys together makes them easy to audit in
/// review. The base rule is not configurable: only configured trunks may send requests, matched by
/// source IP address; this section decides only how the SBC treats everyone else.
public struct SecuritySettings: Sendable, Equatable {
    /// Treatment of requests from addresses that are no trunk's (key `unknown_source`, default
    /// `reject`, which answers 403). Requests from unknown sources are never routed, whatever this
    /// says; the choice is between a visible refusal and silence.
    public var unknownSource: UnknownSourcePolicy

    /// What the SBC calls itself in `Server` (responses) and `User-Agent` (its own requests)
    /// (key `server_header`, default `SwiftSBC`; an empty string sends neither header). Why no
    /// version by default: scanners (SIPVicious `svmap`) fingerprint versions to pick exploits, and
    /// peers need none of it; a carrier that insists on a product token gets the one configured.
    public var serverHeader: String?

    public static let defaultServerHeader = "SwiftSBC"

    /// Per-source rate limit for addresses that are no trunk's (key `rate_limit`, see
    /// ``RateLimitSettings``; on by default).
    public var rateLimit = RateLimitSettings()

    /// Creates security settings; `unknownSource` defaults to `.reject`.
    public init(unknownSource: UnknownSourcePolicy = .reject, serverHeader: String? = SecuritySettings.defaultServerHeader) {
        self.unknownSource = unknownSource
        self.serverHeader = serverHeader
    }

    /// The SIP status code sent to a request from an unknown source, or nil when it is dropped.
    public var unknownSourceStatus: Int? {
        switch unknownSource {
        case .reject: 403
        case .drop: nil
        }
    }
}

extension SecuritySettings {
    /// The keys of the `security` section.
    static let keys = ["unknown_source", "server_header", "rate_limit"]

    /// Reads the `security` section; absent or null means all defaults.
    static func read(_ node: Node?, at path: String, problems: ProblemCollector) -> SecuritySettings {
        var settings = SecuritySettings()
        guard let reader = MappingReader(node, at: path, keys: keys, problems: problems) else { return settings }
        settings.unknownSource = reader.choice("unknown_source") ?? settings.unknownSource
        if let header = reader.messageText("server_header") {
            settings.serverHeader = header.isEmpty ? nil : header
        }
        settings.rateLimit = RateLimitSettings.read(reader.value("rate_limit"), at: reader.path("rate_limit"),
                                                    problems: problems)
        return settings
    }
}
