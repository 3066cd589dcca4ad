import SDP

/// libFuzzer entry point: the B2BUA's offer/answer rewriting, sans-IO, on any parsable body.
///
/// The path of an offer through the SBC: codec policy, SDES answer and a fresh SDES offer for the
/// other leg (with a seeded generator, so that crashes reproduce), telephone-event handling,
/// relay rewriting (the first input byte picks which streams are relayed, and whether RTCP gets
/// its own port), identity stripping and the leg's o= stamp; also the rejecting answer and the
/// offer/answer negotiator. What the SBC would send must parse again, name only the relay's
/// addresses and ports for relayed streams, and carry no ICE candidates.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzSDPRewriter(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    guard size > 0 else { return 0 }
    let choice = data[0]
    let bytes = Array(UnsafeBufferPointer(start: data + 1, count: size - 1))
    guard let offer = try? SessionDescription(parsing: bytes) else { return 0 }

    var random = SeededGenerator(seed: UInt64(choice))
    var description = offer
    _ = CodecPolicy(allowed: ["PCMU", "PCMA", "G722", "telephone-event"]).apply(to: &description)
    let sdes = SDESSettings(policy: choice & 0x10 == 0 ? .optional : .required)
    for index in description.media.indices {
        if let answer = try? sdes.answer(offer: description.media[index], using: &random) {
            var answered = description.media[index]
            answer.apply(to: &answered)
        }
        let offered = sdes.offer(proto: description.media[index].proto, using: &random)
        offered.apply(to: &description.media[index])
        if choice & 0x20 == 0 {
            _ = description.media[index].addTelephoneEvent()
        } else {
            _ = description.media[index].removeTelephoneEvent()
        }
    }

    let endpoints: [SDPRelayEndpoint?] = description.media.indices.map { index in
        guard (choice >> (index % 4)) & 1 == 0 else { return nil }
        let port = 20_000 + 2 * index
        return SDPRelayEndpoint(address: "192.0.2.10", addressType: "IP4", rtpPort: port,
                                rtcpPort: choice & 0x40 == 0 ? nil : port + 1)
    }
    SDPRelayRewriter.rewrite(&description, endpoints: endpoints)
    SDPRelayRewriter.stripIdentity(&description)
    var origin = SDPOriginState(sessionID: 42, address: "192.0.2.10", addressType: "IP4")
    origin.stamp(&description)

    let sent = description.serialized()
    let reparsed: SessionDescription
    do {
        reparsed = try SessionDescription(parsing: sent)
    } catch {
        fatalError("rewritten SDP does not parse again (\(error)):\n\(String(decoding: sent, as: UTF8.self))")
    }
    for (index, media) in reparsed.media.enumerated() {
        guard let endpoint = endpoints[index] else {
            guard media.port == 0 else { fatalError("stream \(index) not relayed but its port is \(media.port)") }
            continue
        }
        guard media.port == endpoint.rtpPort,
              media.effectiveConnection(session: reparsed)?.address == endpoint.address
        else { fatalError("stream \(index) does not name the relay:\n\(String(decoding: sent, as: UTF8.self))") }
        guard !media.lines.contains(where: { $0.type == "a" && $0.value.prefix { $0 != ":" } == "candidate" }) else {
            fatalError("ICE candidate left in stream \(index)")
        }
    }

    _ = SessionDescription.rejecting(offer).serialized()
    var negotiator = OfferAnswerNegotiator()
    negotiator.receivedOffer(offer)
    negotiator.sentAnswer(reparsed)
    _ = negotiator.negotiated
    _ = reparsed.changesFormats(from: offer)
    return 0
}

/// A seeded generator (Knuth's MMIX LCG): SDES keys are random, and a crash must reproduce from
/// its input. Key quality does not matter here.
private struct SeededGenerator: RandomNumberGenerator {
    var state: UInt64

    init(seed: UInt64) { state = seed }

    mutating func next() -> UInt64 {
        state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
        return state
    }
}
