/// What the signalling thread asks a media worker to do.
public enum MediaCommand: Sendable {
    /// Create, or update in place (same local ports). A changed remoteRTP/remoteRTCP of a side
    /// reopens that side's latch.
    case apply(MediaSessionSpec)
    /// Close the session's sockets; the worker answers `.closed` with final statistics.
    case destroy(MediaSessionID)
    /// Injects one RFC 4733 event (a DTMF digit that arrived as SIP INFO) into the stream towards
    /// `side` of stream `stream` (m= line index), with that side's `MediaLegDTMF.sendPayloadType`;
    /// digits queue behind each other. Ignored when the side takes no telephone-events.
    case telephoneEvent(MediaSessionID, side: MediaSide, stream: Int, event: UInt8, duration: Duration)

    public var sessionID: MediaSessionID {
        switch self {
        case .apply(let spec): return spec.id
        case .destroy(let id): return id
        case .telephoneEvent(let id, _, _, _, _): return id
        }
    }
}
