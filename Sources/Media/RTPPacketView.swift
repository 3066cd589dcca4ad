/// A validated look at one datagram's RTP or RTCP header, without copying it.
///
/// The relay forwards packets unchanged, so it only needs to know that a datagram is plausibly
/// RTP/RTCP (garbage must neither latch a port nor be relayed) and, for RTP, the fields the
/// receive statistics use. RTP and RTCP are told apart as RFC 5761 section 4 says: on a muxed
/// port the second byte of RTCP is a packet type in 192...223, a range RTP payload types avoid.
///
/// The view borrows the buffer: it is valid only while the receive slot is.
public struct RTPPacketView {
    public enum Kind: Sendable, Equatable {
        case rtp
        case rtcp
    }

    /// RFC 3550 fixed header.
    public static let minimumRTPLength = 12
    /// An RTCP header (an empty receiver report is 8 bytes).
    public static let minimumRTCPLength = 8

    public let bytes: UnsafeRawBufferPointer
    public let kind: Kind

    /// nil unless the datagram is version 2, long enough for its kind, and (for RTP) long
    /// enough for its CSRC list.
    @inlinable
    public init?(_ bytes: UnsafeRawBufferPointer) {
        guard bytes.count >= RTPPacketView.minimumRTCPLength else { return nil }
        let first = bytes[0]
        guard first >> 6 == 2 else { return nil }
        let second = bytes[1]
        if second >= 192 && second <= 223 {
            self.kind = .rtcp
        } else {
            let csrcBytes = Int(first & 0x0F) << 2
            guard bytes.count >= RTPPacketView.minimumRTPLength + csrcBytes else { return nil }
            self.kind = .rtp
        }
        self.bytes = bytes
    }

    @inlinable public var isRTCP: Bool { kind == .rtcp }

    /// RTP: 7-bit payload type. RTCP: meaningless (see `rtcpPacketType`).
    @inlinable public var payloadType: UInt8 { bytes[1] & 0x7F }

    @inlinable public var marker: Bool { bytes[1] & 0x80 != 0 }

    /// RTCP: the first packet's type (200 SR, 201 RR, 202 SDES, 203 BYE, 204 APP, ...).
    @inlinable public var rtcpPacketType: UInt8 { bytes[1] }

    @inlinable public var sequenceNumber: UInt16 {
        UInt16(bigEndian: bytes.loadUnaligned(fromByteOffset: 2, as: UInt16.self))
    }

    @inlinable public var timestamp: UInt32 {
        UInt32(bigEndian: bytes.loadUnaligned(fromByteOffset: 4, as: UInt32.self))
    }

    /// RTP: the sender's SSRC. RTCP: the reporting sender's SSRC (bytes 4-7).
    @inlinable public var ssrc: UInt32 {
        kind == .rtp
            ? UInt32(bigEndian: bytes.loadUnaligned(fromByteOffset: 8, as: UInt32.self))
            : UInt32(bigEndian: bytes.loadUnaligned(fromByteOffset: 4, as: UInt32.self))
    }
}
