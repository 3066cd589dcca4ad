import CSBCLinux
import Glibc
import Testing
import Media
import MediaRelay
import SBCSystem

/// ICMP errors for media the relay sends to a party that is gone. Real loopback sockets on their
/// own block: the relay on 127.0.61.1, parties on 127.0.61.2-4, ports 47000-47499 (a port with
/// nobody bound is a dead party: Linux answers it with ICMP port unreachable).
@Suite("MediaRelay ICMP unreachable")
struct MediaRelayUnreachableTests {
    static let relayHost = "127.0.61.1"
    static let partyA = "127.0.61.2"
    static let partyB = "127.0.61.3"
    static let partyB2 = "127.0.61.4"

    @Test("a dead party's port unreachable errors reach signalling for its side, and the worker does not spin")
    func deadPartyReported() throws {
        let recorder = EventRecorder()
        let threadsBefore = WorkerThreads.current()
        let relay = try RelayTest.relay(recorder)
        defer { relay.stopAndJoin() }
        let workers = WorkerThreads.started(since: threadsBefore)
        try #require(!workers.isEmpty)
        let a = try TestPeer(Self.partyA, 47010)
        let dead = MediaAddress(host: Self.partyB, port: 47020)
        let id = MediaSessionID(60)
        relay.submit(.apply(RelayTest.spec(id: 60, base: 47000, a: a.media, b: dead, relayHost: Self.relayHost)), worker: 0)
        _ = RelayTest.waitCounters(relay) { $0.sessions == 1 }

        let firstSent = MonotonicInstant.now()
        for sequence in 1...5 {
            try a.send(RelayTest.rtp(sequence: UInt16(sequence)), to: Self.relayHost, 47000)
            usleep(20_000)
        }
        // An error for every packet: the worker must take them, not spin on EPOLLERR.
        let cpuBefore = WorkerThreads.cpuTime(workers)
        usleep(400_000)
        let cpuUsed = WorkerThreads.cpuTime(workers) - cpuBefore
        #expect(cpuUsed < .milliseconds(100), "worker used \(cpuUsed) of CPU in 400 ms")

        let first = recorder.wait { event -> Int? in
            if case .unreachable(let reported, .b, let errors) = event, reported == id { return errors }
            return nil
        }
        let (errors, at) = try #require(first)
        #expect(errors > 0)
        #expect(at - firstSent < .milliseconds(500), "well before any media timeout: \(at - firstSent)")

        let total = Self.reported(recorder, id, .b)
        #expect((1...5).contains(total), "at most one error per packet sent, got \(total)")
        #expect(Self.reported(recorder, id, .a) == 0)
        #expect(RelayTest.waitCounters(relay) { $0.icmpErrors >= UInt64(total) }.icmpErrors >= UInt64(total))

        relay.submit(.destroy(id), worker: 0)
        let stats = try #require(recorder.closed(id))
        #expect(stats.a.packetsReceived == 5)
    }

    @Test("a live party yields no unreachable events")
    func livePartyQuiet() throws {
        let recorder = EventRecorder()
        let relay = try RelayTest.relay(recorder)
        defer { relay.stopAndJoin() }
        let a = try TestPeer(Self.partyA, 47110)
        let b = try TestPeer(Self.partyB, 47120)
        let id = MediaSessionID(61)
        relay.submit(.apply(RelayTest.spec(id: 61, base: 47100, a: a.media, b: b.media, relayHost: Self.relayHost)), worker: 0)
        _ = RelayTest.waitCounters(relay) { $0.sessions == 1 }

        try RelayTest.sendRTP(from: a, to: 47100, count: 5, relayHost: Self.relayHost)
        #expect(b.receive(count: 5).count == 5)
        try RelayTest.sendRTP(from: b, to: 47102, count: 5, relayHost: Self.relayHost)
        #expect(a.receive(count: 5).count == 5)
        usleep(150_000)
        #expect(recorder.count { if case .unreachable = $0 { return true } else { return false } } == 0)
        #expect(RelayTest.waitCounters(relay) { _ in true }.icmpErrors == 0)
        relay.submit(.destroy(id), worker: 0)
        let stats = try #require(recorder.closed(id))
        #expect(stats.a.packetsForwarded == 5)
        #expect(stats.b.packetsForwarded == 5)
    }

    @Test("errors for a signalled port stop once the party latches from another; its packets are not held up")
    func latchingMovesTheRemote() throws {
        let recorder = EventRecorder()
        let relay = try RelayTest.relay(recorder)
        defer { relay.stopAndJoin() }
        let a = try TestPeer(Self.partyA, 47210)
        let b = try TestPeer(Self.partyB, 47222)            // really sends from here
        let signalled = MediaAddress(host: Self.partyB, port: 47220)   // its SDP says here: nobody listens
        let id = MediaSessionID(62)
        relay.submit(.apply(RelayTest.spec(id: 62, base: 47200, a: a.media, b: signalled, bMux: true,
                                           relayHost: Self.relayHost)), worker: 0)
        _ = RelayTest.waitCounters(relay) { $0.sessions == 1 }

        try RelayTest.sendRTP(from: a, to: 47200, count: 3, relayHost: Self.relayHost)
        #expect(Self.waitReported(recorder, id, .b) > 0)
        // Arriving on the socket the errors came back to: relayed at once.
        try RelayTest.sendRTP(from: b, to: 47202, count: 3, ssrc: 0x3333, relayHost: Self.relayHost)
        #expect(a.receive(count: 3, timeout: .milliseconds(300)).count == 3)
        #expect(recorder.latched(id, side: .b) == b.media)

        usleep(100_000)
        let reportedBefore = Self.reported(recorder, id, .b)
        try RelayTest.sendRTP(from: a, to: 47200, count: 3, firstSequence: 10, relayHost: Self.relayHost)
        #expect(b.receive(count: 3).count == 3)
        usleep(150_000)
        #expect(Self.reported(recorder, id, .b) == reportedBefore)
    }

    @Test("after signalling moves a dead side to a live party, reports stop")
    func updateToLiveParty() throws {
        let recorder = EventRecorder()
        let relay = try RelayTest.relay(recorder)
        defer { relay.stopAndJoin() }
        let a = try TestPeer(Self.partyA, 47310)
        let replacement = try TestPeer(Self.partyB2, 47330)
        let id = MediaSessionID(63)
        var spec = RelayTest.spec(id: 63, base: 47300, a: a.media, b: MediaAddress(host: Self.partyB, port: 47320),
                                  relayHost: Self.relayHost)
        relay.submit(.apply(spec), worker: 0)
        _ = RelayTest.waitCounters(relay) { $0.sessions == 1 }

        try RelayTest.sendRTP(from: a, to: 47300, count: 3, relayHost: Self.relayHost)
        #expect(Self.waitReported(recorder, id, .b) > 0)
        usleep(100_000)
        let reportedBefore = Self.reported(recorder, id, .b)

        spec.streams[0].b.remoteRTP = replacement.media
        spec.streams[0].b.remoteRTCP = MediaAddress(host: Self.partyB2, port: 47331)
        relay.submit(.apply(spec), worker: 0)
        usleep(50_000)
        try RelayTest.sendRTP(from: a, to: 47300, count: 3, firstSequence: 10, relayHost: Self.relayHost)
        #expect(replacement.receive(count: 3).count == 3)
        usleep(150_000)
        #expect(Self.reported(recorder, id, .b) == reportedBefore)
        #expect(Self.reported(recorder, id, .a) == 0)
    }

    @Test("errors for a party's RTCP port are counted but not reported: many endpoints never open it")
    func rtcpPortClosed() throws {
        let recorder = EventRecorder()
        let relay = try RelayTest.relay(recorder)
        defer { relay.stopAndJoin() }
        let aRTP = try TestPeer(Self.partyA, 47410)
        let aRTCP = try TestPeer(Self.partyA, 47411)
        let b = try TestPeer(Self.partyB, 47420)              // nothing on 47421, its RTCP port
        let id = MediaSessionID(64)
        relay.submit(.apply(RelayTest.spec(id: 64, base: 47400, a: aRTP.media, b: b.media, relayHost: Self.relayHost)),
                     worker: 0)
        _ = RelayTest.waitCounters(relay) { $0.sessions == 1 }

        for _ in 0..<3 {
            try aRTCP.send(RelayTest.rtcp(), to: Self.relayHost, 47401)
        }
        #expect(RelayTest.waitCounters(relay) { $0.icmpErrors >= 1 }.icmpErrors >= 1)
        try RelayTest.sendRTP(from: aRTP, to: 47400, count: 3, relayHost: Self.relayHost)
        #expect(b.receive(count: 3).count == 3)
        usleep(150_000)
        #expect(recorder.count { if case .unreachable = $0 { return true } else { return false } } == 0)
        relay.submit(.destroy(id), worker: 0)
        let stats = try #require(recorder.closed(id))
        #expect(stats.a.rtcpPackets == 3)
    }

    @Test("an error matches a destination only on family, address and port")
    func destinationMatching() throws {
        var destination = csbc_relay_destination()
        csbc_relay_destination_clear(&destination)
        let target = try SocketAddress(host: "192.0.2.10", port: 4000)
        #expect(Self.matches(&destination, target) == false, "a cleared destination matches nothing")

        _ = csbc_relay_destination_set(&destination, 3, AF_INET, 0, 0xFFFF_C000_020A, 4000)
        #expect(Self.matches(&destination, target))
        #expect(Self.matches(&destination, try SocketAddress(host: "192.0.2.10", port: 4001)) == false)
        #expect(Self.matches(&destination, try SocketAddress(host: "192.0.2.11", port: 4000)) == false)

        _ = csbc_relay_destination_set(&destination, 3, AF_INET6, 0x2001_0DB8_0000_0000, 1, 4000)
        #expect(Self.matches(&destination, try SocketAddress(host: "2001:db8::1", port: 4000)))
        #expect(Self.matches(&destination, try SocketAddress(host: "2001:db8::2", port: 4000)) == false)
        #expect(Self.matches(&destination, target) == false)
    }

    // MARK: - Helpers

    static func matches(_ destination: inout csbc_relay_destination, _ address: SocketAddress) -> Bool {
        var (storage, length) = address.storage
        return csbc_relay_destination_matches(&destination, &storage, length) != 0
    }

    /// Errors reported so far for `side` of `id`, over all its events.
    static func reported(_ recorder: EventRecorder, _ id: MediaSessionID, _ side: MediaSide) -> Int {
        recorder.events.reduce(0) { sum, event in
            if case .unreachable(let reported, let reportedSide, let errors) = event, reported == id, reportedSide == side {
                return sum + errors
            }
            return sum
        }
    }

    /// `reported` once the first report is in (0 if none comes within a second).
    static func waitReported(_ recorder: EventRecorder, _ id: MediaSessionID, _ side: MediaSide) -> Int {
        _ = recorder.wait { event -> Bool? in
            if case .unreachable(let reported, let reportedSide, _) = event, reported == id, reportedSide == side { return true }
            return nil
        }
        return reported(recorder, id, side)
    }
}
