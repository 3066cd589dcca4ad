/// How operator activations of a trunk group are guarded (key `trunk_groups[].activation`, a
/// mapping, optional; every key has a default). docs/ACTIVATION.md describes the workflow.
///
/// An activation (`PUT /api/v1/trunk-groups/{name}/activation`) names the member that takes new
/// calls first. The two guards exist because the field guides' incidents are swaps made too
/// soon after the previous one (flapping between carriers) and swaps made while hundreds of calls
/// were still up on the carrier being demoted.
public struct GroupActivationSettings: Sendable, Equatable {
    /// Seconds after an activation during which the activated member is not demoted: a new
    /// activation or rollback that would move it out of first place is refused with 409 `cooling`
    /// unless the request says `force: true` (key `cooling_s`, default 90, range 0-86400; 0 turns
    /// the guard off). Calls still fail over per call (503, timeout, transport) as always: cooling
    /// guards the group's order, never a call.
    public var cooling: Duration = GroupActivationSettings.defaultCooling

    /// Most calls that may still be up on the member losing first place for a swap to apply at
    /// once (key `drain_threshold`, range 0-100000, optional). Above it the swap is queued, the
    /// operator alerted, and it applies when that member's active calls drop to the threshold (or
    /// on `force: true`). Absent (the default): no drain check, because moving first place never
    /// moves an established call; set it where a swap must wait for a quiet moment.
    public var drainThreshold: Int?

    public static let defaultCooling: Duration = .seconds(90)
    static let keys = ["cooling_s", "drain_threshold"]

    public init(cooling: Duration = GroupActivationSettings.defaultCooling, drainThreshold: Int? = nil) {
        self.cooling = cooling
        self.drainThreshold = drainThreshold
    }

    static func read(_ group: MappingReader) -> GroupActivationSettings? {
        group.nested("activation", keys: keys) { reader in
            var settings = GroupActivationSettings()
            settings.cooling = reader.seconds("cooling_s", in: 0...86_400) ?? settings.cooling
            settings.drainThreshold = reader.integer("drain_threshold", in: 0...100_000)
            return settings
        }
    }
}
