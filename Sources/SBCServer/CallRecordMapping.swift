import B2BUA
import Media
import SBCStore

/// Turns the B2BUA's call summaries (monotonic times, so that clock steps never corrupt
/// durations) into CDR rows with wall-clock times, anchored once per batch.
struct CallRecordMapping {
    let clock: WallClockAnchor

    func wall(_ instant: Duration) -> Double { clock.wall(instant) }

    func record(_ summary: CallSummary) -> CallRecord {
        var record = CallRecord(
            callID: summary.callID, legBCallID: summary.legBCallID, fromURI: summary.fromURI, toURI: summary.toURI,
            ingressTrunk: summary.ingressTrunk, route: summary.route, startedAt: wall(summary.startedAt),
            answeredAt: summary.answeredAt.map(wall), endedAt: wall(summary.endedAt),
            disposition: summary.disposition.rawValue, finalStatus: summary.finalStatus,
            finalTrunk: summary.finalTrunk, endedBy: summary.endedBy,
            attempts: summary.attempts.map { attempt in
                CallAttempt(trunk: attempt.trunk, startedAt: wall(attempt.startedAt), responseCode: attempt.responseCode,
                            reason: attempt.reason,
                            responseTimeMs: attempt.responseTime.map {
                                Double($0.components.seconds) * 1000 + Double($0.components.attoseconds) / 1e15
                            },
                            outcome: attempt.outcome.rawValue, endedAt: attempt.endedAt.map(wall),
                            overflow: attempt.overflow)
            },
            media: summary.media.map { statistics in
                [Self.leg("a", trunk: summary.ingressTrunk, statistics.a),
                 Self.leg("b", trunk: summary.finalTrunk, statistics.b)]
            } ?? [])
        record.recovered = summary.recovered
        return record
    }

    static func leg(_ side: String, trunk: String?, _ leg: MediaLegStatistics) -> CallMediaLeg {
        CallMediaLeg(side: side, trunk: trunk, packetsReceived: Int64(clamping: leg.packetsReceived),
                     bytesReceived: Int64(clamping: leg.bytesReceived), packetsForwarded: Int64(clamping: leg.packetsForwarded),
                     packetsDropped: Int64(clamping: leg.packetsDropped), rtcpPackets: Int64(clamping: leg.rtcpPackets),
                     packetsLost: leg.packetsLost, jitterMs: leg.jitterMilliseconds,
                     latchedSource: leg.latchedSource.map { "\($0)" },
                     srtpAuthFailures: Int64(clamping: leg.srtpAuthFailures), srtpReplays: Int64(clamping: leg.srtpReplays),
                     srtpErrors: Int64(clamping: leg.srtpErrors))
    }
}
