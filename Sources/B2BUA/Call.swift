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
    var b: CallLeg
    var phase: Phase
    var pendingInvite: PendingInvite?
    /// Last ACK sent per leg, re-sent when that leg retransmits its 2xx.
    var lastAck: [LegSide: SIPMessage] = [:]
    let routeName: String

    init(id: Int, a: CallLeg, b: CallLeg, phase: Phase, routeName: String) {
        self.id = id
        self.a = a
        self.b = b
        self.phase = phase
        self.routeName = routeName
    }

    /// Original Call-ID, the key operators search logs by.
    var logID: String { a.callID }

    subscript(side: LegSide) -> CallLeg {
        get { side == .a ? a : b }
        set {
            if side == .a { a = newValue } else { b = newValue }
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
    }

    var destination: SIPEndpoint
    var callID: Int?
    var purpose: Purpose
}
