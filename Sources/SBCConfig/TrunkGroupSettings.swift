import Yams

/// How a trunk group picks among its members (key `trunk_groups[].strategy`).
public enum TrunkGroupStrategy: String, Sendable, Equatable, CaseIterable {
    /// Active/standby in member order (the default): every call goes to the first member that is
    /// available, and fails over down the list on the group's `failover_on` triggers.
    ///
    /// Why the default: carrier contracts are usually primary/secondary with committed volumes on
    /// the primary, and the field guides ask for deterministic failover, which round-robin does
    /// not give during a partial outage.
    case priority
    /// Load sharing: each call's first member is drawn at random in proportion to `weights` among
    /// the available members; on a failover trigger the call tries the remaining members, again by
    /// weight. For contracts that split volume between carriers (70/30).
    case weighted
}

/// A set of trunks used together as one route destination, for failover and load sharing
/// (YAML list `trunk_groups`, optional).
///
/// Why failover and Retry-After settings live on the group and not on the trunk: they describe
/// what the group does when one member refuses a call (try the next, or not; keep it out of
/// rotation for how long), which only makes sense where there is a next member.
public struct TrunkGroupSettings: Sendable, Equatable {
    /// Unique group name (key `name`, required), referenced by `routes[].trunk_group`.
    public var name: String

    /// How members are chosen (key `strategy`, default `priority`).
    public var strategy: TrunkGroupStrategy

    /// Trunk names in priority order (key `members`, required, at least one; each must be a
    /// defined trunk, listed once). Order is meaningful: with `priority` the first is the primary.
    public var members: [String]

    /// Weight of each member, 1-1000 (key `weights`, a mapping member name -> weight). Required for
    /// every member with `strategy: weighted` and refused with any other strategy, so that a weight
    /// never silently does nothing. When the key is absent every member has weight 1, and this
    /// dictionary says so explicitly (use ``weight(of:)`` to read it).
    public var weights: [String: Int]

    /// Which outcomes of an attempt make the call try the next member (key `failover_on`, default
    /// `[503, timeout, transport]`). See ``FailoverTriggers`` for the codes that are refused.
    public var failoverOn: FailoverTriggers

    /// Shortest quarantine after a 503 with `Retry-After` (key `retry_after_min_s`, default 5 s,
    /// range 0-3600): a member that answers `Retry-After: 0` or `1` is still left alone this long,
    /// so one bad reply cannot make the SBC hammer a carrier that is recovering.
    public var retryAfterMin: Duration

    /// Longest quarantine (key `retry_after_max_s`, default 3600 s, range 0-86400, at least
    /// `retry_after_min_s`): a carrier that answers `Retry-After: 86400` by mistake is tried again
    /// after this instead of being lost for a day.
    public var retryAfterMax: Duration

    /// Quarantine after a 503 without `Retry-After` (key `retry_after_default_s`, default 0 = none,
    /// range 0-86400; when not 0 it must lie within min-max). Why 0: RFC 3261 gives no backoff for a
    /// bare 503, and the passive failure threshold of the trunk already takes a carrier that keeps
    /// failing out of rotation.
    public var retryAfterDefault: Duration

    /// Whether a recovered member takes traffic back by itself (key `fail_back`, default `auto`)
    /// or waits for an operator (`sticky`). See ``FailBackPolicy``; the recovery hold and probation
    /// are per trunk (`trunks[].health`).
    public var failBack: FailBackPolicy

    /// When and how calls on critical routes re-originate their carrier leg mid-call (key
    /// `mid_call_failover`, default: every trigger on, see ``MidCallFailoverSettings``).
    public var midCallFailover: MidCallFailoverSettings

    /// Whether a call may still fail over to the next member after the attempt in progress played
    /// early media to the caller (key `failover_after_early_media`, default false). Why false: the
    /// caller may have heard the first network's announcement or ringing, and then a second
    /// network rings; turn it on only where the members' early media is known to be plain ringing.
    /// A member whose `early_media` is not `relay` never plays early media, so its calls can always
    /// fail over.
    public var failoverAfterEarlyMedia = false

    /// Settings in which members may differ without a warning from the consistency lint (key
    /// `allow_differences`, a list of `codecs`, `srtp`, `transport`, `100rel`, `early_media`,
    /// `dtmf`; default none). Why: members that disagree are the leading cause of failover
    /// failure (``TrunkGroupConsistency``), so every difference is reported unless the operator
    /// says it is deliberate (and, in a comment, why).
    public var allowedDifferences: Set<GroupDifference> = []

    /// Cooling period and drain check of operator activations (key `activation`, see
    /// ``GroupActivationSettings``).
    public var activation = GroupActivationSettings()

    /// A last-resort trunk (an announcement server or an overflow carrier) tried when every
    /// member failed over or was unselectable, instead of a bare 503 to the platform (key
    /// `overflow`, a trunk name, optional; it must be a defined trunk that is not a member).
    /// Calls that reach it are marked `overflow` in their CDR attempts (docs/ACTIVATION.md).
    public var overflow: String?

    /// How fresh a passing DID validation of a member must be before an activation may move
    /// traffic to it (key `require_validation: {max_age_s: N}`, optional, range 60-31536000;
    /// docs/VALIDATION.md). Nil: activations need no validation.
    public var requireValidation: Duration?

    public static let defaultRetryAfterMin: Duration = .seconds(5)
    public static let defaultRetryAfterMax: Duration = .seconds(3600)
    public static let defaultRetryAfterDefault: Duration = .zero

    /// Creates a group. `weights` nil (the default) gives every member weight 1; the other
    /// arguments default to the documented defaults.
    public init(name: String, strategy: TrunkGroupStrategy = .priority, members: [String],
                weights: [String: Int]? = nil,
                failoverOn: FailoverTriggers = .default,
                retryAfterMin: Duration = TrunkGroupSettings.defaultRetryAfterMin,
                retryAfterMax: Duration = TrunkGroupSettings.defaultRetryAfterMax,
                retryAfterDefault: Duration = TrunkGroupSettings.defaultRetryAfterDefault,
                failBack: FailBackPolicy = .auto, midCallFailover: MidCallFailoverSettings = .init()) {
        self.name = name
        self.strategy = strategy
        self.members = members
        self.weights = weights ?? Self.equalWeights(members)
        self.failoverOn = failoverOn
        self.retryAfterMin = retryAfterMin
        self.retryAfterMax = retryAfterMax
        self.retryAfterDefault = retryAfterDefault
        self.failBack = failBack
        self.midCallFailover = midCallFailover
    }

    /// The weight of `member` (1 for a member without one, which only a group built in code has).
    public func weight(of member: String) -> Int {
        weights[member] ?? 1
    }

    /// How long to keep a member out of rotation after a 503 whose `Retry-After` said `seconds`
    /// (nil when it had none): clamped to min-max, and ``retryAfterDefault`` when absent.
    /// Zero means no quarantine.
    public func quarantine(retryAfter seconds: Int?) -> Duration {
        guard let seconds else { return retryAfterDefault }
        return min(max(.seconds(seconds), retryAfterMin), retryAfterMax)
    }

    static func equalWeights(_ members: [String]) -> [String: Int] {
        Dictionary(members.filter { !$0.isEmpty }.map { ($0, 1) }, uniquingKeysWith: { first, _ in first })
    }
}

extension TrunkGroupSettings {
    /// The keys of one `trunk_groups` entry.
    static let keys = ["name", "strategy", "members", "weights", "failover_on",
                       "retry_after_min_s", "retry_after_max_s", "retry_after_default_s", "fail_back",
                       "mid_call_failover", "failover_after_early_media", "allow_differences", "require_validation",
                       "activation", "overflow"]

    static let weightRange = 1...1000
    static let retryAfterMinRange = 0...3600
    static let retryAfterRange = 0...86_400

    /// Reads one entry of `trunk_groups`. Always returns a value so that list indexes in later
    /// problems keep matching the file. Whether members exist and are unique is checked by
    /// ``ConfigValidator``, which knows all trunks; weights are checked here against the members.
    static func read(_ node: Node, at path: String, problems: ProblemCollector) -> TrunkGroupSettings {
        var group = TrunkGroupSettings(name: "", members: [])
        guard let reader = MappingReader(node, at: path, keys: keys, problems: problems) else {
            if MappingReader.isNull(node) {
                problems.report(path, at: node.mark, "is empty; a trunk group needs name and members")
            }
            return group
        }
        group.name = reader.name("trunk group")
        let strategy: TrunkGroupStrategy? = reader.choice("strategy")
        group.strategy = strategy ?? group.strategy
        if reader.require("members", "the trunk names, in priority order") {
            group.members = reader.stringList("members") ?? []
            if group.members.isEmpty, case .sequence? = reader.value("members") {
                problems.report(reader.path("members"), "must list at least one trunk")
            }
        }
        let strategyKnown = strategy != nil || reader.value("strategy") == nil
        group.weights = readWeights(reader, group: group, strategyKnown: strategyKnown)
        group.failoverOn = FailoverTriggers.read(reader, "failover_on") ?? group.failoverOn
        readRetryAfter(reader, into: &group)
        group.failBack = reader.choice("fail_back") ?? group.failBack
        group.midCallFailover = MidCallFailoverSettings.read(reader) ?? group.midCallFailover
        group.failoverAfterEarlyMedia = reader.boolean("failover_after_early_media") ?? group.failoverAfterEarlyMedia
        group.allowedDifferences = readAllowedDifferences(reader)
        group.activation = GroupActivationSettings.read(reader) ?? group.activation
        group.overflow = reader.string("overflow")
        group.requireValidation = reader.nested("require_validation", keys: ["max_age_s"]) { nested in
            nested.require("max_age_s", "the oldest passing validation, in seconds, that still counts")
                ? nested.seconds("max_age_s", in: TrunkValidationSettings.maxAgeRange) : nil
        } ?? nil
        return group
    }

    /// `weights`: required for every member with `weighted`, refused otherwise; keys must be
    /// members. Falls back to equal weights for anything wrong (already reported).
    private static func readWeights(_ reader: MappingReader, group: TrunkGroupSettings,
                                    strategyKnown: Bool) -> [String: Int] {
        let equal = equalWeights(group.members)
        let path = reader.path("weights")
        guard strategyKnown else { return equal }
        guard group.strategy == .weighted else {
            if reader.value("weights") != nil {
                reader.problems.report(path, "weights apply only to strategy: weighted; with strategy: "
                    + "\(group.strategy.rawValue) members are tried in order, so remove weights or set strategy: weighted")
            }
            return equal
        }
        guard reader.require("weights", "strategy weighted needs a weight 1-1000 for every member, "
            + "as in weights: {carrier-a: 70, carrier-b: 30}") else { return equal }
        let members = Array(equal.keys)
        let listed = group.members.filter { !$0.isEmpty }.joined(separator: ", ")
        guard let weightsReader = MappingReader(
            reader.value("weights"), at: path, keys: members,
            unknownKey: { key, suggestion in
                "\"\(key)\" is not a member of this group"
                    + (suggestion.map { "; did you mean \"\($0)\"?" } ?? " (members: \(listed))")
            },
            problems: reader.problems) else { return equal }
        var weights = equal
        for member in group.members where !member.isEmpty {
            guard weightsReader.require(member, "strategy weighted needs a weight 1-1000 for every member") else {
                continue
            }
            weights[member] = weightsReader.integer(member, in: weightRange) ?? 1
        }
        return weights
    }

    /// The three Retry-After durations and their order (max >= min, default 0 or within min-max).
    private static func readRetryAfter(_ reader: MappingReader, into group: inout TrunkGroupSettings) {
        let minimum = reader.seconds("retry_after_min_s", in: retryAfterMinRange)
        let maximum = reader.seconds("retry_after_max_s", in: retryAfterRange)
        let fallback = reader.seconds("retry_after_default_s", in: retryAfterRange)
        group.retryAfterMin = minimum ?? group.retryAfterMin
        group.retryAfterMax = maximum ?? group.retryAfterMax
        group.retryAfterDefault = fallback ?? group.retryAfterDefault
        func usable(_ value: Duration?, _ key: String) -> Bool { value != nil || reader.value(key) == nil }
        let minUsable = usable(minimum, "retry_after_min_s"), maxUsable = usable(maximum, "retry_after_max_s")
        if minUsable, maxUsable, group.retryAfterMax < group.retryAfterMin {
            reader.problems.report(reader.path(maximum == nil ? "retry_after_min_s" : "retry_after_max_s"),
                                   "retry_after_max_s (\(group.retryAfterMax.components.seconds) s) must not be less "
                                       + "than retry_after_min_s (\(group.retryAfterMin.components.seconds) s)")
        } else if minUsable, maxUsable, usable(fallback, "retry_after_default_s"), group.retryAfterDefault != .zero,
                  !(group.retryAfterMin...group.retryAfterMax).contains(group.retryAfterDefault) {
            reader.problems.report(reader.path("retry_after_default_s"),
                                   "must be 0 (no quarantine) or within retry_after_min_s-retry_after_max_s "
                                       + "(\(group.retryAfterMin.components.seconds)-\(group.retryAfterMax.components.seconds) s), "
                                       + "got \(group.retryAfterDefault.components.seconds)")
        }
    }
}
