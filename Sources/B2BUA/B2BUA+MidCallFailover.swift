import Logging
import SBCConfig
import SDP
import SIPCore
import SIPTransaction

/// Mid-call failover for critical lines: when the carrier leg of an established call dies, a new
/// carrier leg is originated on the next member of the call's group with the caller's last
/// negotiated SDP, while the caller's dialog (Call-ID, tags, CSeq space) and its relay ports stay
/// exactly as they were. docs/FAILOVER.md has the triggers, the races and what each side sees.
extension B2BUA {
    // MARK: Watching the carrier leg

    /// The call was answered: a critical call's carrier leg gets its keepalive.
    mutating func watchCarrier(_ call: Call, now: Duration) {
        guard case .established(let established) = call.phase,
              let interval = established.reorigination?.settings.keepaliveInterval
        else { return }
        call.liveness?.keepaliveTimer = callTimers.push(CallTimer(call: call.handle, kind: .keepalive), at: now + interval)
    }

    /// Disarms the carrier leg's keepalive and re-INVITE timers (their heap entries go stale).
    func stopCarrierTimers(of call: Call) {
        call.liveness?.keepaliveTimer = nil
        call.liveness?.reinviteTimer = nil
    }

    /// A re-INVITE or UPDATE left for a critical call's carrier: it must be answered in time.
    mutating func armReinviteTimer(_ call: Call, client: TransactionKey, server: TransactionKey, now: Duration) {
        guard case .established(let established) = call.phase,
              let settings = established.reorigination?.settings, settings.onReinviteFailure
        else { return }
        call.liveness?.reinviteTimer = callTimers.push(
            CallTimer(call: call.handle, kind: .reinvite(client: client, server: server)), at: now + settings.reinviteTimeout)
    }

    func disarmReinviteTimer(_ call: Call) {
        call.liveness?.reinviteTimer = nil
    }

    /// The carrier sat on a relayed re-INVITE or UPDATE for `reinvite_timeout_ms`: the caller's
    /// request is held for the new leg to answer.
    mutating func reinviteTimedOut(_ call: Call, client: TransactionKey, server: TransactionKey, now: Duration) {
        call.liveness?.reinviteTimer = nil
        if call.pendingInvite?.clientKey == client { call.pendingInvite = nil }
        handle(transactions.abandonClient(client), now: now)
        failOverMidCall(call, trigger: .reinviteTimeout, holding: server, now: now)
    }

    /// The carrier's final response to the caller's relayed re-INVITE or UPDATE (held on
    /// `serverKey`), or its failure (`failed`: a timeout or a transport error): the re-INVITE
    /// timer stops, and a refusal that is a trigger fails the call over. True when it did, and
    /// the caller's request then waits for the new leg's answer instead of the refusal.
    mutating func carrierRefused(_ call: Call, status: Int, failed: Bool = false, holding serverKey: TransactionKey,
                                 now: Duration) -> Bool {
        disarmReinviteTimer(call)
        guard status >= 300, let trigger = inDialogFailureTrigger(call, status: status, failed: failed) else {
            return false
        }
        failOverMidCall(call, trigger: trigger, holding: serverKey, now: now)
        return true
    }

    /// Whether a carrier's refusal of (or failure to answer) a relayed re-INVITE or UPDATE fails a
    /// critical call over: 481 (the carrier lost the dialog) or one of the group's `failover_on`
    /// codes; `failed` is a timeout (408) or a transport error rather than a response.
    private func inDialogFailureTrigger(_ call: Call, status: Int, failed: Bool = false) -> MidCallTrigger? {
        guard case .established(let established) = call.phase, let settings = established.reorigination?.settings
        else { return nil }
        if failed {
            if status == 408 { return settings.onReinviteFailure ? .reinviteTimeout : nil }
            return settings.onTransportLoss ? .transportLoss : nil
        }
        guard settings.onReinviteFailure,
              status == 481 || call.route.group?.failoverOn.matches(status: status) == true
        else { return nil }
        return .reinviteRefused(status: status)
    }

    /// In-dialog OPTIONS to the carrier (RFC 3261 11: any final response proves the dialog's
    /// far end alive; 481 says the dialog is gone).
    mutating func sendKeepalive(_ call: Call, now: Duration) {
        guard case .established(let established) = call.phase,
              let interval = established.reorigination?.settings.keepaliveInterval
        else { return }
        call.liveness?.keepaliveTimer = callTimers.push(CallTimer(call: call.handle, kind: .keepalive), at: now + interval)
        probeCarrierDialog(call, now: now)
    }

    private mutating func probeCarrierDialog(_ call: Call, now: Duration) {
        var options = call[.b].request(.options, branch: ids.branch(), maxForwards: settings.maxForwards)
        options.add(.contact, call[.b].localContact)
        options.set(.contentLength, "0")
        let peer = call[.b].peer
        let context = TransactionContext(destination: peer, call: call.handle, purpose: .keepalive)
        handle(transactions.startClient(options, reliable: peer.isReliable, context: context, now: now), now: now)
    }

    mutating func keepaliveAnswered(_ call: Call, status: Int, now: Duration) {
        if status == 481 {
            failOverMidCall(call, trigger: .keepaliveFailed(status: 481), holding: nil, now: now)
        } else {
            call.liveness?.keepaliveFailures = 0
        }
    }

    /// A keepalive timed out (408) or could not be sent (its transport failed).
    mutating func keepaliveFailed(_ call: Call, status: Int, now: Duration) {
        guard case .established(let established) = call.phase, let settings = established.reorigination?.settings,
              var liveness = call.liveness
        else { return }
        if status != 408, settings.onTransportLoss {
            // The connection to the carrier is gone and a new one could not be made.
            failOverMidCall(call, trigger: .transportLoss, holding: nil, now: now)
            return
        }
        liveness.keepaliveFailures += 1
        call.liveness = liveness
        if liveness.keepaliveFailures >= settings.keepaliveFailures {
            failOverMidCall(call, trigger: .keepaliveFailed(status: nil), holding: nil, now: now)
        }
    }

    /// The transport reported a failure towards `destination`: ICMP errors for SIP count like
    /// ICMP errors for media; a stream connection that broke is re-tried with an in-dialog
    /// OPTIONS (which opens a new connection), whose failure fails the leg over.
    mutating func carrierTransportLost(_ destination: SIPEndpoint, now: Duration) {
        let affected = calls.values.filter { call in
            guard case .established(let established) = call.phase,
                  established.reorigination?.settings.onTransportLoss == true
            else { return false }
            return call[.b].peer.sameTransportAddress(as: destination)
        }
        for call in affected {
            if destination.isReliable {
                logger.warning("carrier connection lost, probing the dialog", metadata: metadata(call))
                probeCarrierDialog(call, now: now)
            } else {
                countUnreachable(call, errors: 1, now: now)
            }
        }
    }

    /// ICMP errors for packets the relay sent to one side's media.
    mutating func carrierMediaUnreachable(_ call: Call, side: LegSide, errors: Int, now: Duration) {
        guard side == .b else {
            logger.debug("caller's media unreachable", metadata: metadata(call).merging(["errors": "\(errors)"]) { a, _ in a })
            return
        }
        countUnreachable(call, errors: errors, now: now)
    }

    private mutating func countUnreachable(_ call: Call, errors: Int, now: Duration) {
        guard case .established(var established) = call.phase, let threshold = established.reorigination?.settings.icmpErrors,
              threshold > 0
        else { return }
        if established.liveness.icmpErrors == 0 { established.liveness.firstICMPError = now }
        established.liveness.icmpErrors += errors
        call.phase = .established(established)
        if established.liveness.icmpErrors >= threshold {
            failOverMidCall(call, trigger: .icmpUnreachable, holding: nil,
                            mediaStoppedAt: established.liveness.firstICMPError, now: now)
        }
    }

    // MARK: Replacing the carrier leg

    /// The active carrier leg of a critical call died. `holding` is the caller's re-INVITE or
    /// UPDATE that the dead leg refused, answered by the new leg; `mediaStoppedAt` starts the
    /// audio gap (the trigger itself when the media did not stop first).
    mutating func failOverMidCall(_ call: Call, trigger: MidCallTrigger, holding: TransactionKey?,
                                  mediaStoppedAt: Duration? = nil, now: Duration)
    {
        guard case .established(let established) = call.phase, let reorigination = established.reorigination else {
            return
        }
        var holding = holding
        if holding == nil, let pending = call.pendingInvite, pending.origin == .a {
            // The caller's re-INVITE was on its way to the dead leg: the new leg answers it.
            handle(transactions.abandonClient(pending.clientKey), now: now)
            holding = pending.serverKey
        }
        call.pendingInvite = nil
        let dead = call[.b]
        logger.warning("mid-call failover", metadata: metadata(call).merging([
            "trunk": "\(dead.trunk.name)", "trigger": "\(trigger)", "failovers": "\(reorigination.failovers)",
        ]) { a, _ in a })
        midCallReports.append(.triggered(trunk: dead.trunk.name, trigger: trigger))
        if let index = call.attempts.lastIndex(where: { $0.outcome == .answered }) {
            call.attempts[index].outcome = .midCallFailover
            call.attempts[index].reason = "\(trigger)"
            call.attempts[index].endedAt = now
        }
        if let trunk = call.activeTrunk {
            call.activeTrunk = nil
            var status: Int?
            if case .reinviteRefused(let code) = trigger { status = code }
            chargeFailure(of: trunk, call: call, status: status, outcome: "\(trigger)", trigger: true, chargesTrunk: true,
                          retryAfter: nil, now: now)
        }
        stopCarrierTimers(of: call)
        if trigger.deadLegStillListens {
            sendBye(call: call, leg: .carrier(call.carrierLegs.count - 1),
                    reason: "SIP;cause=\(trigger.cause);text=\"Mid-call failover: \(trigger)\"", now: now)
        }
        call.phase = .failingOver(Call.FailingOver(reorigination: reorigination, trigger: trigger, triggeredAt: now,
                                                   gapStart: mediaStoppedAt ?? now, heldRequest: holding))
        guard reorigination.failovers < reorigination.settings.maxFailovers else {
            midCallFailoverFailed(call, cause: "max_mid_call_failovers (\(reorigination.settings.maxFailovers)) reached",
                                  now: now)
            return
        }
        if let group = call.route.group, group.midCallFailover.maxRate > 0 {
            var pacer = midCallPacers[group.name] ?? MidCallPacer(perSecond: group.midCallFailover.maxRate)
            let admitted = pacer.admit(call.handle, now: now)
            midCallPacers[group.name] = pacer
            guard admitted else {
                logger.notice("mid-call failover waits for pacing", metadata: metadata(call).merging([
                    "group": "\(group.name)", "position": "\(pacer.waiting)", "max_rate": "\(pacer.perSecond)",
                ]) { a, _ in a })
                return
            }
        }
        beginReplacement(call, now: now)
    }

    /// Sends the new carrier leg's INVITE (after pacing, if the group has a `max_rate`).
    private mutating func beginReplacement(_ call: Call, now: Duration) {
        guard case .failingOver(var failover) = call.phase else { return }
        failover.reorigination.failovers += 1
        failover.stage = .inviting(Call.Attempt())
        call.phase = .failingOver(failover)
        if startNextAttempt(call, now: now) {
            midCallReports.append(.invited(trunk: call[.b].trunk.name, waited: now - failover.triggeredAt))
        } else {
            midCallFailoverFailed(call, cause: "no trunk available", now: now)
        }
    }

    /// Calls whose turn came under their group's `max_rate`.
    mutating func releasePacedFailovers(now: Duration) {
        for name in Array(midCallPacers.keys) {
            guard var pacer = midCallPacers[name], let due = pacer.nextRelease, due <= now else { continue }
            let released = pacer.release(now: now)
            midCallPacers[name] = pacer.isIdle(now: now) ? nil : pacer
            for handle in released {
                guard let call = calls[handle], case .failingOver(let failover) = call.phase,
                      case .queued = failover.stage
                else { continue }
                beginReplacement(call, now: now)
            }
        }
    }

    /// A call that ends while queued for pacing leaves the queue.
    mutating func withdrawFromPacing(_ call: Call) {
        guard case .failingOver(let failover) = call.phase, case .queued = failover.stage,
              let name = call.route.group?.name
        else { return }
        midCallPacers[name]?.withdraw(call.handle)
    }

    /// The replacement leg's final response.
    mutating func replacementResponded(_ call: Call, response: SIPMessage, status: Int, now: Duration) {
        guard case .failingOver(let failover) = call.phase, let pending = call.pendingInvite else { return }
        guard status < 300 else {
            attemptFailed(call, status: status, reason: response.reasonPhrase, outcome: .rejected,
                          trigger: call.route.group?.failoverOn.matches(status: status) ?? false, response: response,
                          now: now)
            return
        }
        if let contact = response.contacts.first?.uri { call[.b].remoteTarget = contact }
        call[.b].routeSet = response.recordRoutes.reversed()
        let ack = makeAck(for: pending.clientRequest, on: call, side: .b)
        send(ack, to: call[.b].peer)
        call[.b].lastAck = ack
        recordAttemptAnswered(call, status: status, now: now)
        logger.notice(failover.transfer == nil ? "mid-call failover answered" : "transfer target answered",
                      metadata: metadata(call).merging([
            "trunk": "\(call[.b].trunk.name)", "trigger": "\(failover.trigger)",
        ]) { a, _ in a })

        var answer = response
        let originBefore = call.media?.origins[.a]
        let held = failover.heldRequest.flatMap { key in transactions.request(of: key).map { (key, $0) } }
        // A held request with an offer gets the new leg's answer; otherwise the caller is only
        // told about the new leg if its codecs changed.
        let answersHeldOffer = held.map { !$0.1.body.isEmpty } ?? false
        if !answer.body.isEmpty {
            anchorResponseMedia(&answer, call: call, from: .b, offer: false,
                                record: answersHeldOffer ? .both : .originOnly, now: now)
        }
        // A transfer resumes the call as a new call on its route would be (B2BUA+Refer.swift).
        call.phase = .established(failover.transfer.map { resumedAfterTransfer(call, $0, failover: failover) }
            ?? Call.Established(reorigination: failover.reorigination, gapStart: failover.gapStart))
        call.pendingInvite = nil
        applyMedia(call)
        retireReplacedPorts(of: call, now: now)
        if let (key, request) = held {
            settleOffer(of: call, serverKey: key, accepted: true)
            var out = relayed(answer, to: request, leg: call.a, contact: true)
            if !answersHeldOffer {
                // Our 200 to a re-INVITE without an offer would have to carry one: the caller's
                // session as last agreed, unchanged (its ACK's answer then confirms it).
                if request.method == .invite, let agreed = call.a.negotiation.negotiated?.local {
                    out.setBody(agreed.serialized(), contentType: "application/sdp")
                } else {
                    out.setBody([], contentType: nil)
                }
            }
            respond(key, out, now: now)
        }
        if !answersHeldOffer {
            if let sdp = try? SessionDescription(parsing: answer.body),
               let agreed = call.a.negotiation.negotiated?.local, sdp.changesFormats(from: agreed)
            {
                refreshCaller(call, offer: sdp, now: now)
            } else if let originBefore {
                // Nothing new reaches the caller, so its SDP session's version must not move either.
                call.media?.origins[.a] = originBefore
            }
        }
        watchCarrier(call, now: now)
        if let transfer = failover.transfer { transferSucceeded(call, transfer, now: now) }
    }

    /// The new carrier answered with other codecs than the caller agreed to with the old one:
    /// the caller gets a re-INVITE offering what now flows (RFC 3264 §8).
    private mutating func refreshCaller(_ call: Call, offer: SessionDescription, now: Duration) {
        var invite = call.a.request(.invite, branch: ids.branch(), maxForwards: settings.maxForwards)
        invite.add(.contact, call.a.localContact)
        invite.setBody(offer.serialized(), contentType: "application/sdp")
        call.a.negotiation.sentOffer(offer)
        offerCurrentKeys(of: offer, to: call)
        guard let key = TransactionKey.client(for: invite) else { return }
        call.liveness?.refresh = key
        logger.info("re-INVITE to the caller after mid-call failover (codecs changed)", metadata: metadata(call))
        let peer = call.a.peer
        let context = TransactionContext(destination: peer, call: call.handle, purpose: .refresh)
        handle(transactions.startClient(invite, reliable: peer.isReliable, context: context, now: now), now: now)
    }

    mutating func refreshAnswered(_ call: Call, response: SIPMessage, key: TransactionKey, now: Duration) {
        guard call.liveness?.refresh == key, let status = response.statusCode else { return }
        call.liveness?.refresh = nil
        guard (200..<300).contains(status), let invite = transactions.request(of: key) else {
            refreshFailed(call, status: status, now: now)
            return
        }
        send(makeAck(for: invite, on: call, side: .a), to: call.a.peer)
        // The caller's answer moves its media; the carrier is not told, so its SDP version stays.
        let carrierOrigin = call.media?.origins[.b]
        var answer = response
        anchorResponseMedia(&answer, call: call, from: .a, offer: false, record: .originOnly, now: now)
        if let carrierOrigin { call.media?.origins[.b] = carrierOrigin }
    }

    /// The caller refused the new codecs: the call goes on (the caller may still decode them),
    /// but the log says so.
    mutating func refreshFailed(_ call: Call, status: Int, now: Duration) {
        call.liveness?.refresh = nil
        call.a.negotiation.rollback()
        logger.warning("caller refused the re-INVITE after mid-call failover", metadata: metadata(call).merging([
            "status": "\(status)",
        ]) { a, _ in a })
    }

    /// The first packet from the new carrier: the end of the audio gap.
    mutating func newCarrierMediaArrived(_ call: Call, now: Duration) {
        guard case .established(var established) = call.phase, let start = established.gapStart else { return }
        established.gapStart = nil
        call.phase = .established(established)
        midCallReports.append(.audioGap(now - start))
        logger.info("new carrier media", metadata: metadata(call).merging([
            "gap_ms": "\((now - start) / .milliseconds(1))",
        ]) { a, _ in a })
    }

    /// A request from the caller while its carrier leg is being replaced.
    mutating func requestDuringFailover(_ request: SIPMessage, key: TransactionKey, call: Call, origin: LegSide,
                                        now: Duration)
    {
        guard origin == .a, request.method == .bye else {
            // One offer at a time: the caller's may not cross the replacement's (RFC 3261 14.2);
            // it retries after 491's randomised wait, by when the new leg is up.
            respond(to: request, key: key, status: origin == .a ? 491 : 481, now: now)
            return
        }
        respond(to: request, key: key, status: 200, now: now)
        logger.info("caller hung up during mid-call failover", metadata: metadata(call))
        call.endedBy = "caller"
        abandonReplacement(call, reason: "SIP;cause=200;text=\"Caller hung up\"", now: now)
        removeCall(call.handle, now: now)
    }

    /// Stops the replacement in whatever stage it is: CANCEL once it rang, else the INVITE is
    /// dropped; a held request of the caller's is answered 487.
    mutating func abandonReplacement(_ call: Call, reason: String, now: Duration) {
        guard case .failingOver(let failover) = call.phase else { return }
        // A transfer's old leg is still up: it goes with the call.
        if let transfer = failover.transfer { abandonTransfer(call, transfer, reason: reason, now: now) }
        if case .inviting = failover.stage, let pending = call.pendingInvite {
            if pending.provisionalSeen {
                sendCancel(call: call.handle, now: now)
            } else {
                handle(transactions.abandonClient(pending.clientKey), now: now)
            }
        }
        if let held = failover.heldRequest, let request = transactions.request(of: held),
           transactions.isServerInviteProceeding(held) || request.method != .invite
        {
            respond(to: request, key: held, status: 487, toTag: call.a.localTag, now: now)
        }
        withdrawFromPacing(call)
    }

    /// No replacement is possible: the caller's call ends with a Reason naming the cause. Its
    /// CDR keeps the `answered` disposition; every carrier leg is an attempt row.
    mutating func midCallFailoverFailed(_ call: Call, cause: String, now: Duration) {
        guard case .failingOver(let failover) = call.phase else { return }
        logger.error("mid-call failover failed", metadata: metadata(call).merging(["cause": "\(cause)"]) { a, _ in a })
        midCallReports.append(.failed(cause: cause))
        if let held = failover.heldRequest, let request = transactions.request(of: held) {
            respond(to: request, key: held, status: 503, reason: "Service Unavailable (mid-call failover failed)",
                    toTag: call.a.localTag, now: now)
        }
        call.pendingInvite = nil
        call.endedBy = "sbc"
        sendBye(call: call, leg: .a, reason: "SIP;cause=503;text=\"Mid-call failover failed: \(cause)\"", now: now)
        withdrawFromPacing(call)
        removeCall(call.handle, now: now)
    }

    /// Hands over the mid-call failover reports since the last call (for metrics).
    public mutating func takeMidCallReports() -> [MidCallFailoverReport] {
        defer { midCallReports.removeAll(keepingCapacity: true) }
        return midCallReports
    }

    /// Offers made to a new carrier leg carry the caller's last SDP, not the INVITE's original.
    func replaceOffer(in invite: inout SIPMessage, call: Call) {
        if let sdp = call.a.negotiation.latestRemote {
            invite.setBody(sdp.serialized(), contentType: "application/sdp")
        } else {
            invite.setBody([], contentType: nil)
        }
    }
}

extension MidCallTrigger {
    /// Whether the dead leg can still receive a BYE: not when its transport is gone or it
    /// already said it has no such dialog.
    var deadLegStillListens: Bool {
        switch self {
        case .transportLoss, .reinviteRefused(status: 481), .keepaliveFailed(status: 481): false
        default: true
        }
    }
}
