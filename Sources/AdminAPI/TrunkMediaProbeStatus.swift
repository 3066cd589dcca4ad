/// A trunk's media-path probes as the admin API shows them (`trunks[].health.media_probe`,
/// docs/HEALTH.md): whether the media gate is closed, the failure counts and the last probe.
/// Absent on trunks without media probes.
public struct TrunkMediaProbeStatus: Codable, Sendable, Equatable {
    /// `fail_after` probes in a row failed: the trunk stays down (cause `media_path_failed`)
    /// whatever OPTIONS say, until a media probe passes.
    public var pathFailed: Bool
    /// Failed media probes in a row.
    public var consecutiveFailures: Int
    /// Failed media probes since the SBC started (or the trunk's settings last changed).
    public var failures: Int
    /// `passed`, `no_media`, `call_failed` or `skipped`; absent before the first probe decided.
    public var lastResult: String?
    /// What the last probe saw (`5 of 5 RTP packets came back, the first after 12 ms`).
    public var lastDetail: String?
    /// When the last probe decided (unix seconds).
    public var lastAt: Double?

    public init(pathFailed: Bool, consecutiveFailures: Int, failures: Int, lastResult: String? = nil,
                lastDetail: String? = nil, lastAt: Double? = nil) {
        self.pathFailed = pathFailed
        self.consecutiveFailures = consecutiveFailures
        self.failures = failures
        self.lastResult = lastResult
        self.lastDetail = lastDetail
        self.lastAt = lastAt
    }
}
