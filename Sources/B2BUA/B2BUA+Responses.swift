import Logging
import SIPCore
import SIPTransaction

extension B2BUA {
    mutating func receiveResponse(_ response: SIPMessage, from source: SIPEndpoint, now: Duration) {
        noteChallenge(response)
        if let events = transactions.receiveResponse(response, now: now) {
            handle(events, now: now)
            return
        }
        // A 2xx retransmitted after its transaction ended: the ACK we sent was lost.
        guard let status = response.statusCode, (200..<300).contains(status), response.cseq?.method == .invite,
              let callID = response.callID, let tag = response.from?.tag
        else {
            dropStrayResponse(response, from: source)
            return
        }
        guard let entry = dialogs[DialogKey(callID: callID, localTag: tag)] else {
            // Only an answer to an INVITE of ours gets ACK and BYE; any other is dropped.
            if answersEndedDialog(response) {
                releaseStrayAnswer(response, from: source, now: now)
            } else {
                dropStrayResponse(response, from: source)
            }
            return
        }
        // A fork that lost to the dialog that answered first (another To-tag) is released, never
        // given that dialog's ACK.
        if let remote = calls[entry.call]?[entry.leg].remoteTag, response.to?.tag != remote {
            releaseStrayAnswer(response, from: source, now: now)
            return
        }
        // No ACK yet (late offer: it waits for the caller's answer): the retransmission is expected.
        guard let leg = calls[entry.call]?[entry.leg], let ack = leg.lastAck else { return }
        send(ack, to: leg.peer)
    }

    /// A 2xx to an INVITE the SBC no longer wants (an attempt abandoned after its first-provisional
    /// timer, or a call already gone): without an ACK the callee retransmits it for 32 s, and
    /// without a BYE it may bill a call nobody hears (RFC 3261 13.2.2.4 and 15). Only trunks get
    /// this; every copy of the 2xx is ACKed, but each dialog gets one BYE.
    mutating func releaseStrayAnswer(_ response: SIPMessage, from source: SIPEndpoint, now: Duration) {
        if resendUnwantedAnswerAck(for: response) { return }
        guard routing.sourceTrunk(zone: source.zone, address: source.host) != nil,
              let zone = settings.zones[source.zone], let cseq = response.cseq, let callID = response.callID,
              let from = response.firstValue(.from), let to = response.firstValue(.to),
              let dialog = Self.dialogID(of: response), let target = response.contacts.first?.uri
        else { return }
        func request(_ method: SIPMethod, _ number: UInt32) -> SIPMessage {
            var message = SIPMessage.request(method, uri: target)
            message.add(.via, zone.via(branch: ids.branch(), transport: source.transport).description)
            message.add(.maxForwards, String(settings.maxForwards))
            message.add(.from, from)
            message.add(.to, to)
            message.add(.callID, callID)
            message.add(.cseq, "\(number) \(method)")
            for route in response.recordRoutes.reversed() { message.add(.route, route.description) }
            return message
        }
        send(request(.ack, cseq.number), to: source)
        guard !releasedStrayDialogs.contains(dialog) else { return }
        if releasedStrayDialogs.count >= 4096 { releasedStrayDialogs.removeAll(keepingCapacity: true) }
        releasedStrayDialogs.insert(dialog)
        logger.notice("releasing an unwanted answer", metadata: [
            "call_id": "\(callID)", "source": "\(source)", "status": "\(response.statusCode ?? 0)",
        ])
        var bye = request(.bye, cseq.number &+ 1)
        bye.add(.reason, "SIP;cause=200;text=\"Call completed elsewhere\"")
        let context = TransactionContext(destination: source, call: nil, purpose: .fireAndForget)
        handle(transactions.startClient(bye, reliable: source.isReliable, context: context, now: now), now: now)
    }

    /// RFC 3261 12's dialog ID (Call-ID and both tags) of a response: with `call_id: preserve`
    /// every attempt of a call shares the Call-ID, and two carriers may pick the same To-tag.
    static func dialogID(of response: SIPMessage) -> String? {
        guard let callID = response.callID, let fromTag = response.from?.tag, let toTag = response.to?.tag else {
            return nil
        }
        return "\(callID);\(fromTag);\(toTag)"
    }

    /// Sends `ack` for the 2xx `answer` the SBC does not keep, and remembers it for the 2xx's
    /// retransmissions (see `unwantedAnswerAcks`).
    mutating func acknowledgeUnwantedAnswer(_ answer: SIPMessage, with ack: SIPMessage, to peer: SIPEndpoint) {
        send(ack, to: peer)
        guard let dialog = Self.dialogID(of: answer) else { return }
        if unwantedAnswerAcks.count >= 4096 { unwantedAnswerAcks.removeAll(keepingCapacity: true) }
        unwantedAnswerAcks[dialog] = (ack, peer)
    }

    /// A retransmitted 2xx the SBC already ACKed without keeping it: the same ACK again.
    mutating func resendUnwantedAnswerAck(for response: SIPMessage) -> Bool {
        guard let status = response.statusCode, (200..<300).contains(status), let dialog = Self.dialogID(of: response),
              let remembered = unwantedAnswerAcks[dialog]
        else { return false }
        send(remembered.ack, to: remembered.peer)
        return true
    }

    /// A response delivered by one of our client transactions.
    mutating func clientResponse(_ response: SIPMessage, key: TransactionKey, context: TransactionContext,
                                 now: Duration)
    {
        // A 401/407 answered with the trunk's credentials becomes a new transaction of the same
        // request (B2BUA+Authentication.swift); one that is not is marked as an authentication failure.
        var response = response
        if answeredChallenge(&response, key: key, context: context, now: now) { return }
        if case .register(let trunk) = context.purpose {
            registrationAnswered(response, key: key, trunk: trunk, now: now)
            return
        }
        if case .probe(let trunk) = context.purpose {
            if let status = response.statusCode, status >= 200 { probeAnswered(trunk: trunk, status: status, now: now) }
            return
        }
        if case .testCall(let id) = context.purpose {
            testCallResponse(response, id: id, now: now)
            return
        }
        guard let handle = context.call, let status = response.statusCode else { return }
        switch context.purpose {
        case .invite(let target):
            inviteResponse(response, status: status, key: key, target: target, call: handle, now: now)
        case .relay(let serverKey, let origin):
            guard status >= 200 else { return }
            relayFinal(response, status: status, serverKey: serverKey, origin: origin, call: handle, now: now)
        case .keepalive:
            guard status >= 200, let call = calls[handle] else { return }
            keepaliveAnswered(call, status: status, now: now)
        case .refresh:
            guard status >= 200, let call = calls[handle] else { return }
            if sessionRefreshAnswered(call, response: response, key: key, now: now) { break }
            refreshAnswered(call, response: response, key: key, now: now)
        case .fireAndForget, .answering, .probe, .register, .testCall:
            break
        }
        sessionTimerAccepted(response, key: key, now: now)
    }

    private mutating func inviteResponse(_ response: SIPMessage, status: Int, key: TransactionKey, target: LegSide,
                                         call handle: CallHandle, now: Duration)
    {
        if resendUnwantedAnswerAck(for: response) { return }
        guard let call = calls[handle] else { return }
        if releasesForkedAnswer(response, status: status, target: target, call: call, now: now) { return }
        guard var pending = call.pendingInvite, pending.clientKey == key else {
            // A 2xx to an INVITE no longer pending (a retransmission after it was settled, or one
            // a mid-call failover left behind): ACK it, if it is this leg's dialog (not one the
            // call failed over from), with our ACK for its CSeq.
            if (200..<300).contains(status), response.to?.tag == call[target].remoteTag {
                if let ack = call[target].lastAck, ack.cseq?.number == response.cseq?.number {
                    send(ack, to: call[target].peer)
                } else if let invite = transactions.request(of: key) {
                    send(makeAck(for: invite, on: call, side: target), to: call[target].peer)
                }
            }
            return
        }
        let origin = pending.origin
        let initial = call.isProceeding || call.isCancelling
        var replacing = false
        if case .failingOver = call.phase { replacing = true }
        if status < 200 {
            // Any provisional, 100 included, proves the trunk alive and allows a CANCEL (RFC 3261 9.1).
            pending.provisionalSeen = true
            call.pendingInvite = pending
            if initial || replacing { call.attempt?.provisionalTimer = nil }
        }
        guard status > 100 else { return }

        // A provisional's tag is filed under its early dialog (B2BUA+EarlyDialogs.swift); the
        // 2xx's tag is the dialog that won.
        if initial || replacing, status >= 200, let tag = response.to?.tag { call[target].remoteTag = tag }
        if replacing {
            // The caller hears nothing of the replacement until it answers.
            if status == 422, retriesWithLongerSession(response, call: call, target: target, now: now) { return }
            if status >= 200 {
                replacementResponded(call, response: answerWithEarlySDP(response, call: call, pending: pending),
                                     status: status, now: now)
            }
            if status < 200 { replacementProvisional(response, call: call, target: target, now: now) }
            return
        }
        if status < 200 {
            if initial {
                calleeProvisional(response, call: call, target: target, pending: pending, now: now)
                return
            }
            if pending.cancelRequested {
                sendCancel(call: handle, now: now)
            } else if let request = transactions.request(of: pending.serverKey) {
                var out = relayed(response, to: request, leg: call[origin], contact: true)
                anchorResponseMedia(&out, call: call, from: target, offer: pending.awaitingOriginAck, now: now)
                respond(pending.serverKey, out, now: now)
            }
            return
        }

        if status < 300 {
            let response = initial ? answerWithEarlySDP(response, call: call, pending: pending) : response
            if let contact = response.contacts.first?.uri { call[target].remoteTarget = contact }
            if initial { call[target].routeSet = response.recordRoutes.reversed() }
            // Late offer: the callee's offer is anchored before anything commits to this answer,
            // because an offer the SBC cannot relay ends the attempt instead.
            var anchoredOffer: SIPMessage?
            if initial, pending.awaitingOriginAck, call.isProceeding,
               let request = transactions.request(of: pending.serverKey)
            {
                var out = relayed(response, to: request, leg: call[origin], contact: true)
                let before = call.media
                if case .refused(let refusal) = anchorMedia(&out, call: call, from: target, offer: true, now: now) {
                    revertMedia(of: call, to: before, now: now)
                    refuseOfferInAnswer(response, call: call, side: target, refusal: refusal, now: now)
                    return
                }
                anchoredOffer = out
            }
            if call.isCancelling {
                // The callee answered as the caller's CANCEL crossed: confirm and hang up (RFC 3261 15).
                recordAnswer(call, status: status, now: now)
                let ack = pending.awaitingOriginAck
                    ? makeAckDecliningOffer(of: response, to: pending.clientRequest, call: call, side: target)
                    : makeAck(for: pending.clientRequest, on: call, side: target)
                acknowledgeUnwantedAnswer(response, with: ack, to: call[target].peer)
                logger.info("answer crossed CANCEL, releasing callee", metadata: metadata(call))
                sendBye(call: handle, side: target, reason: "SIP;cause=487;text=\"Caller cancelled\"", now: now)
                removeCall(handle, now: now)
                return
            }
            let ack = makeAck(for: pending.clientRequest, on: call, side: target)
            if initial { recordAnswer(call, status: status, now: now) }
            if target == .b { disarmReinviteTimer(call) }
            if pending.awaitingOriginAck {
                call[target].lastAck = nil
            } else {
                send(ack, to: call[target].peer)
                call[target].lastAck = ack
            }
            call.pendingInvite = pending
            settleOffer(of: call, serverKey: pending.serverKey, accepted: true)
            if initial { logger.info("call answered", metadata: metadata(call).merging(["status": "\(status)"]) { a, _ in a }) }
            if let anchoredOffer {
                respond(pending.serverKey, anchoredOffer, now: now)
            } else if let request = transactions.request(of: pending.serverKey) {
                var out = relayed(response, to: request, leg: call[origin], contact: true)
                anchorResponseMedia(&out, call: call, from: target, offer: pending.awaitingOriginAck, now: now)
                respond(pending.serverKey, out, now: now)
            }
            if initial {
                armMedia(call)
                watchCarrier(call, now: now)
            }
            return
        }

        // 3xx-6xx: the client transaction has already acknowledged it.
        if status == 422, initial, retriesWithLongerSession(response, call: call, target: target, now: now) { return }
        if initial {
            attemptFailed(call, status: status, reason: response.reasonPhrase,
                          outcome: call.isCancelling ? .cancelled : .rejected,
                          trigger: call.route.group?.failoverOn.matches(status: status) ?? false, response: response,
                          now: now)
            return
        }
        if target == .b, carrierRefused(call, status: status, holding: pending.serverKey, now: now) { return }
        call.pendingInvite = nil
        settleOffer(of: call, serverKey: pending.serverKey, accepted: false)
        if let request = transactions.request(of: pending.serverKey) {
            respond(pending.serverKey, relayed(response, to: request, leg: call[origin], contact: false), now: now)
        }
    }

    private mutating func relayFinal(_ response: SIPMessage, status: Int, serverKey: TransactionKey, origin: LegSide,
                                     call handle: CallHandle, now: Duration)
    {
        guard let call = calls[handle] else { return }
        if let request = transactions.request(of: serverKey) {
            if request.method == .update, origin == .a,
               carrierRefused(call, status: status, holding: serverKey, now: now) { return }
            let refreshes = (200..<300).contains(status) && request.method != .bye
            var out = relayed(response, to: request, leg: call[origin], contact: refreshes)
            if request.method == .update || request.method == .prack {
                if refreshes { anchorResponseMedia(&out, call: call, from: origin.other, offer: false, now: now) }
                settleOffer(of: call, serverKey: serverKey, accepted: refreshes)
            }
            respond(serverKey, out, now: now)
            if request.method == .bye {
                logger.info("call ended", metadata: metadata(call).merging([
                    "by": "\(origin == .a ? "caller" : "callee")", "status": "\(status)",
                ]) { a, _ in a })
                removeCall(handle, now: now)
            }
        }
    }

    /// A client transaction that timed out or could not be sent.
    mutating func clientFailure(status: Int, reason: String, key: TransactionKey, context: TransactionContext,
                                now: Duration)
    {
        switch context.purpose {
        case .answering:
            // Our 2xx or final response was never acknowledged: the caller is gone.
            if let call = callAwaiting(serverInvite: key, context: context) {
                logger.warning("no ACK from peer, closing call", metadata: metadata(call))
                terminate(call: call.handle, reason: "SIP;cause=408;text=\"ACK timeout\"", now: now)
            }
        case .invite:
            guard let handle = context.call, let call = calls[handle], let pending = call.pendingInvite,
                  pending.clientKey == key
            else { return }
            var replacing = false
            if case .failingOver = call.phase { replacing = true }
            if call.isProceeding || call.isCancelling || replacing {
                let timedOut = status == 408
                let triggers = call.route.group?.failoverOn
                attemptFailed(call, status: status, reason: reason, outcome: timedOut ? .timeout : .transportError,
                              trigger: (timedOut ? triggers?.onTimeout : triggers?.onTransportError) ?? false,
                              response: nil, now: now)
                return
            }
            logger.warning("re-INVITE failed", metadata: metadata(call).merging([
                "status": "\(status)", "reason": "\(reason)", "trunk": "\(call[pending.origin.other].trunk.name)",
            ]) { a, _ in a })
            call.pendingInvite = nil
            if pending.origin == .a,
               carrierRefused(call, status: status, failed: true, holding: pending.serverKey, now: now) { return }
            settleOffer(of: call, serverKey: pending.serverKey, accepted: false)
            if let request = transactions.request(of: pending.serverKey), !call.isCancelling {
                respond(to: request, key: pending.serverKey, status: status, reason: reason,
                        toTag: call[pending.origin].localTag, now: now)
            }
            if case .established = call.phase {
                terminate(call: handle, reason: "SIP;cause=\(status);text=\"re-INVITE failed\"", now: now)
            } else {
                removeCall(handle, now: now)
            }
        case .relay(let serverKey, let origin):
            guard let handle = context.call, let call = calls[handle], let request = transactions.request(of: serverKey)
            else { return }
            if request.method == .update, origin == .a,
               carrierRefused(call, status: status, failed: true, holding: serverKey, now: now) { return }
            settleOffer(of: call, serverKey: serverKey, accepted: false)
            respond(to: request, key: serverKey, status: status, reason: reason, now: now)
            if request.method == .bye {
                logger.info("call ended", metadata: metadata(call).merging(["status": "\(status)"]) { a, _ in a })
                removeCall(handle, now: now)
            }
        case .keepalive:
            guard let handle = context.call, let call = calls[handle] else { return }
            keepaliveFailed(call, status: status, now: now)
        case .refresh:
            guard let handle = context.call, let call = calls[handle] else { return }
            if sessionRefreshFailed(call, key: key, status: status, now: now) { return }
            refreshFailed(call, status: status, now: now)
        case .probe(let trunk):
            probeAnswered(trunk: trunk, status: nil, now: now)
        case .register(let trunk):
            registrationFailed(trunk: trunk, key: key, detail: reason, now: now)
        case .testCall(let id):
            testCallFailed(id: id, status: status, reason: reason, now: now)
        case .fireAndForget:
            break
        }
    }

    /// The current attempt answered: it is the call's trunk from now on. A critical call keeps
    /// its candidates (and the caller's INVITE) for a mid-call failover; any other call lets them go.
    private func recordAnswer(_ call: Call, status: Int, now: Duration) {
        call.answeredAt = now
        call.finalStatus = status
        recordAttemptAnswered(call, status: status, now: now)
        guard case .proceeding(let proceeding) = call.phase else { return }
        var reorigination: Call.Reorigination?
        if call.route.critical, let group = call.route.group {
            reorigination = Call.Reorigination(candidates: proceeding.candidates, settings: group.midCallFailover)
        }
        call.phase = .established(Call.Established(reorigination: reorigination))
    }

    func recordAttemptAnswered(_ call: Call, status: Int, now: Duration) {
        guard let index = call.attempts.lastIndex(where: { $0.outcome == .pending }) else { return }
        call.attempts[index].responseCode = status
        call.attempts[index].responseTime = now - call.attempts[index].startedAt
        call.attempts[index].outcome = call.isCancelling ? .cancelled : .answered
    }

    /// The far leg's response re-expressed on the origin leg: same status and end-to-end content,
    /// our own tag, and our Contact where the response establishes or refreshes the dialog.
    func relayed(_ response: SIPMessage, to request: SIPMessage, leg: CallLeg, contact: Bool) -> SIPMessage {
        let status = response.statusCode ?? 500
        let reason = response.reasonPhrase
        var out = SIPResponseBuilder.response(to: request, statusCode: status, reason: reason.isEmpty ? nil : reason,
                                              toTag: leg.localTag)
        HeaderFilter.copyEndToEnd(from: response, into: &out, limits: settings.headerLimits)
        if contact, status < 300, request.method == .invite || request.method == .update || status >= 200 {
            out.add(.contact, leg.localContact)
        }
        Self.echoRecordRoute(of: request, into: &out)
        settings.identify(&out, as: .server)
        return out
    }

    /// RFC 3261 12.1.1: the responses that create a dialog (101-299 to an initial INVITE) carry
    /// the request's Record-Route values, unchanged and in order, so the caller's proxies (a load
    /// balancer in front of several SBC nodes, docs/CLUSTER.md) stay on the path of its in-dialog
    /// requests. Our own side of the route set is not affected: the SBC does not record-route.
    static func echoRecordRoute(of request: SIPMessage, into response: inout SIPMessage) {
        guard request.method == .invite, request.to?.tag == nil, let status = response.statusCode,
              (101..<300).contains(status)
        else { return }
        for field in request.headers where field.name == .recordRoute {
            response.add(.recordRoute, field.value)
        }
    }

    /// ACK for a 2xx on `side`: a new transaction-less request with the INVITE's CSeq number
    /// (RFC 3261 13.2.2.4).
    mutating func makeAck(for invite: SIPMessage, on call: Call, side: LegSide) -> SIPMessage {
        let number = invite.cseq?.number ?? call[side].localCSeq
        var ack = call[side].request(.ack, branch: ids.branch(), maxForwards: settings.maxForwards, cseq: number)
        ack.set(.contentLength, "0")
        return ack
    }
}
