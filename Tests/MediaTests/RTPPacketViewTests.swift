import Testing
import Media

@Suite("RTPPacketView")
struct RTPPacketViewTests {
    @Test("a valid RTP packet exposes its header fields")
    func validRTP() {
        let bytes = RTPTestPacket.rtp(sequence: 0xBEEF, timestamp: 0x0102_0304, ssrc: 0xA1B2_C3D4,
                                      payloadType: 8, marker: true)
        bytes.withUnsafeBytes { raw in
            guard let view = RTPPacketView(raw) else {
                Issue.record("valid RTP rejected")
                return
            }
            #expect(view.kind == .rtp)
            #expect(!view.isRTCP)
            #expect(view.sequenceNumber == 0xBEEF)
            #expect(view.timestamp == 0x0102_0304)
            #expect(view.ssrc == 0xA1B2_C3D4)
            #expect(view.payloadType == 8)
            #expect(view.marker)
        }
    }

    @Test("too short, wrong version and truncated CSRC lists are invalid")
    func invalid() {
        let cases: [[UInt8]] = [
            [],
            [0x80, 0x00, 0x00],
            Array(RTPTestPacket.rtp(sequence: 1, payload: 0).prefix(11)),  // 11-byte RTP
            [0x40] + RTPTestPacket.rtp(sequence: 1).dropFirst(),           // version 1
            [0x00] + RTPTestPacket.rtp(sequence: 1).dropFirst(),           // version 0 (e.g. STUN)
            Array(RTPTestPacket.rtp(sequence: 1, csrcCount: 2, payload: 0).prefix(19)),  // needs 20
        ]
        for bytes in cases {
            bytes.withUnsafeBytes { raw in
                #expect(RTPPacketView(raw) == nil, "accepted \(bytes)")
            }
        }
        RTPTestPacket.rtp(sequence: 1, csrcCount: 2, payload: 0).withUnsafeBytes { raw in
            #expect(RTPPacketView(raw)?.kind == .rtp)
        }
    }

    @Test("RFC 5761 demux: second byte 192...223 is RTCP, its neighbours are RTP")
    func demux() {
        let rr = RTPTestPacket.rtcpReceiverReport(ssrc: 0x0BAD_CAFE)
        rr.withUnsafeBytes { raw in
            let view = RTPPacketView(raw)
            #expect(view?.kind == .rtcp)
            #expect(view?.rtcpPacketType == 201)
            #expect(view?.ssrc == 0x0BAD_CAFE)
        }
        for (second, kind) in [(UInt8(191), RTPPacketView.Kind.rtp), (192, .rtcp), (200, .rtcp), (223, .rtcp), (224, .rtp)] {
            var bytes = RTPTestPacket.rtp(sequence: 7)
            bytes[1] = second
            bytes.withUnsafeBytes { raw in
                #expect(RTPPacketView(raw)?.kind == kind, "second byte \(second)")
            }
        }
        // An 8-byte RTCP packet is valid, an 8-byte "RTP" packet is not.
        var shortRTP = rr
        shortRTP[1] = 0
        shortRTP.withUnsafeBytes { raw in
            #expect(RTPPacketView(raw) == nil)
        }
    }
}
