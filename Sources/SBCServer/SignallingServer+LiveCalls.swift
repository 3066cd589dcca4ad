import AdminAPI
import B2BUA
import SBCStore

/// Live calls for the admin API, and the status page's failover count. Runs on the loop thread
/// only (see `AdminBridge`).
extension SignallingServer {
    func callStatuses() -> [CallStatus] {
        let mapping = CallStatusMapping(clock: WallClockAnchor(monotonicNow: now))
        return b2bua.callSnapshots().map(mapping.status)
    }

    func callStatus(id: String) -> CallStatus? {
        b2bua.callSnapshot(id: id).map(CallStatusMapping(clock: WallClockAnchor(monotonicNow: now)).status)
    }

    /// An operator's hang-up: BYEs out now, the audit entry queued with the actor and reason.
    func hangUp(call id: String, reason: String, actor: String) -> Result<CallStatus, AdminError> {
        guard let snapshot = b2bua.callSnapshot(id: id) else { return .failure(.notFound("no live call \(id)")) }
        let clock = WallClockAnchor(monotonicNow: now)
        var status = CallStatusMapping(clock: clock).status(snapshot)
        let outbound: [SIPOutbound]
        do {
            outbound = try b2bua.terminate(call: snapshot.id, reason: reason, actor: actor, now: now)
        } catch {
            switch error {
            case .unknownCall: return .failure(.notFound("no live call \(id)"))
            case .alreadyEnding: return .failure(.conflict("call \(id) is already ending (\(snapshot.phase.rawValue))"))
            }
        }
        emit(outbound)
        operationalState.append(AuditEntry(
            at: clock.wallNow, subject: "call \(snapshot.callID)", kind: "call", fromState: snapshot.phase.rawValue,
            toState: "ended", cause: "operator_hangup", detail: reason, actor: actor))
        status.state = "ended"
        status.endedBy = "operator:\(actor)"
        return .success(status)
    }

    /// Hands the B2BUA's running failover count to the status page's per-minute history.
    func recordActivity() {
        metrics.activity.observe(failoverTotal: b2bua.failovers)
    }
}
