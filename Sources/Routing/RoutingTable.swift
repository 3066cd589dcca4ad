import SBCConfig

/// Classifies where a request came from (which trunk, if any) and picks the route for a new call.
///
/// Built once from the configuration; lookups are dictionary hits so that the ingress check costs
/// nothing measurable per request. Sources are identified by IP and zone, not port: carriers and
/// platforms send from ephemeral ports over TCP and from several ports over UDP.
public struct RoutingTable: Sendable {
    private struct SourceKey: Hashable {
        var zone: String
        var address: String
    }

    private let trunksBySource: [SourceKey: TrunkSettings]
    private let routes: [RouteSettings]
    private let trunksByName: [String: TrunkSettings]
    private let groupsByName: [String: TrunkGroupSettings]

    public init(configuration: SBCConfiguration) {
        var bySource: [SourceKey: TrunkSettings] = [:]
        for trunk in configuration.trunks {
            let key = SourceKey(zone: trunk.zone, address: trunk.address)
            if bySource[key] == nil { bySource[key] = trunk }
        }
        trunksBySource = bySource
        routes = configuration.routes
        trunksByName = Dictionary(configuration.trunks.map { ($0.name, $0) }, uniquingKeysWith: { first, _ in first })
        groupsByName = Dictionary(configuration.trunkGroups.map { ($0.name, $0) },
                                  uniquingKeysWith: { first, _ in first })
    }

    /// The trunk a request from `address` on `zone` belongs to; nil for strangers (ingress ACL).
    public func sourceTrunk(zone: String, address: String) -> TrunkSettings? {
        trunksBySource[SourceKey(zone: zone, address: address)]
    }

    public func trunk(named name: String) -> TrunkSettings? { trunksByName[name] }

    /// First matching route wins; a route with no match keys matches everything.
    public func route(from source: TrunkSettings, requestUser: String?) -> RouteDecision? {
        for route in routes where matches(route, source: source, requestUser: requestUser) {
            if let name = route.trunk, let trunk = trunksByName[name] {
                return RouteDecision(routeName: route.name, candidates: [trunk])
            }
            if let name = route.trunkGroup, let group = groupsByName[name] {
                let members = group.members.compactMap { trunksByName[$0] }
                guard !members.isEmpty else { continue }
                return RouteDecision(routeName: route.name, candidates: members)
            }
        }
        return nil
    }

    private func matches(_ route: RouteSettings, source: TrunkSettings, requestUser: String?) -> Bool {
        if let trunk = route.fromTrunk, trunk != source.name { return false }
        if let zone = route.fromZone, zone != source.zone { return false }
        if let prefix = route.requestUserPrefix, !(requestUser ?? "").hasPrefix(prefix) { return false }
        return true
    }
}
