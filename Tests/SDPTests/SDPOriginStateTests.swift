import SDP
import Testing

@Suite struct SDPOriginStateTests {
    private func state() -> SDPOriginState {
        SDPOriginState(sessionID: 424242, address: "10.0.0.1", addressType: "IP4")
    }

    @Test func firstStampWritesOurOriginAtTheInitialVersion() throws {
        var origin = state()
        var sdp = try SDPFixtures.parse(SDPFixtures.sipp)
        origin.stamp(&sdp)
        #expect(sdp.origin == SDPOrigin(username: "SwiftSBC", sessionID: "424242", sessionVersion: 1,
                                        addressType: "IP4", address: "10.0.0.1"))
        #expect(SDPFixtures.text(sdp).hasPrefix("v=0\r\no=SwiftSBC 424242 1 IN IP4 10.0.0.1\r\ns=-\r\n"))
    }

    @Test func unchangedBodyKeepsTheVersionEvenWhenThePeersOriginMoved() throws {
        var origin = state()
        var first = try SDPFixtures.parse(SDPFixtures.sipp)
        origin.stamp(&first)
        var resent = try SDPFixtures.parse(SDPFixtures.sipp)
        resent.origin.sessionVersion += 5
        resent.origin.address = "192.0.2.99"
        origin.stamp(&resent)
        #expect(resent.origin.sessionVersion == 1)
        #expect(resent == first)
    }

    @Test func changedBodyBumpsTheVersionByExactlyOne() throws {
        var origin = state()
        var sdp = try SDPFixtures.parse(SDPFixtures.sipp)
        origin.stamp(&sdp)
        sdp.media[0].setDirection(.sendonly)
        origin.stamp(&sdp)
        #expect(sdp.origin.sessionVersion == 2)
        origin.stamp(&sdp)
        #expect(sdp.origin.sessionVersion == 2, "resending the changed body keeps its version")
        sdp.media[0].setDirection(.sendrecv)
        origin.stamp(&sdp)
        #expect(sdp.origin.sessionVersion == 3, "going back to an earlier body is still a change")
        #expect(origin.sessionVersion == 3)
    }

    @Test func customUsernameAndInitialVersion() throws {
        var origin = SDPOriginState(username: "-", sessionID: 7, address: "2001:db8::1", addressType: "IP6", initialVersion: 1000)
        var sdp = try SDPFixtures.parse(SDPFixtures.hold)
        origin.stamp(&sdp)
        #expect(sdp.origin.value == "- 7 1000 IN IP6 2001:db8::1")
        sdp.connection?.address = "10.0.0.2"
        origin.stamp(&sdp)
        #expect(sdp.origin.value == "- 7 1001 IN IP6 2001:db8::1")
    }
}
