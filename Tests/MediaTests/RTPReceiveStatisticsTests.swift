import Testing
import Media

@Suite("RTPReceiveStatistics")
struct RTPReceiveStatisticsTests {
    /// Feeds sequence numbers at a steady 20 ms / 160-unit pace (no jitter).
    private func feed(_ sequences: [UInt16], into stats: inout RTPReceiveStatistics, ssrc: UInt32 = 1) {
        for sequence in sequences {
            let timestamp = UInt32(sequence) &* 160
            stats.record(sequence: sequence, timestamp: timestamp, ssrc: ssrc, arrival: timestamp &+ 5000)
        }
    }

    @Test("in order: nothing lost, probation excludes the first packet")
    func inOrder() {
        var stats = RTPReceiveStatistics()
        feed(Array(100...149), into: &stats)
        #expect(stats.received == 49)
        #expect(stats.expected == 49)
        #expect(stats.cumulativeLost == 0)
        #expect(stats.extendedHighestSequence == 149)
        #expect(stats.jitter == 0)
    }

    @Test("gaps count as lost")
    func loss() {
        var stats = RTPReceiveStatistics()
        feed([1, 2, 3, 4, 6, 8, 9, 10], into: &stats)
        #expect(stats.expected == 9)  // base 2 ... 10
        #expect(stats.received == 7)
        #expect(stats.cumulativeLost == 2)
    }

    @Test("the 16-bit wrap extends the sequence with a cycle")
    func wrapAround() {
        var stats = RTPReceiveStatistics()
        feed([65530, 65531, 65532, 65533, 65534, 65535, 0, 1, 3, 4, 5], into: &stats)
        #expect(stats.extendedHighestSequence == 65536 + 5)
        #expect(stats.expected == 11)
        #expect(stats.received == 10)
        #expect(stats.cumulativeLost == 1)
    }

    @Test("reordered packets are not lost; duplicates make loss negative")
    func reorderAndDuplicates() {
        var reordered = RTPReceiveStatistics()
        feed([1, 2, 3, 5, 4, 6], into: &reordered)
        #expect(reordered.cumulativeLost == 0)
        #expect(reordered.extendedHighestSequence == 6)

        var duplicated = RTPReceiveStatistics()
        feed([1, 2, 3, 3, 4], into: &duplicated)
        #expect(duplicated.received == 4)
        #expect(duplicated.cumulativeLost == -1)
    }

    @Test("a large jump is believed only when the next packet confirms it")
    func restartedSender() {
        var stats = RTPReceiveStatistics()
        feed([10, 11, 12], into: &stats)
        feed([20000], into: &stats)
        #expect(stats.extendedHighestSequence == 12)  // not believed yet
        feed([20001, 20002], into: &stats)
        #expect(stats.extendedHighestSequence == 20002)
        #expect(stats.cumulativeLost == 0)
    }

    @Test("a new SSRC starts a new source and keeps the old loss")
    func ssrcChange() {
        var stats = RTPReceiveStatistics()
        feed([1, 2, 3, 5, 6], into: &stats, ssrc: 1)
        #expect(stats.cumulativeLost == 1)
        feed([500, 501, 502, 504], into: &stats, ssrc: 2)
        #expect(stats.cumulativeLost == 2)
    }

    @Test("jitter matches RFC 3550 A.8 computed by hand")
    func jitter() {
        // transit = arrival - timestamp: 1000 (p2), 1008, 1000, 1016 -> |D| = 8, 8, 16.
        // J(x16): 0 + 8 - 0 = 8; 8 + 8 - 1 = 15; 15 + 16 - 1 = 30 -> 30/16 = 1.875 units.
        var stats = RTPReceiveStatistics()
        let arrivals: [(UInt16, UInt32, UInt32)] = [(1, 0, 1000), (2, 160, 1160), (3, 320, 1328), (4, 480, 1480), (5, 640, 1656)]
        for (sequence, timestamp, arrival) in arrivals {
            stats.record(sequence: sequence, timestamp: timestamp, ssrc: 9, arrival: arrival)
        }
        #expect(stats.jitter == 1)
        #expect(stats.jitterMilliseconds(clockRate: 8000) == 30.0 / 16 / 8000 * 1000)  // 0.234375 ms
    }

    @Test("arrival units use the clock rate without overflowing")
    func arrivalUnits() {
        #expect(RTPReceiveStatistics.arrivalUnits(nanoseconds: 1_000_000_000, clockRate: 8000) == 8000)
        #expect(RTPReceiveStatistics.arrivalUnits(nanoseconds: 20_000_000, clockRate: 8000) == 160)
        // 100 days of uptime at 90 kHz: 8.64e15 ns * 9e4 overflows 64 bits.
        let ns: UInt64 = 100 * 86_400 * 1_000_000_000
        let expected = UInt32(truncatingIfNeeded: UInt64(100 * 86_400) * 90_000)
        #expect(RTPReceiveStatistics.arrivalUnits(nanoseconds: ns, clockRate: 90_000) == expected)
    }
}
