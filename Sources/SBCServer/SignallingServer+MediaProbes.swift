import AdminAPI
import B2BUA
import SBCSystem

/// Media-path probes on the driver's side (docs/HEALTH.md): the B2BUA asks for RTP checks
/// (`MediaProbeRequest`), a `MediaProbeSession` runs each on the loop, and its observation goes
/// back to the B2BUA, which hangs the probe call up and feeds the trunk's health. Loop thread only.
extension SignallingServer {
    /// Starts the RTP checks the B2BUA asked for (from `emit`).
    func startMediaProbes() {
        for request in b2bua.takeMediaProbeRequests() {
            guard let remote = try? SocketAddress(host: request.remote.host, port: request.remote.port) else {
                // A host name or garbage in the carrier's c= line: nothing the SBC can send to.
                mediaProbeReported(request.id, MediaProbeObservation(
                    sent: 0, received: 0,
                    answerProblem: "its media address \(request.remote) is not a numeric IP address"))
                continue
            }
            do {
                let id = request.id
                let session = try MediaProbeSession(request: request, remote: remote, loop: loop) { [unowned self] observation in
                    self.mediaProbeSessions[id] = nil
                    self.mediaProbeReported(id, observation)
                }
                mediaProbeSessions[id] = session
                session.start()
            } catch {
                logger.error("media probe socket failed", metadata: [
                    "trunk": "\(request.trunk)", "local": "\(request.local)", "error": "\(error)",
                ])
                mediaProbeReported(request.id, MediaProbeObservation(sent: 0, received: 0, localFailure: "\(error)"))
            }
        }
    }

    /// Hands an observation to the B2BUA on a later turn of the loop, never from inside `emit`
    /// (which is where requests are started) nor from inside a socket callback's batch.
    private func mediaProbeReported(_ id: UInt64, _ observation: MediaProbeObservation) {
        _ = loop.schedule(after: .zero) { [unowned self] in
            self.emit(self.b2bua.mediaProbeObserved(id, observation, now: self.now))
        }
    }

    /// The admin API's view of a trunk's media probe; nil for a trunk without one.
    func mediaProbeStatus(of trunk: String) -> TrunkMediaProbeStatus? {
        guard let health = b2bua.trunkHealth(named: trunk), health.settings.mediaProbe != nil else { return nil }
        let last = b2bua.mediaProbeStatus(of: trunk)
        let clock = WallClockAnchor(monotonicNow: now)
        return TrunkMediaProbeStatus(
            pathFailed: health.mediaPathFailed, consecutiveFailures: health.consecutiveMediaFailures,
            failures: health.mediaProbesFailed, lastResult: last?.result.rawValue, lastDetail: last?.detail,
            lastAt: last.map { clock.wall($0.at) })
    }
}
