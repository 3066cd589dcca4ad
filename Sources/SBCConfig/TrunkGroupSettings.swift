import Yams

/// How a trunk group picks among its members (key `trunk_groups[].strategy`).
public enum TrunkGroupStrategy: String, Sendable, Equatable, CaseIterable {
    /// Active/standby in member order (the default and, for now, the only strategy): every call
    /// goes to the first member that is up, and fails over down the list on 503, 408/timeout and
    /// transport errors.
    ///
    /// Why only this one: carrier contracts are usually primary/secondary with committed volumes
    /// on the primary; load sharing strategies will be added as new cases, and configs written
    /// today keep their meaning because the key is explicit.
    case priority
}

/// An ordered set of trunks used together as one route destination, for failover
/// (YAML list `trunk_groups`, optional).
public struct TrunkGroupSettings: Sendable, Equatable {
    /// Unique group name (key `name`, required), referenced by `routes[].trunk_group`.
    public var name: String

    /// How members are chosen (key `strategy`, default `priority`).
    public var strategy: TrunkGroupStrategy

    /// Trunk names in priority order (key `members`, required, at least one; each must be a
    /// defined trunk, listed once). Order is meaningful: with `priority` the first is the primary.
    public var members: [String]

    /// Creates a group; the strategy defaults to `priority`.
    public init(name: String, strategy: TrunkGroupStrategy = .priority, members: [String]) {
        self.name = name
        self.strategy = strategy
        self.members = members
    }
}

extension TrunkGroupSettings {
    /// The keys of one `trunk_groups` entry.
    static let keys = ["name", "strategy", "members"]

    /// Reads one entry of `trunk_groups`. Always returns a value so that list indexes in later
    /// problems keep matching the file. Whether members exist and are unique is checked by
    /// ``ConfigValidator``, which knows all trunks.
    static func read(_ node: Node, at path: String, problems: ProblemCollector) -> TrunkGroupSettings {
        var group = TrunkGroupSettings(name: "", members: [])
        guard let reader = MappingReader(node, at: path, keys: keys, problems: problems) else {
            if MappingReader.isNull(node) {
                problems.report(path, at: node.mark, "is empty; a trunk group needs name and members")
            }
            return group
        }
        group.name = reader.name("trunk group")
        group.strategy = reader.choice("strategy") ?? group.strategy
        if reader.require("members", "the trunk names, in priority order") {
            group.members = reader.stringList("members") ?? []
            if group.members.isEmpty, case .sequence? = reader.value("members") {
                problems.report(reader.path("members"), "must list at least one trunk")
            }
        }
        return group
    }
}
