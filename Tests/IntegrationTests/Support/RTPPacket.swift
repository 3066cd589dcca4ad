// RTP packets the tests send and recognise: a 12-byte RTP header and 160 bytes of A-law silence,
// as a G.711 phone sends every 20 ms.
import Foundation

enum RTPPacket {
    /// One PCMA packet of `ssrc` with `sequence` (timestamp advancing 160 per packet).
    static func make(ssrc: UInt32, sequence: UInt16, payloadType: UInt8 = 8) -> [UInt8] {
        let timestamp = UInt32(sequence) &* 160
        var packet: [UInt8] = [0x80, payloadType & 0x7F, UInt8(sequence >> 8), UInt8(sequence & 0xFF)]
        for value in [timestamp, ssrc] {
            packet += [UInt8(value >> 24), UInt8((value >> 16) & 0xFF), UInt8((value >> 8) & 0xFF), UInt8(value & 0xFF)]
        }
        return packet + [UInt8](repeating: 0xD5, count: 160)
    }

    /// The SSRC of an RTP version 2 packet, nil for anything else.
    static func ssrc(of bytes: [UInt8]) -> UInt32? {
        guard bytes.count >= 12, bytes[0] >> 6 == 2 else { return nil }
        return bytes[8...11].reduce(0) { $0 << 8 | UInt32($1) }
    }
}

extension UDPSocket {
    /// Every datagram arriving within `duration`, as (SSRC or nil, source) pairs.
    func collectRTP(for duration: Duration) async -> [(ssrc: UInt32?, from: Endpoint)] {
        let deadline = ContinuousClock.now + duration
        var out: [(ssrc: UInt32?, from: Endpoint)] = []
        while case let remaining = deadline - ContinuousClock.now, remaining > .zero,
              let datagram = await receive(timeout: remaining) {
            out.append((RTPPacket.ssrc(of: datagram.bytes), datagram.from))
        }
        return out
    }
}
