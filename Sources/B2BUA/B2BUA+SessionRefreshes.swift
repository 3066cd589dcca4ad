import Logging
import SBCConfig
import SDP
import SIPCore
import SIPTransaction

/// The SBC's side of RFC 4028 session timers over time: its INVITE again after a carrier's 422,
/// its own refreshes on the legs it refreshes, their answers, and a session's end (BYE both legs
/// with a Reason, or the mid-call failover of a critical call's carrier leg). Negotiation and the
/// peer's refreshes are in B2BUA+SessionTimers.swift.
extension B2BUA {
    /// A 422 to the INVITE of an attempt (or of a mid-call failover): the same INVITE once more
    /// as a new transaction (new branch, next CSeq of the leg) asking for the Min-SE the carrier
    /// named (RFC 4028 §7.4). False when that is not possible (timers off for the trunk, no
    /// usable Min-SE, or not above what was asked), and the 422 then fails the attempt.
    mutating func retriesWithLongerSession(_ response: SIPMessage, call: Call, target: LegSide, now: Duration) -> Bool {
        guard call[target].trunk.sessionTimer.enabled, var pending = call.pendingInvite, !pending.cancelRequested,
              let minimum = SessionExpires.minSE(of: response), let sent = SessionExpires(pending.clientRequest),
              minimum > sent.seconds, SessionTimerSettings.range.contains(minimum)
        else { return false }
        var retried = pending.clientRequest
        call[target].localCSeq = max(call[target].localCSeq, retried.cseq?.number ?? 0) &+ 1
        retried.set(.cseq, "\(call[target].localCSeq) INVITE")
        retried.set(.via, call[target].zone.via(branch: ids.branch(), transport: call[target].peer.transport).description)
        retried.set(SIPMessage.sessionExpiresHeader, SessionExpires(seconds: minimum, refresher: sent.refresher).description)
        retried.set(SIPMessage.minSEHeader, String(minimum))
        guard let key = TransactionKey.client(for: retried) else { return false }
        pending.clientKey = key
        pending.clientRequest = retried
        pending.provisionalSeen = false
        call.pendingInvite = pending
        if let trunk = call.activeTrunk, call.attempt != nil {
            call.attempt?.provisionalTimer = callTimers.push(CallTimer(call: call.handle, kind: .firstProvisional),
                                                            at: now + trunk.firstProvisionalTimeout)
        }
        logger.info("session interval too small for the carrier, INVITE again", metadata: metadata(call).merging([
            "trunk": "\(call[target].trunk.name)", "min_se": "\(minimum)",
        ]) { a, _ in a })
        let peer = call[target].peer
        let context = TransactionContext(destination: peer, call: call.handle, purpose: .invite(target: target))
        handle(transactions.startClient(retried, reliable: peer.isReliable, context: context, now: now), now: now)
        return true
    }

    // MARK: The SBC's refreshes and expiry

    /// A leg's session timer fired: the SBC's refresh is due, or the session expired.
    mutating func sessionTimerFired(_ call: Call, side: LegSide, now: Duration) {
        guard var timer = call[side].sessionTimer else { return }
        timer.timer = nil
        switch timer.due(at: now) {
        case .expire?:
            call[side].sessionTimer = nil
            sessionEnded(call, side: side, status: 408, cause: timer.refresher == .peer
                ? "no refresh from \(call[side].trunk.name)" : "refreshes to \(call[side].trunk.name) failed", now: now)
        case .refresh?:
            var busy = call.pendingInvite != nil || call.pendingOffer != nil || call.liveness?.refresh != nil
            if case .established = call.phase {} else { busy = true }
            if busy {
                // Another offer is out: if it succeeds it refreshes the session anyway.
                timer.postpone(until: now + .seconds(2))
                start(timer, on: side, of: call)
            } else {
                sendSessionRefresh(call, side: side, timer: timer, now: now)
            }
        case nil:
            start(timer, on: side, of: call)
        }
    }

    /// The SBC's refresh (RFC 4028 §7.4): UPDATE without a body when the peer allows UPDATE (or
    /// the SBC holds no SDP of this leg), otherwise a re-INVITE repeating the SBC's last SDP with
    /// its version unchanged, so nothing about the media changes.
    private mutating func sendSessionRefresh(_ call: Call, side: LegSide, timer: SessionTimer, now: Duration) {
        var timer = timer
        let local = call[side].negotiation.negotiated?.local
        let method: SIPMethod = timer.peerAllowsUpdate || local == nil ? .update : .invite
        var request = call[side].request(method, branch: ids.branch(), maxForwards: settings.maxForwards)
        request.add(.contact, call[side].localContact)
        request.addOptionTag("timer", to: .supported)
        let seconds = max(Int(timer.interval.components.seconds), timer.minSE)
        request.set(SIPMessage.sessionExpiresHeader, SessionExpires(seconds: seconds, refresher: .uac).description)
        request.set(SIPMessage.minSEHeader, String(timer.minSE))
        if method == .invite, let local {
            request.setBody(local.serialized(), contentType: "application/sdp")
        } else {
            request.set(.contentLength, "0")
        }
        guard let key = TransactionKey.client(for: request) else { return }
        timer.refreshing = key
        start(timer, on: side, of: call)
        logger.debug("session refresh", metadata: metadata(call).merging([
            "trunk": "\(call[side].trunk.name)", "method": "\(method)",
        ]) { a, _ in a })
        let peer = call[side].peer
        let context = TransactionContext(destination: peer, call: call.handle, purpose: .refresh)
        handle(transactions.startClient(request, reliable: peer.isReliable, context: context, now: now), now: now)
    }

    /// The leg whose session refresh is the transaction `key`.
    private func refreshingSide(_ call: Call, key: TransactionKey) -> LegSide? {
        if call.a.sessionTimer?.refreshing == key { return .a }
        if !call.carrierLegs.isEmpty, call[.b].sessionTimer?.refreshing == key { return .b }
        return nil
    }

    /// The final response to one of the SBC's refreshes; false when `key` is not one (the
    /// mid-call failover's re-INVITE to the caller shares the `.refresh` purpose).
    mutating func sessionRefreshAnswered(_ call: Call, response: SIPMessage, key: TransactionKey, now: Duration) -> Bool {
        guard let side = refreshingSide(call, key: key), var timer = call[side].sessionTimer,
              let status = response.statusCode
        else { return false }
        timer.refreshing = nil
        switch status {
        case 200..<300:
            call[side].sessionTimer = timer
            if let request = transactions.request(of: key), request.method == .invite {
                let ack = makeAck(for: request, on: call, side: side)
                send(ack, to: call[side].peer)
                call[side].lastAck = ack
                takeRefreshAnswer(response, call: call, side: side, now: now)
            }
        case 422 where (timer.minSE + 1...SessionTimerSettings.range.upperBound)
            .contains(SessionExpires.minSE(of: response) ?? 0):
            // RFC 4028 §7.4: again at once with the interval the peer asks for.
            timer.minSE = SessionExpires.minSE(of: response) ?? timer.minSE
            sendSessionRefresh(call, side: side, timer: timer, now: now)
        case 491:
            // RFC 3261 14.1: the refresh crossed the peer's request; again after 2.1-4 s.
            timer.refreshCrossed(retry: now + .milliseconds(2100 + Int64(ids.next() % 1900)))
            start(timer, on: side, of: call)
        case 408, 481:
            call[side].sessionTimer = timer
            sessionEnded(call, side: side, status: status, cause: "refresh answered \(status)", now: now)
        default:
            timer.refreshFailed(now: now)
            start(timer, on: side, of: call)
            logger.warning("session refresh refused", metadata: metadata(call).merging([
                "trunk": "\(call[side].trunk.name)", "status": "\(status)",
            ]) { a, _ in a })
        }
        return true
    }

    /// One of the SBC's refreshes timed out or could not be sent (RFC 4028 §10: the session is
    /// over); false when `key` is not one.
    mutating func sessionRefreshFailed(_ call: Call, key: TransactionKey, status: Int, now: Duration) -> Bool {
        guard let side = refreshingSide(call, key: key) else { return false }
        call[side].sessionTimer?.refreshing = nil
        sessionEnded(call, side: side, status: status, cause: "refresh got no answer", now: now)
        return true
    }

    /// The peer's answer to a re-INVITE refresh normally repeats its SDP; one that changed moves
    /// the relay, and the other leg is not told (its SDP version stays).
    private mutating func takeRefreshAnswer(_ response: SIPMessage, call: Call, side: LegSide, now: Duration) {
        guard !response.body.isEmpty, let remote = call[side].negotiation.negotiated?.remote,
              let answer = try? SessionDescription(parsing: response.body), answer.origin != remote.origin
        else { return }
        let otherOrigin = call.media?.origins[side.other]
        var copy = response
        anchorResponseMedia(&copy, call: call, from: side, offer: false, record: .originOnly, now: now)
        if let otherOrigin { call.media?.origins[side.other] = otherOrigin }
    }

    /// A leg's session is over (expired, or its refresh failed for good): a critical call's
    /// carrier leg is replaced; otherwise the call ends with BYE to both legs and the Reason.
    private mutating func sessionEnded(_ call: Call, side: LegSide, status: Int, cause: String, now: Duration) {
        logger.warning("session timer expired", metadata: metadata(call).merging([
            "trunk": "\(call[side].trunk.name)", "cause": "\(cause)",
        ]) { a, _ in a })
        if side == .b, case .established(let established) = call.phase, established.reorigination != nil {
            failOverMidCall(call, trigger: .sessionExpired, holding: nil, now: now)
            return
        }
        guard call.isAnswered else { return }
        terminate(call: call.handle, reason: "SIP;cause=\(status);text=\"Session timer expired: \(cause)\"", now: now)
    }
}
