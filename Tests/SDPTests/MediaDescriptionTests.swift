import SDP
import Testing

@Suite struct MediaDescriptionTests {
    @Test func attributeLookupDistinguishesFlagsFromAbsence() throws {
        let audio = try SDPFixtures.parse(SDPFixtures.webRTC).media[0]
        #expect(audio.attribute("rtcp-mux") == .some(nil))
        #expect(audio.attribute("RTCP-MUX") == .some(nil), "names compare ignoring ASCII case")
        #expect(audio.attribute("mid") == .some("0"))
        #expect(audio.attribute("rtpmap") == .some("111 opus/48000/2"), "the first of several")
        #expect(audio.attribute("rtcp-m") == nil, "a prefix of a name is not the name")
        #expect(audio.attribute("crypto") == nil)
    }

    @Test func setAttributeReplacesInPlaceOrAppends() throws {
        var audio = try SDPFixtures.parse(SDPFixtures.carrierAudioVideo).media[0]
        audio.setAttribute("ptime", "30")
        audio.setAttribute("maxptime", "60")
        #expect(audio.lines.map(\.value) == [
            "fmtp:18 annexb=no", "rtpmap:101 telephone-event/8000", "fmtp:101 0-16", "ptime:30", "maxptime:60",
        ])
        audio.removeAttributes(named: "fmtp")
        audio.removeAttributes { $0.name == "ptime" || $0.value == "60" }
        #expect(audio.lines == [SDPLine(type: "a", value: "rtpmap:101 telephone-event/8000")])
    }

    @Test func directionFallsBackToSessionThenSendrecv() throws {
        var sdp = try SDPFixtures.parse(SDPFixtures.sipp)
        #expect(sdp.media[0].direction(session: sdp) == .sendrecv)
        sdp.setAttribute("recvonly", nil)
        #expect(sdp.media[0].direction(session: sdp) == .recvonly)
        #expect(sdp.media[0].mediaLevelDirection == nil)
        sdp.media[0].setDirection(.inactive)
        #expect(sdp.media[0].direction(session: sdp) == .inactive)
        #expect(sdp.sessionDirection == .recvonly, "the session-level attribute is left alone")
    }

    @Test func setDirectionReplacesTheFirstAndDropsOthers() throws {
        var audio = try SDPFixtures.parse(SDPFixtures.hold).media[0]
        audio.lines.insert(SDPLine(type: "a", value: "sendrecv"), at: 0)
        audio.setDirection(.recvonly)
        #expect(audio.lines.map(\.value) == ["recvonly", "rtpmap:8 PCMA/8000", "rtpmap:101 telephone-event/8000", "fmtp:101 0-15"])
        var plain = try SDPFixtures.parse(SDPFixtures.sipp).media[0]
        plain.setDirection(.sendonly)
        #expect(plain.lines.last == SDPLine(type: "a", value: "sendonly"))
    }

    @Test func rtcpAttribute() throws {
        var audio = try SDPFixtures.parse(SDPFixtures.sipp).media[0]
        #expect(audio.rtcp == nil)
        audio.rtcp = SDPRTCPAttribute(port: 6001, connection: SDPConnection(addressType: "IP6", address: "2001:db8::9"))
        #expect(audio.lines.last == SDPLine(type: "a", value: "rtcp:6001 IN IP6 2001:db8::9"))
        audio.rtcp = SDPRTCPAttribute(port: 7001)
        #expect(audio.attribute("rtcp") == .some("7001"))
        audio.rtcp = nil
        #expect(audio.attribute("rtcp") == nil)
        #expect(SDPRTCPAttribute(value: "53020 IN IP4 126.16.64.4")?.connection?.address == "126.16.64.4")
        #expect(SDPRTCPAttribute(value: "70000") == nil)
        #expect(SDPRTCPAttribute(value: "5000 IN IP4") == nil)
    }

    @Test func rtcpMuxFlag() throws {
        var audio = try SDPFixtures.parse(SDPFixtures.sipp).media[0]
        #expect(!audio.rtcpMux)
        audio.rtcpMux = true
        audio.rtcpMux = true
        #expect(audio.attributes.filter { $0.name == "rtcp-mux" }.count == 1)
        audio.rtcpMux = false
        #expect(!audio.rtcpMux)
    }

    @Test(arguments: [
        ("RTP/AVP", 4000, true), ("RTP/SAVP", 4000, true), ("RTP/AVPF", 4000, true), ("RTP/SAVPF", 4000, true),
        ("UDP/TLS/RTP/SAVPF", 4000, true), ("udptl", 4000, true), ("UDPTL", 4000, true), ("UDP", 4000, true),
        ("RTP/AVP", 0, false), ("TCP/RTP/AVP", 4000, false), ("TCP/MSRP", 4000, false), ("TCP/TLS/BFCP", 4000, false),
        ("UDP/BFCP", 4000, false),
    ])
    func relayableStreams(proto: String, port: Int, expected: Bool) {
        let media = MediaDescription(type: "audio", port: port, proto: proto, formats: ["0"])
        #expect(media.isRelayable == expected)
    }

    @Test func effectiveConnectionPrefersMediaLevel() throws {
        var sdp = try SDPFixtures.parse(SDPFixtures.sipp)
        #expect(sdp.media[0].effectiveConnection(session: sdp)?.address == "127.0.1.1")
        sdp.media[0].connection = SDPConnection(addressType: "IP4", address: "192.0.2.9")
        #expect(sdp.media[0].effectiveConnection(session: sdp)?.address == "192.0.2.9")
    }

    @Test func codecsFromRtpmapAndStaticTable() throws {
        let audio = try SDPFixtures.parse(SDPFixtures.linphoneICE).media[0]
        #expect(audio.codec(forPayloadType: "96") == SDPCodec(name: "opus", clockRate: 48000, channels: 2))
        #expect(audio.codec(forPayloadType: "97") == SDPCodec(name: "speex", clockRate: 16000))
        #expect(audio.codec(forPayloadType: "0") == SDPCodec(name: "PCMU", clockRate: 8000))
        #expect(audio.codec(forPayloadType: "8") == SDPCodec(name: "PCMA", clockRate: 8000))
        #expect(audio.codec(forPayloadType: "18") == SDPCodec(name: "G729", clockRate: 8000))
        #expect(audio.codec(forPayloadType: "101") == SDPCodec(name: "telephone-event", clockRate: 8000))
        #expect(audio.codec(forPayloadType: "120") == nil)
        #expect(audio.codecs.count == 6)
        #expect(audio.codecs["18"]?.name == "G729")
    }

    @Test func explicitRtpmapOverridesTheStaticTableAndMalformedFallsBack() {
        let media = MediaDescription(type: "audio", port: 4000, proto: "RTP/AVP", formats: ["9", "0", "3"], lines: [
            SDPLine(type: "a", value: "rtpmap:9 G722/16000"),
            SDPLine(type: "a", value: "rtpmap:0 garbage"),
        ])
        #expect(media.codec(forPayloadType: "9") == SDPCodec(name: "G722", clockRate: 16000))
        #expect(media.codec(forPayloadType: "0") == SDPCodec(name: "PCMU", clockRate: 8000))
        #expect(media.codecs["0"] == SDPCodec(name: "PCMU", clockRate: 8000))
        #expect(media.codec(forPayloadType: "3") == SDPCodec(name: "GSM", clockRate: 8000))
        let fax = MediaDescription(type: "image", port: 4000, proto: "udptl", formats: ["0"])
        #expect(fax.codec(forPayloadType: "0") == nil, "the static table is for RTP payload types only")
    }

    @Test func staticPayloadTypeTable() {
        #expect(SDPCodec.staticPayloadType(9) == SDPCodec(name: "G722", clockRate: 8000))
        #expect(SDPCodec.staticPayloadType(13) == SDPCodec(name: "CN", clockRate: 8000))
        #expect(SDPCodec.staticPayloadType(10) == SDPCodec(name: "L16", clockRate: 44100, channels: 2))
        #expect(SDPCodec.staticPayloadType(34) == SDPCodec(name: "H263", clockRate: 90000))
        #expect(SDPCodec.staticPayloadType(1) == nil)
        #expect(SDPCodec.staticPayloadType(96) == nil)
        #expect(SDPCodec(encoding: "opus/48000/2")?.encoding == "opus/48000/2")
        #expect(SDPCodec(encoding: "PCMU") == nil)
        #expect(SDPCodec(encoding: "/8000") == nil)
    }

    @Test func mediaLineValue() {
        let media = MediaDescription(type: "audio", port: 49170, portCount: 2, proto: "RTP/AVP", formats: ["0", "8"])
        #expect(media.mediaLineValue == "audio 49170/2 RTP/AVP 0 8")
        #expect(MediaDescription(type: "video", port: 0, proto: "RTP/AVP", formats: []).mediaLineValue == "video 0 RTP/AVP")
    }
}
