/// One node of a cluster as its heartbeat row says (`cluster_nodes`), with its view of each
/// trunk (`node_trunk_state`): what `GET /api/v1/nodes` shows.
public struct ClusterNodeStatus: Sendable, Equatable {
    public var node: String
    public var startedAt: Double
    public var heartbeatAt: Double
    public var activeCalls: Int
    /// The node's admin API address, as it announced it.
    public var admin: String?
    public var version: String?
    /// The node's own view of each trunk (health is probed per node), by trunk name.
    public var trunks: [TrunkStateRecord]

    public init(node: String, startedAt: Double, heartbeatAt: Double, activeCalls: Int, admin: String?,
                version: String?, trunks: [TrunkStateRecord] = []) {
        self.node = node
        self.startedAt = startedAt
        self.heartbeatAt = heartbeatAt
        self.activeCalls = activeCalls
        self.admin = admin
        self.version = version
        self.trunks = trunks
    }
}

/// The operator decisions every node of a cluster applies: trunk locks, group decisions
/// (forced failover, fail-back approval) and every group's activation versions, as stored.
public struct ClusterDecisions: Sendable, Equatable {
    public var trunkLocks: [TrunkLockRecord]
    public var groups: [GroupStateRecord]
    public var activations: [ActivationRecord]

    public init(trunkLocks: [TrunkLockRecord], groups: [GroupStateRecord], activations: [ActivationRecord]) {
        self.trunkLocks = trunkLocks
        self.groups = groups
        self.activations = activations
    }
}
