/// The four-byte payload of an RFC 4733 telephone-event packet (§2.3):
///
///      0                   1                   2                   3
///      0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
///     +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
///     |     event     |E|R| volume    |          duration             |
///     +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
///
/// Every packet of one event carries the event's start timestamp; `duration` (timestamp units)
/// grows with each update; the last packet has the E bit and is sent three times.
public struct TelephoneEventPayload: Sendable, Equatable {
    /// 0-9, 10 `*`, 11 `#`, 12-15 `A`-`D`, 16 flash (RFC 4733 §3.2).
    public var event: UInt8
    public var end: Bool
    /// Power level below 0 dBm0, 0-63.
    public var volume: UInt8
    public var duration: UInt16

    public static let length = 4
    /// What the SBC injects: -10 dBm0, as most phones send.
    public static let defaultVolume: UInt8 = 10

    public init(event: UInt8, end: Bool, volume: UInt8 = TelephoneEventPayload.defaultVolume, duration: UInt16) {
        self.event = event
        self.end = end
        self.volume = volume & 0x3F
        self.duration = duration
    }

    /// Reads the first four bytes of `payload`; nil when it is shorter.
    @inlinable
    public init?(payload: UnsafeRawBufferPointer) {
        guard payload.count >= Self.length else { return nil }
        event = payload[0]
        end = payload[1] & 0x80 != 0
        volume = payload[1] & 0x3F
        duration = UInt16(payload[2]) << 8 | UInt16(payload[3])
    }

    public func write(to bytes: UnsafeMutableRawPointer) {
        bytes.storeBytes(of: event, as: UInt8.self)
        bytes.storeBytes(of: (end ? 0x80 : 0) | (volume & 0x3F), toByteOffset: 1, as: UInt8.self)
        bytes.storeBytes(of: UInt8(duration >> 8), toByteOffset: 2, as: UInt8.self)
        bytes.storeBytes(of: UInt8(duration & 0xFF), toByteOffset: 3, as: UInt8.self)
    }

    /// The payload of an RTP packet: after the fixed header, the CSRC list and a header
    /// extension, without padding; nil when those do not fit the packet.
    @inlinable
    public static func payload(ofRTP packet: UnsafeRawBufferPointer) -> UnsafeRawBufferPointer? {
        guard packet.count >= 12 else { return nil }
        let first = packet[0]
        var start = 12 + Int(first & 0x0F) * 4
        if first & 0x10 != 0 {
            guard packet.count >= start + 4 else { return nil }
            start += 4 + (Int(packet[start + 2]) << 8 | Int(packet[start + 3])) * 4
        }
        var end = packet.count
        if first & 0x20 != 0 {
            guard end > start else { return nil }
            end -= Int(packet[end - 1])
        }
        guard end >= start else { return nil }
        return UnsafeRawBufferPointer(rebasing: packet[start..<end])
    }
}

/// One telephone event the relay saw end, as it reports it to signalling.
public struct TelephoneEventReport: Sendable, Equatable {
    public enum Ending: Sendable, Equatable {
        /// A packet with the E bit (its retransmissions are not reported again).
        case endBit
        /// No packet of the event for `TelephoneEventDetector.endTimeout`: its end packets were lost.
        case timeout
        /// A new event started before this one's end arrived.
        case superseded
    }

    /// RFC 4733 event code (0-9, 10 `*`, 11 `#`, 12-15 `A`-`D`, 16 flash). Digits may be card
    /// numbers: log them at debug level only.
    public var event: UInt8
    /// The event's length in timestamp units (the E packet's duration, else the longest seen).
    public var duration: UInt32
    public var volume: UInt8
    public var ending: Ending

    public init(event: UInt8, duration: UInt32, volume: UInt8, ending: Ending) {
        self.event = event
        self.duration = duration
        self.volume = volume
        self.ending = ending
    }

    /// `duration` at `clockRate` (timestamp units per second).
    public func length(clockRate: UInt32) -> Duration {
        .nanoseconds(Int64(duration) * 1_000_000_000 / Int64(max(1, clockRate)))
    }
}

extension RTPReceiveStatistics {
    /// The current source's SSRC and the highest sequence number it sent; nil before its first packet.
    public var lastSource: (ssrc: UInt32, sequence: UInt16)? {
        hasSource ? (ssrc, maxSequence) : nil
    }

    /// Where the current source's timestamp stands at `arrival` (in the units `record` takes):
    /// its last in-order packet's timestamp plus the time since, from the transit time RFC 3550
    /// A.8 keeps anyway. nil until a packet past probation was recorded.
    public func timestamp(atArrival arrival: UInt32) -> UInt32? {
        hasTransit ? arrival &- transit : nil
    }
}
