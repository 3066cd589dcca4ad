import Glibc
import Testing
import Media
import MediaRelay
import SBCSystem
import SDP
import SRTP

/// RFC 4733 telephone-events through the relay on real loopback sockets (relay 127.0.63.1,
/// parties 127.0.63.2-3; each test owns ten ports of 47700-47799): events detected once and
/// suppressed or forwarded with the receiver's payload type, events injected with the stream's
/// SSRC, sequence and timestamp, plain and SRTP.
@Suite("MediaRelay DTMF", .serialized)
struct MediaRelayDTMFTests {
    static let relayHost = "127.0.63.1"
    static let partyA = "127.0.63.2"
    static let partyB = "127.0.63.3"

    /// The fields of an RTP header, and a telephone-event payload if the packet has one.
    struct Header: Equatable {
        var marker: Bool
        var payloadType: UInt8
        var sequence: UInt16
        var timestamp: UInt32
        var ssrc: UInt32
        var event: TelephoneEventPayload?

        init(_ bytes: [UInt8]) {
            marker = bytes[1] & 0x80 != 0
            payloadType = bytes[1] & 0x7F
            sequence = UInt16(bytes[2]) << 8 | UInt16(bytes[3])
            timestamp = bytes[4..<8].reduce(0) { $0 << 8 | UInt32($1) }
            ssrc = bytes[8..<12].reduce(0) { $0 << 8 | UInt32($1) }
            event = bytes.count == 16 ? bytes[12...].withUnsafeBytes { TelephoneEventPayload(payload: $0) } : nil
        }
    }

    /// A relay with one session between party a (`base + 4`) and party b (`base + 6`, a plain peer
    /// unless the test brings its own), applied and waited for; the relay stops with the fixture.
    final class Fixture {
        let recorder = EventRecorder()
        let relay: MediaRelay
        let a: TestPeer
        let b: TestPeer!
        let base: UInt16
        var id: MediaSessionID { MediaSessionID(UInt64(base)) }

        init(base: UInt16, aDTMF: MediaLegDTMF = MediaLegDTMF(), bDTMF: MediaLegDTMF = MediaLegDTMF(),
             bParty: MediaAddress? = nil, waitForSession: Bool = true,
             configure: (inout MediaSessionSpec) -> Void = { _ in }) throws {
            self.base = base
            relay = try RelayTest.relay(recorder)
            a = try TestPeer(MediaRelayDTMFTests.partyA, base + 4)
            b = bParty == nil ? try TestPeer(MediaRelayDTMFTests.partyB, base + 6) : nil
            var spec = MediaRelayDTMFTests.spec(id: UInt64(base), base: base, a: a.media, b: bParty ?? b.media,
                                                aDTMF: aDTMF, bDTMF: bDTMF)
            configure(&spec)
            relay.submit(.apply(spec), worker: 0)
            if waitForSession { _ = RelayTest.waitCounters(relay) { $0.sessions == 1 } }
        }

        deinit { relay.stopAndJoin() }

        func sendFromA(_ packets: [[UInt8]], pause: useconds_t = 0) throws {
            for packet in packets {
                try a.send(packet, to: MediaRelayDTMFTests.relayHost, base)
                if pause > 0 { usleep(pause) }
            }
        }

        func inject(_ event: UInt8, towards side: MediaSide, duration: Duration) {
            relay.submit(.telephoneEvent(id, side: side, stream: 0, event: event, duration: duration), worker: 0)
        }

        /// The first report of `side` matching `match`.
        func report(from side: MediaSide, _ match: @escaping (Duration) -> Bool = { _ in true }) -> TelephoneEventReport? {
            let id = self.id
            return recorder.wait { event -> TelephoneEventReport? in
                if case .telephoneEvent(id, side, let report, let length) = event, match(length) { return report }
                return nil
            }?.0
        }
    }

    static func spec(id: UInt64, base: UInt16, a: MediaAddress, b: MediaAddress,
                     aDTMF: MediaLegDTMF = MediaLegDTMF(), bDTMF: MediaLegDTMF = MediaLegDTMF()) -> MediaSessionSpec {
        var spec = RelayTest.spec(id: id, base: base, a: a, b: b, relayHost: relayHost)
        spec.streams[0].a.dtmf = aDTMF
        spec.streams[0].b.dtmf = bDTMF
        return spec
    }

    static func rtp(sequence: UInt16, timestamp: UInt32, ssrc: UInt32 = 0xA1, payloadType: UInt8 = 0,
                    marker: Bool = false, payload: [UInt8] = [UInt8](repeating: 0xD5, count: 160)) -> [UInt8] {
        var bytes: [UInt8] = [0x80, (marker ? 0x80 : 0) | payloadType, UInt8(sequence >> 8), UInt8(sequence & 0xFF)]
        bytes += withUnsafeBytes(of: timestamp.bigEndian, Array.init)
        bytes += withUnsafeBytes(of: ssrc.bigEndian, Array.init)
        return bytes + payload
    }

    static func event(sequence: UInt16, timestamp: UInt32, code: UInt8, end: Bool, duration: UInt16,
                      marker: Bool = false, payloadType: UInt8 = 101) -> [UInt8] {
        var payload = [UInt8](repeating: 0, count: 4)
        payload.withUnsafeMutableBytes {
            TelephoneEventPayload(event: code, end: end, volume: 10, duration: duration).write(to: $0.baseAddress!)
        }
        return rtp(sequence: sequence, timestamp: timestamp, payloadType: payloadType, marker: marker, payload: payload)
    }

    /// A's audio then a whole event (start, two updates, three end packets), as a phone sends them.
    static func digit(_ code: UInt8, firstSequence: UInt16, timestamp: UInt32, payloadType: UInt8 = 101) -> [[UInt8]] {
        (0..<3).map { k in
            event(sequence: firstSequence + UInt16(k), timestamp: timestamp, code: code, end: false,
                  duration: UInt16(400 * (k + 1)), marker: k == 0, payloadType: payloadType)
        } + (3..<6).map { k in
            event(sequence: firstSequence + UInt16(k), timestamp: timestamp, code: code, end: true, duration: 1200,
                  payloadType: payloadType)
        }
    }

    static func reports(_ recorder: EventRecorder) -> [(MediaSide, TelephoneEventReport)] {
        recorder.events.compactMap { event in
            if case .telephoneEvent(_, let side, let report, _) = event { return (side, report) }
            return nil
        }
    }

    // MARK: - Detection, suppression, payload type mapping

    @Test("events towards a party that takes none are detected once and suppressed, and its sequence stays gapless")
    func detectAndSuppress() throws {
        let fixture = try Fixture(base: 47700, aDTMF: MediaLegDTMF(receivePayloadType: 101, sendPayloadType: 101),
                                  bDTMF: MediaLegDTMF(receivePayloadType: 101, sendPayloadType: nil))
        let b = try #require(fixture.b)
        var sent: [[UInt8]] = (1...3).map { Self.rtp(sequence: UInt16($0), timestamp: UInt32($0) * 160) }
        sent += Self.digit(8, firstSequence: 4, timestamp: 640)
        sent += (10...12).map { Self.rtp(sequence: UInt16($0), timestamp: UInt32($0) * 160) }
        try fixture.sendFromA(sent, pause: 2_000)
        let atB = b.receive(count: 6).map { Header($0.bytes) }
        #expect(atB.count == 6 && atB.allSatisfy { $0.payloadType == 0 }, "audio only")
        #expect(atB.map(\.sequence) == [1, 2, 3, 4, 5, 6], "the six suppressed packets leave no gap")
        #expect(atB.map(\.timestamp) == [160, 320, 480, 1600, 1760, 1920], "timestamps untouched")
        #expect(b.drain().isEmpty)

        let report = try #require(fixture.report(from: .a) { $0 == .milliseconds(150) })
        #expect(report == TelephoneEventReport(event: 8, duration: 1200, volume: 10, ending: .endBit))
        usleep(100_000)
        #expect(Self.reports(fixture.recorder).count == 1, "three end packets, one report")

        fixture.relay.submit(.destroy(fixture.id), worker: 0)
        let statistics = try #require(fixture.recorder.closed(fixture.id))
        #expect(statistics.a.packetsReceived == 12 && statistics.a.packetsForwarded == 6)
        #expect(statistics.a.packetsDropped == 0, "suppressed on purpose is not dropped")
    }

    @Test("events are forwarded with the receiver's payload type; lost end packets end the event by timeout")
    func mapAndTimeout() throws {
        let fixture = try Fixture(base: 47710, aDTMF: MediaLegDTMF(receivePayloadType: 101, sendPayloadType: 101),
                                  bDTMF: MediaLegDTMF(receivePayloadType: 96, sendPayloadType: 96))
        let (a, b, base) = (fixture.a, try #require(fixture.b), fixture.base)
        try fixture.sendFromA(Self.digit(3, firstSequence: 20, timestamp: 3200))
        let forwarded = b.receive(count: 6).map { Header($0.bytes) }
        #expect(forwarded.count == 6)
        #expect(forwarded.allSatisfy { $0.payloadType == 96 }, "101 on A's side is 96 on B's")
        #expect(forwarded.map(\.sequence) == Array(20...25) && forwarded.first?.marker == true)
        #expect(forwarded.map { $0.event?.event } == Array(repeating: 3, count: 6))

        // B's events reach A as 101; this one's end packets never come.
        try b.send(Self.event(sequence: 7, timestamp: 99, code: 11, end: false, duration: 400, marker: true,
                              payloadType: 96), to: Self.relayHost, base + 2)
        #expect(a.receive(count: 1).map { Header($0.bytes).payloadType } == [101])
        let timedOut = try #require(fixture.report(from: .b))
        #expect(timedOut == TelephoneEventReport(event: 11, duration: 400, volume: 10, ending: .timeout))
        #expect(Self.reports(fixture.recorder).count == 2)
    }

    @Test("without DTMF settings (the default) events cross untouched and nothing is reported")
    func defaultIsUntouched() throws {
        let fixture = try Fixture(base: 47720)
        let sent = Self.digit(1, firstSequence: 1, timestamp: 0)
        try fixture.sendFromA(sent)
        #expect(try #require(fixture.b).receive(count: 6).map(\.bytes) == sent, "byte for byte")
        usleep(400_000)
        #expect(Self.reports(fixture.recorder).isEmpty)
    }

    // MARK: - Injection

    @Test("injected events carry the stream's SSRC, the next sequence numbers, its timestamp and the receiver's payload type")
    func injectIntoThePlainStream() throws {
        let fixture = try Fixture(base: 47730, bDTMF: MediaLegDTMF(receivePayloadType: 100, sendPayloadType: 100,
                                                                   interval: .milliseconds(20)))
        let b = try #require(fixture.b)
        // A's audio: 20 ms packets of 160 samples, SSRC 0xA1, sequence 1000-1004.
        try fixture.sendFromA((0..<5).map { Self.rtp(sequence: 1000 + UInt16($0), timestamp: 50_000 + UInt32($0) * 160) },
                              pause: 20_000)
        #expect(b.receive(count: 5).count == 5)
        let submitted = MonotonicInstant.now()
        fixture.inject(5, towards: .b, duration: .milliseconds(100))
        fixture.inject(11, towards: .b, duration: .milliseconds(60))
        var arrivals: [(header: Header, at: MonotonicInstant)] = []
        let deadline = MonotonicInstant.now() + .seconds(2)
        while arrivals.count < 12, MonotonicInstant.now() < deadline {
            for got in b.receive(count: 1, timeout: .milliseconds(100)) { arrivals.append((Header(got.bytes), .now())) }
        }
        let packets = arrivals.map(\.header)
        // Digit 5, 100 ms at 20 ms: 160 ... 800 (E) and two more ends; digit #, 60 ms: 160, 320, 480 (E), two more.
        #expect(packets.count == 12)
        #expect(packets.allSatisfy { $0.ssrc == 0xA1 && $0.payloadType == 100 }, "the stream's SSRC, B's payload type")
        #expect(packets.map(\.sequence) == Array(1005...1016), "right after the last relayed packet")
        #expect(packets.map(\.marker) == [true] + Array(repeating: false, count: 6) + [true] + Array(repeating: false, count: 4))
        #expect(packets.map { $0.event?.event } == Array(repeating: 5, count: 7) + Array(repeating: 11, count: 5))
        #expect(packets.map { $0.event?.duration } == [160, 320, 480, 640, 800, 800, 800, 160, 320, 480, 480, 480])
        #expect(packets.map { $0.event?.end } == [false, false, false, false, true, true, true, false, false, true, true, true])
        let first = try #require(packets.first), second = try #require(packets.dropFirst(7).first)
        #expect(packets.prefix(7).allSatisfy { $0.timestamp == first.timestamp }
                && packets.suffix(5).allSatisfy { $0.timestamp == second.timestamp }, "one timestamp per event")
        // The stream's timestamp moved on with the clock since A's last packet (50,640).
        #expect(first.timestamp > 50_640 && first.timestamp < 50_640 + 8000)
        #expect(second.timestamp >= first.timestamp + 800, "after the first event: events never overlap")
        // Paced by the worker's timer, not sent in a burst.
        if let start = arrivals.first?.at, let end = arrivals.dropFirst(6).first?.at {
            #expect(end - start >= .milliseconds(100), "seven packets of the first digit span six intervals")
        }
        #expect(MonotonicInstant.now() - submitted < .seconds(2))

        // A's next packets reach B with the sequence numbers moved on by the twelve injected.
        try fixture.sendFromA((5..<8).map { Self.rtp(sequence: 1000 + UInt16($0), timestamp: 60_000) })
        #expect(b.receive(count: 3).map { Header($0.bytes).sequence } == [1017, 1018, 1019])
    }

    @Test("injection before the other side sent anything uses an SSRC and sequence of the relay's own")
    func injectWithoutSource() throws {
        let fixture = try Fixture(base: 47740, bDTMF: MediaLegDTMF(sendPayloadType: 101), waitForSession: false)
        let b = try #require(fixture.b)
        fixture.inject(0, towards: .b, duration: .milliseconds(50))
        let packets = b.receive(count: 4, timeout: .milliseconds(600)).map { Header($0.bytes) }
        #expect(packets.count == 3, "50 ms at 50 ms: the start packet already ends it, then two more end packets")
        #expect(packets.map(\.marker) == [true, false, false] && packets.allSatisfy { $0.event?.end == true })
        #expect(Set(packets.map(\.ssrc)).count == 1 && Set(packets.map(\.timestamp)).count == 1)
        let sequences = packets.map(\.sequence)
        #expect(zip(sequences, sequences.dropFirst()).allSatisfy { $1 == $0 &+ 1 })
        // A side that takes no events gets nothing injected.
        fixture.inject(1, towards: .a, duration: .milliseconds(50))
        #expect(fixture.a.drain(quiet: .milliseconds(300)).isEmpty)
    }

    @Test("SRTP: injected events are protected with the SBC's key for the receiving side, and a secure side's events are detected")
    func injectAndDetectOverSRTP() throws {
        let base: UInt16 = 47750
        let b = try SRTPTestParty(Self.partyB, base + 6, suite: .aesCM128HMACSHA1_80, seed: 7)
        let fixture = try Fixture(base: base, aDTMF: MediaLegDTMF(receivePayloadType: 101, sendPayloadType: nil),
                                  bDTMF: MediaLegDTMF(receivePayloadType: 96, sendPayloadType: 96, interval: .milliseconds(20)),
                                  bParty: b.media) { $0.streams[0].b.srtp = b.keys }
        try fixture.sendFromA((0..<3).map { Self.rtp(sequence: 7 + UInt16($0), timestamp: 8000 + UInt32($0) * 160, ssrc: 0xA7) })
        let audio = try b.peer.receive(count: 3).map { try b.unprotect($0.bytes) }
        #expect(audio.map { Header($0).sequence } == [7, 8, 9])
        fixture.inject(9, towards: .b, duration: .milliseconds(40))
        let injected = try b.peer.receive(count: 4).map { Header(try b.unprotect($0.bytes)) }
        #expect(injected.count == 4, "authentic SRTP under the SBC's key for side b")
        #expect(injected.map(\.sequence) == [10, 11, 12, 13] && injected.allSatisfy { $0.ssrc == 0xA7 && $0.payloadType == 96 })
        #expect(injected.map { $0.event?.duration } == [160, 320, 320, 320])
        try fixture.sendFromA([Self.rtp(sequence: 10, timestamp: 9000, ssrc: 0xA7)])
        #expect(try b.peer.receive(count: 1).map { Header(try b.unprotect($0.bytes)).sequence } == [14])

        // B's events, SRTP-protected, are authenticated, detected, and suppressed towards A.
        for packet in Self.digit(6, firstSequence: 500, timestamp: 12_000, payloadType: 96) {
            var bytes = packet
            bytes[8...11] = [0, 0, 0, 0xB7]
            try b.send(try b.protect(bytes), to: base + 2, host: Self.relayHost)
        }
        #expect(fixture.report(from: .b) == TelephoneEventReport(event: 6, duration: 1200, volume: 10, ending: .endBit))
        #expect(fixture.a.drain().isEmpty)
        let counters = RelayTest.waitCounters(fixture.relay) { _ in true }
        #expect(counters.srtpAuthFailures == 0 && counters.srtpErrors == 0)
    }
}
