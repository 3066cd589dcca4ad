import SIPCore
import SIPTransaction

/// The three places where per-leg extensions (100rel, session timers) meet the bridging code:
/// every final response the SBC sends on a server transaction, every in-dialog request before
/// it is relayed, and every response to a client transaction. Kept apart so that the bridging
/// code carries one call per place, not the extensions' rules.
extension B2BUA {
    /// A final response to an INVITE or UPDATE about to go to a peer: this leg's Session-Expires
    /// replaces the other leg's, and a 2xx to the caller's INVITE waits while a reliable
    /// provisional with SDP is unacknowledged. False when the response is held (not sent now).
    mutating func prepareFinal(_ response: inout SIPMessage, key: TransactionKey, now: Duration) -> Bool {
        guard let status = response.statusCode, status >= 200, let method = response.cseq?.method,
              method == .invite || method == .update, let callID = response.callID, let tag = response.to?.tag,
              let entry = dialogs[DialogKey(callID: callID, localTag: tag)], let call = calls[entry.call],
              let side = call.activeSide(entry.leg)
        else { return true }
        if status < 300, let request = transactions.request(of: key) {
            prepareSessionTimerAnswer(&response, request: request, call: call, side: side, now: now)
        }
        if method == .invite, key == call.callerKey { return releasesFinalToCaller(response, call: call, now: now) }
        return true
    }

    /// A request inside a dialog, before it is relayed: PRACK is always the SBC's own (never
    /// relayed), an offer in an early dialog respects the INVITE's offer (RFC 3311 §5.2), and
    /// session timers may answer it here. True when the request was answered.
    mutating func interworkingIntercepts(_ request: SIPMessage, key: TransactionKey, call: Call, origin: LegSide,
                                         now: Duration) -> Bool
    {
        let method = request.method
        if method == .prack {
            callerPRACK(request, key: key, call: call, origin: origin, now: now)
            return true
        }
        guard method == .invite || method == .update else { return false }
        if method == .update, call.isProceeding, !request.body.isEmpty {
            switch call[origin].negotiation.state {
            case .localOffer:
                respond(to: request, key: key, status: 491, now: now)
                return true
            case .remoteOffer:
                respond(to: request, key: key, status: 500, reason: "Server Internal Error (offer pending)",
                        headers: [SIPHeaderField(.retryAfter, "1")], now: now)
                return true
            case .idle, .done:
                break
            }
        }
        return sessionTimerIntercepts(request, key: key, call: call, origin: origin, now: now)
    }
}
