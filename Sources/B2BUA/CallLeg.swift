import Media
import SBCConfig
import SDP
import SIPCore

/// Which side of a call: `a` is the caller's leg (the dialog the SBC terminates as UAS), `b` the
/// leg the SBC originates as UAC.
public enum LegSide: Sendable, Hashable {
    case a, b
    var other: LegSide { self == .a ? .b : .a }

    /// The relay's name for the same side.
    init(_ side: MediaSide) { self = side == .a ? .a : .b }
}

/// One dialog of a call, seen from the SBC (RFC 3261 12): the identifiers, the remote target and
/// route set, and where in-dialog requests are sent.
struct CallLeg: Sendable {
    let side: LegSide
    var callID: String
    var localTag: String
    var remoteTag: String?
    /// Our identity in this dialog (From when we send requests).
    var localAddress: SIPNameAddress
    /// The peer's identity (To when we send requests), without tag.
    var remoteAddress: SIPNameAddress
    var remoteTarget: SIPURI
    var routeSet: [SIPNameAddress]
    var localCSeq: UInt32
    var remoteCSeq: UInt32?
    /// Where requests on this leg go: the trunk, or (for the caller) the address it sent from.
    var peer: SIPEndpoint
    /// The leg's trunk; shared with every other leg on the same trunk configuration rather than
    /// copied into each (``SharedTrunkSettings``: about 830 bytes a copy).
    private var sharedTrunk: SharedTrunkSettings
    var trunk: TrunkSettings {
        _read { yield sharedTrunk.settings }
        set { sharedTrunk = .shared(newValue) }
    }
    let zone: ZoneIdentity
    /// RFC 3264 offer/answer on this dialog: the last SDP each end agreed to, for a new carrier
    /// leg that must be offered what the caller last agreed to.
    var negotiation = OfferAnswerNegotiator()
    /// Last ACK sent on this leg, re-sent when the peer retransmits its 2xx. Kept without typed
    /// headers: it lives as long as the dialog, and is only ever re-sent.
    var lastAck: SIPMessage? {
        didSet { lastAck = lastAck?.compacted }
    }
    /// The RFC 4028 session timer the SBC runs on this dialog; nil: none, as on most calls.
    /// Out of line: about 100 bytes per leg otherwise (issue 15).
    @OutOfLine var sessionTimer: SessionTimer? = nil

    init(side: LegSide, callID: String, localTag: String, remoteTag: String?, localAddress: SIPNameAddress,
         remoteAddress: SIPNameAddress, remoteTarget: SIPURI, routeSet: [SIPNameAddress], localCSeq: UInt32,
         remoteCSeq: UInt32?, peer: SIPEndpoint, trunk: TrunkSettings, zone: ZoneIdentity)
    {
        self.side = side
        self.callID = callID
        self.localTag = localTag
        self.remoteTag = remoteTag
        self.localAddress = localAddress
        self.remoteAddress = remoteAddress
        self.remoteTarget = remoteTarget
        self.routeSet = routeSet
        self.localCSeq = localCSeq
        self.remoteCSeq = remoteCSeq
        self.peer = peer
        sharedTrunk = .shared(trunk)
        self.zone = zone
    }

    /// A request within this dialog (RFC 3261 12.2.1.1): Request-URI is the remote target, the
    /// route set becomes Route, CSeq increments except for ACK/CANCEL which reuse theirs.
    mutating func request(_ method: SIPMethod, branch: String, maxForwards: Int, cseq: UInt32? = nil) -> SIPMessage {
        let number: UInt32
        if let cseq {
            number = cseq
        } else {
            localCSeq &+= 1
            number = localCSeq
        }
        var from = localAddress
        from.tag = localTag
        var to = remoteAddress
        to.tag = remoteTag
        var message = SIPMessage.request(method, uri: remoteTarget, via: zone.via(branch: branch, transport: peer.transport),
                                         maxForwards: maxForwards, from: from, to: to, callID: callID,
                                         cseq: SIPCSeq(number: number, method: method))
        for route in routeSet { message.add(.route, route.description) }
        return message
    }

    /// Contact the SBC presents on this leg.
    var localContact: String {
        zone.contact(user: "sbc", transport: peer.transport, secure: remoteTarget.scheme == "sips")
    }
}
