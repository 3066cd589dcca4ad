/// The SRTP positions of one side of one stream: the streams its party sends (what the relay
/// unprotects) and those the relay sends it (what it protects), each under that side's keys.
/// They mean something only with the keys they were reported under: new keys start over.
public struct SRTPLegPositions: Sendable, Equatable, Hashable {
    public var inbound: [SRTPStreamPosition]
    public var outbound: [SRTPStreamPosition]

    public init(inbound: [SRTPStreamPosition] = [], outbound: [SRTPStreamPosition] = []) {
        self.inbound = inbound
        self.outbound = outbound
    }

    public var isEmpty: Bool { inbound.isEmpty && outbound.isEmpty }
}
