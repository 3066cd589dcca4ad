/// What the B2BUA keeps for media-path probes (B2BUA+MediaProbes.swift): each probed trunk's
/// armed timer and probe in flight, the requests for the driver, and the last result of each.
struct MediaProbeLedger: Sendable {
    /// The heap sequence of each probed trunk's armed timer: a timer left by an earlier
    /// configuration (a probe removed and added again by reloads) finds another sequence and lapses.
    var timers: [String: UInt64] = [:]
    /// The probe's test call in flight (its id and Call-ID, for the log), by trunk: one at a time
    /// per trunk.
    var inFlight: [String: (id: UInt64, callID: String)] = [:]
    /// RTP checks for the driver, taken after every batch of work (`takeMediaProbeRequests`).
    var requests: [MediaProbeRequest] = []
    /// The last decided probe of each trunk.
    var last: [String: MediaProbeStatus] = [:]
}
