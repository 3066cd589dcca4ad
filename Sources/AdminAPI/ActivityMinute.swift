/// One minute of the SBC's failure activity, as the status page charts it.
public struct ActivityMinute: Codable, Sendable, Equatable {
    /// Start of the minute (unix seconds, a multiple of 60).
    public var at: Double
    /// Calls moved off a trunk to the next candidate before an answer (`sbc_failovers_total`).
    public var failovers: Int
    /// Answered critical calls whose carrier leg died (`sbc_mid_call_failovers_total`).
    public var midCallFailovers: Int
    /// Call sides that fell silent past the media timeout (`sbc_media_timeouts_total`).
    public var mediaTimeouts: Int

    public init(at: Double, failovers: Int = 0, midCallFailovers: Int = 0, mediaTimeouts: Int = 0) {
        self.at = at
        self.failovers = failovers
        self.midCallFailovers = midCallFailovers
        self.mediaTimeouts = mediaTimeouts
    }
}
