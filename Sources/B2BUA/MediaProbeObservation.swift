/// What the driver saw of one media-path probe's RTP (`MediaProbeRequest`), or why the check
/// could not run. The B2BUA judges it (`MediaProbeResult.judge`).
public struct MediaProbeObservation: Sendable, Equatable {
    /// RTP packets sent.
    public var sent: Int
    /// RTP packets (version 2, a valid header) that came back on the probe's socket within the window.
    public var received: Int
    /// Of those, how many carried the probe's own SSRC: a loop-back echo rather than media the
    /// far end generated (an echo application that re-packetizes uses its own SSRC; both count).
    public var echoed: Int
    /// From the first packet sent to the first packet back.
    public var firstReturn: Duration?
    /// An ICMP error the probe's packets met (port unreachable, ...), as a sentence: why nothing
    /// came back, for the detail.
    public var icmpError: String?
    /// The carrier's answer gave nothing usable to send to (no audio stream, port 0, a host
    /// name): the carrier's fault, so the probe fails without sending.
    public var answerProblem: String?
    /// The SBC could not run the check itself (the socket could not be bound): not the carrier's
    /// fault, so the probe is skipped.
    public var localFailure: String?

    public init(sent: Int, received: Int, echoed: Int = 0, firstReturn: Duration? = nil, icmpError: String? = nil,
                answerProblem: String? = nil, localFailure: String? = nil) {
        self.sent = sent
        self.received = received
        self.echoed = echoed
        self.firstReturn = firstReturn
        self.icmpError = icmpError
        self.answerProblem = answerProblem
        self.localFailure = localFailure
    }
}
