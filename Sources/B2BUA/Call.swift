import Routing
import SBCConfig
import SIPCore
import SIPTransaction

/// A call: the caller's dialog, the dialog the SBC originated, and the INVITE transaction
/// currently bridging them (initial or re-INVITE).
///
/// A class, not a value: every message of a call mutates it, and copying the whole call (legs,
/// pending request) in and out of the call table per message was the B2BUA's main ARC cost.
/// It never leaves the signalling thread.
final class Call {
    enum Phase: Sendable, Equatable {
        /// Initial INVITE sent to the callee, no final answer yet.
        case proceeding
        /// The caller cancelled; waiting for the callee's INVITE to end.
        case cancelling
        case confirmed
        /// A BYE is in flight or the call is being closed; no new requests are relayed.
        case terminating
    }

    /// An INVITE relayed from `origin` to the other leg and not yet fully acknowledged.
    struct PendingInvite: Sendable {
        var origin: LegSide
        var serverKey: TransactionKey
        var clientKey: TransactionKey
        /// The request we sent, for CANCEL and ACK construction.
        var clientRequest: SIPMessage
        /// The origin's INVITE carried no offer, so its ACK carries the answer that our ACK
        /// to the other leg must forward (RFC 3264 late offer).
        var awaitingOriginAck: Bool
        var provisionalSeen = false
        var cancelRequested = false
    }

    let id: Int
    var a: CallLeg
    /// The leg of the current (or final) attempt; replaced on each failover. Nil only until the
    /// first attempt starts (or when no candidate could be tried at all).
    var legB: CallLeg?
    var phase: Phase
    var pendingInvite: PendingInvite?
    /// Last ACK sent per leg, re-sent when that leg retransmits its 2xx.
    var lastAck: [LegSide: SIPMessage] = [:]
    let route: RouteDecision
    /// The caller's INVITE: every attempt's B-leg INVITE is built from it. Released once the
    /// call is answered (no attempt follows an answer), so an established call holds no copy.
    var callerInvite: SIPMessage?
    /// The caller's INVITE server transaction.
    let callerKey: TransactionKey
    /// Trunk of the attempt in progress or answered: it counts against the trunk's call limit.
    var activeTrunk: TrunkSettings?
    var finalStatus: Int?
    /// Candidates not tried yet, in the order they will be.
    var remainingCandidates: [TrunkSettings]
    /// Every attempt so far, for the failover decision log and the CDR.
    var attempts: [CallAttemptSummary] = []
    /// A provisional with SDP arrived: the caller may be hearing the callee's network, so the
    /// call is committed to this attempt (never fail over after early media).
    var earlyMedia = false
    /// Sequences of the armed per-attempt timers (see `B2BUA.callTimers`).
    var provisionalTimer: UInt64?
    var answerTimer: UInt64?
    let startedAt: Duration
    var answeredAt: Duration?
    var endedBy: String?
    /// The relay session and each side's media; nil until SDP first crosses (or media is off).
    var media: CallMedia?
    /// Why the last candidate refused the call before any INVITE (488 for codecs), answered to
    /// the caller when no candidate is left.
    var refusal: (status: Int, reason: String)?
    /// An in-dialog offer (re-INVITE or UPDATE with SDP) in flight: the request's server
    /// transaction and the media state before it, restored if the offer is rejected (RFC 3264
    /// §8: a rejected offer leaves the session as it was). One at a time (RFC 3311 §5.2).
    var pendingOffer: (serverKey: TransactionKey, before: CallMedia?)?

    init(id: Int, a: CallLeg, route: RouteDecision, callerInvite: SIPMessage, callerKey: TransactionKey,
         remainingCandidates: [TrunkSettings], startedAt: Duration)
    {
        self.id = id
        self.a = a
        phase = .proceeding
        self.callerKey = callerKey
        self.route = route
        self.callerInvite = callerInvite
        self.remainingCandidates = remainingCandidates
        self.startedAt = startedAt
    }

    var routeName: String { route.routeName }

    /// Original Call-ID, the key operators search logs by.
    var logID: String { a.callID }

    /// Both legs exist whenever a dialog request or response refers to `side`: B-leg traffic
    /// only reaches a call once an attempt has started.
    subscript(side: LegSide) -> CallLeg {
        get { side == .a ? a : legB! }
        set {
            if side == .a { a = newValue } else { legB = newValue }
        }
    }
}

/// What a transaction belongs to, so that its events find their way back into the call.
public struct TransactionContext: Sendable {
    enum Purpose: Sendable {
        /// Server transaction answering a request from a peer.
        case answering
        /// Client INVITE of a call (initial or re-INVITE) sent on `target`, see `Call.pendingInvite`.
        case invite(target: LegSide)
        /// Client request relaying the origin's in-dialog request; the final response goes back
        /// on `serverKey`.
        case relay(serverKey: TransactionKey, origin: LegSide)
        /// Client request whose answer nobody waits for (CANCEL, teardown BYE).
        case fireAndForget
        /// OPTIONS health probe of a trunk.
        case probe(trunk: String)
    }

    var destination: SIPEndpoint
    var callID: Int?
    var purpose: Purpose
}
