import Logging
import SIPCore

/// Responses that match no transaction and no dialog (RFC 3261 17.1.3, 18.1.2): a late 2xx to an
/// INVITE of ours still gets its ACK and one BYE (13.2.2.4), anything else is dropped and logged.
/// See `EndedDialogMemory` for why the two are told apart.
extension B2BUA {
    /// Our carrier legs whose dialogs are gone from `dialogs`: their late answers are our own.
    mutating func rememberEndedLegs(_ legs: [CallLeg], now: Duration) {
        for leg in legs { endedDialogs.remember(callID: leg.callID, localTag: leg.localTag, now: now) }
    }

    /// Whether an unmatched 2xx answers an INVITE this SBC sent on a dialog that has ended since
    /// (or one it already ACKed without keeping it).
    func answersEndedDialog(_ response: SIPMessage) -> Bool {
        guard let callID = response.callID, let tag = response.from?.tag else { return false }
        if endedDialogs.contains(callID: callID, localTag: tag) { return true }
        return Self.dialogID(of: response).map { unwantedAnswerAcks[$0] != nil } ?? false
    }

    /// Drops a response nobody asked for: no ACK, no BYE, nothing that a forged or misrouted
    /// response could turn into traffic from the SBC.
    func dropStrayResponse(_ response: SIPMessage, from source: SIPEndpoint) {
        logger.info("stray response dropped", metadata: [
            "call_id": "\(response.callID ?? "-")", "source": "\(source)", "status": "\(response.statusCode ?? 0)",
            "cseq": "\(response.cseq.map { "\($0.number) \($0.method)" } ?? "-")",
        ])
        logger.debug("stray response", metadata: [
            "call_id": "\(response.callID ?? "-")", "message": "\(SIPLogRedaction.dump(response))",
        ])
    }
}
