import Logging
import SBCTimers
import SDP

/// What operators see of live calls and the one thing they may do to one: end it.
///
/// Read-only apart from `terminate(call:reason:actor:now:)`: snapshots copy values out of the
/// loop-confined `Call`s, so the admin API never holds a reference into call state.
extension B2BUA {
    /// Why an operator's hang-up was refused.
    public enum HangUpError: Error, Sendable, Equatable {
        /// No live call has that handle.
        case unknownCall(Int)
        /// The call is already ending (a BYE or CANCEL is in flight).
        case alreadyEnding(Int)
    }

    /// The `Reason` (RFC 3326) on the BYEs of an operator's hang-up. Q.850 16 is a normal
    /// clearing, so neither party treats it as a fault worth retrying elsewhere. The operator's
    /// own reason stays in the audit trail: it is written for colleagues, not for the carrier
    /// and the platform, which would both receive this header.
    public static let operatorHangUpReason = #"Q.850;cause=16;text="Terminated by operator""#

    /// What a caller still waiting for an answer gets when an operator ends its call: 487, as if
    /// it had been cancelled, because a 5xx would make a platform retry the call elsewhere,
    /// which is exactly what the operator did not want.
    static let operatorHangUpStatus = 487

    /// Every live call, oldest first, without legs, media or timers.
    public func callSnapshots() -> [CallSnapshot] {
        calls.values.sorted { $0.handle.rawValue < $1.handle.rawValue }.map { snapshot(of: $0, detailed: false) }
    }

    /// One call in detail, found by its handle (`CallSnapshot.id`, as text) or by the Call-ID of
    /// any of its legs: operators come with either, from the API or from a log line.
    public func callSnapshot(id: String) -> CallSnapshot? {
        if let number = Int(id), let call = calls[CallHandle(rawValue: number)] {
            return snapshot(of: call, detailed: true)
        }
        let matching = calls.values.filter { call in
            call.a.callID == id || call.carrierLegs.contains { $0.callID == id }
        }
        return matching.min { $0.handle.rawValue < $1.handle.rawValue }.map { snapshot(of: $0, detailed: true) }
    }

    /// Ends a live call for an operator: BYE with `operatorHangUpReason` to both legs of an
    /// answered call (CANCEL and 487 for one still ringing), its CDR's `ended_by` is
    /// `operator:<actor>`. `reason` is the operator's, for the log line.
    public mutating func terminate(call id: Int, reason: String, actor: String, now: Duration)
        throws(HangUpError) -> [SIPOutbound]
    {
        outbox.removeAll(keepingCapacity: true)
        let handle = CallHandle(rawValue: id)
        guard let call = calls[handle] else { throw .unknownCall(id) }
        if call.isCancelling || call.isTerminating { throw .alreadyEnding(id) }
        logger.notice("operator hangup", metadata: metadata(call).merging([
            "actor": "\(actor)", "operator_reason": "\(reason)",
        ]) { a, _ in a })
        terminate(call: handle, reason: Self.operatorHangUpReason, endedBy: "operator:\(actor)",
                  unansweredStatus: Self.operatorHangUpStatus, now: now)
        return outbox
    }

    // MARK: - Building snapshots

    private func snapshot(of call: Call, detailed: Bool) -> CallSnapshot {
        var snapshot = CallSnapshot(
            id: call.handle.rawValue, callID: call.a.callID, route: call.routeName, critical: call.route.critical,
            phase: Self.phase(of: call), from: "\(call.a.remoteAddress.uri)", to: "\(call.a.localAddress.uri)",
            ingressTrunk: call.a.trunk.name, trunk: call.activeTrunk?.name, startedAt: call.startedAt,
            answeredAt: call.answeredAt, carrierLegs: call.carrierLegs.count)
        guard detailed else { return snapshot }
        snapshot.legs = [Self.leg(call.a, index: nil, active: true)]
            + call.carrierLegs.enumerated().map { index, leg in
                Self.leg(leg, index: index, active: index == call.carrierLegs.count - 1)
            }
        snapshot.media = call.media.map(Self.media)
        snapshot.timers = timers(of: call)
        snapshot.midCall = Self.midCall(of: call)
        return snapshot
    }

    private static func phase(of call: Call) -> CallSnapshot.Phase {
        switch call.phase {
        case .proceeding: .proceeding
        case .cancelling: .cancelling
        case .established: .established
        case .failingOver: .failingOver
        case .terminating: .terminating
        }
    }

    private static func leg(_ leg: CallLeg, index: Int?, active: Bool) -> CallSnapshot.Leg {
        let offerAnswer = switch leg.negotiation.state {
        case .idle: "idle"
        case .localOffer: "local_offer"
        case .remoteOffer: "remote_offer"
        case .done: "done"
        }
        let codecs = (leg.negotiation.negotiated?.codecs ?? []).map { formats in
            formats.map { format in format.codec.map { "\($0.name)/\($0.clockRate)" } ?? format.payloadType }
        }
        return CallSnapshot.Leg(
            side: leg.side, carrierIndex: index, active: active, trunk: leg.trunk.name, callID: leg.callID,
            localTag: leg.localTag, remoteTag: leg.remoteTag, remoteTarget: "\(leg.remoteTarget)",
            peer: "\(leg.peer.host):\(leg.peer.port)", transport: leg.peer.transport.rawValue, zone: leg.zone.name,
            localCSeq: leg.localCSeq, remoteCSeq: leg.remoteCSeq, offerAnswer: offerAnswer, codecs: codecs,
            sessionTimer: leg.sessionTimer.map { timer in
                CallSnapshot.SessionTimerState(
                    interval: timer.interval, refresher: timer.refresher == .sbc ? "sbc" : "peer",
                    refreshedAt: timer.refreshedAt, nextRefresh: timer.nextRefresh, expiry: timer.expiry,
                    refreshing: timer.refreshing != nil)
            })
    }

    private static func media(_ media: CallMedia) -> CallSnapshot.Media {
        CallSnapshot.Media(
            session: media.session.rawValue, worker: media.worker, armed: media.armed,
            streams: media.streams.enumerated().map { index, stream in
                CallSnapshot.Stream(
                    index: index, relayPortA: stream.ports[.a]?.rtp, relayPortB: stream.ports[.b]?.rtp,
                    remoteA: stream.remote[.a]?.rtp.map { "\($0)" }, remoteB: stream.remote[.b]?.rtp.map { "\($0)" },
                    holding: stream.remote.values.contains { $0.holding },
                    srtpA: stream.security[.a]?.settled != nil, srtpB: stream.security[.b]?.settled != nil)
            })
    }

    /// Deadlines of the timers armed for the call, looked up in the per-call heap.
    private func timers(of call: Call) -> CallSnapshot.Timers {
        let attempt = call.attempt
        let liveness = call.liveness
        return CallSnapshot.Timers(
            firstProvisional: attempt?.provisionalTimer.flatMap(callTimers.deadline(of:)),
            answer: attempt?.answerTimer.flatMap(callTimers.deadline(of:)),
            reinvite: liveness?.reinviteTimer.flatMap(callTimers.deadline(of:)),
            keepalive: liveness?.keepaliveTimer.flatMap(callTimers.deadline(of:)))
    }

    private static func midCall(of call: Call) -> CallSnapshot.MidCall? {
        switch call.phase {
        case .established(let established):
            guard let reorigination = established.reorigination else { return nil }
            return CallSnapshot.MidCall(
                failovers: reorigination.failovers, maxFailovers: reorigination.settings.maxFailovers, trigger: nil,
                icmpErrors: established.liveness.icmpErrors, keepaliveFailures: established.liveness.keepaliveFailures)
        case .failingOver(let failover):
            return CallSnapshot.MidCall(
                failovers: failover.reorigination.failovers, maxFailovers: failover.reorigination.settings.maxFailovers,
                trigger: "\(failover.trigger)", icmpErrors: 0, keepaliveFailures: 0)
        case .proceeding, .cancelling, .terminating:
            return nil
        }
    }
}
