/// A read-only picture of one live call, for operators (`GET /api/v1/calls`).
///
/// Why a copy and not the `Call`: calls are classes confined to the signalling thread, and the
/// admin API runs on other threads; a snapshot is plain values taken on the loop and handed
/// over. Times are the B2BUA's monotonic instants; the driver converts them to wall-clock time.
/// `legs`, `media` and `timers` are filled only for a detailed snapshot (one call), so listing
/// thousands of calls does not copy every leg's negotiated codecs.
public struct CallSnapshot: Sendable, Equatable {
    /// Where the call is in its life (see `Call.Phase`).
    public enum Phase: String, Sendable {
        case proceeding
        case cancelling
        case established
        case failingOver = "failing_over"
        case terminating
    }

    /// One dialog of the call: the caller's, or one of the carrier legs (every attempt is kept).
    public struct Leg: Sendable, Equatable {
        public var side: LegSide
        /// Position in the carrier legs, oldest first; nil for the caller's leg.
        public var carrierIndex: Int?
        /// The caller's leg or the newest carrier leg: the one media and requests flow through.
        public var active: Bool
        public var trunk: String
        public var callID: String
        public var localTag: String
        public var remoteTag: String?
        public var remoteTarget: String
        /// Where this leg's requests go: `host:port`.
        public var peer: String
        public var transport: String
        public var zone: String
        public var localCSeq: UInt32
        public var remoteCSeq: UInt32?
        /// RFC 3264 state of the leg's negotiator: `idle`, `local_offer`, `remote_offer`, `done`.
        public var offerAnswer: String
        /// Per m= line, the formats the last completed exchange accepted (`PCMU/8000`, or the
        /// payload type when it has no codec name).
        public var codecs: [[String]]
        public var sessionTimer: SessionTimerState?
    }

    /// One leg's RFC 4028 session timer.
    public struct SessionTimerState: Sendable, Equatable {
        public var interval: Duration
        /// Who refreshes: `sbc` or `peer`.
        public var refresher: String
        public var refreshedAt: Duration
        /// When the SBC sends its next refresh; nil when the peer refreshes.
        public var nextRefresh: Duration?
        /// When the session ends without a refresh.
        public var expiry: Duration
        /// The SBC's own refresh is in flight.
        public var refreshing: Bool
    }

    /// The relay session of the call, as signalling set it up (not the relay's packet counters:
    /// those live on the media workers and reach signalling only when the session closes).
    public struct Media: Sendable, Equatable {
        public var session: UInt64
        public var worker: Int
        /// Media timeouts count (the call was answered).
        public var armed: Bool
        public var streams: [Stream]
    }

    /// One m= line of the call, both sides.
    public struct Stream: Sendable, Equatable {
        public var index: Int
        /// The relay's RTP port facing the caller (`a`) and the carrier (`b`); nil: not relayed.
        public var relayPortA: UInt16?
        public var relayPortB: UInt16?
        /// Where each side's SDP asked for RTP (`host:port`).
        public var remoteA: String?
        public var remoteB: String?
        /// Either side put the stream on hold.
        public var holding: Bool
        /// SDES-SRTP keys are in use towards that side.
        public var srtpA: Bool
        public var srtpB: Bool
    }

    /// The per-call deadlines armed now.
    public struct Timers: Sendable, Equatable {
        /// The attempt in progress must see a provisional by then (`first_provisional_timeout_ms`).
        public var firstProvisional: Duration?
        /// The attempt in progress must be answered by then (`answer_timeout_s`).
        public var answer: Duration?
        /// A relayed re-INVITE or UPDATE must be answered by then (critical calls).
        public var reinvite: Duration?
        /// The next in-dialog OPTIONS to the carrier leg (critical calls).
        public var keepalive: Duration?
    }

    /// A critical call's mid-call failover state.
    public struct MidCall: Sendable, Equatable {
        /// Carrier legs replaced so far, and how many the group allows.
        public var failovers: Int
        public var maxFailovers: Int
        /// What killed the carrier leg that is being replaced now; nil when none is.
        public var trigger: String?
        public var icmpErrors: Int
        public var keepaliveFailures: Int
    }

    /// The call's handle: unique while the process runs, what `/api/v1/calls/{id}` takes.
    public var id: Int
    /// The caller's Call-ID, the one log lines and CDRs name the call by.
    public var callID: String
    public var route: String
    public var critical: Bool
    public var phase: Phase
    /// The caller's identity (From) and the called party (To) of the caller's leg.
    public var from: String
    public var to: String
    public var ingressTrunk: String
    /// The trunk of the attempt in progress or answered.
    public var trunk: String?
    public var startedAt: Duration
    public var answeredAt: Duration?
    /// Carrier legs originated so far (attempts and mid-call replacements).
    public var carrierLegs: Int
    public var legs: [Leg] = []
    public var media: Media?
    public var timers: Timers?
    public var midCall: MidCall?
}
