import Logging
import SBCConfig
import SDP
import SIPCore
import SIPTransaction

/// RFC 4028 session timers, terminated per leg: each leg negotiates Session-Expires and Min-SE
/// with its own peer per its trunk's `session_timer`, the SBC refreshes the legs it is refresher
/// on, answers a peer's pure refresh itself, and ends the call (or fails a critical call's
/// carrier leg over) when a session expires (those over time: B2BUA+SessionRefreshes.swift).
/// When neither trunk of a call has session timers on, the headers cross end to end as before.
/// docs/SIP.md, "Session timers".
extension B2BUA {
    /// Whether the SBC runs session timers on this call's legs (either trunk has them on).
    func terminatesSessionTimers(_ call: Call, carrier: TrunkSettings? = nil) -> Bool {
        call.a.trunk.sessionTimer.enabled || (carrier ?? call.carrierLegs.last?.trunk)?.sessionTimer.enabled == true
    }

    /// Session-Expires, Min-SE and the `timer` option tag leave a message (they are per leg).
    static func stripSessionTimer(_ message: inout SIPMessage) {
        message.remove(SIPMessage.sessionExpiresHeader)
        message.remove(SIPMessage.minSEHeader)
        message.removeOptionTag("timer")
    }

    /// An INVITE, re-INVITE or UPDATE the SBC sends to a leg on `trunk`: what the other leg said
    /// about its own session timer is removed, and the trunk's own request added (RFC 4028 §7.1).
    func prepareSessionTimerRequest(_ message: inout SIPMessage, call: Call, trunk: TrunkSettings, learnedMinSE: Int?) {
        guard terminatesSessionTimers(call, carrier: trunk) else { return }
        Self.stripSessionTimer(&message)
        guard trunk.sessionTimer.enabled else { return }
        let ask = SessionTimerNegotiation.request(settings: trunk.sessionTimer, learnedMinSE: learnedMinSE)
        message.addOptionTag("timer", to: .supported)
        message.set(SIPMessage.sessionExpiresHeader, ask.expires.description)
        message.set(SIPMessage.minSEHeader, String(ask.minSE))
    }

    /// 422 with the trunk's Min-SE for a request asking for a shorter session (RFC 4028 §8.1).
    mutating func refusesSessionInterval(_ request: SIPMessage, key: TransactionKey, settings: SessionTimerSettings,
                                         now: Duration) -> Bool
    {
        guard settings.enabled,
              case .tooSmall(let minimum) = SessionTimerNegotiation.answer(request, settings: settings)
        else { return false }
        logger.info("session interval too small", metadata: [
            "call_id": "\(request.callID ?? "-")", "asked": "\(SessionExpires(request)?.seconds ?? 0)",
            "min_se": "\(minimum)",
        ])
        respond(to: request, key: key, status: 422, reason: "Session Interval Too Small",
                headers: [SIPHeaderField(SIPMessage.minSEHeader, String(minimum))], now: now)
        return true
    }

    /// A 2xx the SBC sends on `side` to the peer's INVITE, re-INVITE or UPDATE (`request`):
    /// the other leg's Session-Expires is replaced by this leg's answer (RFC 4028 §9), and this
    /// leg's timer starts over.
    mutating func prepareSessionTimerAnswer(_ response: inout SIPMessage, request: SIPMessage, call: Call,
                                            side: LegSide, now: Duration)
    {
        guard terminatesSessionTimers(call) else { return }
        Self.stripSessionTimer(&response)
        let settings = call[side].trunk.sessionTimer
        guard settings.enabled,
              case .run(let seconds, let refresher, let header, let requireTimer) =
                SessionTimerNegotiation.answer(request, settings: settings)
        else { return }
        response.set(SIPMessage.sessionExpiresHeader, header.description)
        if requireTimer { response.addOptionTag("timer", to: .require) }
        let minimum = max(SessionTimerNegotiation.seconds(settings.minSE), SessionExpires.minSE(of: request) ?? 0)
        let allowsUpdate = request.allows(.update) || call[side].sessionTimer?.peerAllowsUpdate == true
        start(SessionTimer(interval: .seconds(seconds), refresher: refresher, now: now, minSE: minimum,
                           peerAllowsUpdate: allowsUpdate), on: side, of: call)
    }

    /// A 2xx to an INVITE, re-INVITE or UPDATE the SBC sent (relayed or its own refresh): the
    /// leg's timer starts over with what the peer granted (RFC 4028 §7.2).
    mutating func sessionTimerAccepted(_ response: SIPMessage, key: TransactionKey, now: Duration) {
        guard let status = response.statusCode, (200..<300).contains(status), let method = response.cseq?.method,
              method == .invite || method == .update, let callID = response.callID, let tag = response.from?.tag,
              let entry = dialogs[DialogKey(callID: callID, localTag: tag)], let call = calls[entry.call],
              let side = call.activeSide(entry.leg), call[side].remoteTag == response.to?.tag,
              call[side].trunk.sessionTimer.enabled, call.isAnswered
        else { return }
        let sent = transactions.request(of: key)
        let ask = SessionTimerNegotiation.request(settings: call[side].trunk.sessionTimer,
                                                  learnedMinSE: call[side].sessionTimer?.minSE)
        let requested = sent.flatMap { SessionExpires($0) }?.seconds ?? ask.expires.seconds
        let minimum = sent.flatMap { SessionExpires.minSE(of: $0) } ?? ask.minSE
        let granted = SessionTimerNegotiation.accepted(response, requested: requested)
        let allowsUpdate = response.allows(.update) || call[side].sessionTimer?.peerAllowsUpdate == true
        start(SessionTimer(interval: .seconds(granted.seconds), refresher: granted.refresher, now: now, minSE: minimum,
                           peerAllowsUpdate: allowsUpdate), on: side, of: call)
    }

    /// Arms the leg's timer at its deadline and stores it on the leg.
    mutating func start(_ timer: SessionTimer, on side: LegSide, of call: Call) {
        var timer = timer
        timer.timer = callTimers.push(CallTimer(call: call.handle, kind: .sessionTimer(side)), at: timer.deadline)
        call[side].sessionTimer = timer
    }

    /// A peer's re-INVITE or UPDATE on a call whose session timers the SBC runs: 422 for too
    /// short an interval, 491 while the SBC's own refresh is out on either leg, and a pure refresh
    /// (UPDATE without SDP, or a re-INVITE repeating the peer's SDP version) answered here
    /// without disturbing the other leg. True when the request was answered.
    mutating func sessionTimerIntercepts(_ request: SIPMessage, key: TransactionKey, call: Call, origin: LegSide,
                                         now: Duration) -> Bool
    {
        guard terminatesSessionTimers(call) else { return false }
        if refusesSessionInterval(request, key: key, settings: call[origin].trunk.sessionTimer, now: now) { return true }
        if call[origin].sessionTimer?.refreshing != nil || call[origin.other].sessionTimer?.refreshing != nil {
            respond(to: request, key: key, status: 491, now: now)
            return true
        }
        guard call[origin].sessionTimer != nil, call.isAnswered, call.pendingInvite == nil, call.pendingOffer == nil
        else { return false }
        var ok = SIPResponseBuilder.response(to: request, statusCode: 200)
        if request.method == .invite {
            guard let negotiated = call[origin].negotiation.negotiated, let offer = try? SessionDescription(parsing: request.body),
                  offer.origin.sessionID == negotiated.remote.origin.sessionID,
                  offer.origin.sessionVersion == negotiated.remote.origin.sessionVersion
            else { return false }
            ok.setBody(negotiated.local.serialized(), contentType: "application/sdp")
        } else if !request.body.isEmpty {
            return false
        }
        if let contact = request.contacts.first?.uri { call[origin].remoteTarget = contact }
        ok.add(.contact, call[origin].localContact)
        settings.identify(&ok, as: .server)
        logger.debug("session refresh answered", metadata: metadata(call).merging([
            "trunk": "\(call[origin].trunk.name)", "method": "\(request.method ?? .update)",
        ]) { a, _ in a })
        respond(key, ok, now: now)
        return true
    }
}
