import Logging
import SBCConfig
import SIPCore
import SIPTransaction

/// Reliable provisional responses towards the caller (RFC 3262 §3), the caller's PRACKs, and the
/// option tags of the INVITE the SBC sends: whatever the callee does, the caller's leg uses
/// 100rel as its own trunk and INVITE say. docs/SIP.md, "Provisional responses and 100rel".
extension B2BUA {
    /// Option tags the SBC honours in Require from a trunk that allows 100rel.
    static let extensionsWith100rel: Set<String> = SIPRequestScreening.supportedExtensions.union(["100rel"])

    /// A new call's INVITE the caller's trunk cannot take for its extensions: 421 when the trunk
    /// requires 100rel and the INVITE does not support it (RFC 3262 §3), 422 when it asks for a
    /// session interval below the trunk's Min-SE (RFC 4028 §8.1). True when it was refused.
    mutating func refusesExtensions(_ request: SIPMessage, key: TransactionKey, trunk: TrunkSettings,
                                    now: Duration) -> Bool
    {
        if trunk.reliableProvisionals == .required, !request.lists("100rel") {
            respond(to: request, key: key, status: 421, reason: "Extension Required",
                    headers: [SIPHeaderField(.require, "100rel")], now: now)
            return true
        }
        return refusesSessionInterval(request, key: key, settings: trunk.sessionTimer, now: now)
    }

    /// The caller's leg uses 100rel when its trunk allows it and its INVITE supports it.
    mutating func setUpCallerExtensions(_ call: Call, invite: SIPMessage) {
        guard call.a.trunk.reliableProvisionals != .off, invite.lists("100rel") else { return }
        call.reliableToCaller = ReliableProvisionalSender(t1: settings.timers.t1,
                                                          firstRSeq: UInt32(truncatingIfNeeded: ids.next() >> 33))
    }

    /// The option tags of an INVITE to `trunk`: 100rel per the trunk's policy (not offered on a
    /// late-offer INVITE whose caller cannot PRACK: a reliable offer from the callee would need
    /// an answer the caller can only give after the 200), and the trunk's session timer.
    func prepareAttemptExtensions(_ invite: inout SIPMessage, call: Call, trunk: TrunkSettings) {
        switch trunk.reliableProvisionals {
        case .off:
            break
        case .supported:
            if !invite.body.isEmpty || call.reliableToCaller != nil { invite.addOptionTag("100rel", to: .supported) }
        case .required:
            invite.addOptionTag("100rel", to: .require)
        }
        prepareSessionTimerRequest(&invite, call: call, trunk: trunk, learnedMinSE: nil)
    }

    /// Sends a provisional to the caller: reliably (numbered, retransmitted until PRACKed, queued
    /// behind one not yet PRACKed) when its leg uses 100rel, else as it is.
    mutating func provisionalToCaller(_ response: SIPMessage, call: Call, key: TransactionKey, now: Duration) {
        guard var sender = call.reliableToCaller, key == call.callerKey else {
            respond(key, response, now: now)
            return
        }
        let numbered = sender.send(response, now: now)
        if numbered != nil { armReliableProvisional(&sender, call: call) }
        call.reliableToCaller = sender
        if let numbered { respond(key, numbered, now: now) }
    }

    private mutating func armReliableProvisional(_ sender: inout ReliableProvisionalSender, call: Call) {
        guard let deadline = sender.deadline else { return }
        sender.timer = callTimers.push(CallTimer(call: call.handle, kind: .reliableProvisional), at: deadline)
    }

    /// The final response to the caller's INVITE is about to go: a 2xx waits while a reliable
    /// provisional with SDP is unacknowledged (RFC 3262 §3); anything else stops the
    /// retransmissions. False when the response was held.
    mutating func releasesFinalToCaller(_ response: SIPMessage, call: Call, now: Duration) -> Bool {
        guard var sender = call.reliableToCaller else { return true }
        let hadHeld = sender.heldFinal != nil
        let goes = sender.final(response)
        if goes { sender.timer = nil }
        call.reliableToCaller = sender
        if !goes {
            logger.info("answer held for the caller's PRACK", metadata: metadata(call))
        } else if hadHeld, (response.statusCode ?? 0) >= 300, call.isAnswered {
            // The callee answered, but the caller's INVITE ends otherwise (its CANCEL crossed the
            // held 2xx): the callee's dialog is hung up and the call is over.
            logger.info("caller cancelled while its answer waited for a PRACK", metadata: metadata(call))
            sendBye(call: call.handle, side: .b, reason: "SIP;cause=487;text=\"Caller cancelled\"", now: now)
            call.endedBy = "caller"
            removeCall(call.handle, now: now, disposition: .cancelled)
        }
        return goes
    }

    /// The retransmission timer of the reliable provisional to the caller.
    mutating func retransmitReliableProvisional(_ call: Call, now: Duration) {
        guard var sender = call.reliableToCaller else { return }
        switch sender.fire(now: now) {
        case .retransmit(let message):
            armReliableProvisional(&sender, call: call)
            call.reliableToCaller = sender
            handle(transactions.respond(call.callerKey, with: message, now: now), now: now)
        case .gaveUp:
            sender.timer = nil
            call.reliableToCaller = sender
            reliableProvisionalUnacknowledged(call, now: now)
        case nil:
            break
        }
    }

    /// 64*T1 without the caller's PRACK: its INVITE is rejected with a 5xx (RFC 3262 §3), and
    /// the callee is cancelled, or hung up if it already answered.
    private mutating func reliableProvisionalUnacknowledged(_ call: Call, now: Duration) {
        logger.warning("caller never acknowledged a reliable provisional response", metadata: metadata(call))
        call.endedBy = "sbc"
        if transactions.isServerInviteProceeding(call.callerKey), let request = transactions.request(of: call.callerKey) {
            call.finalStatus = 504
            respond(to: request, key: call.callerKey, status: 504,
                    reason: "Server Time-out (reliable provisional response not acknowledged)", toTag: call.a.localTag,
                    now: now)
        }
        if call.isAnswered {
            sendBye(call: call.handle, side: .b,
                    reason: "SIP;cause=504;text=\"Caller did not acknowledge a reliable provisional\"", now: now)
        } else if let pending = call.pendingInvite {
            if pending.provisionalSeen {
                sendCancel(call: call.handle, now: now)
            } else {
                handle(transactions.abandonClient(pending.clientKey), now: now)
            }
        }
        removeCall(call.handle, now: now)
    }

    /// The caller's PRACK (RFC 3262 §3): 481 unless it acknowledges the provisional waiting for
    /// it; then 200, the next queued provisional or the held 2xx, and what its body holds: the
    /// answer to the callee's offer in a reliable 18x (sent on in the SBC's PRACK to the callee),
    /// or an offer of its own (sent to the callee as UPDATE, whose answer the 200 carries).
    mutating func callerPRACK(_ request: SIPMessage, key: TransactionKey, call: Call, origin: LegSide, now: Duration) {
        guard origin == .a, var sender = call.reliableToCaller, let rack = ReliableAcknowledgement(request),
              rack.method == .invite, rack.cseq == transactions.request(of: call.callerKey)?.cseq?.number,
              case .acknowledged(let next, let final) = sender.prack(rseq: rack.rseq, now: now)
        else {
            respond(to: request, key: key, status: 481, reason: "Call/Transaction Does Not Exist (no such provisional)",
                    now: now)
            return
        }
        if next != nil { armReliableProvisional(&sender, call: call) }
        call.reliableToCaller = sender
        switch request.body.isEmpty ? .answeredNow : takePRACKBody(request, key: key, call: call, now: now) {
        case .answeredNow:
            respond(to: request, key: key, status: 200, now: now)
        case .waitsForCallee:
            break
        case .refused(let refusal):
            respond(to: request, key: key, status: refusal.status ?? 488, reason: refusal.reason, now: now)
        }
        if let next { handle(transactions.respond(call.callerKey, with: next, now: now), now: now) }
        if let final { handle(transactions.respond(call.callerKey, with: final, now: now), now: now) }
    }

    /// What became of the body of the caller's PRACK.
    enum PRACKBody {
        /// An answer sent on (or nothing to do): the PRACK gets its 200 now.
        case answeredNow
        /// An offer relayed to the callee as UPDATE: its answer comes back in the PRACK's 200.
        case waitsForCallee
        /// An offer the SBC cannot relay (no codec, no ports, not SDP).
        case refused(Refusal)
    }

    private mutating func takePRACKBody(_ request: SIPMessage, key: TransactionKey, call: Call,
                                        now: Duration) -> PRACKBody
    {
        guard !call.carrierLegs.isEmpty else { return .answeredNow }
        if var attempt = call.attempt, let waiting = attempt.early.takeAwaitingAnswer() {
            call.attempt = attempt
            var answer = request
            anchorResponseMedia(&answer, call: call, from: .a, offer: false, now: now)
            sendPRACK(call: call, target: .b, tag: waiting.tag, rseq: waiting.rseq, answer: answer, now: now)
            // The callee has its answer: its 2xx is ACKed at once, not with the caller's ACK.
            if var pending = call.pendingInvite {
                pending.awaitingOriginAck = false
                call.pendingInvite = pending
            }
            return .answeredNow
        }
        guard call.pendingOffer == nil else {
            return .refused(Refusal(status: 491, reason: "Request Pending"))
        }
        var update = call[.b].request(.update, branch: ids.branch(), maxForwards: forwardedMaxForwards(request))
        update.add(.contact, call[.b].localContact)
        HeaderFilter.copyEndToEnd(from: request, into: &update, limits: settings.headerLimits)
        let before = call.media
        if case .refused(let refusal) = anchorMedia(&update, call: call, from: .a, offer: true, now: now) {
            revertMedia(of: call, to: before, now: now)
            return .refused(refusal)
        }
        call.pendingOffer = (key, before)
        let peer = call[.b].peer
        let context = TransactionContext(destination: peer, call: call.handle, purpose: .relay(serverKey: key, origin: .a))
        handle(transactions.startClient(update, reliable: peer.isReliable, context: context, now: now), now: now)
        return .waitsForCallee
    }
}
