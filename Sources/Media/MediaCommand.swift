/// What the signalling thread asks a media worker to do.
public enum MediaCommand: Sendable {
    /// Create, or update in place (same local ports). A changed remoteRTP/remoteRTCP of a side
    /// reopens that side's latch.
    case apply(MediaSessionSpec)
    /// Close the session's sockets; the worker answers `.closed` with final statistics.
    case destroy(MediaSessionID)

    public var sessionID: MediaSessionID {
        switch self {
        case .apply(let spec): return spec.id
        case .destroy(let id): return id
        }
    }
}
