/// What survives a restart of one established call (docs/RESTART.md): both dialogs, the relay's
/// ports and where each side's media goes, SRTP keys, session timers and what the CDR needs.
///
/// Why a plain Codable value of strings and numbers rather than the B2BUA's own types: it is
/// written to the state database (as JSON) by another thread and read back by another process,
/// possibly a newer build; URIs, name-addresses and SDP are kept in their wire form and parsed
/// again on restore, so the record never depends on how those types are laid out in memory.
///
/// Secrets: `Stream.srtp` holds SDES master keys. The record is only ever written to the state
/// database (mode 0600, docs/RESTART.md) and never logged; its `description` names no key.
public struct EstablishedCallRecord: Codable, Sendable, Hashable, CustomStringConvertible {
    /// Bumped when a field changes meaning; a record of another version is not restored.
    public static let currentVersion = 1

    /// One dialog of the call (RFC 3261 12), as `CallLeg` holds it.
    public struct Dialog: Codable, Sendable, Hashable {
        public var trunk: String
        public var zone: String
        public var callID: String
        public var localTag: String
        public var remoteTag: String?
        /// Name-addresses without tag, URIs, in wire form.
        public var localAddress: String
        public var remoteAddress: String
        public var remoteTarget: String
        public var routeSet: [String]
        /// The last CSeq the SBC used; a restored leg continues above it plus a margin
        /// (`B2BUA.recoveredCSeqMargin`), since requests sent after the last write are unknown.
        public var localCSeq: UInt32
        public var remoteCSeq: UInt32?
        /// Where requests on this leg go. A TCP/TLS connection does not survive the process: the
        /// restored leg opens a new one to the same address.
        public var peerHost: String
        public var peerPort: UInt16
        public var transport: String
        /// The last completed offer/answer on this dialog (SDP text), so a later re-INVITE or a
        /// mid-call failover starts from what both ends agreed to.
        public var negotiatedLocal: String?
        public var negotiatedRemote: String?
        /// Our o= line towards this leg: session ID and last version (a restored leg continues
        /// above it, RFC 3264 §8).
        public var originSessionID: UInt64?
        public var originVersion: UInt64?
        public var sessionTimer: SessionTimerRecord?
    }

    /// An RFC 4028 session timer; restored as if refreshed at start-up.
    public struct SessionTimerRecord: Codable, Sendable, Hashable {
        public var intervalSeconds: Int64
        public var sbcRefreshes: Bool
        public var minSE: Int
        public var peerAllowsUpdate: Bool
    }

    /// One m= line of the call, both sides.
    public struct Stream: Codable, Sendable, Hashable {
        /// The relay's RTP ports facing the caller and the carrier; nil: not relayed.
        public var portA: UInt16?
        public var portB: UInt16?
        public var remoteA: Remote?
        public var remoteB: Remote?
        public var carriesRTP: Bool
        public var srtpA: SRTPKeys?
        public var srtpB: SRTPKeys?
    }

    /// What one side's SDP said about a stream (`CallMedia.Remote`).
    public struct Remote: Codable, Sendable, Hashable {
        public var rtpHost: String?
        public var rtpPort: UInt16?
        public var rtcpHost: String?
        public var rtcpPort: UInt16?
        public var offersRTCPMux: Bool
        public var sends: Bool
        public var holding: Bool
        public var clockRate: UInt32
    }

    /// One side's settled SDES keys, and where their streams stood at the relay's last report.
    public struct SRTPKeys: Codable, Sendable, Hashable {
        public var suite: String
        public var remoteKey: [UInt8]
        public var localKey: [UInt8]
        public var unencryptedSRTCP: Bool
        public var remoteWindowSizeHint: Int?
        /// What the side's party sends (unprotected with `remoteKey`) and what the SBC sends it
        /// (protected with `localKey`). Absent in records of builds before they were kept, and
        /// before the first report: the contexts then start afresh (rollover counter 0).
        public var inbound: [SRTPPosition]?
        public var outbound: [SRTPPosition]?
    }

    /// One SSRC's SRTP position (`SRTPStreamPosition`): the highest SRTP index (rollover
    /// counter << 16 | sequence number) and SRTCP index seen or sent.
    public struct SRTPPosition: Codable, Sendable, Hashable {
        public var ssrc: UInt32
        public var rtp: UInt64?
        public var rtcp: UInt32?
    }

    /// One attempt of the call, for its CDR.
    public struct Attempt: Codable, Sendable, Hashable {
        public var trunk: String
        public var startedAt: Double
        public var responseCode: Int?
        public var reason: String?
        public var responseTimeSeconds: Double?
        public var outcome: String
        public var endedAt: Double?
    }

    public var version = EstablishedCallRecord.currentVersion
    /// The caller's Call-ID and our tag on the caller's leg: the row's key.
    public var key: String
    public var route: String
    public var critical: Bool
    public var group: String?
    public var profileOverride: String?
    public var caller: Dialog
    public var carrier: Dialog
    /// Seconds: monotonic while the B2BUA holds the record, unix time once the server rebased
    /// it for the database (`rebased(by:)`).
    public var startedAt: Double
    public var answeredAt: Double
    public var attempts: [Attempt]
    public var streams: [Stream]
    /// The source each side's first stream latched to, when the relay reported one.
    public var latchedA: String?
    public var latchedB: String?
    /// A critical call's means to re-originate its carrier leg: the caller's INVITE (wire
    /// form), the route's members not tried yet, and failovers so far.
    public var callerInvite: String?
    public var remainingCandidates: [String]
    public var failovers: Int

    public var description: String {
        "call \(caller.callID) route \(route) carrier \(carrier.trunk) streams \(streams.count)"
    }

    /// The same record with every instant moved by `offset` seconds: monotonic to unix time on
    /// the way into the database, unix time to the new process's monotonic clock on the way out.
    public func rebased(by offset: Double) -> EstablishedCallRecord {
        var copy = self
        copy.startedAt += offset
        copy.answeredAt += offset
        for index in copy.attempts.indices {
            copy.attempts[index].startedAt += offset
            copy.attempts[index].endedAt = copy.attempts[index].endedAt.map { $0 + offset }
        }
        return copy
    }
}

extension EstablishedCallRecord {
    /// The record's key for a caller's dialog.
    static func key(callID: String, localTag: String) -> String { "\(callID);\(localTag)" }
}
