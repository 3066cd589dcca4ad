/// Symmetric-RTP source learning for one local port: learning until a packet is admitted, then
/// locked to that exact ip:port.
///
/// Latching is what makes media work through NAT (the party's real address is where its packets
/// come from, not what its SDP says) and, once latched, what keeps strangers out: every packet
/// from anywhere else is dropped. `reopen` returns to learning when signalling moves the party
/// (a re-INVITE to a new address), so the new source can latch.
///
/// A plain value of integers: it sits inside the relay's per-leg storage and is checked on every
/// packet without reference counting.
public struct SourceLatch: Sendable, Equatable {
    public enum Verdict: Sendable, Equatable {
        /// From the latched source.
        case accepted
        /// This packet latched the port; the caller announces the new source.
        case latched
        /// A stranger (or, while learning, a source the policy does not allow): drop it.
        case rejected
    }

    /// Changed only by `reopen(signalled:policy:)` (a trunk's `latching` when a new party moves in).
    public private(set) var policy: SourceLatchPolicy
    /// Where signalling says the remote party is (its RTP or RTCP address).
    public private(set) var signalled: MediaEndpoint?
    /// The learned source; nil while learning.
    public private(set) var source: MediaEndpoint?
    @usableFromInline var rejections: UInt64 = 0
    /// The source of the last packet refused: where media comes from when it comes from
    /// somewhere unexpected (a party behind NAT, under `signalled`), for the media-timeout
    /// message. Written on the drop path only.
    public var lastRejected: MediaEndpoint? { rejectedSource }
    @usableFromInline var rejectedSource: MediaEndpoint?

    /// Packets refused since creation.
    public var rejectedCount: UInt64 { rejections }

    public init(policy: SourceLatchPolicy, signalled: MediaEndpoint? = nil) {
        self.policy = policy
        self.signalled = signalled
    }

    @inlinable
    public var isLatched: Bool { source != nil }

    /// Decides about one packet from `packetSource` (which must already be a valid RTP/RTCP packet:
    /// garbage must never latch).
    @inlinable
    public mutating func admit(_ packetSource: MediaEndpoint) -> Verdict {
        if let source {
            if source == packetSource { return .accepted }
            rejections &+= 1
            rejectedSource = packetSource
            return .rejected
        }
        return learn(packetSource)
    }

    @usableFromInline
    mutating func learn(_ packetSource: MediaEndpoint) -> Verdict {
        switch policy {
        case .anySource:
            break
        case .signalledAddress:
            guard let signalled, signalled.hasSameIP(as: packetSource) else {
                rejections &+= 1
                rejectedSource = packetSource
                return .rejected
            }
        }
        source = packetSource
        return .latched
    }

    /// Back to learning, expecting the party at `signalled` now (under `policy` when given).
    public mutating func reopen(signalled: MediaEndpoint?, policy: SourceLatchPolicy? = nil) {
        self.signalled = signalled
        if let policy { self.policy = policy }
        source = nil
    }

    /// Where to send towards this party: the learned source once latched, the signalled address
    /// before (never a stranger's address).
    @inlinable
    public var destination: MediaEndpoint? { source ?? signalled }
}
