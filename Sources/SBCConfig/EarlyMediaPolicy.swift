/// What the SBC does with the early media a trunk sends while a call it was offered is not yet
/// answered (key `trunks[].early_media`, default `relay`). It applies to the provisional
/// responses (18x) the trunk sends as the called party.
///
/// Why it exists: a contact-center platform that plays its own ringback, or a carrier whose
/// announcements ("the number you have called...") must not reach agents, needs the 183 with SDP
/// turned into plain ringing; and a failover after early media is forbidden (the caller may be
/// hearing the first network), so a trunk whose early media is not relayed keeps its calls free
/// to fail over.
public enum EarlyMediaPolicy: String, Sendable, Equatable, CaseIterable {
    /// 18x are relayed as they are, SDP included (anchored on the relay): the caller hears the
    /// far network before the answer.
    case relay
    /// Every 18x becomes one `180 Ringing` without SDP (the caller plays its own ringback); the
    /// SDP is kept and given to the caller in the 200 if the trunk's 200 has none.
    case ringback
    /// Nothing but the SBC's own `100 Trying` reaches the caller before the answer.
    case none
}
