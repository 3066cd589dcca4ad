/// What a media worker reports back to signalling. Delivered on the worker's thread; the
/// receiver hops to its own thread.
public enum MediaEvent: Sendable {
    /// The first packet accepted from this side (per stream, and again after a latch reopens).
    case latched(MediaSessionID, side: MediaSide, source: MediaAddress)
    /// No packet from this side's remote for the applicable timeout; once per arming.
    /// `unexpected`: packets did arrive meanwhile, from a source the side's latch refused
    /// (a party behind NAT under `latching: signalled`); nil when none did.
    case timeout(MediaSessionID, side: MediaSide, silence: Duration, unexpected: UnexpectedMediaSource? = nil)
    /// The session cannot be relayed (e.g. a bind failed): the caller ends the call, still
    /// destroys the session (whatever was bound stays bound until then), and takes `port` (the
    /// port that could not be bound, if that was the cause) out of its allocator for good.
    case failed(MediaSessionID, reason: String, port: UInt16?)
    /// Answer to `destroy`, with the final statistics.
    case closed(MediaSessionID, MediaSessionStatistics)
    /// ICMP errors (port or host unreachable, from IP_RECVERR) came back for packets this side's
    /// socket sent to its remote: `errors` since the session's last report of them. The party's
    /// process or host is gone, which the media timeout would notice only seconds later.
    ///
    /// Only errors naming the side's current RTP destination count, and a new remote starts from
    /// zero; one already on its way when signalling moved the side may still arrive after the
    /// move. At most one per side per worker tick, the first as soon as the error is read, so
    /// a threshold of errors is met within about a tick of the packet that completes it.
    case unreachable(MediaSessionID, side: MediaSide, errors: Int)
    /// This side's party sent an RFC 4733 event (a DTMF digit), now ended: once per event
    /// however many packets carried it (docs/MEDIA.md, "DTMF"). `length` is its duration. The
    /// event code may be a digit of a card number: log it at debug level only.
    case telephoneEvent(MediaSessionID, side: MediaSide, TelephoneEventReport, length: Duration)
    /// Where the SRTP streams of one side of stream `stream` (its m= index) stand, for the
    /// restart snapshot: sent when a stream first appears and then every few thousand packets
    /// (``SRTPStreamPosition`` says why), so a few events per call per hour. `keys`: the
    /// `hashValue` of the `SDESStreamKeys` they were reported under (meaningful in this process
    /// only, never stored), so a report racing a re-key is not taken for the new keys.
    case srtpPositions(MediaSessionID, stream: Int, side: MediaSide, SRTPLegPositions, keys: Int)

    public var sessionID: MediaSessionID {
        switch self {
        case .latched(let id, _, _), .timeout(let id, _, _, _), .failed(let id, _, _), .closed(let id, _),
             .unreachable(let id, _, _), .telephoneEvent(let id, _, _, _), .srtpPositions(let id, _, _, _, _):
            return id
        }
    }
}
