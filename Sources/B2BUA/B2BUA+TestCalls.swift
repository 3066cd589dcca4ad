import Logging
import Media
import SBCConfig
import SIPCore
import SIPProfiles
import SIPTransaction

/// Test calls the SBC places itself through ONE trunk (DID validation, docs/VALIDATION.md; media
/// probes, docs/HEALTH.md): no
/// caller leg, no routing, no failover. The INVITE is built the way a carrier leg's is
/// (`CallLeg.request`, `trunkTarget`, the trunk's header profile and transport), goes through the
/// same transaction layer, and a 401/407 is answered with the trunk's credentials by the same hook
/// as every request the SBC sends (`TransactionContext.Purpose.testCall`). The decisions are the
/// sans-IO `TestCall`'s; this file turns its actions into CANCEL, ACK and BYE.
extension B2BUA {
    /// Places a test call to `number` from `caller` through `trunk`; nil (logged) when the trunk
    /// cannot be used (no zone, or its header profile broke the INVITE). With `mediaCheck` (a
    /// media probe) the answered call stays up for that long while its RTP is checked, and it
    /// needs a relay port for its offer: nil when none is free.
    mutating func placeTestCall(to number: String, from caller: String, trunk: TrunkSettings,
                                reachable: TestCall.Reachability, timeout: Duration,
                                purpose: TestCallRegistry.Purpose, mediaCheck: Duration? = nil,
                                now: Duration) -> UInt64? {
        guard let zone = settings.zones[trunk.zone] else { return nil }
        let peer = SIPEndpoint(host: trunk.address, port: trunk.port, transport: trunk.transport, zone: trunk.zone)
        var leg = CallLeg(
            side: .b, callID: ids.callID(), localTag: ids.tag(), remoteTag: nil,
            localAddress: SIPNameAddress(uri: SIPURI(user: caller, host: zone.host)),
            remoteAddress: SIPNameAddress(uri: SIPURI(user: number, host: trunk.address)),
            remoteTarget: Self.trunkTarget(user: number, trunk: trunk),
            routeSet: [], localCSeq: 1, remoteCSeq: nil, peer: peer, trunk: trunk, zone: zone)
        var invite = leg.request(.invite, branch: ids.branch(), maxForwards: settings.maxForwards, cseq: 1)
        invite.add(.contact, leg.localContact)
        settings.identify(&invite, as: .userAgent)
        let ports = settings.media == nil ? nil : self.ports.allocate(now: now)
        if mediaCheck != nil, ports == nil {
            logger.warning("no relay port free for a media probe", metadata: ["trunk": "\(trunk.name)"])
            return nil
        }
        invite.setBody(Array(Self.testCallOffer(zone: zone, port: ports?.rtp ?? 9, session: ids.token(length: 10)).utf8),
                       contentType: "application/sdp")
        if let profile = settings.outboundProfile(for: trunk, routeOverride: nil) {
            do {
                try profile.apply(to: &invite, context: ProfileContext(message: invite, trunkName: trunk.name))
            } catch {
                logger.error("header profile produced invalid SIP for a test call", metadata: [
                    "trunk": "\(trunk.name)", "error": "\(error)",
                ])
                if let ports { self.ports.release(ports, now: now) }
                return nil
            }
        }
        guard let key = TransactionKey.client(for: invite) else {
            if let ports { self.ports.release(ports, now: now) }
            return nil
        }
        let id = testCalls.nextID
        testCalls.nextID += 1
        let machine = TestCall(reachable: reachable, timeout: timeout, now: now, mediaCheck: mediaCheck)
        let timer = testCalls.timers.push(id, at: machine.deadline)
        testCalls.active[id] = TestCallRegistry.Active(machine: machine, leg: leg, invite: invite, key: key,
                                                       purpose: purpose, ports: ports, timeoutSequence: timer)
        logger.info("test call", metadata: [
            "trunk": "\(trunk.name)", "number": "\(number)", "call_id": "\(leg.callID)",
        ])
        let context = TransactionContext(destination: peer, call: nil, purpose: .testCall(id))
        handle(transactions.startClient(invite, reliable: peer.isReliable, context: context, now: now), now: now)
        return id
    }

    /// The offer of a test call: G.711 both ways on the relay port it reserved (port 9, discard,
    /// without media anchoring), so carriers that insist on a usable offer accept it.
    static func testCallOffer(zone: ZoneIdentity, port: UInt16, session: String) -> String {
        let type = zone.mediaAddressType
        return "v=0\r\no=- \(session) 1 IN \(type) \(zone.mediaAdvertised)\r\ns=SwiftSBC test call\r\n"
            + "c=IN \(type) \(zone.mediaAdvertised)\r\nt=0 0\r\nm=audio \(port) RTP/AVP 0 8\r\n"
            + "a=rtpmap:0 PCMU/8000\r\na=rtpmap:8 PCMA/8000\r\na=sendrecv\r\n"
    }

    /// Fires test calls' deadlines, then starts the DIDs of validation runs that are due.
    mutating func advanceTestCalls(to now: Duration) {
        while let top = testCalls.timers.first, top.deadline <= now {
            testCalls.timers.popFirst()
            guard let call = testCalls.active[top.payload], call.timeoutSequence == top.sequence else { continue }
            step(top.payload, response: nil, now: top.deadline) { $0.timedOut(now: top.deadline) }
        }
        advanceValidationRuns(to: now)
    }

    mutating func testCallResponse(_ response: SIPMessage, id: UInt64, now: Duration) {
        // A retransmitted 2xx of an answer already ACKed (the call decided and forgotten, or a
        // media probe's dialog kept up) gets the same ACK again (resendUnwantedAnswerAck).
        if resendUnwantedAnswerAck(for: response) { return }
        guard testCalls.active[id] != nil, let status = response.statusCode else { return }
        step(id, response: response, now: now) { $0.response(status: status, reason: response.reasonPhrase, now: now) }
    }

    /// The INVITE's transaction timed out (408) or failed at the transport (503).
    mutating func testCallFailed(id: UInt64, status: Int, reason: String, now: Duration) {
        guard testCalls.active[id] != nil else { return }
        step(id, response: nil, now: now) { $0.failed(reason: "\(status) \(reason)", now: now) }
    }

    /// Feeds the machine of test call `id`, re-arms its timer when its deadline moved (a CANCEL
    /// went out, a media check began), and carries out its actions.
    mutating func step(_ id: UInt64, response: SIPMessage?, now: Duration,
                               _ feed: (inout TestCall) -> [TestCall.Action]) {
        guard var call = testCalls.active[id] else { return }
        let deadline = call.machine.deadline
        let actions = feed(&call.machine)
        if call.machine.deadline != deadline {
            call.timeoutSequence = testCalls.timers.push(id, at: call.machine.deadline)
        }
        testCalls.active[id] = call
        apply(actions, to: id, response: response, now: now)
    }

    private mutating func apply(_ actions: [TestCall.Action], to id: UInt64, response: SIPMessage?, now: Duration) {
        for action in actions {
            guard let call = testCalls.active[id] else { return }
            switch action {
            case .cancel:
                guard let cancel = Self.cancelRequest(for: call.invite, maxForwards: settings.maxForwards) else { continue }
                let peer = call.leg.peer
                let context = TransactionContext(destination: peer, call: nil, purpose: .fireAndForget)
                handle(transactions.startClient(cancel, reliable: peer.isReliable, context: context, now: now), now: now)
                handle(transactions.cancelSent(call.key, now: now), now: now)
            case .abandon:
                handle(transactions.abandonClient(call.key), now: now)
            case .acknowledgeAndHangUp:
                guard let response else { continue }
                hangUpTestCall(acknowledgeTestCall(call, answer: response), now: now)
            case .acknowledge:
                guard let response else { continue }
                let leg = acknowledgeTestCall(call, answer: response)
                testCalls.active[id]?.leg = leg
                startMediaCheck(id, answer: response, now: now)
            case .hangUp:
                hangUpTestCall(call.leg, now: now)
            case .finished(let outcome):
                testCalls.active[id] = nil
                if let ports = call.ports { self.ports.release(ports, now: now) }
                logger.info("test call decided", metadata: [
                    "trunk": "\(call.leg.trunk.name)", "call_id": "\(call.leg.callID)",
                    "status": "\(outcome.status.map(String.init) ?? "-")", "verdict": "\(outcome.verdict.rawValue)",
                ])
                testCallFinished(call.purpose, trunk: call.leg.trunk.name, startedAt: call.machine.startedAt,
                                 outcome: outcome, now: now)
            }
        }
    }

    /// ACK for the 2xx (remembered for its retransmissions); answers the dialog the 2xx made.
    private mutating func acknowledgeTestCall(_ call: TestCallRegistry.Active, answer: SIPMessage) -> CallLeg {
        var leg = call.leg
        leg.remoteTag = answer.to?.tag
        if let target = answer.contacts.first?.uri { leg.remoteTarget = target }
        leg.routeSet = answer.recordRoutes.reversed()
        var ack = leg.request(.ack, branch: ids.branch(), maxForwards: settings.maxForwards,
                              cseq: call.invite.cseq?.number ?? leg.localCSeq)
        ack.set(.contentLength, "0")
        acknowledgeUnwantedAnswer(answer, with: ack, to: leg.peer)
        return leg
    }

    /// BYE on an answered test call's dialog: at once after the ACK (a test call never stays
    /// up), or when a media probe's check has decided.
    private mutating func hangUpTestCall(_ leg: CallLeg, now: Duration) {
        var leg = leg
        var bye = leg.request(.bye, branch: ids.branch(), maxForwards: settings.maxForwards)
        bye.add(.reason, "SIP;cause=200;text=\"Test call completed\"")
        settings.identify(&bye, as: .userAgent)
        let context = TransactionContext(destination: leg.peer, call: nil, purpose: .fireAndForget)
        handle(transactions.startClient(bye, reliable: leg.peer.isReliable, context: context, now: now), now: now)
    }
}
