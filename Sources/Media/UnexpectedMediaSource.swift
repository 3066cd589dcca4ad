/// Packets a side's latch refused while that side was silent: media that did arrive, but from an
/// address the side's party is not (yet) known to use. Carried by `MediaEvent.timeout` so that a
/// call ended for silence says why it looked silent: "no RTP from platform for 4 s (142 packets
/// arrived from 127.0.0.20:40012, not the signalled 127.0.0.10 ...)" is a NAT (or a softphone
/// sending from another local address than it signals), not a dead party.
public struct UnexpectedMediaSource: Sendable, Equatable {
    /// RTP-port packets refused by the latch since the side's last accepted packet.
    public var packets: UInt64
    /// Where the last of them came from.
    public var source: MediaAddress
    /// What the latch expected: the learned source once latched, else the address the party's
    /// SDP signalled (nil when nothing was signalled).
    public var expected: MediaAddress?
    /// Whether `expected` is a learned source (the side had latched) rather than a signalled address.
    public var latched: Bool
    /// The policy the refusing latch ran under.
    public var policy: SourceLatchPolicy

    public init(packets: UInt64, source: MediaAddress, expected: MediaAddress?, latched: Bool,
                policy: SourceLatchPolicy) {
        self.packets = packets
        self.source = source
        self.expected = expected
        self.latched = latched
        self.policy = policy
    }

    /// For logs and the BYE's Reason: "142 packets arrived from 127.0.0.20:40012, not the
    /// signalled 127.0.0.10". The signalled address is named by IP alone: under `signalled` any
    /// port of that IP may latch, so its port says nothing about the refusal.
    public var summary: String {
        let packetsText = packets == 1 ? "1 packet" : "\(packets) packets"
        let expectedText: String
        if let expected {
            expectedText = latched ? "not the latched \(expected)" : "not the signalled \(expected.host)"
        } else {
            expectedText = "and nothing was signalled"
        }
        return "\(packetsText) arrived from \(source), \(expectedText)"
    }
}
