/// Builds RTP/RTCP datagrams for tests.
enum RTPTestPacket {
    static func rtp(sequence: UInt16, timestamp: UInt32 = 0, ssrc: UInt32 = 0x1234_5678,
                    payloadType: UInt8 = 0, marker: Bool = false, csrcCount: UInt8 = 0,
                    payload: Int = 160) -> [UInt8] {
        var bytes: [UInt8] = [0x80 | (csrcCount & 0x0F), (marker ? 0x80 : 0) | (payloadType & 0x7F)]
        bytes += [UInt8(sequence >> 8), UInt8(sequence & 0xFF)]
        bytes += withUnsafeBytes(of: timestamp.bigEndian, Array.init)
        bytes += withUnsafeBytes(of: ssrc.bigEndian, Array.init)
        bytes += [UInt8](repeating: 0, count: Int(csrcCount) * 4)
        bytes += [UInt8](repeating: 0xD5, count: payload)
        return bytes
    }

    /// An empty receiver report (8 bytes).
    static func rtcpReceiverReport(ssrc: UInt32 = 0xCAFE_F00D) -> [UInt8] {
        [0x80, 201, 0x00, 0x01] + withUnsafeBytes(of: ssrc.bigEndian, Array.init)
    }
}
