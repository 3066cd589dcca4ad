import Media

/// What the B2BUA asks the driver to do for one media-path probe (docs/HEALTH.md, "Media-path
/// probes"): open a UDP socket on `local`, send `packets` RTP packets to `remote` `spacing`
/// apart, count the RTP that comes back on that socket for `window` from the first packet, and
/// report it with `B2BUA.mediaProbeObserved(_:_:now:)`.
///
/// Why the driver does it: the B2BUA is sans-IO (it never touches a socket or a clock), and
/// pacing packets and reading a socket are I/O. The B2BUA keeps every decision: which port
/// (`local` is a relay port pair it reserved for the call, so no relay worker binds it
/// meanwhile), where to (the carrier's SDP answer), how long, and what the counts mean.
public struct MediaProbeRequest: Sendable, Equatable {
    /// The probe's test call; the report names it.
    public var id: UInt64
    public var trunk: String
    /// The zone's media address and the RTP port the offer named.
    public var local: MediaAddress
    /// The carrier's RTP address from its answer (`c=` and `m=audio`).
    public var remote: MediaAddress
    /// The payload type the answer chose (0 PCMU or 8 PCMA); the payload is that codec's silence.
    public var payloadType: UInt8
    /// The probe's own SSRC: packets that come back with it are an echo of ours.
    public var ssrc: UInt32
    public var packets: Int
    public var spacing: Duration
    /// From the first packet sent, how long returning RTP counts.
    public var window: Duration

    public init(id: UInt64, trunk: String, local: MediaAddress, remote: MediaAddress, payloadType: UInt8, ssrc: UInt32,
                packets: Int, spacing: Duration, window: Duration) {
        self.id = id
        self.trunk = trunk
        self.local = local
        self.remote = remote
        self.payloadType = payloadType
        self.ssrc = ssrc
        self.packets = packets
        self.spacing = spacing
        self.window = window
    }

    /// G.711 silence for the payload type: 0xFF for PCMU (mu-law zero), 0xD5 for PCMA (A-law
    /// zero). 160 bytes: 20 ms at 8 kHz.
    public var payload: [UInt8] {
        [UInt8](repeating: payloadType == 8 ? 0xD5 : 0xFF, count: 160)
    }

    /// RTP packet `index` (0-based) of the probe: version 2, the marker on the first, sequence
    /// numbers and timestamps counting up from values derived from the SSRC.
    public func packet(_ index: Int) -> [UInt8] {
        let sequence = UInt16(truncatingIfNeeded: Int(ssrc >> 16) &+ index)
        let timestamp = (ssrc &* 2_654_435_761) &+ UInt32(truncatingIfNeeded: index * 160)
        var bytes: [UInt8] = [0x80, (index == 0 ? 0x80 : 0) | (payloadType & 0x7F)]
        bytes += [UInt8(sequence >> 8), UInt8(sequence & 0xFF)]
        for value in [timestamp, ssrc] {
            bytes += [UInt8(value >> 24), UInt8((value >> 16) & 0xFF), UInt8((value >> 8) & 0xFF), UInt8(value & 0xFF)]
        }
        return bytes + payload
    }
}
