import Media

/// Latching per side (a trunk's `latching`, carried in `MediaLegSpec.latching`) and what the
/// latches refused: a side that times out while its latch was dropping packets from somewhere
/// else reports where they came from (`MediaEvent.timeout`'s `unexpected`), because "no RTP for
/// 4 s" is then a NAT, not a dead party (docs/MEDIA.md, "Latching and strict source").
///
/// Nothing here runs per packet: the latch counts its refusals and keeps the last refused source
/// on the drop path itself; these read them on commands and worker ticks.
extension RelayWorker {
    /// The policy a side's latches run under: its spec's, else the relay's (`media.latching`).
    func latchPolicy(_ spec: MediaLegSpec) -> SourceLatchPolicy {
        spec.latching ?? settings.latchPolicy
    }

    /// A spec update that changes a side's policy (a carrier leg replaced by one on a trunk with
    /// another `latching`) reopens its latches under the new one. True when it did.
    func updateLatchPolicy(_ legIndex: Int32, from old: MediaLegSpec, to new: MediaLegSpec,
                           signalledRTP: MediaEndpoint?, signalledRTCP: MediaEndpoint?) -> Bool {
        let policy = latchPolicy(new)
        let leg = legs.leg(legIndex)
        guard latchPolicy(old) != policy || leg.pointee.rtpLatch.policy != policy else { return false }
        leg.pointee.rtpLatch.reopen(signalled: signalledRTP, policy: policy)
        leg.pointee.rtcpLatch.reopen(signalled: signalledRTCP, policy: policy)
        return true
    }

    /// RTP-port packets the latches of `side` refused so far, over the session's streams.
    func latchRejections(of session: RelaySession, side: MediaSide) -> UInt64 {
        var total: UInt64 = 0
        for stream in session.streams {
            total &+= legs.leg(2 * stream.slot + Int32(side.rawValue)).pointee.rtpLatch.rejectedCount
        }
        return total
    }

    /// The side's packets arrived again: refusals from now on are news for a later timeout.
    func noteAccepted(_ session: RelaySession, side: MediaSide) {
        session.rejectionsAtLastPacket[side.rawValue] = latchRejections(of: session, side: side)
    }

    /// What the latches of a side that just timed out refused since its last accepted packet;
    /// nil when nothing arrived at all (the party is really silent).
    func unexpectedSource(of session: RelaySession, side: MediaSide) -> UnexpectedMediaSource? {
        let total = latchRejections(of: session, side: side)
        let before = session.rejectionsAtLastPacket[side.rawValue]
        guard total > before else { return nil }
        // The stream that refused the most (the audio stream, in practice) names the source.
        var busiest: RelayLeg?
        for stream in session.streams {
            let leg = legs.leg(2 * stream.slot + Int32(side.rawValue)).pointee
            guard leg.rtpLatch.lastRejected != nil else { continue }
            if busiest == nil || leg.rtpLatch.rejectedCount > busiest!.rtpLatch.rejectedCount { busiest = leg }
        }
        guard let latch = busiest?.rtpLatch, let source = latch.lastRejected else { return nil }
        return UnexpectedMediaSource(packets: total - before, source: source.address,
                                     expected: (latch.source ?? latch.signalled)?.address, latched: latch.isLatched,
                                     policy: latch.policy)
    }
}
