import Logging
import Media
import Routing
import SBCConfig
import SDP
import SIPCore

/// Media-path probes (`trunks[].health.media_probe`, docs/HEALTH.md): every `interval_s` a test
/// call through the trunk to an echo number; once it is answered (ACK, the dialog kept up) the
/// driver is asked to send a few RTP packets from the call's relay port to the answer's media
/// address and to count what comes back (`MediaProbeRequest`); told the counts
/// (`mediaProbeObserved`), the `TestCall` hangs up and the result feeds the trunk's
/// `TrunkHealth` (`mediaProbeFailed` / `mediaProbePassed`, cause `media_path_failed`).
///
/// Sans-IO like the rest of the B2BUA: no socket, no clock. One probe per trunk at a time; a
/// probe the SBC could not run itself is `skipped`, never held against the carrier, and so is a
/// failure while the SBC was overloaded (as for OPTIONS timeouts, `OwnLoadHistory`).
extension B2BUA {
    /// Arms `trunk`'s next media probe at `at`.
    mutating func armMediaProbe(_ trunk: String, at deadline: Duration) {
        mediaProbes.timers[trunk] = probeTimers.push(.media(trunk: trunk), at: deadline)
    }

    /// After a reload: trunks that now have a media probe and had none start probing at once.
    /// (A changed interval applies from the next probe; a removed probe's timer lapses.)
    mutating func armNewMediaProbes(now: Duration) {
        for trunk in routing.allTrunks where trunk.health.mediaProbe != nil && mediaProbes.timers[trunk.name] == nil {
            armMediaProbe(trunk.name, at: now)
        }
    }

    /// A probe timer fired: places the trunk's probe call (unless one is still going or the SBC
    /// drains) and arms the next.
    mutating func sendMediaProbe(to name: String, sequence: UInt64, now: Duration) {
        guard mediaProbes.timers[name] == sequence else { return }
        guard let trunk = routing.trunk(named: name), let settings = trunk.health.mediaProbe else {
            mediaProbes.timers[name] = nil  // the probe (or the trunk) was removed by a reload
            return
        }
        armMediaProbe(name, at: now + settings.interval)
        guard drainDeadline == nil, mediaProbes.inFlight[name] == nil else { return }
        let id = placeTestCall(to: settings.number, from: settings.caller, trunk: trunk, reachable: .answered,
                               timeout: settings.answerTimeout, purpose: .mediaProbe(trunk: name, settings: settings),
                               mediaCheck: settings.timeout, now: now)
        guard let id else {
            mediaProbeDecided(trunk: name, result: .skipped,
                              detail: "the probe call could not be placed (no free media port, or see the log)", now: now)
            return
        }
        if let call = testCalls.active[id] { mediaProbes.inFlight[name] = (id, call.leg.callID) }
    }

    /// The probe call was answered and ACKed: asks the driver for the RTP check, or fails the
    /// check at once when the answer names nothing to send to.
    mutating func startMediaCheck(_ id: UInt64, answer: SIPMessage, now: Duration) {
        guard let call = testCalls.active[id], case .mediaProbe(let trunk, let settings) = call.purpose else { return }
        guard let ports = call.ports else {
            mediaChecked(id, MediaProbeObservation(sent: 0, received: 0, localFailure: "no relay port for the probe"),
                         now: now)
            return
        }
        var problem = ""
        guard let target = Self.mediaProbeTarget(of: answer, problem: &problem) else {
            mediaChecked(id, MediaProbeObservation(sent: 0, received: 0, answerProblem: problem), now: now)
            return
        }
        mediaProbes.requests.append(MediaProbeRequest(
            id: id, trunk: trunk, local: MediaAddress(host: call.leg.zone.mediaBind, port: ports.rtp),
            remote: target.remote, payloadType: target.payloadType, ssrc: UInt32(truncatingIfNeeded: ids.next()),
            packets: settings.packets, spacing: MediaProbeSettings.packetSpacing, window: settings.timeout))
    }

    /// Where the probe's RTP goes: the answer's first active audio stream (its `c=` and port)
    /// and the G.711 payload type it chose; nil with `problem` set when there is none.
    static func mediaProbeTarget(of answer: SIPMessage, problem: inout String)
        -> (remote: MediaAddress, payloadType: UInt8)?
    {
        guard !answer.body.isEmpty, let sdp = try? SessionDescription(parsing: answer.body) else {
            problem = "the answer carried no SDP"
            return nil
        }
        guard let audio = sdp.media.first(where: { $0.type == "audio" && $0.port > 0 }) else {
            problem = "the answer has no active audio stream"
            return nil
        }
        guard audio.direction(session: sdp) != .inactive else {
            problem = "the answer's audio stream is inactive"
            return nil
        }
        guard let connection = audio.effectiveConnection(session: sdp), !connection.address.isEmpty,
              connection.address != "0.0.0.0", connection.address != "::", let port = UInt16(exactly: audio.port)
        else {
            problem = "the answer's audio stream has no address to send to"
            return nil
        }
        let types = audio.formats.compactMap { UInt8($0) }.filter { $0 < 128 }
        let payloadType = types.first { $0 == 0 || $0 == 8 } ?? types.first ?? 0
        return (MediaAddress(host: connection.address, port: port), payloadType)
    }

    /// Hands over the RTP checks asked for since the last call (the driver runs them).
    public mutating func takeMediaProbeRequests() -> [MediaProbeRequest] {
        defer { mediaProbes.requests.removeAll(keepingCapacity: true) }
        return mediaProbes.requests
    }

    /// The driver's report of probe `id`'s RTP check: the call is hung up and the probe decided.
    /// A report for a probe already decided (its time ran out) is ignored.
    public mutating func mediaProbeObserved(_ id: UInt64, _ observation: MediaProbeObservation, now: Duration)
        -> [SIPOutbound]
    {
        outbox.removeAll(keepingCapacity: true)
        mediaChecked(id, observation, now: now)
        return outbox
    }

    private mutating func mediaChecked(_ id: UInt64, _ observation: MediaProbeObservation, now: Duration) {
        step(id, response: nil, now: now) { $0.mediaChecked(observation, now: now) }
    }

    /// A probe call ended (`testCallFinished`): judge it, discount it when the SBC itself was
    /// overloaded meanwhile, and feed the trunk's health.
    mutating func mediaProbeFinished(trunk: String, settings: MediaProbeSettings, startedAt: Duration,
                                     outcome: TestCall.Outcome, now: Duration) {
        let callID = mediaProbes.inFlight.removeValue(forKey: trunk)?.callID
        var (result, detail) = MediaProbeResult.judge(outcome, settings: settings)
        let waited = result == .noMedia || outcome.verdict == .timeout
        if result.isFailure, waited, ownLoad.overlaps(from: startedAt, to: now) {
            // The echo (or the answer) may be sitting unread in our own sockets: not the carrier's fault.
            result = .skipped
            detail = "the SBC was overloaded during the probe (\(detail))"
        }
        mediaProbeDecided(trunk: trunk, result: result, detail: detail, callID: callID, now: now)
    }

    /// Records a decided probe: health, the last result, the event for metrics, the log.
    mutating func mediaProbeDecided(trunk: String, result: MediaProbeResult, detail: String, callID: String? = nil,
                                    now: Duration) {
        switch result {
        case .passed: record(health[trunk]?.mediaProbePassed(detail: detail, now: now) ?? [])
        case .noMedia, .callFailed: record(health[trunk]?.mediaProbeFailed(detail: detail, now: now) ?? [])
        case .skipped: break
        }
        mediaProbes.last[trunk] = MediaProbeStatus(result: result, detail: detail, at: now)
        healthEvents.append(.mediaProbe(trunk: trunk, result: result, detail: detail, at: now))
        let metadata: Logger.Metadata = ["trunk": "\(trunk)", "result": "\(result.rawValue)", "detail": "\(detail)",
                                         "call_id": "\(callID ?? "-")"]
        if result.isFailure {
            logger.warning("media probe failed", metadata: metadata)
        } else {
            logger.info("media probe", metadata: metadata)
        }
    }

    /// The last decided media probe of `trunk`; nil when it has none (or none decided yet).
    public func mediaProbeStatus(of trunk: String) -> MediaProbeStatus? { mediaProbes.last[trunk] }
}
