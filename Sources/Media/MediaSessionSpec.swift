/// Everything the relay needs for one call's media, sent whole on every change.
///
/// Whole rather than as deltas so a lost or reordered intermediate state cannot exist: the worker
/// compares the new spec with the one it holds and changes only what differs.
public struct MediaSessionSpec: Sendable, Equatable {
    public var id: MediaSessionID
    /// The call's ID, for log metadata.
    public var logID: String
    public var streams: [MediaStreamSpec]
    public var timeouts: MediaTimeouts
    /// Timeouts count only once the call is answered. Going from false to true (re-arming)
    /// resets the silence clocks; an update that leaves it true keeps them running, except for a
    /// side whose remote address or direction changed, whose clock restarts.
    public var armed: Bool

    public init(id: MediaSessionID, logID: String, streams: [MediaStreamSpec],
                timeouts: MediaTimeouts = .disabled, armed: Bool = false) {
        self.id = id
        self.logID = logID
        self.streams = streams
        self.timeouts = timeouts
        self.armed = armed
    }
}
