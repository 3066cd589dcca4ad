import SDP
import SRTP
import Testing

/// The SBC's SRTP against libsrtp2, the independent reference, for every suite: the same packets
/// protected by both must be byte for byte the same, and each must unprotect what the other
/// protected. The runs cross a sequence-number wrap (rollover counter 0 to 1), interleave two
/// SSRCs in one context, vary the payload length (0 included) and carry CSRCs and header
/// extensions, with SRTCP in between.
@Suite struct SRTPLibraryCrossCheckTests {
    struct Variant: Sendable, CustomTestStringConvertible {
        var suite: SRTPCryptoSuite
        var mki: SDPCryptoMKI?
        var unencryptedSRTCP = false

        var testDescription: String {
            "\(suite)" + (mki.map { " MKI \($0.text)" } ?? "") + (unencryptedSRTCP ? " UNENCRYPTED_SRTCP" : "")
        }

        var key: SDPCryptoKeyParameter { TestPackets.key(suite, seed: 11, mki: mki) }

        func ours(_ direction: SRTPDirection) throws -> SRTPContext {
            try SRTPContext(suite: suite, key: key, direction: direction, unencryptedSRTCP: unencryptedSRTCP)
        }

        func library(_ direction: SRTPDirection) throws -> SRTPLibrarySession {
            try SRTPLibrarySession(suite: suite, key: key, direction: direction, unencryptedSRTCP: unencryptedSRTCP)
        }

        /// libsrtp2 2.5 looks for an SRTCP packet's MKI before the SRTP tag length rather than the
        /// SRTCP one, so with the `_32` suites it cannot unprotect SRTCP with an MKI (its own
        /// included); it protects such packets correctly.
        var libraryUnprotectsRTCP: Bool { mki == nil || suite.rtpTagLength == suite.rtcpTagLength }
    }

    static let variants: [Variant] = SRTPCryptoSuite.allCases.flatMap { suite in
        [Variant(suite: suite), Variant(suite: suite, mki: SDPCryptoMKI(value: 0x1234_5678, length: 4))]
    } + [
        Variant(suite: .aesCM128HMACSHA1_80, unencryptedSRTCP: true),
        Variant(suite: .aeadAES128GCM, unencryptedSRTCP: true),
        Variant(suite: .aes256CMHMACSHA1_32, mki: SDPCryptoMKI(value: 7, length: 1), unencryptedSRTCP: true),
    ]

    /// Packet `number` of a run: two SSRCs alternating, each starting at sequence 64,900 so that
    /// it wraps after about 640 packets; every fifth packet has two CSRCs, every seventh a header
    /// extension, payloads 0 to 299 bytes.
    static func rtp(_ number: Int) -> [UInt8] {
        let ssrc: UInt32 = number % 2 == 0 ? 0x1111_1111 : 0x2222_2222
        let sequence = UInt16(truncatingIfNeeded: 64_900 + number / 2)
        let csrcCount = number % 5 == 0 ? 2 : 0
        let extended = number % 7 == 0
        var packet: [UInt8] = [0x80 | (extended ? 0x10 : 0) | UInt8(csrcCount), 0x08, UInt8(sequence >> 8),
                               UInt8(sequence & 0xFF)]
        packet += withUnsafeBytes(of: UInt32(number &* 160).bigEndian, Array.init)
        packet += withUnsafeBytes(of: ssrc.bigEndian, Array.init)
        for csrc in 0..<csrcCount { packet += withUnsafeBytes(of: UInt32(0xC000 + csrc).bigEndian, Array.init) }
        if extended { packet += [0xBE, 0xDE, 0x00, 0x01, 0x10, 0xAA, 0x00, 0x00] }
        packet += (0..<(number &* 37) % 300).map { UInt8(truncatingIfNeeded: $0 &+ number) }
        return packet
    }

    static let packetCount = 1_400

    @Test(arguments: variants)
    func oursMatchesAndLibraryReadsIt(variant: Variant) throws {
        let ours = try variant.ours(.outbound)
        let theirs = try variant.library(.outbound)
        let reader = try variant.library(.inbound)
        for number in 0..<Self.packetCount {
            let plain = Self.rtp(number)
            let protected = PacketBuffer(plain)
            try protected.protectRTP(ours)
            let reference = PacketBuffer(plain)
            try reference.protectRTP(theirs)
            try #require(protected.bytes == reference.bytes, "RTP packet \(number)")
            try protected.unprotectRTP(reader)
            try #require(protected.bytes == plain)

            guard number % 10 == 0 else { continue }
            let report = TestPackets.rtcp(ssrc: number % 20 == 0 ? 0x1111_1111 : 0x2222_2222)
            let srtcp = PacketBuffer(report)
            try srtcp.protectRTCP(ours)
            let referenceRTCP = PacketBuffer(report)
            try referenceRTCP.protectRTCP(theirs)
            try #require(srtcp.bytes == referenceRTCP.bytes, "RTCP after packet \(number)")
            if variant.libraryUnprotectsRTCP {
                try srtcp.unprotectRTCP(reader)
                try #require(srtcp.bytes == report)
            }
        }
        for ssrc: UInt32 in [0x1111_1111, 0x2222_2222] {
            #expect(ours.rolloverCounter(ssrc: ssrc) == 1)
            #expect(reader.rolloverCounter(ssrc: ssrc) == 1)
        }
    }

    @Test(arguments: variants)
    func oursReadsTheLibrary(variant: Variant) throws {
        let theirs = try variant.library(.outbound)
        let ours = try variant.ours(.inbound)
        var replays: [PacketBuffer] = []
        for number in 0..<Self.packetCount {
            let plain = Self.rtp(number)
            let packet = PacketBuffer(plain)
            try packet.protectRTP(theirs)
            if number % 97 == 0 { replays.append(PacketBuffer(packet.bytes)) }
            try packet.unprotectRTP(ours)
            try #require(packet.bytes == plain, "RTP packet \(number)")

            guard number % 10 == 0 else { continue }
            let report = TestPackets.rtcp(ssrc: 0x2222_2222)
            let srtcp = PacketBuffer(report)
            try srtcp.protectRTCP(theirs)
            let replay = PacketBuffer(srtcp.bytes)
            try srtcp.unprotectRTCP(ours)
            try #require(srtcp.bytes == report, "RTCP after packet \(number)")
            #expect(throws: SRTPPacketError.replayed) { try replay.unprotectRTCP(ours) }
        }
        #expect(ours.rolloverCounter(ssrc: 0x1111_1111) == 1)
        // Old packets replayed: the recent ones are seen, the others older than the window.
        for replay in replays {
            let error = #expect(throws: SRTPPacketError.self) { try replay.unprotectRTP(ours) }
            #expect(error == .replayed || error == .replayTooOld)
        }
    }

    /// Late and reordered packets around the wrap: the index estimate must pick the rollover
    /// counter each was sent under, as libsrtp2's sender did.
    @Test(arguments: [SRTPCryptoSuite.aesCM128HMACSHA1_80, .aeadAES256GCM])
    func reorderingAcrossTheWrap(suite: SRTPCryptoSuite) throws {
        let key = TestPackets.key(suite, seed: 3)
        let theirs = try SRTPLibrarySession(suite: suite, key: key, direction: .outbound)
        let ours = try SRTPContext(suite: suite, key: key, direction: .inbound)
        let sequences = (65_500...65_535).map { UInt16($0) } + (0...40).map { UInt16($0) }
        var packets = try sequences.map { sequence in
            let packet = PacketBuffer(TestPackets.rtp(sequence: sequence))
            try packet.protectRTP(theirs)
            return (sequence, packet)
        }
        // Swap neighbours pairwise, and deliver the packet before the wrap after the one after.
        for index in stride(from: 0, to: packets.count - 1, by: 2) { packets.swapAt(index, index + 1) }
        for (sequence, packet) in packets {
            try packet.unprotectRTP(ours)
            #expect(packet.bytes == TestPackets.rtp(sequence: sequence))
        }
        #expect(ours.rolloverCounter(ssrc: 0xCAFE_BABE) == 1)
    }
}
