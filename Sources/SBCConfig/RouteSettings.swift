import Yams

/// One routing rule: which calls it matches and where they go (YAML list `routes`, first match
/// wins).
///
/// Why an ordered list with "first match wins" rather than longest-match: operators read a route
/// table top to bottom, and the order in the file is then the whole truth. The loader rejects
/// routes that an earlier route makes unreachable, which is the mistake this model invites.
///
/// A route matches a new call (initial INVITE or out-of-dialog request) when every match key it has
/// is satisfied; a route with no match keys is a default route, which matches every call and so
/// may only be the last route.
public struct RouteSettings: Sendable, Equatable {
    /// Where a route sends matching calls: exactly one of a trunk or a trunk group.
    public enum Target: Sendable, Equatable, Hashable {
        case trunk(String)
        case trunkGroup(String)
    }

    /// Unique route name (key `name`, required), shown in logs and CDRs as the route taken.
    public var name: String

    /// Match calls arriving from this trunk (key `from_trunk`, optional, must exist).
    public var fromTrunk: String?

    /// Match calls arriving in this zone from any of its trunks (key `from_zone`, optional, must
    /// exist). With `from_trunk`, the trunk must be in this zone.
    public var fromZone: String?

    /// Match calls whose Request-URI user part starts with this text (key `request_user_prefix`,
    /// optional), e.g. `+1999` for the critical lines. Compared literally, case-sensitively.
    public var requestUserPrefix: String?

    /// Match calls whose Request-URI user part contains a match of this regular expression (key
    /// `request_user_regex`, optional, Swift `Regex` syntax, compiled at load). Searched, not
    /// anchored: `^\+1999\d{7}$` for a whole number. With `request_user_prefix`, both must match.
    public var requestUserRegex: String?

    /// Match calls whose From URI user part (the caller) starts with this text (key
    /// `from_user_prefix`, optional), compared literally like `request_user_prefix`.
    public var fromUserPrefix: String?

    /// Match calls whose From URI user part contains a match of this regular expression (key
    /// `from_user_regex`, optional; searched, not anchored).
    public var fromUserRegex: String?

    /// Match calls by a header of the request (key `header`, optional), e.g. the skill the platform
    /// puts in `X-Skill`: `{name: X-Skill, equals: billing}`.
    public var header: HeaderMatch?

    /// Calls on this route are critical lines (key `critical`, default false): mid-call failover is
    /// on for them, so when their carrier fails during the call (503 to a re-INVITE, media stops,
    /// dialog dies) the B-leg is re-originated on the next member of the group. Why not for every
    /// call: re-originating costs a second carrier call leg and may briefly interrupt media, which
    /// only calls that must not drop justify. The triggers are the group's `mid_call_failover`; a
    /// critical route to a single trunk is refused by ``ConfigValidator`` (nothing to fail over to).
    public var critical: Bool

    /// Header profile for calls on this route (key `profile`, optional, must exist). It replaces the
    /// outbound `profile` of whichever trunk the call is sent to, including after failover: for
    /// routes whose calls need other identity headers than the carrier's usual ones.
    public var profile: String?

    /// Destination trunk group (key `trunk_group`; exactly one of `trunk_group` and `trunk`).
    public var trunkGroup: String?

    /// Destination trunk (key `trunk`; exactly one of `trunk_group` and `trunk`).
    public var trunk: String?

    /// Creates a route; every match key and both destinations default to absent, `critical` to false.
    public init(name: String, fromTrunk: String? = nil, fromZone: String? = nil,
                requestUserPrefix: String? = nil, requestUserRegex: String? = nil,
                fromUserPrefix: String? = nil, fromUserRegex: String? = nil, header: HeaderMatch? = nil,
                critical: Bool = false, profile: String? = nil,
                trunkGroup: String? = nil, trunk: String? = nil) {
        self.name = name
        self.fromTrunk = fromTrunk
        self.fromZone = fromZone
        self.requestUserPrefix = requestUserPrefix
        self.requestUserRegex = requestUserRegex
        self.fromUserPrefix = fromUserPrefix
        self.fromUserRegex = fromUserRegex
        self.header = header
        self.critical = critical
        self.profile = profile
        self.trunkGroup = trunkGroup
        self.trunk = trunk
    }

    /// True when the route has no match keys and therefore matches every call. `critical` and
    /// `profile` are not match keys.
    public var isDefault: Bool {
        fromTrunk == nil && fromZone == nil && requestUserPrefix == nil && requestUserRegex == nil
            && fromUserPrefix == nil && fromUserRegex == nil && header == nil
    }

    /// The destination; nil only for a route built in code with neither or both destinations
    /// (a loaded configuration always has exactly one).
    public var target: Target? {
        switch (trunk, trunkGroup) {
        case let (trunk?, nil): .trunk(trunk)
        case let (nil, group?): .trunkGroup(group)
        default: nil
        }
    }

    /// Whether this route matches every call that `later` matches, given where each trunk is
    /// (`zoneOfTrunk`), in which case `later` can never be reached if it comes after this one.
    /// A route with a placeholder (empty) match key, left by a value already reported, shadows
    /// nothing: its real meaning is unknown.
    func shadows(_ later: RouteSettings, zoneOfTrunk: (String) -> String?) -> Bool {
        if [fromTrunk, fromZone, requestUserPrefix, requestUserRegex, fromUserPrefix, fromUserRegex]
            .contains("") || header?.name == "" { return false }
        if let fromTrunk, later.fromTrunk != fromTrunk { return false }
        if let fromZone {
            let laterZone = later.fromZone ?? later.fromTrunk.flatMap(zoneOfTrunk)
            if laterZone != fromZone { return false }
        }
        if let requestUserPrefix {
            guard let laterPrefix = later.requestUserPrefix, laterPrefix.hasPrefix(requestUserPrefix) else {
                return false
            }
        }
        if let fromUserPrefix {
            guard let laterPrefix = later.fromUserPrefix, laterPrefix.hasPrefix(fromUserPrefix) else { return false }
        }
        // What a regex matches cannot be compared in general; only the identical pattern is known
        // to match everything the later route's does.
        if let requestUserRegex, later.requestUserRegex != requestUserRegex { return false }
        if let fromUserRegex, later.fromUserRegex != fromUserRegex { return false }
        if let header {
            guard let laterHeader = later.header, header.covers(laterHeader) else { return false }
        }
        return true
    }
}

extension RouteSettings {
    /// The keys of one `routes` entry.
    static let keys = ["name", "from_trunk", "from_zone", "request_user_prefix", "request_user_regex",
                       "from_user_prefix", "from_user_regex", "header", "critical", "profile",
                       "trunk_group", "trunk"]

    /// Reads one entry of `routes`. Always returns a value so that list indexes in later problems
    /// keep matching the file. References, the one-destination rule and reachability are checked by
    /// ``ConfigValidator``, which sees the whole table.
    static func read(_ node: Node, at path: String, problems: ProblemCollector) -> RouteSettings {
        var route = RouteSettings(name: "")
        guard let reader = MappingReader(node, at: path, keys: keys, problems: problems) else {
            if MappingReader.isNull(node) {
                problems.report(path, at: node.mark, "is empty; a route needs name and trunk or trunk_group")
            }
            return route
        }
        route.name = reader.name("route")
        route.fromTrunk = reader.stringOrPlaceholder("from_trunk")
        route.fromZone = reader.stringOrPlaceholder("from_zone")
        route.requestUserPrefix = readUserPrefix(reader, "request_user_prefix", "a Request-URI user part such as +1999")
        route.fromUserPrefix = readUserPrefix(reader, "from_user_prefix", "a From user part such as +4420")
        // A wrong regex leaves an empty placeholder: the route still has that match key.
        if reader.value("request_user_regex") != nil {
            route.requestUserRegex = reader.regex("request_user_regex") ?? ""
        }
        if reader.value("from_user_regex") != nil {
            route.fromUserRegex = reader.regex("from_user_regex") ?? ""
        }
        route.header = HeaderMatch.read(reader, "header")
        route.critical = reader.boolean("critical") ?? route.critical
        route.profile = reader.stringOrPlaceholder("profile")
        route.trunkGroup = reader.stringOrPlaceholder("trunk_group")
        route.trunk = reader.stringOrPlaceholder("trunk")
        return route
    }

    /// A literal user-part prefix: the placeholder "" when present but wrong (reported).
    private static func readUserPrefix(_ reader: MappingReader, _ key: String, _ example: String) -> String? {
        guard let prefix = reader.stringOrPlaceholder(key) else { return nil }
        if !isUserPrefix(prefix), !reader.problems.hasProblem(at: reader.path(key)) {
            reader.problems.report(reader.path(key),
                                   "must be the start of \(example) (no spaces, '@', ':', '<', '>' or quotes), "
                                       + "got \(MappingReader.describe(.init(prefix)))")
            return ""
        }
        return prefix
    }

    /// Non-empty printable ASCII without the characters that end a SIP user part.
    static func isUserPrefix(_ text: String) -> Bool {
        !text.isEmpty && text.unicodeScalars.allSatisfy { scalar in
            scalar.value > 0x20 && scalar.value < 0x7F && !"@:<>\"".unicodeScalars.contains(scalar)
        }
    }
}
