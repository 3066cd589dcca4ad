import SBCConfig

/// Where a new call goes: the matched route and its candidate trunks in the order they are to
/// be tried. Per-call failover walks `candidates`; today the first one is used.
public struct RouteDecision: Sendable, Equatable {
    public var routeName: String
    public var candidates: [TrunkSettings]

    public init(routeName: String, candidates: [TrunkSettings]) {
        self.routeName = routeName
        self.candidates = candidates
    }
}
