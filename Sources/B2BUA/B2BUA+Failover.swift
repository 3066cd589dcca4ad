import Logging
import Routing
import SBCConfig
import SIPCore
import SIPProfiles
import SIPTransaction

/// Per-call failover: an initial INVITE walks its route's candidates until one answers, the
/// caller cancels, a response ends the call, or early media commits it to a trunk.
extension B2BUA {
    /// What a per-call timer is for.
    struct CallTimer: Sendable {
        enum Kind: Sendable { case firstProvisional, answer }
        let callID: Int
        let kind: Kind
    }

    /// Starts an INVITE to the next candidate that is available; false when none is left.
    mutating func startNextAttempt(_ call: Call, now: Duration) -> Bool {
        while !call.remainingCandidates.isEmpty {
            let trunk = call.remainingCandidates.removeFirst()
            let refusal = healthRefusal(of: trunk, in: call.route.group)
                ?? availability.unavailability(of: trunk, now: now)?.description
            if let refusal {
                call.attempts.append(CallAttemptSummary(trunk: trunk.name, startedAt: now, responseCode: nil,
                                                        reason: refusal, responseTime: nil, outcome: .skipped))
                logger.info("trunk skipped", metadata: metadata(call).merging([
                    "trunk": "\(trunk.name)", "why": "\(refusal)",
                ]) { a, _ in a })
                continue
            }
            guard let zone = settings.zones[trunk.zone] else { continue }
            let invite: SIPMessage
            switch makeAttempt(call, trunk: trunk, zone: zone, now: now) {
            case .ready(let message):
                invite = message
            case .refused(let reason, let status):
                call.attempts.append(CallAttemptSummary(trunk: trunk.name, startedAt: now, responseCode: status,
                                                        reason: reason, responseTime: nil, outcome: .skipped))
                if let status { call.refusal = (status, reason) }
                logger.info("trunk skipped", metadata: metadata(call).merging([
                    "trunk": "\(trunk.name)", "why": "\(reason)",
                ]) { a, _ in a })
                continue
            }
            guard let clientKey = TransactionKey.client(for: invite) else { continue }
            call.pendingInvite = Call.PendingInvite(origin: .a, serverKey: call.callerKey, clientKey: clientKey,
                                                    clientRequest: invite,
                                                    awaitingOriginAck: call.callerInvite?.body.isEmpty ?? false)
            call.attempts.append(CallAttemptSummary(trunk: trunk.name, startedAt: now, responseCode: nil, reason: nil,
                                                    responseTime: nil, outcome: .pending))
            call.activeTrunk = trunk
            availability.callStarted(on: trunk.name)
            call.provisionalTimer = callTimers.push(CallTimer(callID: call.id, kind: .firstProvisional),
                                                    at: now + trunk.firstProvisionalTimeout)
            call.answerTimer = callTimers.push(CallTimer(callID: call.id, kind: .answer), at: now + trunk.answerTimeout)
            compactCallTimers()
            logger.info("INVITE to trunk", metadata: metadata(call).merging([
                "trunk": "\(trunk.name)", "attempt": "\(call.attempts.count)", "b_call_id": "\(call[.b].callID)",
            ]) { a, _ in a })
            let peer = call[.b].peer
            let context = TransactionContext(destination: peer, callID: call.id, purpose: .invite(target: .b))
            handle(transactions.startClient(invite, reliable: peer.isReliable, context: context, now: now), now: now)
            return true
        }
        return false
    }

    /// An attempt's INVITE, or why this trunk cannot take the call.
    enum AttemptBuild {
        case ready(SIPMessage)
        /// `status` is what the caller gets if no other trunk can take the call either (488 when
        /// no trunk allows a codec of the offer); nil when the refusal says nothing to the caller.
        case refused(reason: String, status: Int?)
    }

    /// A fresh B-leg (new tag, fresh CSeq, Call-ID per trunk policy) and its INVITE, built from
    /// the caller's INVITE with topology hidden and its SDP anchored on the relay.
    private mutating func makeAttempt(_ call: Call, trunk: TrunkSettings, zone: ZoneIdentity, now: Duration) -> AttemptBuild {
        guard let request = call.callerInvite, let from = request.from, let to = request.to, let cseq = request.cseq
        else { return .refused(reason: "caller's INVITE lacks From, To or CSeq", status: nil) }
        let requestUser = request.requestURI?.user
        let peer = SIPEndpoint(host: trunk.address, port: trunk.port, transport: trunk.transport, zone: trunk.zone)
        let number = cseq.number &+ UInt32(call.attempts.count)
        var leg = CallLeg(
            side: .b, callID: trunk.callIDPolicy == .preserve ? call.a.callID : ids.callID(), localTag: ids.tag(),
            remoteTag: nil,
            localAddress: SIPNameAddress(displayName: from.displayName, uri: SIPURI(user: from.uri.user, host: zone.host)),
            remoteAddress: SIPNameAddress(displayName: to.displayName, uri: SIPURI(user: to.uri.user, host: trunk.address)),
            remoteTarget: SIPURI(user: requestUser, host: trunk.address, port: trunk.port == 5060 ? nil : trunk.port),
            routeSet: [], localCSeq: number, remoteCSeq: nil, peer: peer, trunk: trunk, zone: zone)
        var invite = leg.request(.invite, branch: ids.branch(), maxForwards: forwardedMaxForwards(request), cseq: number)
        invite.add(.contact, leg.localContact)
        HeaderFilter.copyEndToEnd(from: request, into: &invite)
        if let profile = settings.outboundProfile(for: trunk, routeOverride: call.route.profileOverride) {
            do {
                try profile.apply(to: &invite, context: ProfileContext(message: request, trunkName: trunk.name))
            } catch {
                // Never send what the profile broke: this trunk is skipped for this call.
                logger.error("header profile produced invalid SIP", metadata: metadata(call).merging([
                    "trunk": "\(trunk.name)", "error": "\(error)",
                ]) { a, _ in a })
                return .refused(reason: "header profile produced invalid SIP: \(error)", status: nil)
            }
        }
        let previous = call.legB
        call.legB = leg
        startNewBLeg(of: call)
        if case .refused(let status, let reason) = anchorMedia(&invite, call: call, from: .a, offer: true, now: now) {
            call.legB = previous
            return .refused(reason: reason, status: status)
        }
        if let old = previous { dialogs[DialogKey(callID: old.callID, localTag: old.localTag)] = nil }
        dialogs[DialogKey(callID: leg.callID, localTag: leg.localTag)] = (call.id, .b)
        return .ready(invite)
    }

    /// The current attempt failed. Records it, feeds passive health and Retry-After quarantine,
    /// and either tries the next candidate or gives the caller its one final response.
    /// `trigger` fails the call over. `chargesTrunk` false keeps the failure away from the trunk's
    /// passive health and Retry-After quarantine: the SBC itself refused what the trunk sent.
    mutating func attemptFailed(_ call: Call, status: Int?, reason: String, outcome: CallAttemptSummary.Outcome,
                                trigger: Bool, chargesTrunk: Bool = true, response: SIPMessage?, now: Duration)
    {
        call.provisionalTimer = nil
        call.answerTimer = nil
        call.pendingInvite = nil
        if let trunk = call.activeTrunk {
            availability.callEnded(on: trunk.name)
            call.activeTrunk = nil
            // 503 and 429 are overload signals whatever the group fails over on: right after a
            // fail-back a burst of them sends the trunk straight back down (probation).
            if chargesTrunk, trigger || status == 503 || status == 429 {
                record(health[trunk.name]?.passiveFailure(detail: "\(status.map(String.init) ?? outcome.rawValue) on a call",
                                                          now: now) ?? [])
            }
            if chargesTrunk, trigger {
                if let change = availability.recordFailure(trunk, now: now) {
                    report(change, call: call)
                    record(health[trunk.name]?.passiveDown(detail: "\(trunk.passiveFailureThreshold) failures within "
                        + "\(trunk.passiveFailureWindow.components.seconds) s", now: now) ?? [])
                }
            }
            if chargesTrunk, status == 503, let group = call.route.group {
                let duration = group.quarantine(retryAfter: response?.retryAfter.map { Int($0.seconds) })
                if let change = availability.quarantine(trunk.name, for: duration, now: now) {
                    report(change, call: call)
                    record(health[trunk.name]?.quarantine(until: now + duration,
                                                          detail: "503 Retry-After \(duration.components.seconds) s",
                                                          now: now) ?? [])
                }
            }
        }
        let failover = trigger && !call.earlyMedia && call.phase == .proceeding
        let index = call.attempts.lastIndex { $0.outcome == .pending }
        if let index {
            call.attempts[index].responseCode = status
            call.attempts[index].reason = reason
            call.attempts[index].responseTime = now - call.attempts[index].startedAt
            call.attempts[index].outcome = outcome
        }
        logger.info("attempt failed", metadata: metadata(call).merging([
            "trunk": "\(index.map { call.attempts[$0].trunk } ?? "-")", "status": "\(status.map(String.init) ?? "-")",
            "reason": "\(reason)", "failover": "\(failover)",
        ]) { a, _ in a })
        if failover, startNextAttempt(call, now: now) {
            if let index { call.attempts[index].outcome = .failedOver }
            failovers += 1
            return
        }
        if call.phase == .cancelling {
            removeCall(call.id, now: now)
        } else {
            failCall(call, status: status ?? 500, reason: reason, response: response, now: now)
        }
    }

    /// The caller's one final response when no attempt succeeded: the last attempt's response
    /// as it came (without Retry-After, which was the carrier's business), or the status for a
    /// timeout (408) or an unreachable trunk (503).
    mutating func failCall(_ call: Call, status: Int, reason: String, response: SIPMessage?, now: Duration) {
        if let request = transactions.request(of: call.callerKey), transactions.isServerInviteProceeding(call.callerKey) {
            var final: SIPMessage
            if let response {
                final = relayed(response, to: request, leg: call.a, contact: false)
                final.remove(.retryAfter)
            } else {
                final = SIPResponseBuilder.response(to: request, statusCode: status, reason: reason, toTag: call.a.localTag)
                final.add(.server, settings.productName)
            }
            call.finalStatus = final.statusCode
            respond(call.callerKey, final, now: now)
        }
        logger.info("call failed", metadata: metadata(call).merging([
            "status": "\(call.finalStatus.map(String.init) ?? "-")", "attempts": "\(call.attempts.count)",
        ]) { a, _ in a })
        removeCall(call.id, now: now)
    }

    /// Cancelled call timers stay in the heap until they surface (answer timers: minutes); once
    /// they outnumber the live ones several times over, they are swept in one pass.
    private mutating func compactCallTimers() {
        guard callTimers.count > 1024, callTimers.count > 8 * calls.count else { return }
        let calls = self.calls
        callTimers.removeAll { entry in
            guard let call = calls[entry.payload.callID] else { return true }
            let live = entry.payload.kind == .firstProvisional ? call.provisionalTimer : call.answerTimer
            return live != entry.sequence
        }
    }

    /// First-provisional and answer timers of the current attempt.
    mutating func fire(_ timer: CallTimer, sequence: UInt64, now: Duration) {
        guard let call = calls[timer.callID], let pending = call.pendingInvite, call.phase == .proceeding,
              let trunk = call.activeTrunk
        else { return }
        switch timer.kind {
        case .firstProvisional:
            guard call.provisionalTimer == sequence, !pending.provisionalSeen else { return }
            handle(transactions.abandonClient(pending.clientKey), now: now)
            let limit = trunk.firstProvisionalTimeout.components.seconds * 1000
                + trunk.firstProvisionalTimeout.components.attoseconds / 1_000_000_000_000_000
            attemptFailed(call, status: 408, reason: "No provisional response within \(limit) ms", outcome: .timeout,
                          trigger: call.route.group?.failoverOn.onTimeout ?? false, response: nil, now: now)
        case .answer:
            guard call.answerTimer == sequence else { return }
            if pending.provisionalSeen {
                sendCancel(callID: call.id, now: now)
            } else {
                handle(transactions.abandonClient(pending.clientKey), now: now)
            }
            // Not a failover trigger: the callee's side has been ringing, and ringing a second
            // network for the same call is worse than ending it.
            attemptFailed(call, status: 408, reason: "No answer within \(trunk.answerTimeout.components.seconds) s",
                          outcome: .timeout, trigger: false, response: nil, now: now)
        }
    }

    /// The transport could not reach `destination` (connection refused, ICMP unreachable, TCP
    /// connect failure): every initial INVITE in progress towards it fails with the `transport`
    /// trigger at once instead of waiting for a timer.
    public mutating func transportFailed(to destination: SIPEndpoint, now: Duration) -> [SIPOutbound] {
        outbox.removeAll(keepingCapacity: true)
        let affected = calls.values.compactMap { call -> TransactionKey? in
            guard call.phase == .proceeding, let pending = call.pendingInvite, pending.origin == .a,
                  let peer = call.legB?.peer, peer.host == destination.host, peer.port == destination.port,
                  peer.transport == destination.transport
            else { return nil }
            return pending.clientKey
        }
        for key in affected { handle(transactions.transportFailed(key, now: now), now: now) }
        for (name, probe) in pendingProbes {
            guard let trunk = routing.trunk(named: name), trunk.address == destination.host,
                  trunk.port == destination.port, trunk.transport == destination.transport
            else { continue }
            handle(transactions.transportFailed(probe.key, now: now), now: now)
        }
        return outbox
    }

    func report(_ change: TrunkAvailability.Change, call: Call) {
        switch change {
        case .quarantined(let trunk, let duration):
            logger.warning("trunk quarantined", metadata: [
                "trunk": "\(trunk)", "for_s": "\(duration.components.seconds)", "cause": "503 Retry-After",
                "call_id": "\(call.logID)",
            ])
        case .markedDown(let trunk, let failures, let window):
            logger.warning("trunk down", metadata: [
                "trunk": "\(trunk)", "cause": "passive", "failures": "\(failures)",
                "window_s": "\(window.components.seconds)", "call_id": "\(call.logID)",
            ])
        }
    }
}
