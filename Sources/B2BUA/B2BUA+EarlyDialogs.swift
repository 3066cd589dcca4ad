import Logging
import SBCConfig
import SIPCore
import SIPTransaction

/// The callee's provisional responses to an INVITE the SBC sent: early dialogs told apart by
/// To-tag, the SBC's own PRACK for each reliable one (RFC 3262 §4), the trunk's early-media
/// policy, and what the caller is sent. docs/SIP.md, "Provisional responses and 100rel".
extension B2BUA {
    /// A provisional (101-199) to the call's initial INVITE from the active carrier leg (`target`).
    mutating func calleeProvisional(_ response: SIPMessage, call: Call, target: LegSide, pending: Call.PendingInvite,
                                    now: Duration)
    {
        guard case .process(let rseq) = takeEarlyDialog(response, call: call, target: target) else { return }
        let tag = response.to?.tag
        if pending.cancelRequested {
            if let rseq, let tag { sendPRACK(call: call, target: target, tag: tag, rseq: rseq, answer: nil, now: now) }
            sendCancel(call: call.handle, now: now)
            return
        }
        let hasSDP = !response.body.isEmpty && Self.bodyKind(of: response) == .sdp
        // Late offer: the callee's SDP is an offer. In a reliable 18x its answer belongs in the
        // PRACK, so that PRACK waits for the caller's (which only a caller using 100rel sends).
        let offer = pending.awaitingOriginAck && hasSDP
        let policy = call[target].trunk.earlyMedia
        let callerAnswers = offer && policy == .relay && call.reliableToCaller != nil
        if let rseq, let tag {
            if callerAnswers {
                call.attempt?.early.awaitAnswer(tag: tag, rseq: rseq)
            } else {
                if offer {
                    logger.warning("reliable provisional offer the caller cannot answer, PRACKed without answer",
                                   metadata: metadata(call).merging(["trunk": "\(call[target].trunk.name)"]) { a, _ in a })
                }
                sendPRACK(call: call, target: target, tag: tag, rseq: rseq, answer: nil, now: now)
            }
        }
        guard let request = transactions.request(of: pending.serverKey) else { return }
        let origin = target.other
        switch policy {
        case .relay:
            var out = relayed(response, to: request, leg: call[origin], contact: true)
            anchorResponseMedia(&out, call: call, from: target, offer: pending.awaitingOriginAck, now: now)
            // The caller may be hearing the callee's network now: the call is committed to it.
            if !out.body.isEmpty, hasSDP { call.attempt?.earlyMedia = true }
            provisionalToCaller(out, call: call, key: pending.serverKey, now: now)
        case .ringback:
            // One 180 without SDP however many 18x come; the SDP waits in the early dialog for
            // a 200 that carries none.
            guard call.attempt?.early.ringing == false else { return }
            call.attempt?.early.ringing = true
            var ringing = SIPResponseBuilder.response(to: request, statusCode: 180, toTag: call[origin].localTag)
            ringing.add(.contact, call[origin].localContact)
            Self.echoRecordRoute(of: request, into: &ringing)
            settings.identify(&ringing, as: .server)
            provisionalToCaller(ringing, call: call, key: pending.serverKey, now: now)
        case .none:
            break
        }
    }

    /// A provisional to a mid-call failover's INVITE: nothing reaches the caller, but a reliable
    /// one is PRACKed like any other.
    mutating func replacementProvisional(_ response: SIPMessage, call: Call, target: LegSide, now: Duration) {
        guard case .process(let rseq?) = takeEarlyDialog(response, call: call, target: target),
              let tag = response.to?.tag
        else { return }
        sendPRACK(call: call, target: target, tag: tag, rseq: rseq, answer: nil, now: now)
    }

    /// Files a provisional under its early dialog; the latest early dialog is where in-dialog
    /// requests of the caller's early dialog (UPDATE) go until one of them answers.
    private mutating func takeEarlyDialog(_ response: SIPMessage, call: Call, target: LegSide) -> EarlyDialogs.Verdict {
        guard let tag = response.to?.tag, var attempt = call.attempt else { return .process(rseq: nil) }
        let verdict = attempt.early.receive(response, tag: tag)
        call.attempt = attempt
        if verdict != .discard, let dialog = attempt.early[tag] {
            call[target].remoteTag = tag
            if let contact = dialog.remoteTarget { call[target].remoteTarget = contact }
            call[target].routeSet = dialog.routeSet
        }
        return verdict
    }

    /// The SBC's PRACK for the reliable provisional `rseq` of the early dialog `tag` (RFC 3262 §4):
    /// that dialog's remote target, route set and tag, RAck naming the INVITE; `answer` is the
    /// caller's answer to an offer the provisional carried (already anchored for this leg).
    mutating func sendPRACK(call: Call, target: LegSide, tag: String, rseq: UInt32, answer: SIPMessage?,
                            now: Duration)
    {
        guard let invite = call.pendingInvite?.clientRequest, let cseq = invite.cseq else { return }
        var leg = call[target]
        let dialog = call.attempt?.early[tag]
        leg.remoteTag = tag
        if let contact = dialog?.remoteTarget { leg.remoteTarget = contact }
        if let routes = dialog?.routeSet { leg.routeSet = routes }
        var prack = leg.request(.prack, branch: ids.branch(), maxForwards: settings.maxForwards)
        call[target].localCSeq = leg.localCSeq
        prack.add(SIPMessage.rackHeader, ReliableAcknowledgement(rseq: rseq, cseq: cseq.number, method: .invite).description)
        if let answer, !answer.body.isEmpty {
            prack.setBody(answer.body, contentType: answer.firstValue(.contentType) ?? "application/sdp")
        } else {
            prack.set(.contentLength, "0")
        }
        let peer = call[target].peer
        let context = TransactionContext(destination: peer, call: call.handle, purpose: .fireAndForget)
        handle(transactions.startClient(prack, reliable: peer.isReliable, context: context, now: now), now: now)
    }

    /// A 2xx to the initial INVITE without SDP while the caller offered: the answer was in an
    /// 18x of the dialog that answered (reliable, or withheld by the early-media policy, or
    /// another fork's SDP was relayed last). The 2xx to the caller carries that dialog's SDP,
    /// because a caller without 100rel takes its answer only from the 2xx (RFC 3261 13.2.1).
    func answerWithEarlySDP(_ response: SIPMessage, call: Call, pending: Call.PendingInvite) -> SIPMessage {
        // `clientRequest` with SDP: the SBC offered, so the early SDP is the callee's answer (in a
        // late offer it was the callee's offer, which the caller already answered).
        guard response.body.isEmpty, !pending.clientRequest.body.isEmpty, let tag = response.to?.tag,
              let sdp = call.attempt?.early[tag]?.sdp
        else { return response }
        var completed = response
        completed.setBody(sdp.body, contentType: sdp.contentType ?? "application/sdp")
        return completed
    }

    /// A 2xx to the initial INVITE from an early dialog other than the one that answered first
    /// (a fork): it is ACKed and hung up (RFC 3261 13.2.2.4), never taken for the call's dialog.
    mutating func releasesForkedAnswer(_ response: SIPMessage, status: Int, target: LegSide, call: Call,
                                       now: Duration) -> Bool
    {
        guard (200..<300).contains(status), target == .b, case .established = call.phase, response.cseq?.method == .invite,
              response.from?.tag == call[target].localTag, let tag = response.to?.tag, tag != call[target].remoteTag
        else { return false }
        logger.info("releasing a forked answer", metadata: metadata(call).merging([
            "trunk": "\(call[target].trunk.name)", "to_tag": "\(tag)",
        ]) { a, _ in a })
        releaseStrayAnswer(response, from: call[target].peer, now: now)
        return true
    }
}
