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

    /// Destination trunk group (key `trunk_group`; exactly one of `trunk_group` and `trunk`).
    public var trunkGroup: String?

    /// Destination trunk (key `trunk`; exactly one of `trunk_group` and `trunk`).
    public var trunk: String?

    /// Creates a route; every match key and both destinations default to absent.
    public init(name: String, fromTrunk: String? = nil, fromZone: String? = nil,
                requestUserPrefix: String? = nil, trunkGroup: String? = nil, trunk: String? = nil) {
        self.name = name
        self.fromTrunk = fromTrunk
        self.fromZone = fromZone
        self.requestUserPrefix = requestUserPrefix
        self.trunkGroup = trunkGroup
        self.trunk = trunk
    }

    /// True when the route has no match keys and therefore matches every call.
    public var isDefault: Bool {
        fromTrunk == nil && fromZone == nil && requestUserPrefix == nil
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
        if [fromTrunk, fromZone, requestUserPrefix].contains("") { return false }
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
        return true
    }
}

extension RouteSettings {
    /// The keys of one `routes` entry.
    static let keys = ["name", "from_trunk", "from_zone", "request_user_prefix", "trunk_group", "trunk"]

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
        if let prefix = reader.stringOrPlaceholder("request_user_prefix") {
            route.requestUserPrefix = prefix
            if !isUserPrefix(prefix), !problems.hasProblem(at: reader.path("request_user_prefix")) {
                problems.report(reader.path("request_user_prefix"),
                                "must be the start of a Request-URI user part such as +1999 "
                                    + "(no spaces, '@', ':', '<', '>' or quotes), got \(MappingReader.describe(.init(prefix)))")
            }
        }
        route.trunkGroup = reader.stringOrPlaceholder("trunk_group")
        route.trunk = reader.stringOrPlaceholder("trunk")
        return route
    }

    /// Non-empty printable ASCII without the characters that end a SIP user part.
    static func isUserPrefix(_ text: String) -> Bool {
        !text.isEmpty && text.unicodeScalars.allSatisfy { scalar in
            scalar.value > 0x20 && scalar.value < 0x7F && !"@:<>\"".unicodeScalars.contains(scalar)
        }
    }
}
