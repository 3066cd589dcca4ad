import SDP
import Testing

@Suite struct SessionDescriptionTests {
    @Test(arguments: SDPFixtures.all.map(\.0))
    func fixturesRoundTrip(name: String) throws {
        let text = try #require(SDPFixtures.all.first { $0.0 == name }).1
        let sdp = try SDPFixtures.parse(text)
        #expect(try SessionDescription(parsing: sdp.serialized()) == sdp)
        // Every fixture is already canonical, so output equals input byte for byte.
        #expect(SDPFixtures.text(sdp) == SDPFixtures.crlf(text))
    }

    @Test func sippBody() throws {
        let sdp = try SDPFixtures.parse(SDPFixtures.sipp)
        #expect(sdp.origin == SDPOrigin(username: "user1", sessionID: "53655765", sessionVersion: 2_353_687_637,
                                        addressType: "IP4", address: "127.0.1.1"))
        #expect(sdp.connection == SDPConnection(addressType: "IP4", address: "127.0.1.1"))
        #expect(sdp.sessionLines == [SDPLine(type: "s", value: "-"), SDPLine(type: "t", value: "0 0")])
        let audio = try #require(sdp.media.first)
        #expect(audio.type == "audio")
        #expect(audio.port == 6000)
        #expect(audio.portCount == nil)
        #expect(audio.proto == "RTP/AVP")
        #expect(audio.formats == ["0"])
        #expect(audio.attributes == [SDPAttribute(name: "rtpmap", value: "0 PCMU/8000")])
    }

    @Test func iceBodyKeepsEveryLineInOrder() throws {
        let sdp = try SDPFixtures.parse(SDPFixtures.linphoneICE)
        #expect(sdp.attribute("ice-ufrag") == .some("70e1b8b3"))
        #expect(sdp.sessionLines.map(\.type) == ["s", "t", "a", "a", "a"])
        let audio = sdp.media[0]
        #expect(audio.lines.count == 13)
        #expect(audio.attributes.filter { $0.name == "candidate" }.count == 4)
        #expect(audio.rtcp == SDPRTCPAttribute(port: 7079))
        #expect(audio.connection == nil)
        #expect(audio.effectiveConnection(session: sdp)?.address == "203.0.113.7")
    }

    @Test func webRTCBody() throws {
        let sdp = try SDPFixtures.parse(SDPFixtures.webRTC)
        #expect(sdp.connection == nil)
        let audio = sdp.media[0]
        #expect(audio.proto == "UDP/TLS/RTP/SAVPF")
        #expect(audio.connection?.address == "198.51.100.10")
        #expect(audio.rtcpMux)
        #expect(audio.rtcp == SDPRTCPAttribute(port: 9, connection: SDPConnection(addressType: "IP4", address: "0.0.0.0")))
        #expect(audio.attribute("end-of-candidates") == .some(nil))
        #expect(audio.isRelayable)
    }

    @Test func t38AndHoldBodies() throws {
        let fax = try SDPFixtures.parse(SDPFixtures.t38)
        #expect(fax.media[0].type == "image")
        #expect(fax.media[0].proto == "udptl")
        #expect(fax.media[0].formats == ["t38"])
        #expect(fax.media[0].attribute("T38FaxMaxDatagram") == .some("320"))
        #expect(fax.media[0].isRelayable)

        let hold = try SDPFixtures.parse(SDPFixtures.hold)
        #expect(hold.connection?.address == "0.0.0.0")
        #expect(hold.media[0].direction(session: hold) == .sendonly)
    }

    @Test func bareLFAndTrailingBlankLinesAreAccepted() throws {
        let lf = try SessionDescription(parsing: Array((SDPFixtures.sipp + "\n \n\n").utf8))
        #expect(lf == (try SDPFixtures.parse(SDPFixtures.sipp)))
        let noFinalNewline = try SessionDescription(parsing: Array(SDPFixtures.sipp.dropLast().utf8))
        #expect(noFinalNewline == lf)
    }

    @Test func missingSessionNameAndTimingAreTolerated() throws {
        let sdp = try SessionDescription(parsing: Array("v=0\no=- 1 1 IN IP4 192.0.2.1\nm=audio 4000 RTP/AVP 0\n".utf8))
        #expect(sdp.sessionLines.isEmpty)
        #expect(sdp.media.count == 1)
    }

    @Test func trailingSpaceOfLastLineSurvives() throws {
        let sdp = try SessionDescription(parsing: Array("v=0\r\no=- 1 1 IN IP4 192.0.2.1\r\ns= \r\n".utf8))
        #expect(sdp.sessionLines == [SDPLine(type: "s", value: " ")])
    }

    @Test func connectionIsPlacedInRFCOrder() throws {
        // c= after t= and a= lines in the input; canonical output puts it before b=/t=.
        let input = """
        v=0
        o=- 7 7 IN IP6 2001:db8::1
        s=-
        i=call
        t=0 0
        a=tool:x
        c=IN IP6 2001:db8::1
        m=audio 5004/2 RTP/AVP 0
        a=ptime:20
        b=AS:64
        c=IN IP4 224.2.1.1/127/3
        i=media title

        """
        let sdp = try SDPFixtures.parse(input)
        #expect(sdp.media[0].portCount == 2)
        #expect(sdp.media[0].connection == SDPConnection(addressType: "IP4", address: "224.2.1.1", multicastSuffix: "/127/3"))
        #expect(SDPFixtures.text(sdp) == SDPFixtures.crlf("""
        v=0
        o=- 7 7 IN IP6 2001:db8::1
        s=-
        i=call
        c=IN IP6 2001:db8::1
        t=0 0
        a=tool:x
        m=audio 5004/2 RTP/AVP 0
        c=IN IP4 224.2.1.1/127/3
        a=ptime:20
        b=AS:64
        i=media title

        """))
        #expect(try SessionDescription(parsing: sdp.serialized()) == sdp)
    }

    @Test func unknownLinesSurviveByteForByte() throws {
        let input = """
        v=0
        o=- 1 1 IN IP4 192.0.2.1
        s=Ünïcødé session
        x=vendor extension : with  two spaces
        t=0 0
        a=X-Custom:Some Value;with=params
        m=application 9 UDP/BFCP *
        y=
        a=floorctrl:c-s

        """
        let sdp = try SDPFixtures.parse(input)
        #expect(SDPFixtures.text(sdp) == SDPFixtures.crlf(input))
        #expect(sdp.sessionLines[1] == SDPLine(type: "x", value: "vendor extension : with  two spaces"))
        #expect(sdp.media[0].lines[0] == SDPLine(type: "y", value: ""))
    }

    @Test func fieldsSeparatedByRunsOfSpacesAreCanonicalised() throws {
        let sdp = try SessionDescription(parsing: Array("v=0\no=-  1 1 IN IP4 192.0.2.1\nc=IN  IP4 192.0.2.1\nm=audio  4000 RTP/AVP  0 8\n".utf8))
        #expect(SDPFixtures.text(sdp) == SDPFixtures.crlf("""
        v=0
        o=- 1 1 IN IP4 192.0.2.1
        c=IN IP4 192.0.2.1
        m=audio 4000 RTP/AVP 0 8

        """))
    }

    @Test func builtInCode() {
        var sdp = SessionDescription(
            origin: SDPOrigin(username: "-", sessionID: "1", sessionVersion: 1, addressType: "IP4", address: "192.0.2.1"),
            connection: SDPConnection(addressType: "IP4", address: "192.0.2.1"),
            sessionLines: [SDPLine(type: "s", value: "-"), SDPLine(type: "t", value: "0 0")],
            media: [MediaDescription(type: "audio", port: 4000, proto: "RTP/AVP", formats: ["8"])]
        )
        sdp.setAttribute("group", "BUNDLE 0")
        sdp.media[0].setAttribute("rtpmap", "8 PCMA/8000")
        #expect(sdp.description == SDPFixtures.crlf("""
        v=0
        o=- 1 1 IN IP4 192.0.2.1
        s=-
        c=IN IP4 192.0.2.1
        t=0 0
        a=group:BUNDLE 0
        m=audio 4000 RTP/AVP 8
        a=rtpmap:8 PCMA/8000

        """))
    }

    @Test func sessionLevelAttributeHelpers() throws {
        var sdp = try SDPFixtures.parse(SDPFixtures.linphoneICE)
        sdp.removeAttributes(named: "ICE-PWD")
        #expect(sdp.attribute("ice-pwd") == nil)
        sdp.removeAttributes { $0.name.hasPrefix("rtcp") }
        #expect(sdp.attributes == [SDPAttribute(name: "ice-ufrag", value: "70e1b8b3")])
        #expect(sdp.sessionDirection == nil)
    }

    @Test func equalityIgnoringOrigin() throws {
        let a = try SDPFixtures.parse(SDPFixtures.sipp)
        var b = a
        b.origin.sessionVersion += 1
        #expect(a != b)
        #expect(a.equalsIgnoringOrigin(b))
        b.media[0].port = 6002
        #expect(!a.equalsIgnoringOrigin(b))
    }

    @Test(arguments: [
        ("application/sdp", true), ("Application/SDP", true), (" application/sdp ; charset=utf-8", true),
        ("application/sdp;version=2", true), ("multipart/mixed;boundary=x", false), ("application/sdpx", false),
        ("text/plain", false), ("", false),
    ])
    func contentTypeDetection(contentType: String, expected: Bool) {
        #expect(SessionDescription.looksLikeSDP(contentType: contentType) == expected)
    }

    @Test func noContentTypeIsNotSDP() {
        #expect(!SessionDescription.looksLikeSDP(contentType: nil))
    }

    @Test func rejectingAnOfferDeclinesEveryStreamAndCarriesNothingElse() throws {
        let offer = try SDPFixtures.parse(SDPFixtures.webRTC)
        let answer = SessionDescription.rejecting(offer)
        #expect(answer.origin == offer.origin, "o= is the caller's to stamp")
        #expect(answer.connection == SDPConnection(addressType: "IP4", address: "0.0.0.0"))
        #expect(answer.sessionLines == [SDPLine(type: "s", value: "-"), SDPLine(type: "t", value: "0 0")],
                "no BUNDLE or msid-semantic of the offer comes back")
        let audio = try #require(answer.media.first)
        #expect(answer.media.count == 1 && audio.port == 0 && audio.connection == nil)
        #expect(audio.type == "audio" && audio.proto == "UDP/TLS/RTP/SAVPF" && audio.formats == offer.media[0].formats)
        #expect(audio.lines.isEmpty, "no fingerprint, setup, candidate or rtpmap of the offer comes back")
        #expect(try SessionDescription(parsing: answer.serialized()) == answer)
        let v6 = try SDPFixtures.parse("v=0\no=- 1 1 IN IP6 ::1\ns=-\nt=0 0\nm=audio 4000 RTP/AVP 0\nc=IN IP6 ::1\n")
        #expect(SessionDescription.rejecting(v6).connection == SDPConnection(addressType: "IP6", address: "::"))
    }
}
