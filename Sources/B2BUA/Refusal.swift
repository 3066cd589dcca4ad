/// Why the SBC will not put a call, or an offer, through: the status the requester gets and the
/// reason. One type for routing refusals (no trunk, a profile that broke the request) and media
/// refusals (no codec allowed, no ports, SDP it cannot relay), so that whichever refused last
/// is what the caller hears.
struct Refusal: Sendable, Equatable {
    /// nil when the refusal says nothing the caller should hear (a header profile that broke the
    /// request is the SBC's problem, not the call's).
    let status: Int?
    let reason: String
}
