import Yams

/// What makes a trunk group try its next member (key `trunk_groups[].failover_on`).
///
/// Why a list of codes, classes and two events rather than "fail over on any error": most final
/// responses are about the callee, not the carrier. A 404 from one carrier is usually a 404 from
/// the next; trying them all multiplies post-dial delay. The operator lists what means "this
/// carrier cannot take the call now" for their carriers: 503 (and its `Retry-After`), 408, no
/// response at all (`timeout`) and an unreachable peer (`transport`), which are the default.
///
/// Some responses must never cause failover, and the loader refuses them:
/// - 486 Busy Here: the callee is busy; another carrier reaches the same busy line.
/// - 487 Request Terminated: the caller cancelled; failing over would place a call nobody wants.
/// - 401 and 407: challenges, answered by authenticating, not by changing carrier.
/// - every 6xx (global failure, RFC 3261 21.6): the callee refuses the call wherever it is tried.
/// A class (`4xx`) still includes 486/487/401/407 by number, so ``matches(status:)`` excludes them
/// whatever the configuration says.
public struct FailoverTriggers: Sendable, Equatable {
    /// Exact status codes, 300-699 (e.g. 503, 408).
    public var codes: Set<Int>
    /// Whole classes by their first digit: 4 (`4xx`) and 5 (`5xx`).
    public var classes: Set<Int>
    /// Fail over when the carrier does not answer: no provisional response within the trunk's
    /// `first_provisional_timeout_ms`, or the INVITE transaction times out (Timer B, 64 x T1).
    public var onTimeout: Bool
    /// Fail over when the request cannot be sent (ICMP unreachable, TCP connection refused or reset).
    public var onTransportError: Bool

    /// Creates triggers; with no arguments nothing triggers failover.
    public init(codes: Set<Int> = [], classes: Set<Int> = [], onTimeout: Bool = false,
                onTransportError: Bool = false) {
        self.codes = codes
        self.classes = classes
        self.onTimeout = onTimeout
        self.onTransportError = onTransportError
    }

    /// The default, `[503, timeout, transport]`: the carrier says it is unavailable, does not
    /// answer, or cannot be reached.
    public static let `default` = FailoverTriggers(codes: [503], onTimeout: true, onTransportError: true)

    /// Codes that never trigger failover, with the reason the loader gives when one is listed.
    public static let forbiddenCodes: [Int: String] = [
        401: "401 (Unauthorized) is a challenge for credentials, answered by authenticating, not by trying another carrier",
        407: "407 (Proxy Authentication Required) is a challenge for credentials, answered by authenticating, "
            + "not by trying another carrier",
        486: "486 (Busy Here) means the callee is busy; another carrier would only reach the same busy line",
        487: "487 (Request Terminated) means the caller cancelled; failing over would place a call nobody wants",
    ]

    /// Whether a final response with `status` should make the group try its next member.
    /// Never for 1xx/2xx, the ``forbiddenCodes`` or any 6xx, whatever was configured.
    public func matches(status: Int) -> Bool {
        guard (300...599).contains(status), Self.forbiddenCodes[status] == nil else { return false }
        return codes.contains(status) || classes.contains(status / 100)
    }
}

extension FailoverTriggers {
    /// What one list item may be, for messages.
    static let itemDescription = "a status code such as 503 or 408, a class 4xx or 5xx, timeout or transport"

    /// Reads `failover_on`: a non-empty list of items. Returns nil when absent (the default
    /// applies) or when any item is wrong (already reported).
    static func read(_ reader: MappingReader, _ key: String) -> FailoverTriggers? {
        guard let items = reader.sequence(key) else { return nil }
        let problems = reader.problems
        guard !items.isEmpty else {
            if !problems.hasProblem(at: reader.path(key)) {
                problems.report(reader.path(key), "must list at least one trigger (\(itemDescription)); a "
                    + "destination that should never fail over is a single trunk: route to it with trunk:")
            }
            return nil
        }
        var triggers = FailoverTriggers()
        var valid = true
        var seen: [String: Int] = [:]
        for (position, item) in items.enumerated() {
            guard let (normalized, apply) = parse(item.node, at: item.path, problems: problems) else {
                valid = false
                continue
            }
            if let earlier = seen[normalized] {
                problems.report(item.path, "\(normalized) is already listed at \(key)[\(earlier)]")
                continue
            }
            seen[normalized] = position
            apply(&triggers)
        }
        return valid ? triggers : nil
    }

    /// One item: its normalised spelling (for duplicate detection) and how it changes the triggers.
    private static func parse(_ node: Node, at path: String, problems: ProblemCollector)
        -> (String, (inout FailoverTriggers) -> Void)? {
        guard case let .scalar(scalar) = node, !MappingReader.isNull(node) else {
            problems.report(path, at: node.mark, "must be \(itemDescription), got \(MappingReader.describe(node))")
            return nil
        }
        let text = scalar.string.lowercased()
        switch text {
        case "timeout": return ("timeout", { $0.onTimeout = true })
        case "transport": return ("transport", { $0.onTransportError = true })
        case "4xx", "5xx": 
            let digit = text == "4xx" ? 4 : 5
            return (text, { $0.classes.insert(digit) })
        case "6xx":
            problems.report(path, at: node.mark, globalFailureReason("6xx"))
            return nil
        case "3xx":
            problems.report(path, at: node.mark, "3xx (redirections) cannot be a class trigger; list the "
                + "exact codes a carrier uses to refuse a call, such as 380")
            return nil
        default: break
        }
        guard let code = MappingReader.parseInteger(scalar.string) else {
            let hint = NameSuggester.hint(for: text, among: ["timeout", "transport", "4xx", "5xx"])
            problems.report(path, at: node.mark, "must be \(itemDescription), got \(MappingReader.describe(node))\(hint)")
            return nil
        }
        guard (300...699).contains(code) else {
            problems.report(path, at: node.mark,
                            "must be a final non-success status code 300-699, got \(MappingReader.describe(node))")
            return nil
        }
        if code >= 600 {
            problems.report(path, at: node.mark, globalFailureReason(String(code)))
            return nil
        }
        if let reason = forbiddenCodes[code] {
            problems.report(path, at: node.mark, "must never trigger failover: \(reason)")
            return nil
        }
        return (String(code), { $0.codes.insert(code) })
    }

    private static func globalFailureReason(_ what: String) -> String {
        "must never trigger failover: \(what) is a global failure (RFC 3261 21.6), the callee refuses the call "
            + "wherever it is tried, so no other carrier may be tried"
    }
}
