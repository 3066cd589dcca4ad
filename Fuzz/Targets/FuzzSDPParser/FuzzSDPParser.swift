import SDP

/// libFuzzer entry point: an SDP body as it arrives in an INVITE, 183 or 200 from any peer.
///
/// Beyond "no crash", it checks the promise `SessionDescription` documents: a parsed body
/// serialises to canonical text that parses back to an equal value, and that text is a fixed
/// point of serialisation. Every accessor the B2BUA and the media layer read is touched, since
/// they parse attribute values (rtpmap, fmtp, crypto, rtcp, ptime) lazily.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzSDPParser(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    guard let description = try? SessionDescription(parsing: bytes) else { return 0 }
    _ = description.description
    _ = description.sessionDirection
    for media in description.media {
        _ = media.mediaLineValue
        _ = media.direction(session: description)
        _ = media.rtcpMux
        _ = media.rtcp
        _ = media.isRelayable
        _ = media.isRTP
        _ = media.effectiveConnection(session: description)
        _ = media.codecs
        _ = media.formats.map { media.codec(forPayloadType: $0) }
        _ = media.telephoneEvent
        _ = media.packetTime
        _ = media.securityProfile
        for case .success(let crypto) in media.cryptoAttributes {
            _ = crypto.windowSizeHint
            _ = crypto.description
            _ = try? crypto.checkTerminable(allowsUnencryptedSRTCP: false)
        }
    }
    let text = description.serialized()
    let reparsed: SessionDescription
    do {
        reparsed = try SessionDescription(parsing: text)
    } catch {
        fatalError("serialised SDP does not parse again (\(error)):\n\(String(decoding: text, as: UTF8.self))")
    }
    guard reparsed == description else {
        fatalError("SDP changed in a round trip:\n\(String(decoding: text, as: UTF8.self))")
    }
    guard reparsed.serialized() == text else {
        fatalError("SDP serialisation is not a fixed point:\n\(String(decoding: text, as: UTF8.self))")
    }
    return 0
}
