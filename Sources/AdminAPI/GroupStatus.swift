/// One trunk group as the admin API shows it, returned by the failover and fail-back actions so
/// the operator sees the group's resulting state in the same response.
public struct GroupStatus: Codable, Sendable, Equatable {
    public var name: String
    /// Candidate ordering (`priority`, `weighted`).
    public var strategy: String
    /// Fail-back policy (`automatic`, `manual`).
    public var failBack: String
    /// An operator forced traffic off the preferred member(s).
    public var forcedFailover: Bool
    public var members: [String]
    /// Members healthy again but waiting for an operator's fail-back approval.
    public var awaitingApproval: [String]
    /// The activation version in effect (0: configuration order) and the member it puts first
    /// (docs/ACTIVATION.md).
    public var activationVersion: Int?
    public var firstMember: String?

    public init(
        name: String,
        strategy: String,
        failBack: String,
        forcedFailover: Bool,
        members: [String],
        awaitingApproval: [String] = [],
        activationVersion: Int? = nil,
        firstMember: String? = nil
    ) {
        self.name = name
        self.strategy = strategy
        self.failBack = failBack
        self.forcedFailover = forcedFailover
        self.members = members
        self.awaitingApproval = awaitingApproval
        self.activationVersion = activationVersion
        self.firstMember = firstMember
    }
}
