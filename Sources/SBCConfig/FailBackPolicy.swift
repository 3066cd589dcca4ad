/// What happens when a trunk group's member has recovered (key `trunk_groups[].fail_back`).
///
/// Why a choice: the two field guides disagree on purpose. Automatic fail-back keeps committed
/// volume on the primary carrier and needs no one awake at night; "sticky" (the second guide's
/// "disable automatic demotion") keeps traffic on the secondary until an operator, who knows
/// whether the primary's incident is really closed, approves the return through the admin API.
public enum FailBackPolicy: String, Sendable, Equatable, CaseIterable {
    /// The default: a recovered member takes traffic again once `recovery_hold_s` of sustained
    /// health has passed. Why the default: an unattended SBC must not stay on a more expensive
    /// or smaller secondary indefinitely after a short outage.
    case auto
    /// A recovered member waits, healthy but not selectable, until an operator approves the
    /// fail-back (`approveFailBack`, admin scope `groups:write`).
    case sticky
}
