import Logging
import Media

/// A session's bookkeeping on its worker: the spec it was last applied with, which stream slots
/// its m= lines occupy, the per-side silence trackers and unreported ICMP errors.
///
/// A class because the worker's tables refer to it by slot and it is only touched on commands,
/// latches, ICMP errors and timeout ticks, never per packet: per-packet state lives in `RelayLeg`.
final class RelaySession {
    struct Stream {
        /// The m= line index from the spec.
        var index: Int
        /// Slot in the leg table (legs 2*slot and 2*slot+1).
        var slot: Int32
        var spec: MediaStreamSpec
    }

    let id: MediaSessionID
    let slot: Int32
    var spec: MediaSessionSpec
    let logger: Logger
    var streams: [Stream] = []
    /// Indexed by `MediaSide.rawValue`.
    var silence: [SilenceTracker]
    /// Figures of streams removed by an update, so the final statistics still include them.
    var retiredStatistics = MediaSessionStatistics()
    /// Latest batch time seen per side when the trackers were last fed (monotonic ns).
    var lastFedNanoseconds: [UInt64] = [0, 0]
    /// Each side's latch refusals when its last packet was accepted (RelayWorker+Latching.swift).
    var rejectionsAtLastPacket: [UInt64] = [0, 0]
    /// ICMP unreachable errors for each side's remote not yet reported (by `MediaSide.rawValue`).
    var unreachableErrors = [0, 0]
    /// The worker tick in which each side last reported them (0 = never): the rate limit.
    var unreachableReportedTick: [UInt64] = [0, 0]
    /// In the worker's `unreachableSessions`.
    var unreachableQueued = false
    let createdAt: Duration

    init(spec: MediaSessionSpec, slot: Int32, logger: Logger, now: Duration) {
        self.id = spec.id
        self.slot = slot
        self.spec = spec
        var logger = logger
        logger[metadataKey: "call_id"] = .string(spec.logID)
        logger[metadataKey: "media_session"] = .stringConvertible(spec.id.rawValue)
        self.logger = logger
        self.createdAt = now
        silence = MediaSide.allCases.map { side in
            SilenceTracker(timeouts: spec.timeouts, remoteSends: RelaySession.remoteSends(spec, side))
        }
    }

    /// A side counts as sending when any of its streams does (audio usually is; a video stream
    /// that never starts must not make the call look dead).
    static func remoteSends(_ spec: MediaSessionSpec, _ side: MediaSide) -> Bool {
        spec.streams.contains { $0[side].remoteSends }
    }
}
