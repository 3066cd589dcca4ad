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
        enum Kind: Sendable {
            case firstProvisional, answer
            /// A relayed re-INVITE or UPDATE on a critical call (`reinvite_timeout_ms`): our
            /// request's transaction and the caller's.
            case reinvite(client: TransactionKey, server: TransactionKey)
            /// The next in-dialog OPTIONS to a critical call's carrier leg.
            case keepalive
            /// Retransmission of the reliable provisional the caller has not PRACKed yet.
            case reliableProvisional
            /// A leg's session timer: the SBC's refresh, or the session's expiry.
            case sessionTimer(LegSide)
        }
        let call: CallHandle
        let kind: Kind
    }

    /// Starts an INVITE to the next candidate that is available; false when none is left.
    /// Serves the initial routing and mid-call failover alike: the phase holds the candidates.
    mutating func startNextAttempt(_ call: Call, now: Duration) -> Bool {
        while let trunk = call.popCandidate() {
            let refusal = healthRefusal(of: trunk, in: call.route.group)
                ?? availability.unavailability(of: trunk, now: now)?.description
            if let refusal {
                skip(trunk, of: call, because: Refusal(status: nil, reason: refusal), now: now)
                continue
            }
            guard let zone = settings.zones[trunk.zone] else { continue }
            let invite: SIPMessage
            switch makeAttempt(call, trunk: trunk, zone: zone, now: now) {
            case .ready(let message):
                invite = message
            case .refused(let refusal):
                skip(trunk, of: call, because: refusal, now: now)
                if refusal.status != nil, case .proceeding(var proceeding) = call.phase {
                    proceeding.refusal = refusal
                    call.phase = .proceeding(proceeding)
                }
                continue
            }
            guard let clientKey = TransactionKey.client(for: invite) else { continue }
            let serverKey = heldOrCallerKey(of: call)
            startPendingInvite(Call.PendingInvite(origin: .a, serverKey: serverKey, clientKey: clientKey,
                                                  clientRequest: invite, awaitingOriginAck: invite.body.isEmpty),
                               on: call)
            call.attempts.append(CallAttemptSummary(trunk: trunk.name, startedAt: now, responseCode: nil, reason: nil,
                                                    responseTime: nil, outcome: .pending,
                                                    overflow: trunk.name == call.route.group?.overflow))
            call.activeTrunk = trunk
            availability.callStarted(on: trunk.name)
            call.attempt = Call.Attempt(
                provisionalTimer: callTimers.push(CallTimer(call: call.handle, kind: .firstProvisional),
                                                  at: now + trunk.firstProvisionalTimeout),
                answerTimer: callTimers.push(CallTimer(call: call.handle, kind: .answer), at: now + trunk.answerTimeout))
            compactCallTimers()
            logger.info("INVITE to trunk", metadata: metadata(call).merging([
                "trunk": "\(trunk.name)", "attempt": "\(call.attempts.count)", "b_call_id": "\(call[.b].callID)",
            ]) { a, _ in a })
            let peer = call[.b].peer
            let context = TransactionContext(destination: peer, call: call.handle, purpose: .invite(target: .b))
            handle(transactions.startClient(invite, reliable: peer.isReliable, context: context, now: now), now: now)
            return true
        }
        return false
    }

    /// The server transaction a new carrier leg's final response settles: the caller's INVITE,
    /// or during a mid-call failover the caller's request the dead leg refused (if any).
    private func heldOrCallerKey(of call: Call) -> TransactionKey {
        if case .failingOver(let failover) = call.phase, let held = failover.heldRequest { return held }
        return call.callerKey
    }

    private mutating func skip(_ trunk: TrunkSettings, of call: Call, because refusal: Refusal, now: Duration) {
        call.attempts.append(CallAttemptSummary(trunk: trunk.name, startedAt: now, responseCode: refusal.status,
                                                reason: refusal.reason, responseTime: nil, outcome: .skipped,
                                                endedAt: now))
        logger.info("trunk skipped", metadata: metadata(call).merging([
            "trunk": "\(trunk.name)", "why": "\(refusal.reason)",
        ]) { a, _ in a })
    }

    /// An attempt's INVITE, or why this trunk cannot take the call.
    enum AttemptBuild {
        case ready(SIPMessage)
        case refused(Refusal)
    }

    /// A fresh carrier leg (new tag, fresh CSeq, Call-ID per trunk policy) and its INVITE, built
    /// from the caller's INVITE with topology hidden and its SDP anchored on the relay. A mid-call
    /// failover's INVITE carries the caller's last SDP instead of the INVITE's own.
    private mutating func makeAttempt(_ call: Call, trunk: TrunkSettings, zone: ZoneIdentity, now: Duration) -> AttemptBuild {
        guard let request = call.candidates?.callerInvite, let from = request.from, let to = request.to,
              let cseq = request.cseq
        else { return .refused(Refusal(status: nil, reason: "caller's INVITE lacks From, To or CSeq")) }
        let requestUser = request.requestURI?.user
        let peer = SIPEndpoint(host: trunk.address, port: trunk.port, transport: trunk.transport, zone: trunk.zone)
        let number = cseq.number &+ UInt32(call.attempts.count)
        let leg = CallLeg(
            // preserve: the Call-ID of the INVITE the leg is built from (a transfer's is its own).
            side: .b, callID: trunk.callIDPolicy == .preserve ? (request.callID ?? call.a.callID) : ids.callID(),
            localTag: ids.tag(),
            remoteTag: nil,
            localAddress: SIPNameAddress(displayName: from.displayName, uri: SIPURI(user: from.uri.user, host: zone.host)),
            remoteAddress: SIPNameAddress(displayName: to.displayName, uri: SIPURI(user: to.uri.user, host: trunk.address)),
            remoteTarget: Self.trunkTarget(user: requestUser, trunk: trunk),
            routeSet: [], localCSeq: number, remoteCSeq: nil, peer: peer, trunk: trunk, zone: zone)
        var legCopy = leg
        var invite = legCopy.request(.invite, branch: ids.branch(), maxForwards: forwardedMaxForwards(request), cseq: number)
        invite.add(.contact, leg.localContact)
        HeaderFilter.copyEndToEnd(from: request, into: &invite, limits: settings.headerLimits)
        prepareAttemptExtensions(&invite, call: call, trunk: trunk)
        let replaying = call.isAnswered
        if replaying { replaceOffer(in: &invite, call: call) }
        if let profile = settings.outboundProfile(for: trunk, routeOverride: call.route.profileOverride) {
            do {
                try profile.apply(to: &invite, context: ProfileContext(message: request, trunkName: trunk.name))
            } catch {
                // Never send what the profile broke: this trunk is skipped for this call.
                logger.error("header profile produced invalid SIP", metadata: metadata(call).merging([
                    "trunk": "\(trunk.name)", "error": "\(error)",
                ]) { a, _ in a })
                return .refused(Refusal(status: nil, reason: "header profile produced invalid SIP: \(error)"))
            }
        }
        if let refusal = udpSizeRefusal(invite, trunk: trunk) { return .refused(refusal) }
        let previous = call.carrierLegs.last
        call.carrierLegs.append(leg)
        startNewBLeg(of: call, now: now)
        let anchored = anchorMedia(&invite, call: call, from: .a, offer: true,
                                   record: replaying ? .targetOnly : .both, now: now)
        if case .refused(let refusal) = anchored {
            call.carrierLegs.removeLast()
            return .refused(refusal)
        }
        // A failed initial attempt's dialog is forgotten (its late answers are strays); a leg that
        // died mid-call keeps its entry so that its own BYE still gets a 200.
        if let old = previous, !replaying {
            dialogs[DialogKey(callID: old.callID, localTag: old.localTag)] = nil
            rememberEndedLegs([old], now: now)
        }
        dialogs[DialogKey(callID: leg.callID, localTag: leg.localTag)] = (call.handle, .carrier(call.carrierLegs.count - 1))
        return .ready(invite)
    }

    /// A trunk's Request-URI: the default port left out, and the transport named for TCP and TLS
    /// (`;transport=tls`), which is how carriers that take SIP over TLS expect to be addressed.
    static func trunkTarget(user: String?, trunk: TrunkSettings, omittingDefaultPort: Bool = true) -> SIPURI {
        let defaultPort: UInt16 = trunk.transport == .tls ? 5061 : 5060
        let parameters = trunk.transport == .udp ? [] : [SIPParameter(name: "transport", value: trunk.transport.rawValue)]
        return SIPURI(user: user, host: trunk.address,
                      port: omittingDefaultPort && trunk.port == defaultPort ? nil : trunk.port, parameters: parameters)
    }

    /// The current attempt failed. Records it, feeds passive health and Retry-After quarantine,
    /// and either tries the next candidate or gives the caller its one final response.
    /// `trigger` fails the call over. `chargesTrunk` false keeps the failure away from the trunk's
    /// passive health and Retry-After quarantine: the SBC itself refused what the trunk sent.
    mutating func attemptFailed(_ call: Call, status: Int?, reason: String, outcome: CallAttemptSummary.Outcome,
                                trigger: Bool, chargesTrunk: Bool = true, response: SIPMessage?, now: Duration)
    {
        let earlyMedia = call.attempt?.earlyMedia ?? false
        call.attempt = Call.Attempt()
        call.pendingInvite = nil
        if let trunk = call.activeTrunk {
            call.activeTrunk = nil
            chargeFailure(of: trunk, call: call, status: status, outcome: outcome.rawValue, trigger: trigger,
                          chargesTrunk: chargesTrunk, retryAfter: response?.retryAfter, now: now)
        }
        let failover = trigger && (!earlyMedia || call.route.group?.failoverAfterEarlyMedia == true)
        let index = call.attempts.lastIndex { $0.outcome == .pending }
        if let index {
            call.attempts[index].responseCode = status
            call.attempts[index].reason = reason
            call.attempts[index].responseTime = now - call.attempts[index].startedAt
            call.attempts[index].outcome = outcome
            call.attempts[index].endedAt = now
        }
        logger.info("attempt failed", metadata: metadata(call).merging([
            "trunk": "\(index.map { call.attempts[$0].trunk } ?? "-")", "status": "\(status.map(String.init) ?? "-")",
            "reason": "\(reason)", "failover": "\(failover)",
        ]) { a, _ in a })
        switch call.phase {
        case .proceeding:
            if failover, startNextAttempt(call, now: now) {
                if let index { call.attempts[index].outcome = .failedOver }
                failovers += 1
                return
            }
            failCall(call, status: status ?? 500, reason: reason, response: response, now: now)
        case .failingOver(let replacing):
            // A transfer's attempt fails over like a new call, and failing leaves the call as it was.
            if let transfer = replacing.transfer {
                transferAttemptFailed(call, transfer, failover: failover, attempt: index, status: status, reason: reason,
                                      now: now)
                return
            }
            // The replacement leg failed: the next member, whatever the response (the caller's
            // dialog is up, so nothing is relayed to it but the end of the call).
            if startNextAttempt(call, now: now) {
                if let index { call.attempts[index].outcome = .failedOver }
                return
            }
            midCallFailoverFailed(call, cause: "no trunk answered (last: \(status.map(String.init) ?? reason))",
                                  now: now)
        case .cancelling, .established, .terminating:
            removeCall(call.handle, now: now)
        }
    }

    /// Feeds a failed attempt (or a carrier leg that died mid-call) to the trunk's passive
    /// health and Retry-After quarantine, and releases its call-limit slot.
    mutating func chargeFailure(of trunk: TrunkSettings, call: Call, status: Int?, outcome: String, trigger: Bool,
                                chargesTrunk: Bool, retryAfter: SIPRetryAfter?, now: Duration)
    {
        availability.callEnded(on: trunk.name)
        guard chargesTrunk else { return }
        // 503 and 429 are overload signals whatever the group fails over on: right after a
        // fail-back a burst of them sends the trunk straight back down (probation).
        if trigger || status == 503 || status == 429 {
            record(health[trunk.name]?.passiveFailure(detail: "\(status.map(String.init) ?? outcome) on a call",
                                                      now: now) ?? [])
        }
        if trigger, let change = availability.recordFailure(trunk, now: now) {
            report(change, call: call)
            record(health[trunk.name]?.passiveDown(detail: "\(trunk.passiveFailureThreshold) failures within "
                + "\(trunk.passiveFailureWindow.components.seconds) s", now: now) ?? [])
        }
        if status == 503, let group = call.route.group {
            let duration = group.quarantine(retryAfter: retryAfter.map { Int($0.seconds) })
            if let change = availability.quarantine(trunk.name, for: duration, now: now) {
                report(change, call: call)
                record(health[trunk.name]?.quarantine(until: now + duration,
                                                      detail: "503 Retry-After \(duration.components.seconds) s",
                                                      now: now) ?? [])
            }
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
                settings.identify(&final, as: .server)
            }
            call.finalStatus = final.statusCode
            respond(call.callerKey, final, now: now)
        }
        logger.info("call failed", metadata: metadata(call).merging([
            "status": "\(call.finalStatus.map(String.init) ?? "-")", "attempts": "\(call.attempts.count)",
        ]) { a, _ in a })
        removeCall(call.handle, now: now)
    }

    /// Cancelled call timers stay in the heap until they surface (answer timers: minutes); once
    /// they outnumber the live ones several times over, they are swept in one pass.
    private mutating func compactCallTimers() {
        guard callTimers.count > 1024, callTimers.count > 8 * calls.count else { return }
        let calls = self.calls
        callTimers.removeAll { entry in
            guard let call = calls[entry.payload.call] else { return true }
            return !call.isLive(entry.payload.kind, sequence: entry.sequence)
        }
    }

    /// Per-call timers: the attempt's first-provisional and answer timers, and a critical call's
    /// re-INVITE and keepalive timers.
    mutating func fire(_ timer: CallTimer, sequence: UInt64, now: Duration) {
        guard let call = calls[timer.call], call.isLive(timer.kind, sequence: sequence) else { return }
        switch timer.kind {
        case .firstProvisional, .answer:
            guard let pending = call.pendingInvite, let trunk = call.activeTrunk else { return }
            if case .firstProvisional = timer.kind {
                guard !pending.provisionalSeen else { return }
                handle(transactions.abandonClient(pending.clientKey), now: now)
                let limit = trunk.firstProvisionalTimeout.components.seconds * 1000
                    + trunk.firstProvisionalTimeout.components.attoseconds / 1_000_000_000_000_000
                attemptFailed(call, status: 408, reason: "No provisional response within \(limit) ms", outcome: .timeout,
                              trigger: call.route.group?.failoverOn.onTimeout ?? false, response: nil, now: now)
                return
            }
            if pending.provisionalSeen {
                sendCancel(call: call.handle, now: now)
            } else {
                handle(transactions.abandonClient(pending.clientKey), now: now)
            }
            // Not a failover trigger: the callee's side has been ringing, and ringing a second
            // network for the same call is worse than ending it.
            attemptFailed(call, status: 408, reason: "No answer within \(trunk.answerTimeout.components.seconds) s",
                          outcome: .timeout, trigger: false, response: nil, now: now)
        case .reinvite(let client, let server):
            reinviteTimedOut(call, client: client, server: server, now: now)
        case .keepalive:
            sendKeepalive(call, now: now)
        case .reliableProvisional:
            retransmitReliableProvisional(call, now: now)
        case .sessionTimer(let side):
            sessionTimerFired(call, side: side, now: now)
        }
    }

    /// The transport could not reach `destination` (connection refused, ICMP unreachable, TCP
    /// connect failure): every initial INVITE in progress towards it fails with the `transport`
    /// trigger at once instead of waiting for a timer.
    /// `reason` says what failed in an operator's words ("connection refused", "TLS certificate
    /// expired: ..."); it becomes the probe failure's detail in the API, audit log and alerts.
    public mutating func transportFailed(to destination: SIPEndpoint, reason: String, now: Duration) -> [SIPOutbound] {
        outbox.removeAll(keepingCapacity: true)
        let affected = calls.values.compactMap { call -> TransactionKey? in
            guard call.isProceeding, let pending = call.pendingInvite, pending.origin == .a,
                  call[.b].peer.sameTransportAddress(as: destination)
            else { return nil }
            return pending.clientKey
        }
        for key in affected { handle(transactions.transportFailed(key, now: now), now: now) }
        carrierTransportLost(destination, now: now)
        registrationTransportFailed(to: destination, reason: reason, now: now)
        for (name, probe) in pendingProbes {
            guard let trunk = routing.trunk(named: name), trunk.address == destination.host,
                  trunk.port == destination.port, trunk.transport == destination.transport
            else { continue }
            handle(transactions.abandonClient(probe.key), now: now)
            probeFinished(trunk: name, alive: false, detail: "OPTIONS transport error: \(reason)", now: now)
        }
        endTransactions(to: destination, now: now)
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
