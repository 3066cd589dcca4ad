import AdminAPI
import B2BUA

/// Between a call as the B2BUA sees it (monotonic instants, loop-confined types) and what the
/// admin API shows (wall-clock unix seconds, plain strings).
struct CallStatusMapping {
    let clock: WallClockAnchor

    func status(_ call: CallSnapshot) -> CallStatus {
        var status = CallStatus(
            id: call.id, callID: call.callID, route: call.route, critical: call.critical, state: call.phase.rawValue,
            from: call.from, to: call.to, ingressTrunk: call.ingressTrunk, trunk: call.trunk,
            startedAt: clock.wall(call.startedAt), answeredAt: call.answeredAt.map(clock.wall),
            durationSeconds: WallClockAnchor.seconds(clock.monotonicNow - call.startedAt), carrierLegs: call.carrierLegs)
        guard !call.legs.isEmpty else { return status }
        status.legs = call.legs.map(leg)
        status.media = call.media.map { media in
            CallStatus.Media(session: media.session, worker: media.worker, armed: media.armed, streams: media.streams.map {
                CallStatus.Stream(index: $0.index, relayPortA: $0.relayPortA, relayPortB: $0.relayPortB,
                                  remoteA: $0.remoteA, remoteB: $0.remoteB, holding: $0.holding, srtpA: $0.srtpA,
                                  srtpB: $0.srtpB)
            })
        }
        status.timers = call.timers.map { timers in
            CallStatus.Timers(firstProvisionalAt: timers.firstProvisional.map(clock.wall),
                              answerAt: timers.answer.map(clock.wall), reinviteAt: timers.reinvite.map(clock.wall),
                              keepaliveAt: timers.keepalive.map(clock.wall))
        }
        status.midCall = call.midCall.map {
            CallStatus.MidCall(failovers: $0.failovers, maxFailovers: $0.maxFailovers, trigger: $0.trigger,
                               icmpErrors: $0.icmpErrors, keepaliveFailures: $0.keepaliveFailures)
        }
        return status
    }

    private func leg(_ leg: CallSnapshot.Leg) -> CallStatus.Leg {
        CallStatus.Leg(
            side: leg.side == .a ? "a" : "b", carrierIndex: leg.carrierIndex, active: leg.active, trunk: leg.trunk,
            callID: leg.callID, localTag: leg.localTag, remoteTag: leg.remoteTag, remoteTarget: leg.remoteTarget,
            peer: leg.peer, transport: leg.transport, zone: leg.zone, localCSeq: leg.localCSeq,
            remoteCSeq: leg.remoteCSeq, offerAnswer: leg.offerAnswer, codecs: leg.codecs,
            sessionTimer: leg.sessionTimer.map { timer in
                CallStatus.SessionTimer(
                    intervalSeconds: WallClockAnchor.seconds(timer.interval), refresher: timer.refresher,
                    refreshedAt: clock.wall(timer.refreshedAt), nextRefreshAt: timer.nextRefresh.map(clock.wall),
                    expiresAt: clock.wall(timer.expiry), refreshing: timer.refreshing)
            })
    }
}
