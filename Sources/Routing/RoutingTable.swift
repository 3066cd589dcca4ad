import SBCConfig
import SIPCore

/// Classifies where a request came from (which trunk, if any) and picks the route for a new call.
///
/// Built once from the configuration; the ingress check is a dictionary hit. Sources are
/// identified by IP and zone, not port: carriers and platforms send from ephemeral ports over
/// TCP and from several ports over UDP.
public struct RoutingTable: Sendable {
    private struct SourceKey: Hashable {
        var zone: String
        var address: String
    }

    private let trunksBySource: [SourceKey: TrunkSettings]
    private let matchers: [RouteMatcher]
    private let trunksByName: [String: TrunkSettings]
    private let groupsByName: [String: TrunkGroupSettings]
    public let unroutableStatus: Int

    public init(configuration: SBCConfiguration) {
        var bySource: [SourceKey: TrunkSettings] = [:]
        for trunk in configuration.trunks {
            let key = SourceKey(zone: trunk.zone, address: trunk.address)
            if bySource[key] == nil { bySource[key] = trunk }
        }
        trunksBySource = bySource
        matchers = configuration.routes.map(RouteMatcher.init)
        trunksByName = Dictionary(configuration.trunks.map { ($0.name, $0) }, uniquingKeysWith: { first, _ in first })
        groupsByName = Dictionary(configuration.trunkGroups.map { ($0.name, $0) },
                                  uniquingKeysWith: { first, _ in first })
        unroutableStatus = configuration.routing.unroutableStatus
    }

    /// The trunk a request from `address` on `zone` belongs to; nil for strangers (ingress ACL).
    public func sourceTrunk(zone: String, address: String) -> TrunkSettings? {
        trunksBySource[SourceKey(zone: zone, address: address)]
    }

    public func trunk(named name: String) -> TrunkSettings? { trunksByName[name] }
    public func group(named name: String) -> TrunkGroupSettings? { groupsByName[name] }
    public var allTrunks: [TrunkSettings] { trunksByName.values.sorted { $0.name < $1.name } }
    public var allGroups: [TrunkGroupSettings] { groupsByName.values.sorted { $0.name < $1.name } }

    /// A trunk in any `sticky` group waits for an operator before it takes traffic back.
    public func failBackPolicy(of trunk: String) -> FailBackPolicy {
        groupsByName.values.contains { $0.failBack == .sticky && $0.members.contains(trunk) } ? .sticky : .auto
    }

    /// First matching route wins; a route with no match keys matches everything.
    public func route(from source: TrunkSettings, request: SIPMessage) -> RouteDecision? {
        for matcher in matchers where matcher.matches(source: source, request: request) {
            let route = matcher.route
            if let name = route.trunk, let trunk = trunksByName[name] {
                return RouteDecision(routeName: route.name, candidates: [trunk], critical: route.critical,
                                     profileOverride: route.profile)
            }
            if let name = route.trunkGroup, let group = groupsByName[name] {
                let members = group.members.compactMap { trunksByName[$0] }
                guard !members.isEmpty else { continue }
                return RouteDecision(routeName: route.name, candidates: members, group: group,
                                     critical: route.critical, profileOverride: route.profile)
            }
        }
        return nil
    }
}
