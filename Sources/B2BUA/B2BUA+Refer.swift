import Logging
import Routing
import SBCConfig
import SIPCore
import SIPTransaction

/// REFER inside a call (blind transfer, RFC 3515), per the sending trunk's `refer`
/// (docs/SIP.md, "Transfers (REFER)"):
///
/// - `relay`: the REFER crosses like any in-dialog request, its Refer-To and Referred-By
///   rewritten for the other leg (topology hiding); the far end's 202 and NOTIFYs come back.
/// - `reject`: `603 Decline`.
/// - `terminate`: the SBC answers 202 and places the call to the Refer-To user through its own
///   routing, as a new INVITE from the REFER's trunk would go (with failover); the new leg takes
///   the active carrier leg's place in `carrierLegs` the way a mid-call failover's does
///   (B2BUA+MidCallFailover.swift: the same phase, INVITE, answer and media path), but the old
///   leg lives on until the target answers, and a transfer that fails leaves the call as it was.
///   Progress goes to the REFER's sender as NOTIFY `message/sipfrag` (`100 Trying`, then the
///   final status); on success the replaced leg gets BYE.
extension B2BUA {
    static let referToHeader = SIPHeaderName("refer-to")
    static let referredByHeader = SIPHeaderName("referred-by")
    static let referSubHeader = SIPHeaderName("refer-sub")
    /// How long the REFER's implicit subscription is said to last while the transfer runs.
    static let referSubscriptionSeconds = 60

    /// A REFER from `origin`: answered here (rejected, refused, or carried out under
    /// `terminate`), or false to relay it on the normal in-dialog path.
    mutating func referIntercepts(_ request: SIPMessage, key: TransactionKey, call: Call, origin: LegSide,
                                  now: Duration) -> Bool {
        guard request.method == .refer else { return false }
        let trunk = call[origin].trunk
        let policy = trunk.refer
        if policy == .reject {
            logger.info("transfer refused", metadata: metadata(call).merging([
                "trunk": "\(trunk.name)", "policy": "reject",
            ]) { a, _ in a })
            respond(to: request, key: key, status: 603, reason: "Decline (transfers are not accepted on this trunk)",
                    now: now)
            return true
        }
        let user: String
        switch Self.referTarget(of: request) {
        case .refused(let status, let reason):
            logger.info("transfer refused", metadata: metadata(call).merging([
                "trunk": "\(trunk.name)", "status": "\(status)", "reason": "\(reason)",
            ]) { a, _ in a })
            respond(to: request, key: key, status: status, reason: reason, now: now)
            return true
        case .target(_, let number):
            user = number
        }
        guard policy == .terminate else { return false }
        acceptTransfer(request, key: key, call: call, origin: origin, user: user, now: now)
        return true
    }

    enum ReferTarget {
        case target(SIPNameAddress, user: String)
        case refused(status: Int, reason: String)
    }

    /// The REFER's one Refer-To and the user (number) it names. Attended transfer (a Replaces
    /// header in the URI) names a dialog on the REFER's side that the other side has never seen,
    /// so it cannot cross a B2BUA: refused.
    static func referTarget(of request: SIPMessage) -> ReferTarget {
        let values = request.values(referToHeader)
        guard values.count == 1, let address = SIPNameAddress.parse(values[0]) else {
            return .refused(status: 400, reason: "Bad Request (a REFER needs exactly one valid Refer-To)")
        }
        if let headers = address.uri.headers, headers.lowercased().contains("replaces") {
            return .refused(status: 603, reason: "Decline (attended transfer with Replaces is not supported)")
        }
        guard address.uri.isSIP || address.uri.scheme == "tel", let user = address.uri.user, !user.isEmpty else {
            return .refused(status: 603, reason: "Decline (Refer-To names no number or user to call)")
        }
        return .target(address, user: user)
    }

    /// `refer: relay`: the Refer-To names the number the way the SBC addresses the other leg's
    /// trunk (`sip:<user>@<trunk address>`, like a B-leg Request-URI), and Referred-By keeps its
    /// user with the SBC's host: neither side's addresses reach the other.
    func rewriteReferAddresses(_ refer: inout SIPMessage, target leg: CallLeg) {
        if let value = refer.firstValue(Self.referToHeader), var address = SIPNameAddress.parse(value),
           let user = address.uri.user
        {
            address.uri = Self.trunkTarget(user: user, trunk: leg.trunk)
            address.parameters = []
            refer.set(Self.referToHeader, address.description)
        }
        if let value = refer.firstValue(Self.referredByHeader), var address = SIPNameAddress.parse(value) {
            address.uri = SIPURI(user: address.uri.user, host: leg.zone.host)
            refer.set(Self.referredByHeader, address.description)
        }
    }

    // MARK: terminate

    /// `refer: terminate`: 202, NOTIFY 100, and the new carrier leg's INVITE. Only an established
    /// call with nothing else in flight can be transferred (491 otherwise: the platform retries).
    private mutating func acceptTransfer(_ request: SIPMessage, key: TransactionKey, call: Call, origin: LegSide,
                                         user: String, now: Duration) {
        guard case .established(let established) = call.phase, call.pendingInvite == nil, call.pendingOffer == nil,
              established.liveness.refresh == nil, !call.carrierLegs.isEmpty
        else {
            respond(to: request, key: key, status: 491, reason: "Request Pending (the call is busy with another request)",
                    now: now)
            return
        }
        guard settings.media != nil, call.a.negotiation.latestRemote != nil else {
            // The new leg is offered the caller's last SDP, which only an anchored call keeps.
            respond(to: request, key: key, status: 603, reason: "Decline (transfers need media anchoring: media.enabled)",
                    now: now)
            return
        }
        let source = call[origin].trunk
        var template = transferInvite(call, user: user, refer: request)
        guard let decision = routing.route(from: source, request: template) else {
            let status = routing.unroutableStatus
            logger.info("transfer refused", metadata: metadata(call).merging([
                "target": "\(user)", "reason": "no route",
            ]) { a, _ in a })
            respond(to: request, key: key, status: status,
                    reason: "\(SIPResponseBuilder.defaultReason(status)) (no route for the transfer target)", now: now)
            return
        }
        if let value = request.firstValue(Self.referredByHeader), var referredBy = SIPNameAddress.parse(value) {
            // Kept for the target, with the SBC's host on the side the new leg goes to.
            let zone = decision.candidates.first.flatMap { settings.zones[$0.zone] } ?? call[origin.other].zone
            referredBy.uri = SIPURI(user: referredBy.uri.user, host: zone.host)
            template.headers.append(SIPHeaderField(rawName: "Referred-By", value: referredBy.description))
        }
        let notifies = request.firstValue(Self.referSubHeader)?.trimmingWhitespace().lowercased() != "false"
        var headers = [SIPHeaderField(.contact, call[origin].localContact)]
        if !notifies { headers.append(SIPHeaderField(rawName: "Refer-Sub", value: "false")) }
        respond(to: request, key: key, status: 202, reason: "Accepted", headers: headers, now: now)
        if let contact = request.contacts.first?.uri { call[origin].remoteTarget = contact }

        let replaced = call.carrierLegs.count - 1
        let transfer = Call.Transfer(
            referrer: origin == .a ? .a : .carrier(replaced), eventID: request.cseq?.number ?? 0, notifies: notifies,
            replacedLeg: replaced, replacedAttempt: call.attempts.lastIndex { $0.outcome == .answered },
            resume: established, route: call.route, trunk: call.activeTrunk, media: call.media, target: user)
        logger.info("transfer accepted", metadata: metadata(call).merging([
            "target": "\(user)", "referred_by": "\(request.firstValue(Self.referredByHeader) ?? "-")",
            "route": "\(decision.routeName)", "from_trunk": "\(source.name)",
        ]) { a, _ in a })
        notifyTransfer(call, transfer, status: 100, reason: "Trying", final: false, now: now)

        // The call now runs on the transfer's route; the old leg stays up (and counted on its
        // trunk) until the new one answers.
        stopCarrierTimers(of: call)
        call.route = decision
        call.activeTrunk = nil
        let candidates = orderedCandidates(decision)
        call.phase = .failingOver(Call.FailingOver(
            reorigination: Call.Reorigination(candidates: Call.Candidates(callerInvite: template, remaining: candidates),
                                              settings: decision.group?.midCallFailover ?? MidCallFailoverSettings()),
            trigger: .transfer, triggeredAt: now, gapStart: now, heldRequest: nil, stage: .inviting(Call.Attempt()),
            transfer: transfer))
        if !startNextAttempt(call, now: now) {
            transferFailed(call, transfer, status: 503, reason: "Service Unavailable (no trunk available)", now: now)
        }
    }

    /// What the transfer's INVITEs are built from (`Candidates.callerInvite`): the Refer-To user
    /// as Request-URI and To user, the call's caller as From, and a Call-ID of its own: it is a
    /// new call, and the old leg, which carries the platform's Call-ID, may be up on the same
    /// carrier until the target answers.
    private mutating func transferInvite(_ call: Call, user: String, refer: SIPMessage) -> SIPMessage {
        let host = call.a.zone.host
        var invite = SIPMessage.request(.invite, uri: SIPURI(user: user, host: host))
        invite.add(.maxForwards, String(refer.maxForwards ?? settings.maxForwards))
        invite.add(.from, SIPNameAddress(displayName: call.a.remoteAddress.displayName,
                                         uri: SIPURI(user: call.a.remoteAddress.uri.user, host: host)).description)
        invite.add(.to, SIPNameAddress(uri: SIPURI(user: user, host: host)).description)
        invite.add(.callID, ids.callID())
        invite.add(.cseq, "1 INVITE")
        return invite
    }

    /// NOTIFY on the REFER's implicit subscription (RFC 3515 §2.4.4): `message/sipfrag` with the
    /// status line of the transfer's progress; `final` ends the subscription.
    private mutating func notifyTransfer(_ call: Call, _ transfer: Call.Transfer, status: Int, reason: String,
                                         final: Bool, now: Duration) {
        guard transfer.notifies else { return }
        let leg = transfer.referrer
        var notify = call[leg].request(.notify, branch: ids.branch(), maxForwards: settings.maxForwards)
        notify.add(.contact, call[leg].localContact)
        notify.headers.append(SIPHeaderField(rawName: "Event", value: "refer;id=\(transfer.eventID)"))
        notify.headers.append(SIPHeaderField(rawName: "Subscription-State",
                                             value: final ? "terminated;reason=noresource"
                                                 : "active;expires=\(Self.referSubscriptionSeconds)"))
        let phrase = reason.isEmpty ? SIPResponseBuilder.defaultReason(status) : reason
        notify.setBody(Array("SIP/2.0 \(status) \(phrase)\r\n".utf8), contentType: "message/sipfrag;version=2.0")
        let peer = call[leg].peer
        let context = TransactionContext(destination: peer, call: call.handle, purpose: .fireAndForget)
        handle(transactions.startClient(notify, reliable: peer.isReliable, context: context, now: now), now: now)
    }

    /// The established state after the target answered: as a new call on the transfer's route,
    /// critical (mid-call failover) only if that route is.
    func resumedAfterTransfer(_ call: Call, _ transfer: Call.Transfer, failover: Call.FailingOver) -> Call.Established {
        guard call.route.critical, let group = call.route.group else { return Call.Established(reorigination: nil) }
        return Call.Established(reorigination: Call.Reorigination(candidates: failover.reorigination.candidates,
                                                                  settings: group.midCallFailover))
    }

    /// The target answered and the call moved to its leg (replacementResponded): the sender of
    /// the REFER hears `200 OK`, the replaced leg is hung up.
    mutating func transferSucceeded(_ call: Call, _ transfer: Call.Transfer, now: Duration) {
        if let trunk = transfer.trunk, !transfer.replacedLegEnded { availability.callEnded(on: trunk.name) }
        if let index = transfer.replacedAttempt, call.attempts.indices.contains(index) {
            call.attempts[index].reason = "transferred"
            call.attempts[index].endedAt = now
        }
        logger.notice("transfer completed", metadata: metadata(call).merging([
            "target": "\(transfer.target)", "trunk": "\(call[.b].trunk.name)",
        ]) { a, _ in a })
        guard !transfer.replacedLegEnded else {
            // The transferor left after the 202: its dialog, and its subscription, are gone.
            if transfer.referrer == .a { notifyTransfer(call, transfer, status: 200, reason: "OK", final: true, now: now) }
            return
        }
        notifyTransfer(call, transfer, status: 200, reason: "OK", final: true, now: now)
        sendBye(call: call, leg: .carrier(transfer.replacedLeg), reason: "SIP;cause=200;text=\"Call transferred\"",
                now: now)
    }

    /// An attempt of the transfer failed (attemptFailed): the next candidate on a failover
    /// trigger of the transfer's group, as for a new call; otherwise the transfer failed.
    mutating func transferAttemptFailed(_ call: Call, _ transfer: Call.Transfer, failover: Bool, attempt index: Int?,
                                        status: Int?, reason: String, now: Duration) {
        if failover, startNextAttempt(call, now: now) {
            if let index { call.attempts[index].outcome = .failedOver }
            failovers += 1
            return
        }
        transferFailed(call, transfer, status: status ?? 503, reason: reason, now: now)
    }

    /// Nobody answered the transfer: the call goes back to the replaced leg exactly as it was
    /// (route, trunk, relay ports and state: the relay never left it), the transfer's legs and
    /// ports are released, and the sender of the REFER hears the failure.
    mutating func transferFailed(_ call: Call, _ transfer: Call.Transfer, status: Int, reason: String, now: Duration) {
        logger.warning("transfer failed", metadata: metadata(call).merging([
            "target": "\(transfer.target)", "status": "\(status)", "reason": "\(reason)",
        ]) { a, _ in a })
        if let current = call.media {
            let kept = Set(transfer.media?.allPorts ?? [])
            for pair in current.allPorts + current.retiring where !kept.contains(pair) { ports.release(pair, now: now) }
        }
        call.media = transfer.media
        let firstNew = transfer.replacedLeg + 1
        if firstNew < call.carrierLegs.count {
            for leg in call.carrierLegs[firstNew...] { dialogs[DialogKey(callID: leg.callID, localTag: leg.localTag)] = nil }
            rememberEndedLegs(Array(call.carrierLegs[firstNew...]), now: now)
            call.carrierLegs.removeSubrange(firstNew...)
        }
        call.pendingInvite = nil
        call.route = transfer.route
        call.phase = .established(transfer.resume)
        stopCarrierTimers(of: call)
        guard !transfer.replacedLegEnded else {
            // The replaced leg hung up meanwhile: nobody is left for the caller's side.
            call.activeTrunk = nil
            call.endedBy = "sbc"
            let phrase = reason.isEmpty ? SIPResponseBuilder.defaultReason(status) : reason
            sendBye(call: call, leg: .a, reason: "SIP;cause=\(status);text=\"Transfer failed: \(phrase)\"", now: now)
            removeCall(call.handle, now: now)
            return
        }
        call.activeTrunk = transfer.trunk
        watchCarrier(call, now: now)
        // Its session timer was not the active leg's meanwhile (a firing went stale): armed again.
        if let timer = call[.b].sessionTimer { start(timer, on: .b, of: call) }
        notifyTransfer(call, transfer, status: status, reason: reason, final: true, now: now)
    }

    /// The call ends while its transfer runs (abandonReplacement): the replaced leg is still up
    /// and gets the call's BYE; its trunk's call count is released with it.
    mutating func abandonTransfer(_ call: Call, _ transfer: Call.Transfer, reason: String, now: Duration) {
        guard !transfer.replacedLegEnded else { return }
        if let trunk = transfer.trunk { availability.callEnded(on: trunk.name) }
        sendBye(call: call, leg: .carrier(transfer.replacedLeg), reason: reason, now: now)
    }

    /// A BYE from a leg the call moved away from: when it is the leg a transfer replaces (a
    /// transferor leaving after the 202, RFC 5589 §6), the transfer goes on without it.
    mutating func replacedLegHungUp(_ call: Call, leg: LegReference) {
        guard case .failingOver(var failover) = call.phase, var transfer = failover.transfer,
              leg == .carrier(transfer.replacedLeg), !transfer.replacedLegEnded
        else { return }
        transfer.replacedLegEnded = true
        if let trunk = transfer.trunk { availability.callEnded(on: trunk.name) }
        failover.transfer = transfer
        call.phase = .failingOver(failover)
        logger.info("replaced leg hung up during the transfer", metadata: metadata(call).merging([
            "trunk": "\(call[leg].trunk.name)",
        ]) { a, _ in a })
    }
}
