/// Reliable provisional responses (RFC 3262, option tag `100rel`) on one trunk's legs (key
/// `trunks[].100rel`, default `supported`).
///
/// Why per trunk and per leg rather than end to end: the SBC acknowledges every reliable
/// provisional itself (it sends the PRACK, and answers the PRACKs it gets with 200), so each leg
/// may or may not use 100rel whatever the other does. A platform that cannot PRACK still takes
/// calls through a carrier that insists on reliable 18x, and the reverse.
public enum ReliableProvisionalPolicy: String, Sendable, Equatable, CaseIterable {
    /// The SBC does not offer 100rel to this trunk and sends it only unreliable provisionals; an
    /// INVITE from it that requires 100rel gets 420. A reliable provisional it sends anyway is
    /// still acknowledged (a carrier that ignores the negotiation should not lose its calls).
    case off
    /// INVITEs to the trunk carry `Supported: 100rel`; when the trunk's own INVITE says it
    /// supports 100rel, the SBC's 18x to it are reliable (RSeq, retransmitted until PRACKed).
    case supported
    /// INVITEs to the trunk carry `Require: 100rel`, and an INVITE from it that does not support
    /// 100rel is refused with 421 (RFC 3262 §3).
    case required

    /// The option tag in Supported/Require.
    public static let optionTag = "100rel"
}
