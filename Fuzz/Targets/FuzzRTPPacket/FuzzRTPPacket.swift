import Media
import SDP
import SRTP

/// libFuzzer entry point: one datagram arriving at a media relay port.
///
/// The relay's view of it (`RTPPacketView`, RTP payload and telephone-event payload), then SRTP:
/// the datagram is unprotected as SRTP and as SRTCP with a fixed key (the paths a forged or
/// corrupted packet takes: length, MKI, replay and tag checks), and, when the view calls it RTP
/// or RTCP, protected by a sender and unprotected by a receiver sharing the key, which must give
/// the original bytes back. The first input byte picks the suite and whether an MKI is used.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzRTPPacket(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    guard size > 0 else { return 0 }
    let choice = Int(data[0])
    let packet = Array(UnsafeBufferPointer(start: data + 1, count: size - 1))

    let view = packet.withUnsafeBytes { bytes in
        RTPPacketView(bytes).map { view in
            _ = (view.payloadType, view.marker, view.sequenceNumber, view.timestamp, view.ssrc, view.rtcpPacketType)
            if let payload = TelephoneEventPayload.payload(ofRTP: bytes) {
                _ = TelephoneEventPayload(payload: payload)
            }
            return view.kind
        }
    }

    let suites = SRTPCryptoSuite.allCases
    let suite = suites[choice % suites.count]
    let mki = choice & 0x80 == 0 ? nil : SDPCryptoMKI(value: 1, length: 2)
    let key = SDPCryptoKeyParameter(keyAndSalt: (0..<suite.keyAndSaltLength).map { UInt8(truncatingIfNeeded: $0 &* 7) },
                                    mki: mki)
    guard let sender = try? SRTPContext(suite: suite, key: key, direction: .outbound),
          let receiver = try? SRTPContext(suite: suite, key: key, direction: .inbound)
    else { fatalError("no SRTP context for \(suite)") }

    // Forged or corrupted SRTP/SRTCP: must be refused, never crash or read past the buffer.
    var forged = packet
    forged.withUnsafeMutableBytes { buffer in
        _ = try? receiver.unprotectRTP(buffer, length: buffer.count)
    }
    forged = packet
    forged.withUnsafeMutableBytes { buffer in
        _ = try? receiver.unprotectRTCP(buffer, length: buffer.count)
    }

    // A sender's packet must come back unchanged at the receiver.
    guard let kind = view else { return 0 }
    var buffer = packet + [UInt8](repeating: 0, count: SRTPContext.rtcpTailRoom)
    buffer.withUnsafeMutableBytes { buffer in
        let protected: Int
        do {
            protected = kind == .rtp ? try sender.protectRTP(buffer, length: packet.count)
                : try sender.protectRTCP(buffer, length: packet.count)
        } catch {
            return  // e.g. an RTP header extension longer than the packet
        }
        let length: Int
        do {
            length = kind == .rtp ? try receiver.unprotectRTP(buffer, length: protected)
                : try receiver.unprotectRTCP(buffer, length: protected)
        } catch {
            fatalError("\(suite): the receiver refused the sender's \(kind) packet: \(error)")
        }
        guard length == packet.count, packet.elementsEqual(buffer[0..<length]) else {
            fatalError("\(suite): \(kind) packet changed through protect and unprotect")
        }
    }
    return 0
}
