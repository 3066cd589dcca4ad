import Routing
import SBCConfig
import SIPCore
import SIPTransaction

/// A call's key in the B2BUA's call table. Not a SIP Call-ID: each leg of a call has its own
/// Call-ID (or shares the caller's, per trunk policy), and log lines name calls by the caller's.
struct CallHandle: Hashable, Sendable, CustomStringConvertible {
    let rawValue: Int
    var description: String { "#\(rawValue)" }
}

/// A call: the caller's dialog, every dialog the SBC originated for it (one per attempt, the
/// newest active), and the INVITE transaction currently bridging them (initial or re-INVITE).
///
/// Why every carrier leg is kept: a leg that lost the call to another (a failed attempt, a leg
/// replaced by mid-call failover) can still need an ACK, a CANCEL or a BYE, and its CDR row. The
/// SEMS B2BUA keeps its `other_legs` for the same reason.
///
/// A class, not a value: every message of a call mutates it, and copying the whole call (legs,
/// pending request) in and out of the call table per message was the B2BUA's main ARC cost.
/// It never leaves the signalling thread.
final class Call {
    enum Phase: Sendable {
        /// The initial INVITE is out to the newest carrier leg, no final answer yet.
        case proceeding(Proceeding)
        /// The caller cancelled; waiting for the callee's INVITE to end.
        case cancelling
        case established(Established)
        /// The active carrier leg died under an established call; a new one is being originated.
        /// Boxed: it is rare, and inline its data would make every call larger.
        indirect case failingOver(FailingOver)
        /// A BYE is in flight or the call is being closed; no new requests are relayed.
        case terminating
    }

    /// What a new carrier leg is built from: the caller's INVITE (identities, end-to-end
    /// headers, the profile's input) and the route's members not tried yet, in order.
    struct Candidates: Sendable {
        var callerInvite: SIPMessage
        var remaining: [TrunkSettings]
    }

    /// The timers of one INVITE attempt towards a carrier, and whether it played early media.
    struct Attempt: Sendable {
        var provisionalTimer: UInt64?
        var answerTimer: UInt64?
        /// A provisional with SDP arrived: the caller may be hearing the callee's network, so the
        /// call is committed to this attempt (never fail over after early media).
        var earlyMedia = false
        /// The early dialogs of this INVITE by To-tag (forks, 100rel state, early SDP).
        var early = EarlyDialogs()
    }

    struct Proceeding: Sendable {
        var candidates: Candidates
        var attempt = Attempt()
        /// Why the last candidate refused the call before any INVITE (488 for codecs), answered
        /// to the caller when no candidate is left.
        var refusal: Refusal?
    }

    /// A critical call's means to re-originate its carrier leg (docs/FAILOVER.md).
    struct Reorigination: Sendable {
        var candidates: Candidates
        let settings: MidCallFailoverSettings
        var failovers = 0
    }

    struct Established: Sendable {
        /// Only calls on critical routes keep what a new carrier leg needs: the others hold no
        /// copy of the caller's INVITE once answered. Out of line: nil for most calls.
        @OutOfLine var reorigination: Reorigination?
        var liveness = CarrierLiveness()
        /// Set after a mid-call failover until the new carrier's first packet: the audio gap.
        var gapStart: Duration?
    }

    /// How the active carrier leg has been doing, for the mid-call failover triggers.
    struct CarrierLiveness: Sendable {
        var icmpErrors = 0
        /// When the first of `icmpErrors` came back: about when the carrier's media stopped, the
        /// start of the audio gap for the `icmp_unreachable` trigger.
        var firstICMPError: Duration?
        var keepaliveFailures = 0
        var keepaliveTimer: UInt64?
        /// A relayed re-INVITE or UPDATE's `reinvite_timeout_ms` timer.
        var reinviteTimer: UInt64?
        /// The SBC's own re-INVITE to the caller after a failover changed codecs.
        var refresh: TransactionKey?
    }

    struct FailingOver: Sendable {
        enum Stage: Sendable {
            /// Waiting for the group's `max_rate` pacing.
            case queued
            case inviting(Attempt)
        }
        var reorigination: Reorigination
        let trigger: MidCallTrigger
        /// When the trigger fired, for the reaction time, and when the dead leg's media stopped.
        let triggeredAt: Duration
        let gapStart: Duration
        /// The caller's re-INVITE or UPDATE that the dead leg refused: answered by the new leg.
        var heldRequest: TransactionKey?
        var stage: Stage = .queued
        /// Set when the new leg is a transfer's (REFER, `refer: terminate`), not a replacement
        /// for a dead leg: the old leg lives on until the new one answers (B2BUA+Refer.swift).
        var transfer: Transfer?
    }

    let handle: CallHandle
    var a: CallLeg
    /// Every leg the SBC originated for this call, oldest first; the last is the active one.
    var carrierLegs: [CallLeg] = []
    var phase: Phase
    var pendingInvite: PendingInvite?
    /// The route the active carrier leg came from; a transfer (`refer: terminate`) routes anew.
    /// Kept without its candidate list: the phase holds the candidates not tried yet
    /// (``Candidates``), nothing reads the decision's own copy after the call is created, and it
    /// cost about 830 bytes a trunk for the whole call (issue 15). The rest is shared by the
    /// calls on the same route (``SharedRouteDecision``).
    var route: RouteDecision {
        _read { yield sharedRoute.decision }
        set { sharedRoute = .shared(newValue) }
    }
    private var sharedRoute: SharedRouteDecision
    /// The caller's INVITE server transaction.
    let callerKey: TransactionKey
    /// Trunk of the attempt in progress or answered: it counts against the trunk's call limit.
    /// Shared, not copied (``SharedTrunkSettings``): it is usually the active carrier leg's.
    var activeTrunk: TrunkSettings? {
        get { sharedActiveTrunk?.settings }
        set { sharedActiveTrunk = newValue.map(SharedTrunkSettings.shared) }
    }
    private var sharedActiveTrunk: SharedTrunkSettings?
    var finalStatus: Int?
    /// Every attempt so far, for the failover decision log and the CDR; one per carrier leg
    /// plus one per skipped trunk.
    var attempts: [CallAttemptSummary] = []
    let startedAt: Duration
    var answeredAt: Duration?
    var endedBy: String?
    /// The relay session and each side's media; nil until SDP first crosses (or media is off).
    var media: CallMedia?
    /// An in-dialog offer (re-INVITE or UPDATE with SDP) in flight: the request's server
    /// transaction and the media state before it, restored if the offer is rejected (RFC 3264
    /// §8: a rejected offer leaves the session as it was). One at a time (RFC 3311 §5.2).
    @OutOfLine var pendingOffer: (serverKey: TransactionKey, before: CallMedia?)? = nil
    /// Reliable provisionals (RFC 3262) to the caller, when its leg uses 100rel; nil: its 18x
    /// are sent unreliably.
    @OutOfLine var reliableToCaller: ReliableProvisionalSender? = nil
    /// Restored from the state database after a restart (B2BUA+Recovery.swift): its CDR says so.
    var recovered = false

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

    init(handle: CallHandle, a: CallLeg, route: RouteDecision, candidates: Candidates, callerKey: TransactionKey,
         startedAt: Duration)
    {
        self.handle = handle
        self.a = a
        phase = .proceeding(Proceeding(candidates: candidates))
        self.callerKey = callerKey
        sharedRoute = .shared(route)
        self.startedAt = startedAt
    }

    var routeName: String { route.routeName }

    /// Original Call-ID, the key operators search logs by.
    var logID: String { a.callID }

    /// The active carrier leg. Every path that reaches `.b` runs after the first attempt built
    /// its leg: B-leg traffic only reaches a call once an attempt has started.
    ///
    /// `_read`/`_modify` rather than get/set: a leg is a large value, and `call[.b].trunk` or
    /// `call[.b].localCSeq += 1` would otherwise copy all of it (with its retains) each time; those
    /// copies were about 3% of the signalling cost per call (issue 15).
    subscript(side: LegSide) -> CallLeg {
        _read {
            if side == .a { yield a } else { yield carrierLegs[carrierLegs.count - 1] }
        }
        _modify {
            if side == .a { yield &a } else { yield &carrierLegs[carrierLegs.count - 1] }
        }
    }

    /// The leg a dialog entry names.
    subscript(leg: LegReference) -> CallLeg {
        _read {
            switch leg {
            case .a: yield a
            case .carrier(let index): yield carrierLegs[index]
            }
        }
        _modify {
            switch leg {
            case .a: yield &a
            case .carrier(let index): yield &carrierLegs[index]
            }
        }
    }

    /// Which side a dialog entry is on; nil for a carrier leg that is no longer the active one.
    func activeSide(_ leg: LegReference) -> LegSide? {
        switch leg {
        case .a: .a
        case .carrier(let index): index == carrierLegs.count - 1 ? .b : nil
        }
    }

    var isProceeding: Bool { if case .proceeding = phase { true } else { false } }
    var isCancelling: Bool { if case .cancelling = phase { true } else { false } }
    var isTerminating: Bool { if case .terminating = phase { true } else { false } }
    /// Answered and in use: established, or replacing its carrier leg.
    var isAnswered: Bool {
        switch phase {
        case .established, .failingOver: true
        case .proceeding, .cancelling, .terminating: false
        }
    }

    /// The timers of the INVITE attempt in progress (initial, or a mid-call failover's).
    var attempt: Attempt? {
        get {
            switch phase {
            case .proceeding(let proceeding): proceeding.attempt
            case .failingOver(let failover): if case .inviting(let attempt) = failover.stage { attempt } else { nil }
            case .cancelling, .established, .terminating: nil
            }
        }
        set {
            guard let newValue else { return }
            switch phase {
            case .proceeding(var proceeding):
                proceeding.attempt = newValue
                phase = .proceeding(proceeding)
            case .failingOver(var failover):
                failover.stage = .inviting(newValue)
                phase = .failingOver(failover)
            case .cancelling, .established, .terminating:
                break
            }
        }
    }

    /// The established call's carrier liveness state; changes to it are dropped in other phases.
    var liveness: CarrierLiveness? {
        get { if case .established(let established) = phase { established.liveness } else { nil } }
        set {
            guard let newValue, case .established(var established) = phase else { return }
            established.liveness = newValue
            phase = .established(established)
        }
    }

    /// Where new carrier legs come from, in the phases that have one.
    var candidates: Candidates? {
        switch phase {
        case .proceeding(let proceeding): proceeding.candidates
        case .established(let established): established.reorigination?.candidates
        case .failingOver(let failover): failover.reorigination.candidates
        case .cancelling, .terminating: nil
        }
    }

    /// Whether a per-call timer is still the one armed (cancelled timers stay in the heap).
    func isLive(_ kind: B2BUA.CallTimer.Kind, sequence: UInt64) -> Bool {
        switch kind {
        case .firstProvisional: attempt?.provisionalTimer == sequence
        case .answer: attempt?.answerTimer == sequence
        case .reinvite: liveness?.reinviteTimer == sequence
        case .keepalive: liveness?.keepaliveTimer == sequence
        case .reliableProvisional: reliableToCaller?.timer == sequence
        case .sessionTimer(let side): (side == .a || !carrierLegs.isEmpty) && self[side].sessionTimer?.timer == sequence
        }
    }

    /// Takes the next candidate off the list of the phase that has one.
    func popCandidate() -> TrunkSettings? {
        switch phase {
        case .proceeding(var proceeding):
            guard !proceeding.candidates.remaining.isEmpty else { return nil }
            let next = proceeding.candidates.remaining.removeFirst()
            phase = .proceeding(proceeding)
            return next
        case .failingOver(var failover):
            guard !failover.reorigination.candidates.remaining.isEmpty else { return nil }
            let next = failover.reorigination.candidates.remaining.removeFirst()
            phase = .failingOver(failover)
            return next
        case .cancelling, .established, .terminating:
            return nil
        }
    }
}

/// A leg of a call as a dialog entry names it: the caller's, or one of the carrier legs by its
/// place in `Call.carrierLegs` (legs are never removed, so the index stays valid; a failed
/// transfer's own legs are the one exception, removed together with their dialog entries).
enum LegReference: Sendable, Hashable {
    case a
    case carrier(Int)
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
        /// In-dialog OPTIONS to a critical call's carrier leg (`keepalive_interval_s`).
        case keepalive
        /// The SBC's own re-INVITE to the caller after a mid-call failover changed codecs.
        case refresh
        /// REGISTER keeping a registration trunk's binding (`trunks[].register`).
        case register(trunk: String)
        /// INVITE of a test call the SBC places itself (B2BUA+TestCalls.swift), by its id.
        case testCall(UInt64)
    }

    var destination: SIPEndpoint
    var call: CallHandle?
    var purpose: Purpose
    /// Digest challenges this request (and the retries it led to) answered; see
    /// B2BUA+Authentication.swift.
    var authRetries = ChallengeRetries()
}
