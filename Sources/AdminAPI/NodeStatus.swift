/// One SBC node as `GET /api/v1/nodes` shows it: its heartbeat, its calls and its own view of
/// each trunk. A node with the SQLite store lists itself only; the nodes of a cluster list every
/// node with a heartbeat row in the shared database (docs/CLUSTER.md).
public struct NodeStatus: Codable, Sendable, Equatable {
    /// `node.name` of the node.
    public var name: String
    /// The node that answered this request.
    public var current: Bool
    /// Its heartbeat is at most 5 s old.
    public var alive: Bool
    /// Unix seconds of the last heartbeat; absent for the answering node without a shared store.
    public var heartbeatAt: Double?
    public var activeCalls: Int
    /// The node's admin API address, as it announced it.
    public var admin: String?
    public var version: String?
    /// The node's view of each trunk: carrier health is probed by every node on its own path.
    public var trunks: [NodeTrunkView]

    public init(name: String, current: Bool, alive: Bool, heartbeatAt: Double?, activeCalls: Int, admin: String?,
                version: String?, trunks: [NodeTrunkView]) {
        self.name = name
        self.current = current
        self.alive = alive
        self.heartbeatAt = heartbeatAt
        self.activeCalls = activeCalls
        self.admin = admin
        self.version = version
        self.trunks = trunks
    }
}

/// A trunk's state as one node sees it.
public struct NodeTrunkView: Codable, Sendable, Equatable {
    public var name: String
    /// `up`, `degraded`, `down`, `recovering`, `quarantined` or `locked`.
    public var state: String
    public var cause: String?
    /// Unix seconds: when the trunk entered `state` on that node.
    public var since: Double

    public init(name: String, state: String, cause: String?, since: Double) {
        self.name = name
        self.state = state
        self.cause = cause
        self.since = since
    }
}
