/// One live call as `GET /api/v1/calls` and `GET /api/v1/calls/{id}` show it: a snapshot taken
/// on the signalling loop, never a live reference.
///
/// The list leaves `legs`, `media`, `timers` and `midCall` out (absent keys); one call has them.
/// Times are unix seconds like the rest of the API.
public struct CallStatus: Codable, Sendable, Equatable {
    /// One dialog of the call: the caller's (`side` `a`) or a carrier leg (`b`, one per attempt).
    public struct Leg: Codable, Sendable, Equatable {
        public var side: String
        /// Position among the carrier legs, oldest first; absent for the caller's leg.
        public var carrierIndex: Int?
        /// The caller's leg or the newest carrier leg (older ones only answer a late BYE).
        public var active: Bool
        public var trunk: String
        public var callID: String
        public var localTag: String
        public var remoteTag: String?
        public var remoteTarget: String
        /// `host:port` where this leg's requests go.
        public var peer: String
        public var transport: String
        public var zone: String
        public var localCSeq: UInt32
        public var remoteCSeq: UInt32?
        /// `idle`, `local_offer`, `remote_offer` or `done` (RFC 3264 on this dialog).
        public var offerAnswer: String
        /// Per m= line, the accepted formats of the last completed offer/answer (`PCMU/8000`).
        public var codecs: [[String]]
        public var sessionTimer: SessionTimer?

        public init(side: String, carrierIndex: Int? = nil, active: Bool, trunk: String, callID: String,
                    localTag: String, remoteTag: String? = nil, remoteTarget: String, peer: String, transport: String,
                    zone: String, localCSeq: UInt32, remoteCSeq: UInt32? = nil, offerAnswer: String,
                    codecs: [[String]] = [], sessionTimer: SessionTimer? = nil) {
            self.side = side
            self.carrierIndex = carrierIndex
            self.active = active
            self.trunk = trunk
            self.callID = callID
            self.localTag = localTag
            self.remoteTag = remoteTag
            self.remoteTarget = remoteTarget
            self.peer = peer
            self.transport = transport
            self.zone = zone
            self.localCSeq = localCSeq
            self.remoteCSeq = remoteCSeq
            self.offerAnswer = offerAnswer
            self.codecs = codecs
            self.sessionTimer = sessionTimer
        }
    }

    /// A leg's RFC 4028 session timer.
    public struct SessionTimer: Codable, Sendable, Equatable {
        public var intervalSeconds: Double
        /// `sbc` or `peer`.
        public var refresher: String
        public var refreshedAt: Double
        public var nextRefreshAt: Double?
        public var expiresAt: Double
        public var refreshing: Bool

        public init(intervalSeconds: Double, refresher: String, refreshedAt: Double, nextRefreshAt: Double? = nil,
                    expiresAt: Double, refreshing: Bool) {
            self.intervalSeconds = intervalSeconds
            self.refresher = refresher
            self.refreshedAt = refreshedAt
            self.nextRefreshAt = nextRefreshAt
            self.expiresAt = expiresAt
            self.refreshing = refreshing
        }
    }

    /// The call's relay session as signalling set it up. Packet counters are not here: they
    /// live on the media workers and reach signalling when the session closes (the CDR has them).
    public struct Media: Codable, Sendable, Equatable {
        public var session: UInt64
        public var worker: Int
        /// Media timeouts apply (the call was answered).
        public var armed: Bool
        public var streams: [Stream]

        public init(session: UInt64, worker: Int, armed: Bool, streams: [Stream]) {
            self.session = session
            self.worker = worker
            self.armed = armed
            self.streams = streams
        }
    }

    /// One m= line: the relay's port and the party's address on each side (`a` the caller).
    public struct Stream: Codable, Sendable, Equatable {
        public var index: Int
        public var relayPortA: UInt16?
        public var relayPortB: UInt16?
        public var remoteA: String?
        public var remoteB: String?
        public var holding: Bool
        public var srtpA: Bool
        public var srtpB: Bool

        public init(index: Int, relayPortA: UInt16? = nil, relayPortB: UInt16? = nil, remoteA: String? = nil,
                    remoteB: String? = nil, holding: Bool = false, srtpA: Bool = false, srtpB: Bool = false) {
            self.index = index
            self.relayPortA = relayPortA
            self.relayPortB = relayPortB
            self.remoteA = remoteA
            self.remoteB = remoteB
            self.holding = holding
            self.srtpA = srtpA
            self.srtpB = srtpB
        }
    }

    /// When the call's armed timers fire (absent: not armed).
    public struct Timers: Codable, Sendable, Equatable {
        public var firstProvisionalAt: Double?
        public var answerAt: Double?
        public var reinviteAt: Double?
        public var keepaliveAt: Double?

        public init(firstProvisionalAt: Double? = nil, answerAt: Double? = nil, reinviteAt: Double? = nil,
                    keepaliveAt: Double? = nil) {
            self.firstProvisionalAt = firstProvisionalAt
            self.answerAt = answerAt
            self.reinviteAt = reinviteAt
            self.keepaliveAt = keepaliveAt
        }
    }

    /// A critical call's mid-call failover state.
    public struct MidCall: Codable, Sendable, Equatable {
        public var failovers: Int
        public var maxFailovers: Int
        /// What killed the carrier leg being replaced now.
        public var trigger: String?
        public var icmpErrors: Int
        public var keepaliveFailures: Int

        public init(failovers: Int, maxFailovers: Int, trigger: String? = nil, icmpErrors: Int = 0,
                    keepaliveFailures: Int = 0) {
            self.failovers = failovers
            self.maxFailovers = maxFailovers
            self.trigger = trigger
            self.icmpErrors = icmpErrors
            self.keepaliveFailures = keepaliveFailures
        }
    }

    /// The call's handle: what `/api/v1/calls/{id}` takes (so does the Call-ID of any leg).
    public var id: Int
    /// The caller's Call-ID, as log lines and CDRs name the call.
    public var callID: String
    public var route: String
    public var critical: Bool
    /// `proceeding`, `cancelling`, `established`, `failing_over`, `terminating`; `ended` in the
    /// answer to `DELETE`.
    public var state: String
    public var from: String
    public var to: String
    public var ingressTrunk: String
    /// The carrier-side trunk of the attempt in progress or answered.
    public var trunk: String?
    public var startedAt: Double
    public var answeredAt: Double?
    public var durationSeconds: Double
    public var carrierLegs: Int
    /// Who ended it (`operator:<token name>`), in the answer to `DELETE` only.
    public var endedBy: String?
    public var legs: [Leg]?
    public var media: Media?
    public var timers: Timers?
    public var midCall: MidCall?

    public init(id: Int, callID: String, route: String, critical: Bool, state: String, from: String, to: String,
                ingressTrunk: String, trunk: String? = nil, startedAt: Double, answeredAt: Double? = nil,
                durationSeconds: Double, carrierLegs: Int) {
        self.id = id
        self.callID = callID
        self.route = route
        self.critical = critical
        self.state = state
        self.from = from
        self.to = to
        self.ingressTrunk = ingressTrunk
        self.trunk = trunk
        self.startedAt = startedAt
        self.answeredAt = answeredAt
        self.durationSeconds = durationSeconds
        self.carrierLegs = carrierLegs
    }

    /// Whether the call runs through `trunk`: its caller's trunk or its active carrier leg's.
    public func involves(trunk name: String) -> Bool {
        ingressTrunk == name || trunk == name
    }
}
