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
        let origin = entry.side
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
        if call.phase == .terminating {
            respond(to: request, key: key, status: method == .bye ? 200 : 481, now: now)
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
        HeaderFilter.copyEndToEnd(from: request, into: &relayed)
        if method == .invite || method == .update, !relayed.body.isEmpty {
            guard call.pendingOffer == nil else {
                // An offer is already in flight: a second one would leave two answers pending.
                respond(to: request, key: key, status: 491, now: now)
                return
            }
            let before = call.media
            if case .refused(let status, let reason) = anchorMedia(&relayed, call: call, from: origin, offer: true, now: now) {
                revertMedia(of: call, to: before, now: now)
                respond(to: request, key: key, status: status, reason: reason, now: now)
                return
            }
            call.pendingOffer = (key, before)
        }
        let purpose: TransactionContext.Purpose
        if method == .invite, let clientKey = TransactionKey.client(for: relayed) {
            call.pendingInvite = Call.PendingInvite(origin: origin, serverKey: key, clientKey: clientKey,
                                                    clientRequest: relayed, awaitingOriginAck: request.body.isEmpty)
            purpose = .invite(target: target)
        } else {
            purpose = .relay(serverKey: key, origin: origin)
        }
        if method == .bye {
            call.phase = .terminating
            call.endedBy = origin == .a ? "caller" : "callee"
            logger.info("hangup", metadata: metadata(call).merging(["by": "\(origin == .a ? "caller" : "callee")"]) { a, _ in a })
        }
        let peer = call[target].peer
        let context = TransactionContext(destination: peer, callID: call.id, purpose: purpose)
        handle(transactions.startClient(relayed, reliable: peer.isReliable, context: context, now: now), now: now)
    }

    /// ACK for a 2xx we relayed: absorbed, or (late offer) forwarded with its answer.
    mutating func dialogAck(_ ack: SIPMessage, now: Duration) {
        guard let callID = ack.callID, let tag = ack.to?.tag,
              let entry = dialogs[DialogKey(callID: callID, localTag: tag)], let call = calls[entry.call],
              let pending = call.pendingInvite, pending.origin == entry.side
        else { return }
        let target = entry.side.other
        if pending.awaitingOriginAck, call.lastAck[target] == nil {
            var forwarded = makeAck(for: pending.clientRequest, on: call, side: target)
            HeaderFilter.copyEndToEnd(from: ack, into: &forwarded)
            anchorResponseMedia(&forwarded, call: call, from: entry.side, offer: false, now: now)
            forwarded.set(.contentLength, String(forwarded.body.count))
            send(forwarded, to: call[target].peer)
            call.lastAck[target] = forwarded
        }
        call.pendingInvite = nil
    }

    /// A BYE the SBC originates itself (shutdown, ACK timeout, answer crossing a CANCEL).
    mutating func sendBye(callID id: Int, side: LegSide, reason: String, now: Duration) {
        guard let call = calls[id] else { return }
        var bye = call[side].request(.bye, branch: ids.branch(), maxForwards: settings.maxForwards)
        bye.add(.reason, reason)
        let peer = call[side].peer
        let context = TransactionContext(destination: peer, callID: id, purpose: .fireAndForget)
        handle(transactions.startClient(bye, reliable: peer.isReliable, context: context, now: now), now: now)
    }

    /// Ends a call from the SBC's side: BYE to answered legs, a final response to a caller still
    /// waiting, CANCEL to a callee that is ringing.
    mutating func terminate(call id: Int, reason: String, disposition: CallSummary.Disposition? = nil, now: Duration) {
        guard let call = calls[id] else { return }
        logger.info("closing call", metadata: metadata(call).merging(["reason": "\(reason)"]) { a, _ in a })
        call.endedBy = "sbc"
        if call.phase == .confirmed || call.phase == .terminating {
            sendBye(callID: id, side: .a, reason: reason, now: now)
            sendBye(callID: id, side: .b, reason: reason, now: now)
        } else if let pending = call.pendingInvite {
            if call.phase == .proceeding, let request = transactions.request(of: pending.serverKey),
               transactions.isServerInviteProceeding(pending.serverKey)
            {
                call.finalStatus = 503
                respond(to: request, key: pending.serverKey, status: 503, reason: "Service Unavailable",
                        toTag: call[pending.origin].localTag, now: now)
            }
            if pending.provisionalSeen { sendCancel(callID: id, now: now) }
        }
        removeCall(id, now: now, disposition: disposition ?? (drainDeadline != nil ? .shutdown : nil))
    }

    /// Forgets a call and reports its summary; the one place a call ends.
    mutating func removeCall(_ id: Int, now: Duration, disposition: CallSummary.Disposition? = nil) {
        guard let call = calls.removeValue(forKey: id) else { return }
        dialogs[DialogKey(callID: call.a.callID, localTag: call.a.localTag)] = nil
        if let legB = call.legB { dialogs[DialogKey(callID: legB.callID, localTag: legB.localTag)] = nil }
        if let trunk = call.activeTrunk { availability.callEnded(on: trunk.name) }
        var attempts = call.attempts
        for index in attempts.indices where attempts[index].outcome == .pending {
            attempts[index].outcome = call.phase == .cancelling ? .cancelled : .rejected
        }
        let resolved: CallSummary.Disposition = disposition
            ?? (call.answeredAt != nil ? .answered : call.phase == .cancelling ? .cancelled : .failed)
        let summary = CallSummary(
            callID: call.a.callID, legBCallID: call.legB?.callID, fromURI: "\(call.a.remoteAddress.uri)",
            toURI: "\(call.a.localAddress.uri)", ingressTrunk: call.a.trunk.name, route: call.routeName,
            startedAt: call.startedAt, answeredAt: call.answeredAt, endedAt: now, disposition: resolved,
            finalStatus: call.finalStatus ?? (call.answeredAt != nil ? 200 : call.phase == .cancelling ? 487 : nil),
            finalTrunk: call.answeredAt != nil ? call.legB?.trunk.name : call.attempts.last?.trunk,
            endedBy: call.endedBy, attempts: attempts)
        if let ready = releaseMedia(of: call, summary: summary, now: now) { finishedCalls.append(ready) }
    }
}
