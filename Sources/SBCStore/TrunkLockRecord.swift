/// An operator's lock or unlock of a trunk as cluster-wide intent: one row of `trunk_locks`.
///
/// Why separate from the trunk's state row: with several nodes each keeps its own view of a
/// trunk's health (`node_trunk_state`), but a lock is the operator's decision about the trunk,
/// which every node must apply. Only operator commands write this row; a node applying a lock it
/// learnt from the cluster does not, so two nodes can never echo a stale decision back.
public struct TrunkLockRecord: Sendable, Equatable {
    public var trunk: String
    public var locked: Bool
    public var actor: String?
    public var reason: String?
    /// The node whose API took the command (nil in a record built before it is saved).
    public var node: String?
    /// When the command was taken (Unix seconds): with `node`, what tells one decision from the next.
    public var updatedAt: Double

    public init(trunk: String, locked: Bool, actor: String?, reason: String?, node: String? = nil, updatedAt: Double) {
        self.trunk = trunk
        self.locked = locked
        self.actor = actor
        self.reason = reason
        self.node = node
        self.updatedAt = updatedAt
    }
}
