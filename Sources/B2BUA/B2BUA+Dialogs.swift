import Logging
import SBCConfig
import SIPCore
import SIPTransaction

extension B2BUA {
    /// Methods that may change the remote target, so the relayed request carries our Contact.
    static let targetRefreshing: Set<SIPMethod> = [.invite, .update, .subscribe, .notify, .refer]

    /// A request inside an established or early dialog: bridged to the other leg with that leg's
    /// identifiers, its response bridged back.
    mutating func inDialog(_ request: SIPMessage, key: TransactionKey, now: Duration) {
        let method = request.method ?? .options
        guard let callID = request.callID, let tag = request.to?.tag,
              let entry = dialogs[DialogKey(callID: callID, localTag: tag)], let call = calls[entry.call]
        else {
            respond(to: request, key: key, status: 481, now: now)
            return
        }
        guard let origin = call.activeSide(entry.leg) else {
            // A carrier leg the call moved away from: it is answered here, never relayed.
            respond(to: request, key: key, status: method == .bye ? 200 : 481, now: now)
            if method == .bye { replacedLegHungUp(call, leg: entry.leg) }
            return
        }
        let target = origin.other
        if let remoteTag = call[origin].remoteTag, remoteTag != request.from?.tag {
            respond(to: request, key: key, status: 481, now: now)
            return
        }
        if let number = request.cseq?.number {
            if let last = call[origin].remoteCSeq, number <= last {
                respond(to: request, key: key, status: 500, reason: "CSeq out of order", now: now)
                return
            }
            call[origin].remoteCSeq = number
        }
        if !SIPMethod.known.contains(method), settings.unknownMethods == .reject {
            respond(to: request, key: key, status: 501, now: now)
            return
        }
        if call.isTerminating {
            respond(to: request, key: key, status: method == .bye ? 200 : 481, now: now)
            return
        }
        if interworkingIntercepts(request, key: key, call: call, origin: origin, now: now) { return }
        if dtmfInfoIntercepts(request, key: key, call: call, origin: origin, now: now) { return }
        if referIntercepts(request, key: key, call: call, origin: origin, now: now) { return }
        if case .failingOver = call.phase {
            requestDuringFailover(request, key: key, call: call, origin: origin, now: now)
            return
        }
        if method == .invite || method == .update, origin == .a, call.liveness?.refresh != nil {
            // The SBC's own re-INVITE to the caller (codecs changed by a mid-call failover) is
            // in flight: the caller's offer would cross it (RFC 3261 14.2).
            respond(to: request, key: key, status: 491, now: now)
            return
        }
        if method == .invite, call.pendingInvite != nil {
            respond(to: request, key: key, status: 491, now: now)
            return
        }
        if Self.targetRefreshing.contains(method), let contact = request.contacts.first?.uri {
            call[origin].remoteTarget = contact
        }

        var relayed = call[target].request(method, branch: ids.branch(), maxForwards: forwardedMaxForwards(request))
        if Self.targetRefreshing.contains(method) { relayed.add(.contact, call[target].localContact) }
        HeaderFilter.copyEndToEnd(from: request, into: &relayed, limits: settings.headerLimits)
        if method == .refer { rewriteReferAddresses(&relayed, target: call[target]) }
        if method == .invite || method == .update {
            prepareSessionTimerRequest(&relayed, call: call, trunk: call[target].trunk,
                                       learnedMinSE: call[target].sessionTimer?.minSE)
        }
        if method == .invite || method == .update, !relayed.body.isEmpty {
            guard call.pendingOffer == nil else {
                // An offer is already in flight: a second one would leave two answers pending.
                respond(to: request, key: key, status: 491, now: now)
                return
            }
            let before = call.media
            if case .refused(let refusal) = anchorMedia(&relayed, call: call, from: origin, offer: true, now: now) {
                revertMedia(of: call, to: before, now: now)
                respond(to: request, key: key, status: refusal.status ?? 500, reason: refusal.reason, now: now)
                return
            }
            call.pendingOffer = (key, before)
        }
        let purpose: TransactionContext.Purpose
        if method == .invite, let clientKey = TransactionKey.client(for: relayed) {
            startPendingInvite(Call.PendingInvite(origin: origin, serverKey: key, clientKey: clientKey,
                                                  clientRequest: relayed, awaitingOriginAck: request.body.isEmpty),
                               on: call)
            purpose = .invite(target: target)
        } else {
            purpose = .relay(serverKey: key, origin: origin)
        }
        if target == .b, method == .invite || method == .update, let clientKey = TransactionKey.client(for: relayed) {
            armReinviteTimer(call, client: clientKey, server: key, now: now)
        }
        if method == .bye {
            stopCarrierTimers(of: call)
            call.phase = .terminating
            call.endedBy = origin == .a ? "caller" : "callee"
            logger.info("hangup", metadata: metadata(call).merging(["by": "\(origin == .a ? "caller" : "callee")"]) { a, _ in a })
        }
        let peer = call[target].peer
        let context = TransactionContext(destination: peer, call: call.handle, purpose: purpose)
        handle(transactions.startClient(relayed, reliable: peer.isReliable, context: context, now: now), now: now)
    }

    /// ACK for a 2xx we relayed: absorbed, or (late offer) forwarded with its answer.
    mutating func dialogAck(_ ack: SIPMessage, now: Duration) {
        guard let callID = ack.callID, let tag = ack.to?.tag,
              let entry = dialogs[DialogKey(callID: callID, localTag: tag)], let call = calls[entry.call],
              let side = call.activeSide(entry.leg), let pending = call.pendingInvite, pending.origin == side
        else { return }
        let target = side.other
        if pending.awaitingOriginAck, call[target].lastAck == nil {
            var forwarded = makeAck(for: pending.clientRequest, on: call, side: target)
            HeaderFilter.copyEndToEnd(from: ack, into: &forwarded, limits: settings.headerLimits)
            anchorResponseMedia(&forwarded, call: call, from: side, offer: false, now: now)
            forwarded.set(.contentLength, String(forwarded.body.count))
            send(forwarded, to: call[target].peer)
            call[target].lastAck = forwarded
        }
        call.pendingInvite = nil
    }

    /// A BYE the SBC originates itself (shutdown, ACK timeout, answer crossing a CANCEL, a
    /// carrier leg replaced mid-call).
    mutating func sendBye(call handle: CallHandle, side: LegSide, reason: String, now: Duration) {
        guard let call = calls[handle] else { return }
        sendBye(call: call, leg: side == .a ? .a : .carrier(call.carrierLegs.count - 1), reason: reason, now: now)
    }

    mutating func sendBye(call: Call, leg: LegReference, reason: String, now: Duration) {
        var bye = call[leg].request(.bye, branch: ids.branch(), maxForwards: settings.maxForwards)
        bye.add(.reason, reason)
        let peer = call[leg].peer
        let context = TransactionContext(destination: peer, call: call.handle, purpose: .fireAndForget)
        handle(transactions.startClient(bye, reliable: peer.isReliable, context: context, now: now), now: now)
    }

    /// Ends a call from the SBC's side: BYE to answered legs, a final response to a caller still
    /// waiting, CANCEL to a callee that is ringing. `endedBy` is the CDR's (an operator's hang-up
    /// names the operator) and `unansweredStatus` what a waiting caller gets.
    mutating func terminate(call handle: CallHandle, reason: String, disposition: CallSummary.Disposition? = nil,
                            endedBy: String = "sbc", unansweredStatus: Int = 503, now: Duration) {
        guard let call = calls[handle] else { return }
        logger.info("closing call", metadata: metadata(call).merging(["reason": "\(reason)"]) { a, _ in a })
        call.endedBy = endedBy
        switch call.phase {
        case .established, .terminating:
            sendBye(call: handle, side: .a, reason: reason, now: now)
            sendBye(call: handle, side: .b, reason: reason, now: now)
        case .failingOver:
            abandonReplacement(call, reason: reason, now: now)
            sendBye(call: handle, side: .a, reason: reason, now: now)
        case .proceeding, .cancelling:
            if let pending = call.pendingInvite {
                if call.isProceeding, let request = transactions.request(of: pending.serverKey),
                   transactions.isServerInviteProceeding(pending.serverKey)
                {
                    call.finalStatus = unansweredStatus
                    respond(to: request, key: pending.serverKey, status: unansweredStatus,
                            toTag: call[pending.origin].localTag, now: now)
                }
                if pending.provisionalSeen { sendCancel(call: handle, now: now) }
            }
        }
        removeCall(handle, now: now, disposition: disposition ?? (drainDeadline != nil ? .shutdown : nil))
    }

    /// Forgets a call and reports its summary; the one place a call ends.
    mutating func removeCall(_ handle: CallHandle, now: Duration, disposition: CallSummary.Disposition? = nil) {
        guard let call = calls.removeValue(forKey: handle) else { return }
        for leg in [call.a] + call.carrierLegs { dialogs[DialogKey(callID: leg.callID, localTag: leg.localTag)] = nil }
        rememberEndedLegs(call.carrierLegs, now: now)
        if let trunk = call.activeTrunk { availability.callEnded(on: trunk.name) }
        stopCarrierTimers(of: call)
        withdrawFromPacing(call)
        var attempts = call.attempts
        for index in attempts.indices {
            if attempts[index].outcome == .pending { attempts[index].outcome = call.isCancelling ? .cancelled : .rejected }
            if attempts[index].endedAt == nil { attempts[index].endedAt = now }
        }
        let resolved: CallSummary.Disposition = disposition
            ?? (call.answeredAt != nil ? .answered : call.isCancelling ? .cancelled : .failed)
        let answeredTrunk = call.attempts.last { $0.outcome == .answered }?.trunk
        var summary = CallSummary(
            callID: call.a.callID, legBCallID: call.carrierLegs.last?.callID, fromURI: "\(call.a.remoteAddress.uri)",
            toURI: "\(call.a.localAddress.uri)", ingressTrunk: call.a.trunk.name, route: call.routeName,
            startedAt: call.startedAt, answeredAt: call.answeredAt, endedAt: now, disposition: resolved,
            finalStatus: call.finalStatus ?? (call.answeredAt != nil ? 200 : call.isCancelling ? 487 : nil),
            finalTrunk: call.answeredAt != nil ? answeredTrunk : call.attempts.last?.trunk,
            endedBy: call.endedBy, attempts: attempts)
        summary.recovered = call.recovered
        noteCallEnded(handle)
        if let ready = releaseMedia(of: call, summary: summary, now: now) { finishedCalls.append(ready) }
    }
}
