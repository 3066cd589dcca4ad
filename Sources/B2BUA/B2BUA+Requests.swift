import Logging
import Routing
import SBCConfig
import SIPCore
import SIPProfiles
import SIPTransaction

extension B2BUA {
    /// Methods answered locally or bridged; used in Allow and for the 405/501 decision.
    static let allowedMethods = "INVITE, ACK, BYE, CANCEL, OPTIONS, UPDATE, PRACK, INFO, NOTIFY, REFER, MESSAGE"

    mutating func receiveRequest(_ incoming: SIPMessage, from source: SIPEndpoint, now: Duration) {
        var request = incoming
        Self.stampTopVia(&request, source: source)
        let method = request.method ?? .options
        let replyTo = Self.responseDestination(for: request, source: source)
        // A reload may have removed the trunk of a call still up: its dialog still knows it.
        guard let trunk = routing.sourceTrunk(zone: source.zone, address: source.host) ?? dialogTrunk(of: request) else {
            logger.warning("request from unknown source", metadata: [
                "source": "\(source)", "method": "\(method)", "call_id": "\(request.callID ?? "-")",
                "policy": "\(settings.unknownSource)",
            ])
            if settings.unknownSource == .reject, method != .ack {
                var response = SIPResponseBuilder.response(to: request, statusCode: 403,
                                                           reason: "Forbidden (unknown source)", toTag: ids.tag())
                settings.identify(&response, as: .server)
                send(response, to: replyTo)
            }
            return
        }
        if method != .ack, method != .cancel, let name = trunk.inboundProfile, let profile = settings.profiles[name] {
            do {
                try profile.apply(to: &request, context: ProfileContext(message: request, trunkName: trunk.name))
            } catch {
                logger.error("inbound profile produced invalid SIP", metadata: [
                    "trunk": "\(trunk.name)", "call_id": "\(request.callID ?? "-")", "error": "\(error)",
                ])
                var response = SIPResponseBuilder.response(to: incoming, statusCode: 500,
                                                           reason: "Server Internal Error (inbound profile)",
                                                           toTag: ids.tag())
                settings.identify(&response, as: .server)
                send(response, to: replyTo)
                return
            }
        }
        let context = TransactionContext(destination: replyTo, call: nil, purpose: .answering)
        switch transactions.receiveRequest(request, reliable: source.isReliable, context: context, now: now) {
        case .retransmission(let events):
            handle(events, now: now)
        case .ackAbsorbed:
            break
        case .ackForDialog:
            dialogAck(request, now: now)
        case .newTransaction(let key):
            dispatch(request, key: key, trunk: trunk, replyTo: replyTo, now: now)
        }
    }

    private mutating func dispatch(_ request: SIPMessage, key: TransactionKey, trunk: TrunkSettings,
                                   replyTo: SIPEndpoint, now: Duration)
    {
        let method = request.method ?? .options
        let extensions = trunk.reliableProvisionals == .off ? SIPRequestScreening.supportedExtensions
            : Self.extensionsWith100rel
        if let rejection = edgeRejection(for: request)
            ?? SIPRequestScreening.rejection(for: request, supporting: extensions) {
            logger.info("request refused", metadata: [
                "call_id": "\(request.callID ?? "-")", "method": "\(method)",
                "status": "\(rejection.statusCode)", "reason": "\(rejection.reason)",
            ])
            respond(to: request, key: key, status: rejection.statusCode, reason: rejection.reason,
                    headers: rejection.headers, now: now)
            return
        }
        if method == .cancel {
            cancel(request, key: key, now: now)
        } else if request.to?.tag != nil {
            inDialog(request, key: key, now: now)
        } else if method == .invite {
            newCall(request, key: key, sourceTrunk: trunk, replyTo: replyTo, now: now)
        } else if method == .options {
            respond(to: request, key: key, status: 200, headers: [
                SIPHeaderField(.allow, Self.allowedMethods), SIPHeaderField(.accept, "application/sdp"),
                SIPHeaderField(.supported, trunk.reliableProvisionals == .off ? "timer" : "100rel, timer"),
            ], now: now)
        } else if SIPMethod.known.contains(method) {
            respond(to: request, key: key, status: 405, headers: [SIPHeaderField(.allow, Self.allowedMethods)],
                    now: now)
        } else {
            respond(to: request, key: key, status: 501, now: now)
        }
    }

    /// Where the SBC sends requests to the caller: over the caller's connection while it is open,
    /// and when it has closed, to the port of the caller's Contact rather than the ephemeral
    /// port the connection came from, which nothing listens on (RFC 5923 reuse, RFC 3261 12.2.1.1).
    static func callerPeer(_ replyTo: SIPEndpoint, target: SIPURI) -> SIPEndpoint {
        guard replyTo.isReliable, target.host == replyTo.host else { return replyTo }
        var peer = replyTo
        peer.port = target.port ?? (replyTo.transport == .tls || target.scheme == "sips" ? 5061 : 5060)
        return peer
    }

    private mutating func newCall(_ request: SIPMessage, key: TransactionKey, sourceTrunk: TrunkSettings,
                                  replyTo: SIPEndpoint, now: Duration)
    {
        guard drainDeadline == nil else {
            respond(to: request, key: key, status: 503, reason: "Service Unavailable (shutting down)", now: now)
            return
        }
        guard let decision = routing.route(from: sourceTrunk, request: request),
              let aZone = settings.zones[replyTo.zone],
              let from = request.from, let to = request.to, let cseq = request.cseq, let callID = request.callID
        else {
            let status = routing.unroutableStatus
            logger.info("no route", metadata: ["call_id": "\(request.callID ?? "-")", "trunk": "\(sourceTrunk.name)"])
            respond(to: request, key: key, status: status, reason: "\(SIPResponseBuilder.defaultReason(status)) (no route)",
                    now: now)
            finishedCalls.append(CallSummary(
                callID: request.callID ?? "", legBCallID: nil, fromURI: request.from.map { "\($0.uri)" } ?? "",
                toURI: request.to.map { "\($0.uri)" } ?? "", ingressTrunk: sourceTrunk.name, route: nil,
                startedAt: now, answeredAt: nil, endedAt: now, disposition: .noRoute, finalStatus: status,
                finalTrunk: nil, endedBy: "sbc", attempts: []))
            return
        }
        if refusesExtensions(request, key: key, trunk: sourceTrunk, now: now) { return }
        respond(to: request, key: key, status: 100, now: now)

        var callerAddress = from
        callerAddress.tag = nil
        var calledAddress = to
        calledAddress.tag = nil
        let callerTarget = request.contacts.first?.uri ?? from.uri
        let a = CallLeg(
            side: .a, callID: callID, localTag: ids.tag(), remoteTag: from.tag, localAddress: calledAddress,
            remoteAddress: callerAddress, remoteTarget: callerTarget,
            routeSet: request.recordRoutes, localCSeq: 0, remoteCSeq: cseq.number,
            peer: Self.callerPeer(replyTo, target: callerTarget), trunk: sourceTrunk, zone: aZone)
        let candidates = orderedCandidates(decision)
        let handle = CallHandle(rawValue: nextCallHandle)
        nextCallHandle += 1
        let call = Call(handle: handle, a: a, route: decision,
                        candidates: Call.Candidates(callerInvite: request.compacted, remaining: candidates),
                        callerKey: key, startedAt: now)
        calls[handle] = call
        setUpCallerExtensions(call, invite: request)
        dialogs[DialogKey(callID: a.callID, localTag: a.localTag)] = (handle, .a)
        logger.info("call started", metadata: metadata(call).merging([
            "from": "\(from.uri)", "to": "\(to.uri)", "ingress": "\(sourceTrunk.name)",
            "candidates": "\(candidates.map(\.name).joined(separator: ","))",
        ]) { a, _ in a })
        if !startNextAttempt(call, now: now) {
            var refusal = Refusal(status: 503, reason: "Service Unavailable (no trunk available)")
            if case .proceeding(let proceeding) = call.phase, let refused = proceeding.refusal { refusal = refused }
            failCall(call, status: refusal.status ?? 503, reason: refusal.reason, response: nil, now: now)
        }
    }

    /// Max-Forwards for the next hop: one less than received, never above our own default.
    func forwardedMaxForwards(_ request: SIPMessage) -> Int {
        min(settings.maxForwards, (request.maxForwards ?? settings.maxForwards + 1) - 1)
    }

    /// CANCEL from the caller (RFC 3261 9.2): 200 to the CANCEL, 487 to the INVITE if it is still
    /// pending, and a CANCEL to the callee once it has answered provisionally (RFC 3261 9.1).
    private mutating func cancel(_ request: SIPMessage, key: TransactionKey, now: Duration) {
        guard let inviteKey = TransactionKey.inviteServer(matching: request),
              let invite = transactions.request(of: inviteKey)
        else {
            respond(to: request, key: key, status: 481, now: now)
            return
        }
        let call = callAwaiting(serverInvite: inviteKey, context: transactions.context(of: inviteKey))
        respond(to: request, key: key, status: 200, toTag: call?.a.localTag, now: now)
        guard transactions.isServerInviteProceeding(inviteKey) else { return }
        guard let call, var pending = call.pendingInvite else {
            respond(to: invite, key: inviteKey, status: 487, now: now)
            return
        }
        respond(to: invite, key: inviteKey, status: 487, toTag: call[pending.origin].localTag, now: now)
        pending.cancelRequested = true
        call.pendingInvite = pending
        if call.isProceeding { call.phase = .cancelling }
        logger.info("call cancelled by caller", metadata: metadata(call))
        if pending.provisionalSeen { sendCancel(call: call.handle, now: now) }
    }

    /// CANCEL for the INVITE we sent: same Request-URI, top Via, From, To and Call-ID, and the
    /// INVITE's CSeq number (RFC 3261 9.1).
    mutating func sendCancel(call callHandle: CallHandle, now: Duration) {
        guard let call = calls[callHandle], let pending = call.pendingInvite,
              let cancel = Self.cancelRequest(for: pending.clientRequest, maxForwards: settings.maxForwards)
        else { return }
        let peer = call[pending.origin.other].peer
        let context = TransactionContext(destination: peer, call: callHandle, purpose: .fireAndForget)
        handle(transactions.startClient(cancel, reliable: peer.isReliable, context: context, now: now), now: now)
        // Timer B restarts: a callee that never answers the CANCEL cannot keep the INVITE alive.
        handle(transactions.cancelSent(pending.clientKey, now: now), now: now)
    }

    /// The CANCEL of `invite` (RFC 3261 9.1): its Request-URI, top Via, From, To, Call-ID and
    /// Route, and its CSeq number with method CANCEL. Also used by the SBC's own test calls.
    static func cancelRequest(for invite: SIPMessage, maxForwards: Int) -> SIPMessage? {
        guard let uri = invite.requestURI, let cseq = invite.cseq else { return nil }
        var cancel = SIPMessage.request(.cancel, uri: uri)
        for name in [SIPHeaderName.via, .from, .to, .callID, .route] {
            for value in invite.values(name) where name != .via || !cancel.contains(.via) {
                cancel.add(name, value)
            }
        }
        cancel.set(.maxForwards, String(maxForwards))
        cancel.set(.cseq, "\(cseq.number) CANCEL")
        return cancel
    }
}
