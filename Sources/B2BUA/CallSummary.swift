import Media

/// What the B2BUA reports when a call ends: everything a CDR needs, with monotonic times that
/// the driver converts to wall-clock time.
public struct CallSummary: Sendable, Equatable {
    public enum Disposition: String, Sendable {
        case answered
        case failed
        case cancelled
        case noRoute = "no_route"
        case shutdown
        /// Ended by the SBC because a side stopped sending media.
        case mediaTimeout = "media_timeout"
    }

    public var callID: String
    public var legBCallID: String?
    public var fromURI: String
    public var toURI: String
    public var ingressTrunk: String
    public var route: String?
    public var startedAt: Duration
    public var answeredAt: Duration?
    public var endedAt: Duration
    public var disposition: Disposition
    public var finalStatus: Int?
    public var finalTrunk: String?
    public var endedBy: String?
    public var attempts: [CallAttemptSummary]
    /// Relay counters per side (nil when the call had no anchored media).
    public var media: MediaSessionStatistics?
    /// The call was restored after a restart of the SBC (docs/RESTART.md).
    public var recovered = false
}
