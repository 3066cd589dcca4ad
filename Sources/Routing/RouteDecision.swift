import SBCConfig

/// Where a new call goes: the matched route, its candidate trunks in configured order, and the
/// policy that governs failing over between them.
public struct RouteDecision: Sendable, Equatable {
    public var routeName: String
    public var candidates: [TrunkSettings]
    /// The trunk group when the route targets one; nil for a single trunk (no failover).
    public var group: TrunkGroupSettings?
    /// Mid-call failover applies to calls on this route.
    public var critical: Bool
    /// Outbound header profile replacing the trunk's own for calls on this route.
    public var profileOverride: String?

    public init(routeName: String, candidates: [TrunkSettings], group: TrunkGroupSettings? = nil,
                critical: Bool = false, profileOverride: String? = nil)
    {
        self.routeName = routeName
        self.candidates = candidates
        self.group = group
        self.critical = critical
        self.profileOverride = profileOverride
    }
}
