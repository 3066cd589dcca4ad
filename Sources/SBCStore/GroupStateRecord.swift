/// The persisted operator state of one trunk group: one row of `group_state`.
///
/// A forced failover is an operator decision ("send this group's traffic to the standby until I
/// say otherwise"); it must survive a restart, or a routine restart would silently put traffic
/// back on the carrier the operator moved it off.
public struct GroupStateRecord: Sendable, Equatable, Codable {
    /// Group name, as in the configuration (the primary key, column `group_name`).
    public var group: String
    /// The operator has forced traffic off the group's primary member.
    public var forcedFailover: Bool
    /// Who set (or cleared) the forced failover.
    public var actor: String?
    /// Why, as the operator gave it.
    public var reason: String?
    /// Read back only: the node whose API took the decision, and when it was saved (Unix
    /// seconds). Together they tell a cluster's nodes one decision from the next.
    public var node: String?
    public var updatedAt: Double?

    public init(group: String, forcedFailover: Bool, actor: String? = nil, reason: String? = nil, node: String? = nil,
                updatedAt: Double? = nil) {
        self.group = group
        self.forcedFailover = forcedFailover
        self.actor = actor
        self.reason = reason
        self.node = node
        self.updatedAt = updatedAt
    }
}
