import SDP

/// What the relay must do for one side of one stream, as signalling knows it.
///
/// Everything here comes from SDP (the SBC's own offer/answer for `local`, the remote party's for
/// the rest); the relay learns the rest (the latched source) from packets.
public struct MediaLegSpec: Sendable, Equatable {
    /// Bind address and RTP port on the SBC (host = the zone's media bind address).
    public var local: MediaAddress
    /// nil: rtcp-mux on this side only (RTCP arrives on, and is sent from, the RTP port).
    public var localRTCPPort: UInt16?
    /// What this side's SDP signalled; nil until known (e.g. before the answer).
    public var remoteRTP: MediaAddress?
    /// a=rtcp or rtp+1; nil with rtcp-mux.
    public var remoteRTCP: MediaAddress?
    /// The remote party's direction says it sends (sendrecv/sendonly): its silence is judged
    /// against the `active` timeout, otherwise against `hold`.
    public var remoteSends: Bool
    /// RTP clock rate of the negotiated codec, to turn jitter into milliseconds.
    public var clockRate: UInt32
    /// SDES-SRTP on this side (RFC 4568): `remote` is the key this side's party protects with
    /// (the relay unprotects what it receives with it), `local` the SBC's own key for this side
    /// (the relay protects what it sends). nil: plain RTP. A key never crosses to the other side.
    public var srtp: SDESStreamKeys?
    /// Where `srtp`'s streams stood in a previous process (restart recovery): applied only when
    /// the relay builds contexts for these keys; a leg that keeps its contexts ignores it.
    public var srtpResume: SRTPLegPositions?
    /// RFC 4733 telephone-events of this side: detected, relayed, suppressed or injected. The
    /// default leaves them alone.
    public var dtmf = MediaLegDTMF()
    /// Which source may latch this side (its trunk's `latching`); nil: the relay's own
    /// `MediaRelaySettings.latchPolicy` (the global `media.latching`). A change reopens the latch.
    public var latching: SourceLatchPolicy?

    public init(local: MediaAddress, localRTCPPort: UInt16?, remoteRTP: MediaAddress? = nil,
                remoteRTCP: MediaAddress? = nil, remoteSends: Bool = true, clockRate: UInt32 = 8000,
                srtp: SDESStreamKeys? = nil) {
        self.local = local
        self.localRTCPPort = localRTCPPort
        self.remoteRTP = remoteRTP
        self.remoteRTCP = remoteRTCP
        self.remoteSends = remoteSends
        self.clockRate = clockRate
        self.srtp = srtp
    }

    /// RTCP shares the RTP port on this side.
    public var rtcpMux: Bool { localRTCPPort == nil }
}
