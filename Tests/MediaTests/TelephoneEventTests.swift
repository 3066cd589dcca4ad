import Testing
import Media

/// RFC 4733 on the media worker, with a manual clock: the payload, the detector (one report per
/// event whatever the packets) and the injector's packet schedule.
@Suite("RFC 4733 telephone-events")
struct TelephoneEventTests {
    static let ms: UInt64 = 1_000_000

    static func event(_ code: UInt8, end: Bool = false, volume: UInt8 = 10, duration: UInt16) -> TelephoneEventPayload {
        TelephoneEventPayload(event: code, end: end, volume: volume, duration: duration)
    }

    // MARK: - Payload

    @Test("payload: read and written as RFC 4733 §2.3 lays it out, after CSRCs, an extension and padding")
    func payload() {
        var bytes = [UInt8](repeating: 0, count: 4)
        bytes.withUnsafeMutableBytes { Self.event(11, end: true, volume: 63, duration: 0x1234).write(to: $0.baseAddress!) }
        #expect(bytes == [11, 0x80 | 63, 0x12, 0x34])
        #expect(bytes.withUnsafeBytes { TelephoneEventPayload(payload: $0) } == Self.event(11, end: true, volume: 63, duration: 0x1234))
        #expect([UInt8]([1, 2, 3]).withUnsafeBytes { TelephoneEventPayload(payload: $0) } == nil)

        // V=2, P, X, CC=1; one CSRC; a one-word extension; payload; two bytes of padding.
        let packet: [UInt8] = [0xB1, 101, 0, 1, 0, 0, 0, 0, 0, 0, 0, 1] + [9, 9, 9, 9] + [0xBE, 0xDE, 0, 1, 7, 7, 7, 7]
            + [5, 10, 0, 160] + [0, 2]
        let found = packet.withUnsafeBytes { TelephoneEventPayload.payload(ofRTP: $0).map(Array.init) }
        #expect(found == [5, 10, 0, 160])
        let truncated: [UInt8] = [0x91, 101, 0, 1, 0, 0, 0, 0, 0, 0, 0, 1]
        #expect(truncated.withUnsafeBytes { TelephoneEventPayload.payload(ofRTP: $0) } == nil)
    }

    @Test("a report's length follows the clock rate")
    func reportLength() {
        let report = TelephoneEventReport(event: 1, duration: 1600, volume: 10, ending: .endBit)
        #expect(report.length(clockRate: 8000) == .milliseconds(200))
        #expect(report.length(clockRate: 48000) == .nanoseconds(33_333_333))
    }

    // MARK: - Detector

    @Test("start, updates, three end packets: one report with the E packet's duration and volume")
    func oneReportPerEvent() {
        var detector = TelephoneEventDetector()
        var reports: [TelephoneEventReport] = []
        func feed(_ payload: TelephoneEventPayload, _ timestamp: UInt32, at ms: UInt64) {
            let (first, second) = detector.receive(payload, timestamp: timestamp, now: ms * Self.ms)
            reports += [first, second].compactMap { $0 }
        }
        feed(Self.event(5, duration: 400), 1000, at: 0)
        #expect(detector.isOpen)
        for k in 2...4 { feed(Self.event(5, duration: UInt16(400 * k)), 1000, at: UInt64(50 * (k - 1))) }
        #expect(reports.isEmpty, "updates report nothing")
        for k in 0..<3 { feed(Self.event(5, end: true, volume: 12, duration: 1760), 1000, at: UInt64(200 + 20 * k)) }
        #expect(reports == [TelephoneEventReport(event: 5, duration: 1760, volume: 12, ending: .endBit)])
        #expect(!detector.isOpen)
        #expect(detector.expire(now: 10_000 * Self.ms) == nil, "nothing left to expire")

        // The same digit again: a new timestamp is a new event.
        feed(Self.event(5, duration: 400), 4000, at: 400)
        feed(Self.event(5, end: true, duration: 800), 4000, at: 450)
        feed(Self.event(5, end: true, duration: 800), 4000, at: 470)
        #expect(reports.count == 2 && reports[1].event == 5 && reports[1].duration == 800)
    }

    @Test("lost end packets: the event ends by timeout, with the longest duration seen")
    func endByTimeout() {
        var detector = TelephoneEventDetector()
        _ = detector.receive(Self.event(9, duration: 400), timestamp: 80, now: 0)
        _ = detector.receive(Self.event(9, volume: 20, duration: 800), timestamp: 80, now: 50 * Self.ms)
        _ = detector.receive(Self.event(9, duration: 600), timestamp: 80, now: 60 * Self.ms)   // reordered update
        #expect(detector.expire(now: 349 * Self.ms) == nil, "within the timeout of the last packet")
        #expect(detector.expire(now: 360 * Self.ms) == TelephoneEventReport(event: 9, duration: 800, volume: 10,
                                                                              ending: .timeout))
        #expect(detector.expire(now: 2000 * Self.ms) == nil, "reported once")
        // A retransmitted end packet arriving after the timeout is not a new event.
        #expect(detector.receive(Self.event(9, end: true, duration: 1200), timestamp: 80, now: 2001 * Self.ms) == (nil, nil))
    }

    @Test("a new event before the end of the last one ends it; a single-packet event starts and ends at once")
    func supersededAndSinglePacket() {
        var detector = TelephoneEventDetector()
        _ = detector.receive(Self.event(1, duration: 400), timestamp: 100, now: 0)
        let (superseded, none) = detector.receive(Self.event(2, duration: 400), timestamp: 900, now: 100 * Self.ms)
        #expect(superseded == TelephoneEventReport(event: 1, duration: 400, volume: 10, ending: .superseded))
        #expect(none == nil)
        let (previous, single) = detector.receive(Self.event(3, end: true, duration: 320), timestamp: 2000,
                                                  now: 200 * Self.ms)
        #expect(previous?.event == 2 && previous?.ending == .superseded)
        #expect(single == TelephoneEventReport(event: 3, duration: 320, volume: 10, ending: .endBit))
        // An older event's packet arriving late is ignored.
        #expect(detector.receive(Self.event(2, end: true, duration: 800), timestamp: 900, now: 210 * Self.ms) == (nil, nil))
        #expect(!detector.isOpen)
    }

    @Test("a long event in segments (RFC 4733 §2.5.1.3) is one event")
    func segments() {
        var detector = TelephoneEventDetector()
        _ = detector.receive(Self.event(0, duration: 0xFFFF), timestamp: 10, now: 0)
        #expect(detector.receive(Self.event(0, duration: 400), timestamp: 10 &+ 0xFFFF, now: 50 * Self.ms) == (nil, nil))
        let (ended, _) = detector.receive(Self.event(0, end: true, duration: 800), timestamp: 10 &+ 0xFFFF,
                                          now: 100 * Self.ms)
        #expect(ended?.duration == UInt32(0xFFFF + 800))
    }

    @Test("reports are rate limited: a flood of tiny events cannot become a flood of INFO")
    func rateLimit() {
        var detector = TelephoneEventDetector()
        var reported = 0
        func flood(_ count: Int, from start: Int, at ms: UInt64) {
            for i in start..<start + count {
                let (a, b) = detector.receive(Self.event(1, end: true, duration: 80), timestamp: UInt32(i * 1000),
                                              now: (ms + UInt64(i - start)) * Self.ms)
                reported += [a, b].compactMap { $0 }.count
            }
        }
        flood(100, from: 0, at: 0)
        #expect(reported == Int(TelephoneEventDetector.burst), "the burst at once")
        flood(20, from: 100, at: 1050)
        #expect(reported == Int(TelephoneEventDetector.burst) + 10, "then 10 per second")
        #expect(detector.dropped == 120 - UInt64(reported))
    }

    // MARK: - Injector

    /// Every packet of the schedule, driving the clock 1 ms at a time.
    static func schedule(_ injector: inout TelephoneEventInjector, until end: UInt64,
                         timestamp: (UInt64) -> UInt32 = { UInt32($0 / 125_000) })
        -> [(at: UInt64, packet: TelephoneEventInjector.Packet)]
    {
        var packets: [(UInt64, TelephoneEventInjector.Packet)] = []
        var now: UInt64 = 0
        while now <= end {
            while let packet = injector.next(now: now, streamTimestamp: timestamp(now)) { packets.append((now, packet)) }
            now += Self.ms
        }
        return packets
    }

    @Test("injector: start with the marker, updates every interval, three end packets with the total duration")
    func injectorSchedule() {
        var injector = TelephoneEventInjector(interval: .milliseconds(50), clockRate: 8000)
        #expect(injector.nextDeadline == nil && injector.isIdle)
        injector.enqueue(event: 7, duration: .milliseconds(180), now: 0)
        #expect(injector.nextDeadline == 0)
        let packets = Self.schedule(&injector, until: 1000 * Self.ms)
        #expect(packets.map(\.at) == [0, 50, 100, 150, 200, 250].map { $0 * Self.ms })
        #expect(packets.map(\.packet.marker) == [true, false, false, false, false, false])
        #expect(packets.map(\.packet.payload.duration) == [400, 800, 1200, 1440, 1440, 1440])
        #expect(packets.map(\.packet.payload.end) == [false, false, false, true, true, true])
        #expect(packets.allSatisfy { $0.packet.timestamp == 0 && $0.packet.payload.event == 7 && $0.packet.payload.volume == 10 },
                "every packet carries the event's start timestamp")
        #expect(injector.isIdle && injector.nextDeadline == nil)
    }

    @Test("injector: queued digits follow one interval after the last end packet, each with its own timestamp")
    func injectorQueue() {
        var injector = TelephoneEventInjector(interval: .milliseconds(20), clockRate: 8000)
        injector.enqueue(event: 1, duration: .milliseconds(40), now: 0)
        injector.enqueue(event: 1, duration: .milliseconds(100), now: 0)
        injector.enqueue(event: 2, duration: .milliseconds(10), now: 0)   // lengthened to 40 ms
        #expect(injector.queued == 3)
        let packets = Self.schedule(&injector, until: 1000 * Self.ms)
        let starts = packets.filter(\.packet.marker)
        #expect(starts.map(\.packet.payload.event) == [1, 1, 2])
        // Digit 1 (40 ms): 0 and 20 ms (end), ends at 40 and 60; the next starts at 80 ms.
        #expect(starts.map(\.at) == [0, 80, 220].map { $0 * Self.ms })
        #expect(starts.map(\.packet.timestamp) == [0, 640, 1760], "the stream's timestamp when each started")
        #expect(packets.filter(\.packet.payload.end).count == 9)
        let second = packets.filter { $0.packet.timestamp == 640 }
        #expect(second.map(\.packet.payload.duration) == [160, 320, 480, 640, 800, 800, 800])
        #expect(packets.last?.packet.payload.duration == 320, "the 10 ms digit played for the 40 ms minimum")
    }

    @Test("injector: an event never starts before the last one ended in timestamp units, whatever the stream's clock says")
    func injectorNoOverlap() {
        var injector = TelephoneEventInjector(interval: .milliseconds(20), clockRate: 8000)
        injector.enqueue(event: 1, duration: .milliseconds(40), now: 0)
        injector.enqueue(event: 2, duration: .milliseconds(40), now: 0)
        let packets = Self.schedule(&injector, until: 500 * Self.ms, timestamp: { _ in 1000 })
        #expect(packets.filter(\.packet.marker).map(\.packet.timestamp) == [1000, 1320])
    }

    @Test("injector: a late wake-up sends what is due without a burst, and durations are capped at 16 bits")
    func injectorLateAndLong() {
        var injector = TelephoneEventInjector(interval: .milliseconds(50), clockRate: 8000)
        injector.enqueue(event: 4, duration: .seconds(10), now: 0)
        #expect(injector.next(now: 0, streamTimestamp: 5) != nil)
        #expect(injector.next(now: 10 * Self.ms, streamTimestamp: 5) == nil, "not due yet")
        let late = injector.next(now: 400 * Self.ms, streamTimestamp: 99)
        #expect(late?.payload.duration == 800 && late?.timestamp == 5)
        #expect(injector.next(now: 400 * Self.ms, streamTimestamp: 99) == nil)
        #expect(injector.nextDeadline == 450 * Self.ms)
        var full = TelephoneEventInjector(interval: .milliseconds(50), clockRate: 8000)
        full.enqueue(event: 4, duration: .seconds(10), now: 0)
        let packets = Self.schedule(&full, until: 10_000 * Self.ms)
        #expect(packets.last?.packet.payload.duration == 0xFFFF)
        #expect(packets.filter(\.packet.payload.end).count == 3)
    }
}
