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

    public init(group: String, forcedFailover: Bool, actor: String? = nil, reason: String? = nil) {
        self.group = group
        self.forcedFailover = forcedFailover
        self.actor = actor
        self.reason = reason
    }
}
