/// The last decided media-path probe of a trunk, for the trunks API and status page.
public struct MediaProbeStatus: Sendable, Equatable {
    public var result: MediaProbeResult
    /// The sentence the audit log and the log got (`5 of 5 RTP packets came back, ...`).
    public var detail: String
    /// When it decided, on the B2BUA's clock.
    public var at: Duration

    public init(result: MediaProbeResult, detail: String, at: Duration) {
        self.result = result
        self.detail = detail
        self.at = at
    }
}
