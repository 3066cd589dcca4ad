import Glibc
import Testing
import Media
import MediaRelay
import SBCSystem

/// `media.socket_layout: lookup`: one sk_lookup-fed receive socket per worker instead of one read
/// socket per port. Real loopback sockets on their own block: the relay on 127.0.64.1 (the only
/// address its program steers), parties on 127.0.64.2-9, relay ports 49000-49199.
///
/// Where the program cannot be attached (no CAP_BPF/CAP_NET_ADMIN, old kernel) the relay must
/// report `per_port` and still relay: every test here then checks that documented fallback,
/// with the same expectations on the media.
@Suite("MediaRelay sk_lookup socket layout", .serialized)
struct MediaRelayLookupTests {
    static let relayHost = "127.0.64.1"
    static let partyA = "127.0.64.2"
    static let partyB = "127.0.64.3"
    static let partyA2 = "127.0.64.4"
    static let stranger = "127.0.64.9"
    static let ports = 49000...49199

    static func relay(_ recorder: EventRecorder, workers: Int = 1, addresses: [String] = [relayHost],
                      range: ClosedRange<Int>? = ports) throws -> MediaRelay {
        try MediaRelay(settings: MediaRelaySettings(workers: workers, latchPolicy: .signalledAddress,
                                                    socketBufferBytes: 1 << 20, timeoutCheckInterval: .milliseconds(50),
                                                    socketLayout: .lookup, portRange: range, mediaAddresses: addresses),
                       logger: RelayTest.quietLogger, events: recorder.handler)
    }

    /// Whether this process may attach sk_lookup programs; the layout a lookup relay reports must match.
    static let lookupAvailable: Bool = {
        guard let relay = try? relay(EventRecorder()) else { return false }
        defer { relay.stopAndJoin() }
        return relay.socketLayout == .lookup
    }()

    /// The layout `relay` reports is lookup where sk_lookup can be attached, else the fallback.
    static func expectLayout(_ relay: MediaRelay) {
        #expect(relay.socketLayout == (lookupAvailable ? .lookup : .perPort),
                "lookup relay reports \(relay.socketLayout) (sk_lookup available: \(lookupAvailable))")
    }

    /// A's and B's RTP sockets and, one above each, their RTCP sockets.
    struct Call {
        let id: MediaSessionID
        let base: UInt16
        let a: TestPeer, aRTCP: TestPeer, b: TestPeer, bRTCP: TestPeer

        init(id: UInt64, base: UInt16, partyPort: UInt16) throws {
            self.id = MediaSessionID(id)
            self.base = base
            a = try TestPeer(MediaRelayLookupTests.partyA, partyPort)
            aRTCP = try TestPeer(MediaRelayLookupTests.partyA, partyPort + 1)
            b = try TestPeer(MediaRelayLookupTests.partyB, partyPort)
            bRTCP = try TestPeer(MediaRelayLookupTests.partyB, partyPort + 1)
        }

        var spec: MediaSessionSpec {
            RelayTest.spec(id: id.rawValue, base: base, a: a.media, b: b.media, relayHost: MediaRelayLookupTests.relayHost)
        }

        /// RTP both ways and RTCP both ways, each arriving from the relay's port of the other side.
        func expectRelayed(count: Int, ssrc: UInt32) throws {
            let host = MediaRelayLookupTests.relayHost
            try RelayTest.sendRTP(from: a, to: base, count: count, ssrc: ssrc, relayHost: host)
            let atB = b.receive(count: count)
            #expect(atB.count == count, "call \(id.rawValue): A to B")
            #expect(atB.allSatisfy { $0.source == (try? SocketAddress(host: host, port: base + 2)) })
            let sequences: [UInt16] = atB.map { packet -> UInt16 in
                let high = UInt16(packet.bytes[2]), low = UInt16(packet.bytes[3])
                return high << 8 | low
            }
            let sent: [UInt16] = (0..<count).map { UInt16(1 + $0) }
            #expect(sequences == sent, "in order, unchanged")
            try RelayTest.sendRTP(from: b, to: base + 2, count: count, ssrc: ssrc &+ 1, relayHost: host)
            let atA = a.receive(count: count)
            #expect(atA.count == count, "call \(id.rawValue): B to A")
            #expect(atA.allSatisfy { $0.source == (try? SocketAddress(host: host, port: base)) })
            try aRTCP.send(RelayTest.rtcp(ssrc: ssrc), to: host, base + 1)
            let rtcpAtB = bRTCP.receive(count: 1)
            #expect(rtcpAtB.count == 1 && rtcpAtB.first?.source == (try? SocketAddress(host: host, port: base + 3)),
                    "call \(id.rawValue): RTCP A to B")
            try bRTCP.send(RelayTest.rtcp(ssrc: ssrc &+ 1), to: host, base + 3)
            #expect(aRTCP.receive(count: 1).count == 1, "call \(id.rawValue): RTCP B to A")
        }
    }

    @Test("several calls on one worker relay RTP and RTCP both ways")
    func oneWorker() throws {
        let recorder = EventRecorder()
        let relay = try Self.relay(recorder)
        defer { relay.stopAndJoin() }
        Self.expectLayout(relay)
        let calls = try (0..<4).map { try Call(id: 900 + UInt64($0), base: 49000 + UInt16($0) * 4, partyPort: 46000 + UInt16($0) * 2) }
        for call in calls { relay.submit(.apply(call.spec), worker: 0) }
        _ = RelayTest.waitCounters(relay) { $0.sessions == calls.count }
        for (n, call) in calls.enumerated() { try call.expectRelayed(count: 10, ssrc: 0x100 + UInt32(n) * 2) }
        // Interleaved: packets for every call in one go, as a loaded worker reads them.
        for round in 0..<5 {
            for call in calls {
                try call.a.send(RelayTest.rtp(sequence: UInt16(100 + round)), to: Self.relayHost, call.base)
            }
        }
        for call in calls { #expect(call.b.receive(count: 5).count == 5, "call \(call.id.rawValue), interleaved") }
        let counters = RelayTest.waitCounters(relay) { $0.packetsRelayed >= UInt64(calls.count * 27) }
        #expect(counters.packetsRelayed == UInt64(calls.count * 27))
        #expect(counters.packetsDropped == 0)
        for call in calls {
            relay.submit(.destroy(call.id), worker: 0)
            let statistics = try #require(recorder.closed(call.id))
            #expect(statistics.a.packetsReceived == 16 && statistics.a.packetsForwarded == 16 && statistics.a.rtcpPackets == 1)
            #expect(statistics.b.packetsReceived == 11 && statistics.b.packetsForwarded == 11 && statistics.b.rtcpPackets == 1)
            #expect(statistics.a.latchedSource == call.a.media && statistics.b.latchedSource == call.b.media)
        }
    }

    @Test("calls on two workers are each relayed by their own worker")
    func twoWorkers() throws {
        let recorder = EventRecorder()
        let relay = try Self.relay(recorder, workers: 2)
        defer { relay.stopAndJoin() }
        Self.expectLayout(relay)
        #expect(relay.workerCount == 2)
        let calls = try (0..<4).map { try Call(id: 910 + UInt64($0), base: 49040 + UInt16($0) * 4, partyPort: 46100 + UInt16($0) * 2) }
        for (n, call) in calls.enumerated() { relay.submit(.apply(call.spec), worker: n % 2) }
        _ = RelayTest.waitCounters(relay) { $0.sessions == calls.count }
        for (n, call) in calls.enumerated() { try call.expectRelayed(count: 8, ssrc: 0x200 + UInt32(n) * 2) }
        for (n, call) in calls.enumerated() {
            relay.submit(.destroy(call.id), worker: n % 2)
            let statistics = try #require(recorder.closed(call.id))
            #expect(statistics.a.packetsForwarded == 9 && statistics.b.packetsForwarded == 9)
        }
    }

    @Test("latching: the signalled host from another port latches, replies follow it, a stranger is dropped")
    func latching() throws {
        let recorder = EventRecorder()
        let relay = try Self.relay(recorder)
        defer { relay.stopAndJoin() }
        Self.expectLayout(relay)
        let a = try TestPeer(Self.partyA, 46210)         // A's real source: its SDP said port 46200
        let b = try TestPeer(Self.partyB, 46220)
        let stranger = try TestPeer(Self.stranger, 46230)
        let id = MediaSessionID(920)
        relay.submit(.apply(RelayTest.spec(id: 920, base: 49100, a: MediaAddress(host: Self.partyA, port: 46200),
                                           b: b.media, relayHost: Self.relayHost)), worker: 0)
        _ = RelayTest.waitCounters(relay) { $0.sessions == 1 }

        try RelayTest.sendRTP(from: a, to: 49100, count: 5, relayHost: Self.relayHost)
        #expect(b.receive(count: 5).count == 5)
        #expect(recorder.latched(id, side: .a) == a.media)
        try RelayTest.sendRTP(from: b, to: 49102, count: 3, relayHost: Self.relayHost)
        #expect(a.receive(count: 3).count == 3, "replies go where A's packets came from")
        try RelayTest.sendRTP(from: stranger, to: 49100, count: 4, ssrc: 0x9999, relayHost: Self.relayHost)
        try RelayTest.sendRTP(from: stranger, to: 49102, count: 4, ssrc: 0x9999, relayHost: Self.relayHost)
        #expect(b.drain().isEmpty && a.drain().isEmpty, "a stranger's packets are relayed nowhere")
        relay.submit(.destroy(id), worker: 0)
        let statistics = try #require(recorder.closed(id))
        #expect(statistics.a.sourceRejections == 4 && statistics.a.lastRejectedSource == stranger.media)
        #expect(statistics.b.sourceRejections == 4)
        #expect(statistics.a.packetsForwarded == 5 && statistics.a.packetsDropped == 4)
    }

    @Test("a packet to a port of a released call is not relayed; the ports serve the next call")
    func releasedCall() throws {
        let recorder = EventRecorder()
        let relay = try Self.relay(recorder)
        defer { relay.stopAndJoin() }
        Self.expectLayout(relay)
        let call = try Call(id: 930, base: 49120, partyPort: 46300)
        relay.submit(.apply(call.spec), worker: 0)
        _ = RelayTest.waitCounters(relay) { $0.sessions == 1 }
        try call.expectRelayed(count: 3, ssrc: 0x300)
        relay.submit(.destroy(call.id), worker: 0)
        _ = try #require(recorder.closed(call.id))

        try RelayTest.sendRTP(from: call.a, to: call.base, count: 5, firstSequence: 50, relayHost: Self.relayHost)
        try RelayTest.sendRTP(from: call.b, to: call.base + 2, count: 5, firstSequence: 50, relayHost: Self.relayHost)
        #expect(call.b.drain().isEmpty && call.a.drain().isEmpty, "nothing of a released call is relayed")
        let before = relay.counters().packetsRelayed

        // The same ports, another call (a later call reusing the ports after the reuse delay).
        let next = try Call(id: 931, base: 49120, partyPort: 46310)
        relay.submit(.apply(next.spec), worker: 0)
        _ = RelayTest.waitCounters(relay) { $0.sessions == 1 }
        try next.expectRelayed(count: 4, ssrc: 0x310)
        #expect(call.b.drain().isEmpty, "the old party hears nothing of the new call")
        #expect(RelayTest.waitCounters(relay) { $0.packetsRelayed >= before + 10 }.packetsRelayed == before + 10)
        relay.submit(.destroy(next.id), worker: 0)
        _ = try #require(recorder.closed(next.id))
    }

    @Test("ICMP errors from a dead party still reach signalling, and the worker does not spin")
    func unreachable() throws {
        let recorder = EventRecorder()
        let threadsBefore = WorkerThreads.current()
        let relay = try Self.relay(recorder)
        defer { relay.stopAndJoin() }
        Self.expectLayout(relay)
        let workers = WorkerThreads.started(since: threadsBefore)
        let a = try TestPeer(Self.partyA, 46410)
        let id = MediaSessionID(940)
        relay.submit(.apply(RelayTest.spec(id: 940, base: 49140, a: a.media, b: MediaAddress(host: Self.partyB, port: 46420),
                                           relayHost: Self.relayHost)), worker: 0)
        _ = RelayTest.waitCounters(relay) { $0.sessions == 1 }
        for sequence in 1...5 {
            try a.send(RelayTest.rtp(sequence: UInt16(sequence)), to: Self.relayHost, 49140)
            usleep(20_000)
        }
        let cpuBefore = WorkerThreads.cpuTime(workers)
        usleep(300_000)
        let cpuUsed = WorkerThreads.cpuTime(workers) - cpuBefore
        #expect(cpuUsed < .milliseconds(100), "worker used \(cpuUsed) of CPU in 300 ms")
        let reported = recorder.wait { event -> Int? in
            if case .unreachable(let session, .b, let errors) = event, session == id { return errors }
            return nil
        }
        #expect(reported != nil, "B's port unreachable errors are reported")
        relay.submit(.destroy(id), worker: 0)
        let statistics = try #require(recorder.closed(id))
        #expect(statistics.a.packetsReceived == 5)
    }

    @Test("lookup without an IPv4 media address or a port range falls back to per_port and still relays")
    func fallback() throws {
        for (addresses, range) in [(["::1"], Self.ports), ([Self.relayHost], nil)] as [([String], ClosedRange<Int>?)] {
            let recorder = EventRecorder()
            let relay = try Self.relay(recorder, addresses: addresses, range: range)
            defer { relay.stopAndJoin() }
            #expect(relay.socketLayout == .perPort)
            let call = try Call(id: 950, base: 49160, partyPort: 46500)
            relay.submit(.apply(call.spec), worker: 0)
            _ = RelayTest.waitCounters(relay) { $0.sessions == 1 }
            try call.expectRelayed(count: 3, ssrc: 0x500)
            relay.submit(.destroy(call.id), worker: 0)
            _ = try #require(recorder.closed(call.id))
        }
        let perPort = try MediaRelay(settings: MediaRelaySettings(), logger: RelayTest.quietLogger, events: { _ in })
        #expect(perPort.socketLayout == .perPort, "per_port stays the default")
        perPort.stopAndJoin()
    }
}
