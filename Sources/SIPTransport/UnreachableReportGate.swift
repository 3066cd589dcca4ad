import SBCSystem

/// Lets through at most one "destination unreachable" report (ICMP error on a UDP socket) per
/// destination and zone in each `window`; the rest are counted, not reported.
///
/// Why: the layer above ends every client transaction to an unreachable destination (RFC 3261
/// 18.4), which costs a pass over all live transactions, and a peer that went away mid-storm (a
/// platform restarting, SIPp between two bench steps) answers each of the thousands of datagrams
/// still sent to it with an ICMP error. Reported one by one they held the loop for seconds
/// (issue 14: 9 s of lag, 87,000 datagrams dropped, no call completed in the next step). One
/// report per window ends the same transactions; one created since is ended by the next report,
/// at most a window (or a retransmission) later. Sans-IO, on the loop's clock.
struct UnreachableReportGate {
    struct Key: Hashable {
        var zone: String
        var destination: SocketAddress
    }

    static let defaultWindow: Duration = .milliseconds(250)
    /// Destinations remembered at most; beyond it, those outside their window are forgotten.
    static let capacity = 1024

    let window: Duration
    private(set) var lastReported: [Key: MonotonicInstant] = [:]

    init(window: Duration = UnreachableReportGate.defaultWindow) {
        self.window = window
    }

    /// Whether a report for `destination` in `zone` at `now` goes through.
    mutating func admit(zone: String, destination: SocketAddress, now: MonotonicInstant) -> Bool {
        let key = Key(zone: zone, destination: destination)
        if let last = lastReported[key], now < last + window { return false }
        if lastReported.count >= Self.capacity {
            lastReported = lastReported.filter { now < $0.value + window }
        }
        lastReported[key] = now
        return true
    }
}
