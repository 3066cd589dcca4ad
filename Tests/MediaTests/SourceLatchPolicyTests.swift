import Testing
import Media

/// What a latch remembers of what it refused, and a side's policy changing with its trunk
/// (`trunks[].latching`, carried per side in `MediaLegSpec.latching`).
@Suite("SourceLatch per side")
struct SourceLatchPolicyTests {
    let signalled = MediaEndpoint(ipv4: 0x7F00_000A, port: 4000)      // 127.0.0.10:4000, what the SDP names
    let natted = MediaEndpoint(ipv4: 0x7F00_0014, port: 40_012)       // 127.0.0.20:40012, where packets come from
    let stranger = MediaEndpoint(ipv4: 0xC633_6409, port: 4000)       // 198.51.100.9:4000

    @Test("the last refused source is kept, before and after latching")
    func lastRejected() {
        var latch = SourceLatch(policy: .signalledAddress, signalled: signalled)
        #expect(latch.lastRejected == nil)
        #expect(latch.admit(natted) == .rejected)
        #expect(latch.lastRejected == natted)
        #expect(latch.admit(signalled) == .latched)
        #expect(latch.lastRejected == natted, "accepted packets leave it alone")
        #expect(latch.admit(stranger) == .rejected)
        #expect(latch.lastRejected == stranger && latch.rejectedCount == 2)
        #expect(latch.lastRejected?.address == MediaAddress(host: "198.51.100.9", port: 4000))
    }

    @Test("reopening under another policy: a NATed party latches under any, the same party never under signalled")
    func reopenWithPolicy() {
        var latch = SourceLatch(policy: .signalledAddress, signalled: signalled)
        #expect(latch.admit(natted) == .rejected)
        latch.reopen(signalled: signalled, policy: .anySource)
        #expect(latch.policy == .anySource)
        #expect(latch.admit(natted) == .latched)
        #expect(latch.destination == natted, "media goes back to where it came from")
        latch.reopen(signalled: signalled)
        #expect(latch.policy == .anySource, "no policy given: the policy stays")
        latch.reopen(signalled: signalled, policy: .signalledAddress)
        #expect(latch.admit(natted) == .rejected)
        #expect(latch.destination == signalled)
    }

    @Test("the timeout's summary names the source, the count and what was expected")
    func unexpectedSummary() {
        let signalledOnly = UnexpectedMediaSource(packets: 142, source: natted.address, expected: signalled.address,
                                                  latched: false, policy: .signalledAddress)
        #expect(signalledOnly.summary == "142 packets arrived from 127.0.0.20:40012, not the signalled 127.0.0.10")
        let latched = UnexpectedMediaSource(packets: 1, source: stranger.address, expected: signalled.address,
                                            latched: true, policy: .anySource)
        #expect(latched.summary == "1 packet arrived from 198.51.100.9:4000, not the latched 127.0.0.10:4000")
        let nothing = UnexpectedMediaSource(packets: 3, source: natted.address, expected: nil, latched: false,
                                            policy: .signalledAddress)
        #expect(nothing.summary == "3 packets arrived from 127.0.0.20:40012, and nothing was signalled")
    }
}
