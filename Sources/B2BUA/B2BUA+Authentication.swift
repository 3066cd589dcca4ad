import Logging
import Routing
import SBCConfig
import SIPAuthentication
import SIPCore
import SIPTransaction

/// The digest retry state a transaction's context carries (see `TransactionContext.authRetries`).
typealias ChallengeRetries = DigestRetryState

/// What the B2BUA keeps for authentication towards trunks: their credentials, the digest nonce
/// counts, the REGISTER bindings, and the request a 401/407 being delivered challenged.
struct CarrierAuthentication: Sendable {
    /// Resolved `trunks[].auth`, by trunk name.
    var credentials: [String: DigestCredentials] = [:]
    var digest = DigestClient()
    /// The request whose 401/407 is being delivered, read before its transaction ended (a
    /// completed transaction on TCP or TLS is gone by the time its final reaches the TU).
    var challenged: (key: TransactionKey, request: SIPMessage)?
    /// Registration trunks' bindings, by trunk name (B2BUA+Registration.swift).
    var registrations: [String: RegistrationBinding] = [:]
    /// Earliest deadline of any binding, kept current by `recordRegistrations`.
    var registrationDeadline: Duration?
    /// Set when draining began and the bindings were removed.
    var unregistering = false
}

/// Digest authentication towards trunks (docs/AUTH.md): one hook in `clientResponse` turns a
/// 401/407 to any request the SBC sent (INVITE, re-INVITE, BYE, UPDATE and other in-dialog
/// requests, OPTIONS probes, REGISTER) into a new client transaction of the same request with the
/// credentials of the trunk the request went to: a new branch, CSeq + 1 in the same dialog, the
/// same context, and every place that remembered the old transaction moved to the new one.
/// CANCEL and ACK are never retried (RFC 3261 22.1). Credentials go only to the request's
/// destination trunk: a challenge from anywhere else is never answered with them.
extension B2BUA {
    /// Sets the trunks' credentials: `trunks[].auth` with each password read from its source
    /// (`TrunkCredentialResolver`, when the server starts); only `.inline` passwords are used.
    public mutating func useCredentials(_ resolved: [String: TrunkAuthSettings]) {
        authentication.credentials = resolved.compactMapValues { auth in
            guard case .inline(let password) = auth.password else { return nil }
            return DigestCredentials(username: auth.username, password: password, realm: auth.realm)
        }
    }

    /// Called for every response before the transaction layer sees it: keeps the request a
    /// 401/407 challenges, which `answeredChallenge` needs after the transaction has ended.
    mutating func noteChallenge(_ response: SIPMessage) {
        guard let status = response.statusCode, status == 401 || status == 407,
              let key = TransactionKey.client(for: response), let request = transactions.request(of: key)
        else { return }
        authentication.challenged = (key, request)
    }

    /// A final 401 or 407 to a request the SBC sent: true when it was answered (a new transaction
    /// carries the retried request; the caller does nothing more with this response) or fully
    /// handled. Otherwise `response`'s reason phrase gains "(authentication failed: why)", so the
    /// attempt's CDR row, the logs and whatever is relayed say so, and the caller goes on as for
    /// any failure: 401 and 407 are never failover triggers (`FailoverTriggers`).
    mutating func answeredChallenge(_ response: inout SIPMessage, key: TransactionKey, context: TransactionContext,
                                    now: Duration) -> Bool
    {
        guard let status = response.statusCode, let kind = DigestChallengeKind(status: status) else { return false }
        let stashed = authentication.challenged
        authentication.challenged = nil
        guard let request = stashed.flatMap({ $0.key == key ? $0.request : nil }) ?? transactions.request(of: key),
              let method = request.method, method != .ack, method != .cancel, let uri = request.requestURIText,
              let trunk = destinationTrunk(of: context, request: request), stillWanted(key: key, context: context)
        else { return false }
        let outcome = authentication.digest.answer(
            kind: kind, challengeValues: response.values(SIPHeaderName(kind.challengeHeader)),
            credentials: authentication.credentials[trunk.name], method: method.name, uri: uri, body: request.body,
            retries: context.authRetries, cnonce: ids.token(length: 16))
        switch outcome {
        case .success(let answer):
            retry(request, with: answer, key: key, context: context, trunk: trunk, now: now)
            return true
        case .failure(let refusal):
            return authenticationFailed(&response, refusal: refusal, method: method, context: context, trunk: trunk,
                                        now: now)
        }
    }

    /// The trunk a request went to: the probed or registered trunk, else the trunk of the call leg
    /// the request belongs to, else the trunk whose address, port, transport and zone are the
    /// request's destination (a BYE sent after its call ended). Nil for anything else, and for a
    /// destination that is not the trunk's own address: credentials never go anywhere else.
    private func destinationTrunk(of context: TransactionContext, request: SIPMessage) -> TrunkSettings? {
        let destination = context.destination
        switch context.purpose {
        case .probe(let name), .register(let name):
            return routing.trunk(named: name)
        case .testCall(let id):
            return testCalls.active[id]?.leg.trunk
        case .answering:
            return nil
        case .invite, .relay, .fireAndForget, .keepalive, .refresh:
            let trunk = dialogLeg(of: context, request: request).map { call, leg in call[leg].trunk }
                ?? routing.allTrunks.first {
                    $0.address == destination.host && $0.port == destination.port
                        && $0.transport == destination.transport && $0.zone == destination.zone
                }
            guard let trunk, trunk.address == destination.host else { return nil }
            return trunk
        }
    }

    /// Whether the challenged request still matters: the INVITE the call is waiting for (and not
    /// cancelled), a call that still exists, the probe or REGISTER in flight. A 401/407 for
    /// anything else is left to the usual handling.
    private func stillWanted(key: TransactionKey, context: TransactionContext) -> Bool {
        switch context.purpose {
        case .invite:
            guard let call = context.call.flatMap({ calls[$0] }), let pending = call.pendingInvite else { return false }
            return pending.clientKey == key && !pending.cancelRequested && !call.isCancelling && !call.isTerminating
        case .relay, .keepalive, .refresh:
            return context.call.flatMap { calls[$0] } != nil
        case .probe(let trunk):
            return pendingProbes[trunk]?.key == key
        case .register(let trunk):
            return authentication.registrations[trunk]?.key == key
        case .testCall(let id):
            return testCalls.active[id].map { $0.key == key && $0.machine.isInviting } ?? false
        case .fireAndForget:
            return true
        case .answering:
            return false
        }
    }

    /// Sends `request` again with the answer: new branch, next CSeq of its dialog, the
    /// Authorization or Proxy-Authorization header replaced; the context moves along with the
    /// retry count.
    private mutating func retry(_ request: SIPMessage, with answer: DigestClient.Answer, key: TransactionKey,
                                context: TransactionContext, trunk: TrunkSettings, now: Duration)
    {
        guard let method = request.method, let old = request.cseq else { return }
        var retried = request
        let header = SIPHeaderName(answer.kind.authorizationHeader)
        retried.headers.removeAll { $0.name == header }
        retried.headers.append(SIPHeaderField(rawName: answer.kind.authorizationHeader,
                                              value: answer.authorization.headerValue))
        // The answer to the other kind's challenge (a 407 answered, now a 401) goes again with nc + 1.
        let other = SIPHeaderName(answer.kind == .server ? DigestChallengeKind.proxy.authorizationHeader
            : DigestChallengeKind.server.authorizationHeader)
        if let credentials = authentication.credentials[trunk.name], let uri = request.requestURIText {
            for index in retried.headers.indices where retried.headers[index].name == other {
                if let again = authentication.digest.reanswer(retried.headers[index].value, credentials: credentials,
                                                              method: method.name, uri: uri, body: request.body,
                                                              cnonce: ids.token(length: 16)) {
                    retried.headers[index].value = again.headerValue
                }
            }
        }
        if let index = retried.headers.firstIndex(where: { $0.name == .via }),
           var vias = SIPVia.parseList(retried.headers[index].value), !vias.isEmpty
        {
            vias[0].parameters.set("branch", to: ids.branch())
            retried.headers[index].value = vias.map(\.description).joined(separator: ", ")
        }
        let number = nextCSeq(after: old.number, context: context, request: request)
        retried.set(.cseq, "\(number) \(method)")
        guard let newKey = TransactionKey.client(for: retried) else { return }
        var next = context
        next.authRetries = answer.retries
        let authorization = answer.authorization
        logger.info("answering authentication challenge", metadata: [
            "trunk": "\(trunk.name)", "method": "\(method)", "status": "\(answer.kind)",
            "realm": "\(authorization.realm)", "algorithm": "\(authorization.algorithm)",
            "qop": "\(authorization.qop ?? "none")", "stale": "\(answer.stale)", "call_id": "\(request.callID ?? "-")",
        ])
        remember(newKey, replacing: key, request: retried, cseq: number, context: context, now: now)
        handle(transactions.startClient(retried, reliable: context.destination.isReliable, context: next, now: now),
               now: now)
    }

    /// The retried request's CSeq: the next of its dialog's local sequence (RFC 3261 22.2: "the
    /// same Call-ID ... CSeq incremented"), so that later requests on the leg, and the ACK and
    /// CANCEL of a retried INVITE (which take the INVITE's), stay consistent.
    private mutating func nextCSeq(after old: UInt32, context: TransactionContext, request: SIPMessage) -> UInt32 {
        if case .register(let trunk) = context.purpose, var binding = authentication.registrations[trunk] {
            binding.cseq = max(binding.cseq, old) &+ 1
            authentication.registrations[trunk] = binding
            return binding.cseq
        }
        guard let (call, leg) = dialogLeg(of: context, request: request) else { return old &+ 1 }
        call[leg].localCSeq = max(call[leg].localCSeq, old) &+ 1
        return call[leg].localCSeq
    }

    /// The call leg a request was sent on, when it belongs to a dialog the B2BUA still has.
    private func dialogLeg(of context: TransactionContext, request: SIPMessage) -> (Call, LegReference)? {
        if let callID = request.callID, let tag = request.from?.tag,
           let entry = dialogs[DialogKey(callID: callID, localTag: tag)], let call = calls[entry.call]
        {
            return (call, entry.leg)
        }
        // The INVITE of an attempt is registered under its leg's tag too; this is a fallback for a
        // call whose dialog entry is gone (a BYE after the call was removed has no leg to bump).
        guard case .invite(let target) = context.purpose, let call = context.call.flatMap({ calls[$0] }) else {
            return nil
        }
        return (call, target == .a ? .a : .carrier(call.carrierLegs.count - 1))
    }

    /// Moves whatever remembered the challenged transaction to its retry.
    private mutating func remember(_ newKey: TransactionKey, replacing key: TransactionKey, request: SIPMessage,
                                   cseq: UInt32, context: TransactionContext, now: Duration)
    {
        switch context.purpose {
        case .invite(let target):
            guard let call = context.call.flatMap({ calls[$0] }), var pending = call.pendingInvite else { return }
            pending.clientKey = newKey
            pending.clientRequest = request.compacted
            // The new INVITE has had no provisional yet: no CANCEL before one (RFC 3261 9.1), and
            // an attempt's first-provisional timer runs again for it.
            pending.provisionalSeen = false
            call.pendingInvite = pending
            if target == .b, let trunk = call.activeTrunk, call.attempt != nil {
                call.attempt?.provisionalTimer = callTimers.push(CallTimer(call: call.handle, kind: .firstProvisional),
                                                                at: now + trunk.firstProvisionalTimeout)
            }
            if target == .b, call.liveness?.reinviteTimer != nil {
                armReinviteTimer(call, client: newKey, server: pending.serverKey, now: now)
            }
        case .relay(let serverKey, let origin):
            if origin == .a, request.method == .update, let call = context.call.flatMap({ calls[$0] }),
               call.liveness?.reinviteTimer != nil
            {
                armReinviteTimer(call, client: newKey, server: serverKey, now: now)
            }
        case .refresh:
            // The mid-call failover's re-INVITE to the caller, or a session-timer refresh of a leg.
            guard let call = context.call.flatMap({ calls[$0] }) else { return }
            if call.liveness?.refresh == key { call.liveness?.refresh = newKey }
            for side in [LegSide.a, .b] where side == .a || !call.carrierLegs.isEmpty {
                if call[side].sessionTimer?.refreshing == key { call[side].sessionTimer?.refreshing = newKey }
            }
        case .probe(let trunk):
            if let probe = pendingProbes[trunk] {
                pendingProbes[trunk] = PendingProbe(key: newKey, sentAt: probe.sentAt,
                                                    timeoutSequence: probe.timeoutSequence)
            }
        case .register(let trunk):
            authentication.registrations[trunk]?.key = newKey
        case .testCall(let id):
            testCalls.active[id]?.retried(key: newKey, invite: request)
        case .fireAndForget, .keepalive, .answering:
            break
        }
    }

    /// A challenge that is not answered: logged as an authentication failure, and the response's
    /// reason phrase says so for the attempt's CDR row and what is relayed. A probe's result is
    /// recorded here (true: handled); everything else goes on through the usual handling.
    private mutating func authenticationFailed(_ response: inout SIPMessage, refusal: DigestRefusal, method: SIPMethod,
                                               context: TransactionContext, trunk: TrunkSettings, now: Duration) -> Bool
    {
        let status = response.statusCode ?? 401
        let reason = response.reasonPhrase.isEmpty ? SIPResponseBuilder.defaultReason(status) : response.reasonPhrase
        let annotated = "\(reason) (authentication failed: \(refusal))"
        response.startLine = .response(statusCode: status, reason: annotated)
        var level: Logger.Level = refusal == .noCredentials ? .notice : .warning
        if case .probe = context.purpose, refusal == .noCredentials { level = .debug }
        logger.log(level: level, "authentication with trunk failed", metadata: [
            "trunk": "\(trunk.name)", "method": "\(method)", "status": "\(status)", "why": "\(refusal)",
            "call_id": "\(response.callID ?? "-")",
        ])
        guard case .probe(let name) = context.purpose else { return false }
        probeFinished(trunk: name, alive: trunk.health.isAlive(status: status),
                      detail: "OPTIONS answered \(status) \(annotated)", now: now)
        return true
    }
}
