import CSBCLinux
import Logging
import Media

extension RelayWorker {
    /// Every `timeoutCheckInterval`: feed each side's silence tracker with the newest packet
    /// time of its streams, report sides that went quiet, report ICMP errors held back since the
    /// last tick, and publish the counters.
    ///
    /// The packet path only stamps `lastRTPNanoseconds` per leg per batch; folding those into
    /// the session-level trackers here keeps per-packet work to one store.
    func tick(nowNanoseconds: UInt64) {
        let now = Duration.nanoseconds(Int64(clamping: nowNanoseconds))
        for case let session? in sessions {
            for side in MediaSide.allCases {
                var latest: UInt64 = 0
                for stream in session.streams {
                    latest = max(latest, legs.leg(2 * stream.slot + Int32(side.rawValue)).pointee.lastRTPNanoseconds)
                }
                if latest > session.lastFedNanoseconds[side.rawValue] {
                    session.lastFedNanoseconds[side.rawValue] = latest
                    session.silence[side.rawValue].packetReceived(at: .nanoseconds(Int64(clamping: latest)))
                    noteAccepted(session, side: side)
                }
                guard let silence = session.silence[side.rawValue].check(now: now) else { continue }
                timeoutCount &+= 1
                let unexpected = unexpectedSource(of: session, side: side)
                session.logger.notice("media timeout", metadata: [
                    "side": "\(side)", "silence_ms": "\(silence.nanosecondsClamped / 1_000_000)",
                    "mode": "\(session.silence[side.rawValue].remoteSends ? "active" : "hold")",
                    "unexpected_source": "\(unexpected?.summary ?? "-")",
                ])
                events(.timeout(session.id, side: side, silence: silence, unexpected: unexpected))
            }
        }
        expireTelephoneEvents(now: nowNanoseconds)
        if nowNanoseconds &- lastSRTPPositionScan >= Self.srtpPositionScanInterval {
            lastSRTPPositionScan = nowNanoseconds
            reportSRTPPositions()
        }
        tickNumber &+= 1
        if !unreachableSessions.isEmpty {
            reportUnreachable()
        }
        publishCounters()
    }
}
