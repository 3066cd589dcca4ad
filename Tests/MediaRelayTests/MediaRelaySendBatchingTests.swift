import CSBCLinux
import Glibc
import Testing
import Media
import MediaRelay
import SBCSystem

/// `media.send_batching`: a batch sent by sendmmsg (one call per source socket) or through the
/// batch's io_uring ring (one IORING_OP_SENDMSG per packet, one io_uring_enter per batch or per
/// ring-full chunk). Real loopback sockets on their own block, 127.0.66.0/24: sockets the batch
/// sends from on .1, receivers on .2 and .3, nothing bound on .9 (ICMP port unreachable).
///
/// Where the kernel refuses io_uring (kernel.io_uring_disabled, seccomp) the ring cases check the
/// documented refusal instead (an errno naming why, the batch still sending by sendmmsg).
@Suite("MediaRelay send batching", .serialized)
struct MediaRelaySendBatchingTests {
    static let senderHost = "127.0.66.1"
    static let receiverA = "127.0.66.2"
    static let receiverB = "127.0.66.3"
    static let deadHost = "127.0.66.9"
    static let relayPorts = 49400...49599

    /// Whether this process may set up an io_uring ring (asked once, with a throwaway batch).
    static let ringAvailable: Bool = {
        guard let batch = csbc_relay_batch_create(4, 4096) else { return false }
        defer { csbc_relay_batch_destroy(batch) }
        return csbc_relay_batch_enable_uring(batch, 4) == 0
    }()

    /// A batch of `RelayWorker`'s size; `ringEntries` 0 keeps it on sendmmsg.
    final class Batch {
        let batch: OpaquePointer
        let packets: UnsafeMutablePointer<csbc_relay_packet>
        let count: Int

        init(count: Int = 32, ringEntries: UInt32) throws {
            batch = try #require(csbc_relay_batch_create(Int32(count), 2048 + 160))
            packets = csbc_relay_batch_packets(batch)
            self.count = count
            if ringEntries > 0 {
                let result = csbc_relay_batch_enable_uring(batch, ringEntries)
                if MediaRelaySendBatchingTests.ringAvailable {
                    #expect(result == 0, "io_uring ring of \(ringEntries): errno \(csbc_errno())")
                    #expect(csbc_relay_batch_uring_entries(batch) == ringEntries, "the kernel keeps a power of two as asked")
                } else {
                    #expect(result == -1 && [EPERM, ENOSYS, EOPNOTSUPP, EACCES].contains(csbc_errno()),
                            "a refused ring names why (errno \(csbc_errno()))")
                    #expect(csbc_relay_batch_uring_entries(batch) == 0)
                }
            } else {
                #expect(csbc_relay_batch_uring_entries(batch) == 0)
            }
        }

        deinit { csbc_relay_batch_destroy(batch) }

        /// Packet `i` carries `length` bytes: its index, then the index repeated.
        func fill(_ i: Int, length: Int, destination: UnsafePointer<csbc_relay_destination>?) {
            let packet = packets + i
            packet.pointee.length = UInt32(length)
            for k in 0..<length { packet.pointee.data[k] = UInt8(truncatingIfNeeded: i) }
            packet.pointee.destination = destination
        }
    }

    static func destination(from socket: TestPeer, to host: String, _ port: UInt16) throws -> UnsafeMutablePointer<csbc_relay_destination> {
        let target = try SocketAddress(host: host, port: port)
        let (storage, _) = target.storage
        let v4 = withUnsafeBytes(of: storage) { $0.load(as: sockaddr_in.self) }
        let address = UInt64(UInt32(bigEndian: v4.sin_addr.s_addr))
        let destination = UnsafeMutablePointer<csbc_relay_destination>.allocate(capacity: 1)
        destination.initialize(to: csbc_relay_destination())
        #expect(csbc_relay_destination_set(destination, socket.socket.fd, AF_INET, 0, 0xFFFF_0000_0000 | address, port) == 0)
        return destination
    }

    /// Both send paths, and a ring smaller than the batch (chunks of 8, and of 1).
    @Test("a batch is sent whole: bytes, sent flags, every packet where it was addressed", arguments: [UInt32(0), 32, 8, 1])
    func batchIsSentWhole(ringEntries: UInt32) throws {
        let base = UInt16(49500 + ringEntries)
        let fromA = try TestPeer(Self.senderHost, base)
        let fromB = try TestPeer(Self.senderHost, base + 200)
        let atA = try TestPeer(Self.receiverA, base)
        let atB = try TestPeer(Self.receiverB, base)
        let toA = try Self.destination(from: fromA, to: Self.receiverA, base)
        let toB = try Self.destination(from: fromB, to: Self.receiverB, base)
        // A port nothing is bound to, from socket A: each datagram draws an ICMP port
        // unreachable that fails socket A's next send (IP_RECVERR), which must be retried.
        let toDead = try Self.destination(from: fromA, to: Self.deadHost, base)
        defer { for d in [toA, toB, toDead] { d.deallocate() } }
        let batch = try Batch(ringEntries: ringEntries)

        for round in 0..<3 {
            var expectedBytes: UInt64 = 0
            var expectedA: [Int] = [], expectedB: [Int] = []
            for i in 0..<batch.count {
                let length = 40 + i + round
                switch i {
                case 3, 17: batch.fill(i, length: length, destination: nil)   // dropped by the caller
                case _ where i % 8 == 5:
                    batch.fill(i, length: length, destination: toDead)
                    expectedBytes += UInt64(length)
                case _ where i % 2 == 0:
                    batch.fill(i, length: length, destination: toA)
                    expectedBytes += UInt64(length)
                    expectedA.append(i)
                default:
                    batch.fill(i, length: length, destination: toB)
                    expectedBytes += UInt64(length)
                    expectedB.append(i)
                }
            }
            var bytes: UInt64 = 0
            let sent = Int(csbc_relay_send(batch.batch, Int32(batch.count), &bytes))
            #expect(sent == batch.count - 2, "round \(round): every packet with a destination went out")
            #expect(bytes == expectedBytes, "round \(round)")
            for i in 0..<batch.count {
                let expected: UInt16 = (i == 3 || i == 17) ? 0 : 1
                #expect(batch.packets[i].sent == expected, "round \(round) packet \(i)")
            }
            let gotA = atA.receive(count: expectedA.count).map { Int($0.bytes[0]) }
            let gotB = atB.receive(count: expectedB.count).map { Int($0.bytes[0]) }
            // A retried packet (see relay.c ring_retry) may leave after later ones: compare as sets.
            #expect(gotA.sorted() == expectedA, "round \(round): receiver A")
            #expect(gotB.sorted() == expectedB, "round \(round): receiver B")
            #expect(atA.drain(quiet: .milliseconds(20)).isEmpty && atB.drain(quiet: .milliseconds(20)).isEmpty)
            // The ICMP errors stay on socket A's error queue (for the worker, in the relay).
            _ = fromA.socket.drainErrors(limit: 64) { _ in }
        }
    }

    @Test("a socket that refuses (no route for the family) does not stop the rest of the batch", arguments: [UInt32(0), 8])
    func refusedSendSkipsOnlyThatPacket(ringEntries: UInt32) throws {
        let base = UInt16(49700 + ringEntries)
        let from = try TestPeer(Self.senderHost, base)
        let at = try TestPeer(Self.receiverA, base)
        let good = try Self.destination(from: from, to: Self.receiverA, base)
        // A destination whose socket is not a socket (EBADF / ENOTSOCK for that send only).
        let broken = UnsafeMutablePointer<csbc_relay_destination>.allocate(capacity: 1)
        broken.initialize(to: good.pointee)
        broken.pointee.fd = 1_000_000
        defer { good.deallocate(); broken.deallocate() }
        let batch = try Batch(ringEntries: ringEntries)
        for i in 0..<batch.count { batch.fill(i, length: 60, destination: i % 5 == 2 ? UnsafePointer(broken) : UnsafePointer(good)) }
        var bytes: UInt64 = 0
        let sent = Int(csbc_relay_send(batch.batch, Int32(batch.count), &bytes))
        let refused = (0..<batch.count).filter { $0 % 5 == 2 }.count
        #expect(sent == batch.count - refused)
        #expect(bytes == UInt64(60 * (batch.count - refused)))
        #expect((0..<batch.count).allSatisfy { batch.packets[$0].sent == ($0 % 5 == 2 ? 0 : 1) })
        #expect(at.receive(count: batch.count - refused).count == batch.count - refused)
        // The ring survived the refusals: the next batch still goes through it.
        #expect(csbc_relay_batch_uring_entries(batch.batch) == (Self.ringAvailable ? ringEntries : 0))
    }

    // MARK: The relay

    static func relay(_ recorder: EventRecorder, batching: MediaRelaySettings.SendBatching,
                      layout: MediaRelaySettings.SocketLayout, ringEntries: Int = 0) throws -> MediaRelay {
        try MediaRelay(settings: MediaRelaySettings(workers: 1, latchPolicy: .signalledAddress, socketBufferBytes: 1 << 20,
                                                    timeoutCheckInterval: .milliseconds(50), socketLayout: layout,
                                                    portRange: relayPorts, mediaAddresses: [senderHost],
                                                    sendBatching: batching, sendRingEntries: ringEntries),
                       logger: RelayTest.quietLogger, events: recorder.handler)
    }

    /// Each send mode in each layout, and a ring of 4 under bursts across calls (with `lookup`
    /// one receive batch holds every call's packets, so a batch is larger than the ring).
    @Test("the relay forwards in the send mode it reports", arguments: [
        (MediaRelaySettings.SendBatching.auto, MediaRelaySettings.SocketLayout.perPort, 0),
        (.auto, .lookup, 0), (.auto, .lookup, 4), (.sendmmsg, .perPort, 0), (.sendmmsg, .lookup, 0),
    ])
    func relayForwards(batching: MediaRelaySettings.SendBatching, layout: MediaRelaySettings.SocketLayout,
                       ringEntries: Int) throws {
        let recorder = EventRecorder()
        let relay = try Self.relay(recorder, batching: batching, layout: layout, ringEntries: ringEntries)
        defer { relay.stopAndJoin() }
        let expectedMode: MediaRelaySettings.SendMode = batching == .auto && Self.ringAvailable ? .ioUring : .sendmmsg
        #expect(relay.sendMode == expectedMode)
        let calls = 6
        var parties: [(a: TestPeer, b: TestPeer, base: UInt16)] = []
        for n in 0..<calls {
            let base = UInt16(Self.relayPorts.lowerBound + 4 * n)
            let a = try TestPeer(Self.receiverA, UInt16(47000 + 2 * n))
            let b = try TestPeer(Self.receiverB, UInt16(47000 + 2 * n))
            relay.submit(.apply(RelayTest.spec(id: 1_000 + UInt64(n), base: base, a: a.media, b: b.media,
                                               relayHost: Self.senderHost)), worker: 0)
            parties.append((a, b, base))
        }
        _ = RelayTest.waitCounters(relay) { $0.sessions == calls }
        // Interleaved bursts: every call's packets back to back, as a loaded worker reads them.
        let rounds = 10
        for round in 0..<rounds {
            for party in parties {
                try party.a.send(RelayTest.rtp(sequence: UInt16(1 + round), ssrc: 0xA0), to: Self.senderHost, party.base)
                try party.b.send(RelayTest.rtp(sequence: UInt16(1 + round), ssrc: 0xB0), to: Self.senderHost, party.base + 2)
            }
        }
        for (n, party) in parties.enumerated() {
            let atB = party.b.receive(count: rounds)
            let atA = party.a.receive(count: rounds)
            #expect(atB.count == rounds && atA.count == rounds, "call \(n): \(atB.count) A to B, \(atA.count) B to A")
            #expect(atB.allSatisfy { $0.source == (try? SocketAddress(host: Self.senderHost, port: party.base + 2)) })
            #expect(atA.allSatisfy { $0.source == (try? SocketAddress(host: Self.senderHost, port: party.base)) })
            #expect(atB.allSatisfy { $0.bytes == RelayTest.rtp(sequence: UInt16($0.bytes[2]) << 8 | UInt16($0.bytes[3]), ssrc: 0xA0) },
                    "call \(n): unchanged")
        }
        let counters = RelayTest.waitCounters(relay) { $0.packetsRelayed >= UInt64(2 * calls * rounds) }
        #expect(counters.packetsRelayed == UInt64(2 * calls * rounds))
        #expect(counters.packetsDropped == 0)
        #expect(counters.bytesRelayed == UInt64(2 * calls * rounds * RelayTest.rtp(sequence: 1).count))
    }

    @Test("a dead party's port (ICMP unreachable) does not hold up other calls' packets", arguments: [
        MediaRelaySettings.SendBatching.auto, .sendmmsg,
    ])
    func deadPartyDoesNotStopOthers(batching: MediaRelaySettings.SendBatching) throws {
        let recorder = EventRecorder()
        let relay = try Self.relay(recorder, batching: batching, layout: .lookup)
        defer { relay.stopAndJoin() }
        // Call 0: B is signalled on a port nothing listens on; A keeps sending towards it.
        let deadBase = UInt16(Self.relayPorts.lowerBound + 100)
        let liveBase = deadBase + 4
        let a0 = try TestPeer(Self.receiverA, 47100)
        let a1 = try TestPeer(Self.receiverA, 47102)
        let b1 = try TestPeer(Self.receiverB, 47102)
        relay.submit(.apply(RelayTest.spec(id: 1_100, base: deadBase, a: a0.media,
                                           b: MediaAddress(host: Self.deadHost, port: 47100), relayHost: Self.senderHost)), worker: 0)
        relay.submit(.apply(RelayTest.spec(id: 1_101, base: liveBase, a: a1.media, b: b1.media, relayHost: Self.senderHost)),
                     worker: 0)
        _ = RelayTest.waitCounters(relay) { $0.sessions == 2 }
        let rounds = 20
        for round in 0..<rounds {
            try a0.send(RelayTest.rtp(sequence: UInt16(1 + round)), to: Self.senderHost, deadBase)
            try a1.send(RelayTest.rtp(sequence: UInt16(1 + round)), to: Self.senderHost, liveBase)
        }
        #expect(b1.receive(count: rounds).count == rounds, "the live call gets every packet")
        let counters = RelayTest.waitCounters(relay) { $0.packetsRelayed >= UInt64(2 * rounds) }
        // Towards the dead party the sends themselves succeed (the ICMP errors come back later).
        #expect(counters.packetsRelayed == UInt64(2 * rounds))
    }
}
