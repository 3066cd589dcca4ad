import Media
import SDP

/// The media anchoring of one call: the relay session, its ports on both sides, and what each
/// side last signalled.
///
/// Why the B2BUA keeps this and not the relay: every SDP crossing the SBC must be rewritten with
/// the relay's ports *before* it is sent, on the signalling thread, so ports are chosen here
/// (from ``MediaPortAllocator``) and the relay is only told the resulting session.
struct CallMedia: Sendable {
    /// One m= line of the call: stream `index` of both legs' SDP (the SBC never reorders,
    /// adds or removes m= lines, so index i means the same stream on both legs).
    struct Stream: Sendable {
        /// The relay's ports facing each side; nil for a stream that is not relayed (port 0,
        /// non-UDP transport), which each side then sees rejected (port 0).
        var ports: SidePair<MediaPortPair>
        var remote: SidePair<Remote> = [:]
        /// RTP (audio, video, SRTP) rather than other UDP media (T.38 `udptl`), per the last SDP.
        var carriesRTP = true
        /// Each side's SDES-SRTP state (absent: plain, nothing negotiated). Each side out of
        /// line: a side's state is about 450 bytes, and on plain calls, the usual ones, at most
        /// one side holds any (the SBC's plain answer, repeated on a 200 after a 183).
        var security: SidePair<LegSecurity> {
            get {
                var pair: SidePair<LegSecurity> = [:]
                pair[.a] = securityA
                pair[.b] = securityB
                return pair
            }
            set {
                securityA = newValue[.a]
                securityB = newValue[.b]
            }
        }
        @OutOfLine private var securityA: LegSecurity? = nil
        @OutOfLine private var securityB: LegSecurity? = nil

        init(ports: SidePair<MediaPortPair>) { self.ports = ports }
    }

    /// One side's SRTP keys for one stream: what the relay uses now, and the exchange in flight.
    struct LegSecurity: Sendable {
        enum Pending: Sendable {
            /// The SBC offered this side these lines (its answer picks one).
            case offered(SDESOffer)
            /// This side offered; the SBC answers it with this when the other side answers.
            case answering(SDESAnswer)
        }
        /// The keys of the last completed exchange; nil: plain RTP.
        var settled: SDESStreamKeys? {
            didSet { if settled != oldValue { positions = nil } }
        }
        /// Where the relay last reported the settled keys' streams (rollover counters, SRTCP
        /// indices), for the restart snapshot; other keys start over, so a change clears it.
        var positions: SRTPLegPositions?
        var pending: Pending?
        /// The SBC's last answer to this side, repeated when the answer is (a 200 after a 183).
        var lastAnswer: SDESAnswer?

        /// Nothing settled, nothing in flight: the same as no state (plain RTP).
        var isEmpty: Bool { settled == nil && positions == nil && pending == nil && lastAnswer == nil }
    }

    /// What one side's latest SDP said about one stream.
    struct Remote: Sendable, Equatable {
        var rtp: MediaAddress?
        var rtcp: MediaAddress?
        var offersRTCPMux: Bool
        var sends: Bool
        /// The stream is on hold as far as this side is concerned (not sendrecv, or `c=0.0.0.0`).
        var holding: Bool
        var clockRate: UInt32
    }

    let session: MediaSessionID
    let worker: Int
    var streams: [Stream] = []
    /// Our o= line towards each leg (RFC 3264 §8: one session, a version that grows on change).
    var origins: SidePair<SDPOriginState>
    /// Media timeouts count once the call is answered.
    var armed = false
    /// The relay was told about the session (so it must be told to destroy it).
    var applied = false
    /// Carrier-side pairs of a carrier leg replaced mid-call, released once the relay moved to
    /// the new leg's ports (empty outside a mid-call failover).
    var retiring: [MediaPortPair] = []

    init(session: MediaSessionID, worker: Int, origins: SidePair<SDPOriginState>) {
        self.session = session
        self.worker = worker
        self.origins = origins
    }

    /// Every pair this call holds, for release when it ends.
    var allPorts: [MediaPortPair] { streams.flatMap { $0.ports.values } }

    /// The relay's view: both sides of every relayed stream.
    func spec(logID: String, zones: (a: String, b: String), timeouts: MediaTimeouts) -> MediaSessionSpec {
        let relayed = streams.enumerated().compactMap { index, stream -> MediaStreamSpec? in
            guard let a = stream.ports[.a], let b = stream.ports[.b] else { return nil }
            // RTCP shares the RTP port only when both offer and answer carried a=rtcp-mux.
            let muxed = stream.remote[.a]?.offersRTCPMux == true && stream.remote[.b]?.offersRTCPMux == true
            // A held stream is held for both sides: the holder often stops sending too (many
            // phones send nothing on sendonly), so neither side is held to the active timeout.
            let held = stream.remote.values.contains { $0.holding }
            return MediaStreamSpec(index: index,
                                   a: Self.leg(local: a, host: zones.a, remote: stream.remote[.a], muxed: muxed, held: held,
                                               security: stream.security[.a]),
                                   b: Self.leg(local: b, host: zones.b, remote: stream.remote[.b], muxed: muxed, held: held,
                                               security: stream.security[.b]),
                                   carriesRTP: stream.carriesRTP)
        }
        return MediaSessionSpec(id: session, logID: logID, streams: relayed, timeouts: timeouts, armed: armed)
    }

    private static func leg(local: MediaPortPair, host: String, remote: Remote?, muxed: Bool, held: Bool,
                            security: LegSecurity?) -> MediaLegSpec {
        var spec = MediaLegSpec(local: MediaAddress(host: host, port: local.rtp), localRTCPPort: muxed ? nil : local.rtcp,
                                remoteRTP: remote?.rtp, remoteRTCP: muxed ? nil : remote?.rtcp,
                                remoteSends: (remote?.sends ?? true) && !held, clockRate: remote?.clockRate ?? 8000,
                                srtp: security?.settled)
        spec.srtpResume = security?.positions
        return spec
    }
}
