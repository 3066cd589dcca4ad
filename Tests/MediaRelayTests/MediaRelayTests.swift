import Glibc
import Testing
import Media
import MediaRelay
import SBCSystem

/// Real loopback sockets: parties on 127.0.60.2-4, a stranger on 127.0.60.9, the relay on
/// 127.0.60.1. Each test owns its block of ports in 46000-46999 (none shared) so tests can run in parallel.
@Suite("MediaRelay")
struct MediaRelayTests {
    @Test("packets flow both ways from the symmetric ports and are counted on both sides")
    func relaysBothWays() throws {
        let recorder = EventRecorder()
        let relay = try RelayTest.relay(recorder)
        defer { relay.stopAndJoin() }
        let a = try TestPeer(RelayTest.partyA, 46010)
        let b = try TestPeer(RelayTest.partyB, 46020)
        let id = MediaSessionID(1)
        relay.submit(.apply(RelayTest.spec(id: 1, base: 46000, a: a.media, b: b.media)), worker: 0)
        _ = RelayTest.waitCounters(relay) { $0.sessions == 1 }

        try RelayTest.sendRTP(from: a, to: 46000, count: 20)
        let atB = b.receive(count: 20)
        #expect(atB.count == 20)
        #expect(atB.allSatisfy { $0.source.description == "127.0.60.1:46002" })
        #expect(atB.map { $0.bytes } == (1...20).map { RelayTest.rtp(sequence: UInt16($0)) })

        try RelayTest.sendRTP(from: b, to: 46002, count: 15, ssrc: 0x3333)
        let atA = a.receive(count: 15)
        #expect(atA.count == 15)
        #expect(atA.allSatisfy { $0.source.description == "127.0.60.1:46000" })

        #expect(recorder.latched(id, side: .a) == a.media)
        #expect(recorder.latched(id, side: .b) == b.media)
        let counters = RelayTest.waitCounters(relay) { $0.packetsRelayed == 35 }
        #expect(counters.packetsRelayed == 35)
        #expect(counters.bytesRelayed == 35 * 172)

        relay.submit(.destroy(id), worker: 0)
        let stats = try #require(recorder.closed(id))
        #expect(stats.a.packetsReceived == 20)
        #expect(stats.a.packetsForwarded == 20)
        #expect(stats.a.bytesReceived == 20 * 172)
        #expect(stats.a.packetsDropped == 0)
        #expect(stats.a.packetsLost == 0)
        #expect(stats.a.latchedSource == a.media)
        #expect(stats.b.packetsReceived == 15)
        #expect(stats.b.packetsForwarded == 15)
        #expect(stats.b.latchedSource == b.media)
    }

    @Test("a stranger is dropped and counted before and after the party latches")
    func strangerDropped() throws {
        let recorder = EventRecorder()
        let relay = try RelayTest.relay(recorder)
        defer { relay.stopAndJoin() }
        let a = try TestPeer(RelayTest.partyA, 46110)
        let b = try TestPeer(RelayTest.partyB, 46120)
        let stranger = try TestPeer(RelayTest.stranger, 46110)
        let sameHostOtherPort = try TestPeer(RelayTest.partyA, 46112)
        let id = MediaSessionID(2)
        relay.submit(.apply(RelayTest.spec(id: 2, base: 46100, a: a.media, b: b.media)), worker: 0)
        _ = RelayTest.waitCounters(relay) { $0.sessions == 1 }

        try RelayTest.sendRTP(from: stranger, to: 46100, count: 5, firstSequence: 900)
        #expect(b.drain().isEmpty)
        try RelayTest.sendRTP(from: a, to: 46100, count: 5)
        #expect(b.receive(count: 5).count == 5)
        try RelayTest.sendRTP(from: stranger, to: 46100, count: 4, firstSequence: 950)
        try RelayTest.sendRTP(from: sameHostOtherPort, to: 46100, count: 3, firstSequence: 980)
        try RelayTest.sendRTP(from: a, to: 46100, count: 2, firstSequence: 6)
        let later = b.receive(count: 2)
        #expect(later.map { $0.bytes } == [RelayTest.rtp(sequence: 6), RelayTest.rtp(sequence: 7)])
        #expect(b.drain().isEmpty)
        // Towards A the relay never sends to where the stranger is.
        try RelayTest.sendRTP(from: b, to: 46102, count: 3)
        #expect(a.receive(count: 3).count == 3)
        #expect(stranger.drain().isEmpty)

        relay.submit(.destroy(id), worker: 0)
        let stats = try #require(recorder.closed(id))
        #expect(stats.a.packetsReceived == 19)
        #expect(stats.a.packetsForwarded == 7)
        #expect(stats.a.packetsDropped == 12)
        #expect(stats.a.latchedSource == a.media)
        #expect(recorder.count { if case .latched = $0 { return true } else { return false } } == 2)
    }

    @Test("anySource policy: the first sender latches, later strangers are dropped")
    func anySourceLatch() throws {
        let recorder = EventRecorder()
        let relay = try RelayTest.relay(recorder, policy: .anySource)
        defer { relay.stopAndJoin() }
        let natted = try TestPeer(RelayTest.partyA2, 46210)
        let b = try TestPeer(RelayTest.partyB, 46220)
        let stranger = try TestPeer(RelayTest.stranger, 46210)
        let id = MediaSessionID(3)
        // A's SDP names a private address that never appears on the wire.
        let signalled = MediaAddress(host: "127.0.60.2", port: 46210)
        relay.submit(.apply(RelayTest.spec(id: 3, base: 46200, a: signalled, b: b.media)), worker: 0)
        _ = RelayTest.waitCounters(relay) { $0.sessions == 1 }
        try RelayTest.sendRTP(from: natted, to: 46200, count: 3)
        #expect(b.receive(count: 3).count == 3)
        #expect(recorder.latched(id, side: .a) == natted.media)
        try RelayTest.sendRTP(from: stranger, to: 46200, count: 3)
        #expect(b.drain().isEmpty)
        try RelayTest.sendRTP(from: b, to: 46202, count: 2)
        #expect(natted.receive(count: 2).count == 2)
    }

    @Test("RTCP is relayed between RTCP ports, and to and from an rtcp-mux side")
    func rtcpRelay() throws {
        let recorder = EventRecorder()
        let relay = try RelayTest.relay(recorder)
        defer { relay.stopAndJoin() }
        let aRTP = try TestPeer(RelayTest.partyA, 46310)
        let aRTCP = try TestPeer(RelayTest.partyA, 46311)
        let b = try TestPeer(RelayTest.partyB, 46320)   // muxes RTP and RTCP
        let id = MediaSessionID(4)
        relay.submit(.apply(RelayTest.spec(id: 4, base: 46300, a: aRTP.media, b: b.media, bMux: true)), worker: 0)
        _ = RelayTest.waitCounters(relay) { $0.sessions == 1 }

        // A's RTCP port -> relay a RTCP (46301) -> B's single port, from the b RTP port (46302).
        try aRTCP.send(RelayTest.rtcp(ssrc: 0xA), to: RelayTest.relayHost, 46301)
        let atB = b.receive(count: 1)
        #expect(atB.first?.bytes == RelayTest.rtcp(ssrc: 0xA))
        #expect(atB.first?.source.description == "127.0.60.1:46302")

        // B's muxed RTP and RTCP on 46302: RTP to A's RTP port, RTCP to A's RTCP port from 46301.
        try b.send(RelayTest.rtcp(ssrc: 0xB), to: RelayTest.relayHost, 46302)
        try b.send(RelayTest.rtp(sequence: 1), to: RelayTest.relayHost, 46302)
        let rtcpAtA = aRTCP.receive(count: 1)
        #expect(rtcpAtA.first?.bytes == RelayTest.rtcp(ssrc: 0xB))
        #expect(rtcpAtA.first?.source.description == "127.0.60.1:46301")
        let rtpAtA = aRTP.receive(count: 1)
        #expect(rtpAtA.first?.bytes == RelayTest.rtp(sequence: 1))
        #expect(rtpAtA.first?.source.description == "127.0.60.1:46300")

        // RTP sent to an RTCP port is dropped.
        try aRTCP.send(RelayTest.rtp(sequence: 5), to: RelayTest.relayHost, 46301)
        #expect(b.drain().isEmpty)

        relay.submit(.destroy(id), worker: 0)
        let stats = try #require(recorder.closed(id))
        #expect(stats.a.rtcpPackets == 1)
        #expect(stats.a.packetsDropped == 1)
        #expect(stats.b.rtcpPackets == 1)
        #expect(stats.b.packetsForwarded == 2)
    }

    @Test("a timeout arrives between the timeout and 0.2 s after the last packet, once")
    func mediaTimeout() throws {
        let recorder = EventRecorder()
        let relay = try RelayTest.relay(recorder)
        defer { relay.stopAndJoin() }
        let a = try TestPeer(RelayTest.partyA, 46410)
        let b = try TestPeer(RelayTest.partyB, 46420)
        let id = MediaSessionID(5)
        let timeouts = MediaTimeouts(active: .milliseconds(400), hold: .seconds(30))
        var spec = RelayTest.spec(id: 5, base: 46400, a: a.media, b: b.media, timeouts: timeouts, armed: true)
        spec.streams[0].b.remoteSends = false   // B is on hold: its 30 s timeout must not fire
        relay.submit(.apply(spec), worker: 0)
        _ = RelayTest.waitCounters(relay) { $0.sessions == 1 }

        for sequence in 1...10 {
            try a.send(RelayTest.rtp(sequence: UInt16(sequence)), to: RelayTest.relayHost, 46400)
            usleep(20_000)
        }
        #expect(b.receive(count: 10).count == 10)
        let lastPacket = MonotonicInstant.now()
        let fired = recorder.wait(timeout: .seconds(2)) { event -> Duration? in
            if case .timeout(let timedOut, .a, let silence, _) = event, timedOut == id { return silence }
            return nil
        }
        let (silence, at) = try #require(fired)
        let elapsed = at - lastPacket
        #expect(elapsed >= .milliseconds(400) - .milliseconds(30), "fired after \(elapsed)")
        #expect(elapsed <= .milliseconds(600), "fired after \(elapsed)")
        #expect(silence >= .milliseconds(400))
        usleep(300_000)
        #expect(recorder.count { if case .timeout = $0 { return true } else { return false } } == 1)
        #expect(RelayTest.waitCounters(relay) { $0.timeouts == 1 }.timeouts == 1)
    }

    @Test("an unarmed session never times out; re-arming restarts the clock")
    func armingControlsTimeouts() throws {
        let recorder = EventRecorder()
        let relay = try RelayTest.relay(recorder)
        defer { relay.stopAndJoin() }
        let timeouts = MediaTimeouts(active: .milliseconds(200), hold: nil)
        var spec = RelayTest.spec(id: 6, base: 46500, a: MediaAddress(host: RelayTest.partyA, port: 46510),
                                  b: MediaAddress(host: RelayTest.partyB, port: 46520), timeouts: timeouts, armed: false)
        relay.submit(.apply(spec), worker: 0)
        usleep(400_000)
        #expect(recorder.count { if case .timeout = $0 { return true } else { return false } } == 0)
        spec.armed = true
        relay.submit(.apply(spec), worker: 0)
        let armedAt = MonotonicInstant.now()
        let fired = recorder.wait(timeout: .seconds(1)) { event -> MediaSide? in
            if case .timeout(_, let side, _, _) = event { return side }
            return nil
        }
        let (_, at) = try #require(fired)
        #expect(at - armedAt >= .milliseconds(170))
        usleep(100_000)
        #expect(recorder.count { if case .timeout = $0 { return true } else { return false } } == 2)  // both sides
    }

    @Test("an update with a new remote reopens the latch and moves the destination")
    func updateReopensLatch() throws {
        let recorder = EventRecorder()
        let relay = try RelayTest.relay(recorder)
        defer { relay.stopAndJoin() }
        let oldA = try TestPeer(RelayTest.partyA, 46610)
        let newA = try TestPeer(RelayTest.partyA2, 46612)
        let b = try TestPeer(RelayTest.partyB, 46620)
        let id = MediaSessionID(7)
        var spec = RelayTest.spec(id: 7, base: 46600, a: oldA.media, b: b.media)
        relay.submit(.apply(spec), worker: 0)
        _ = RelayTest.waitCounters(relay) { $0.sessions == 1 }
        try RelayTest.sendRTP(from: oldA, to: 46600, count: 3)
        #expect(b.receive(count: 3).count == 3)
        #expect(recorder.latched(id, side: .a) == oldA.media)

        spec.streams[0].a.remoteRTP = newA.media
        spec.streams[0].a.remoteRTCP = MediaAddress(host: RelayTest.partyA2, port: 46613)
        relay.submit(.apply(spec), worker: 0)
        usleep(50_000)
        // Before the new party sends, B's media goes to the signalled new address.
        try RelayTest.sendRTP(from: b, to: 46602, count: 2)
        #expect(newA.receive(count: 2).count == 2)
        #expect(oldA.drain().isEmpty)
        // The old party is now a stranger; the new one latches.
        try RelayTest.sendRTP(from: oldA, to: 46600, count: 2, firstSequence: 10)
        #expect(b.drain().isEmpty)
        try RelayTest.sendRTP(from: newA, to: 46600, count: 2, firstSequence: 20)
        #expect(b.receive(count: 2).count == 2)
        #expect(recorder.count { if case .latched(_, .a, let source) = $0 { return source == newA.media } else { return false } } == 1)

        relay.submit(.destroy(id), worker: 0)
        let stats = try #require(recorder.closed(id))
        #expect(stats.a.latchedSource == newA.media)
        #expect(stats.a.packetsDropped == 2)
    }

    @Test("destroy answers with statistics and frees the ports")
    func destroyFreesPorts() throws {
        let recorder = EventRecorder()
        let relay = try RelayTest.relay(recorder)
        defer { relay.stopAndJoin() }
        let id = MediaSessionID(8)
        relay.submit(.apply(RelayTest.spec(id: 8, base: 46700, a: nil, b: nil, bMux: true)), worker: 0)
        _ = RelayTest.waitCounters(relay) { $0.sessions == 1 }
        // Bound now: binding the same port fails.
        #expect(throws: SystemError.self) { _ = try TestPeer(RelayTest.relayHost, 46700) }
        // With no remote known yet, packets are dropped (no destination), not sent anywhere.
        let early = try TestPeer(RelayTest.partyA, 46710)
        try RelayTest.sendRTP(from: early, to: 46702, count: 2)
        usleep(50_000)
        relay.submit(.destroy(id), worker: 0)
        let stats = try #require(recorder.closed(id))
        #expect(stats.b.packetsReceived == 2)
        #expect(stats.b.packetsDropped == 2)
        #expect(RelayTest.waitCounters(relay) { $0.sessions == 0 }.sessions == 0)
        for port: UInt16 in [46700, 46701, 46702] {
            #expect(throws: Never.self) { _ = try TestPeer(RelayTest.relayHost, port) }
        }
        // Destroying an unknown session still answers.
        relay.submit(.destroy(MediaSessionID(999)), worker: 0)
        #expect(recorder.closed(MediaSessionID(999)) == MediaSessionStatistics())
    }

    @Test("a port already bound fails the session and leaves no socket behind")
    func bindFailure() throws {
        let recorder = EventRecorder()
        let relay = try RelayTest.relay(recorder)
        defer { relay.stopAndJoin() }
        let squatter = try TestPeer(RelayTest.relayHost, 46803)   // side b's RTCP port
        let id = MediaSessionID(9)
        relay.submit(.apply(RelayTest.spec(id: 9, base: 46800, a: nil, b: nil)), worker: 0)
        let reason = try #require(recorder.failure(id))
        #expect(reason.contains("46803"))
        #expect(RelayTest.waitCounters(relay) { _ in true }.sessions == 0)
        for port: UInt16 in [46800, 46801, 46802] {
            #expect(throws: Never.self) { _ = try TestPeer(RelayTest.relayHost, port) }
        }
        _ = squatter
    }

    @Test("sessions spread over workers; counters add up across them")
    func multipleWorkers() throws {
        let recorder = EventRecorder()
        let relay = try RelayTest.relay(recorder, workers: 2)
        defer { relay.stopAndJoin() }
        let a = try TestPeer(RelayTest.partyA, 46910)
        let b = try TestPeer(RelayTest.partyB, 46920)
        for (index, worker) in [(0, 0), (1, 1), (2, 3)] {   // worker 3 wraps to 1
            let base = UInt16(46900 + 10 * index)
            var spec = RelayTest.spec(id: UInt64(10 + index), base: base, a: a.media, b: b.media, bMux: true)
            spec.streams[0].a.localRTCPPort = nil
            spec.streams[0].a.remoteRTCP = nil
            relay.submit(.apply(spec), worker: worker)
        }
        #expect(RelayTest.waitCounters(relay) { $0.sessions == 3 }.sessions == 3)
        for index in 0..<3 {
            try RelayTest.sendRTP(from: a, to: UInt16(46900 + 10 * index), count: 4)
        }
        #expect(b.receive(count: 12).count == 12)
        #expect(RelayTest.waitCounters(relay) { $0.packetsRelayed == 12 }.packetsRelayed == 12)
        relay.stopAndJoin()
        relay.stopAndJoin()
        relay.submit(.destroy(MediaSessionID(10)), worker: 0)   // ignored after stop
        #expect(throws: Never.self) { _ = try TestPeer(RelayTest.relayHost, 46900) }
    }

    @Test("a T.38 stream relays any datagram; an RTP stream passes DTLS through and drops other non-RTP")
    func nonRTPDatagrams() throws {
        let recorder = EventRecorder()
        let relay = try RelayTest.relay(recorder)
        defer { relay.stopAndJoin() }
        let a = try TestPeer(RelayTest.partyA, 46860)
        let b = try TestPeer(RelayTest.partyB, 46870)
        var spec = RelayTest.spec(id: 11, base: 46850, a: a.media, b: b.media)
        relay.submit(.apply(spec), worker: 0)
        _ = RelayTest.waitCounters(relay) { $0.sessions == 1 }

        let dtls: [UInt8] = [22, 0xFE, 0xFD] + [UInt8](repeating: 7, count: 60)   // a DTLS handshake record
        let junk: [UInt8] = [0x00, 0x01, 0x00, 0x08] + [UInt8](repeating: 0, count: 20)  // STUN-like, no ICE here
        try a.send(dtls, to: RelayTest.relayHost, 46850)
        try a.send(junk, to: RelayTest.relayHost, 46850)
        #expect(b.receive(count: 2).map(\.bytes) == [dtls], "DTLS crosses an RTP stream, other non-RTP does not")

        // A T.38 re-INVITE turns the same ports into a fax stream: UDPTL datagrams cross both ways.
        spec.streams[0].carriesRTP = false
        relay.submit(.apply(spec), worker: 0)
        let udptl: [UInt8] = [0x00, 0x05, 0x06, 0xC0, 0x01, 0x80] + [UInt8](repeating: 0x33, count: 40)
        var delivered = 0
        for _ in 0..<20 where delivered == 0 {
            try a.send(udptl, to: RelayTest.relayHost, 46850)
            delivered = b.receive(count: 1, timeout: .milliseconds(50)).count
        }
        #expect(delivered == 1)
        try b.send(udptl, to: RelayTest.relayHost, 46852)
        #expect(a.receive(count: 1).map(\.bytes) == [udptl])
        relay.submit(.destroy(MediaSessionID(11)), worker: 0)
        #expect(recorder.closed(MediaSessionID(11)) != nil)
    }
}
