import Foundation
import Testing
@testable import SBCStore

/// Prints the caller-side cost of `record(_:)` and the writer's sustained rate. Never asserts
/// timings (shared CI machines vary); run it alone for meaningful figures:
/// `swift test -c release -Xswiftc -enable-testing --filter CallRecordStoreBenchmarkTests`.
@Suite struct CallRecordStoreBenchmarkTests {
    @Test func measureRecordCostAndWriterThroughput() throws {
        let dir = StoreFixtures.temporaryDirectory()
        defer { StoreFixtures.remove(dir) }
        let count = 100_000
        let records = (0..<count).map { StoreFixtures.sampleRecord($0) }  // built outside the timing

        // 1. Writer running concurrently (the real situation): caller cost, then drain rate.
        let live = try CallRecordStore(path: dir + "/live.sqlite", logger: StoreFixtures.logger, capacity: count)
        let clock = ContinuousClock()
        var perCall: [Duration] = []
        perCall.reserveCapacity(count)
        let started = clock.now
        for record in records {
            let t0 = clock.now
            live.record(record)
            perCall.append(clock.now - t0)
        }
        let enqueued = clock.now - started
        live.flush()
        let drained = clock.now - started
        live.close()
        perCall.sort()
        func percentile(_ p: Double) -> Double { perCall[min(count - 1, Int(Double(count) * p))].microseconds }
        print(String(format: "[bench] live: record() %.2f us/call mean (p50 %.2f, p99 %.2f, p99.9 %.1f, max %.1f us, %d calls over 1 ms); %d records written in %.2f s = %.0f records/s (dropped %d)",
                     enqueued.microseconds / Double(count), percentile(0.5), percentile(0.99), percentile(0.999),
                     perCall[count - 1].microseconds, perCall.filter { $0 > .milliseconds(1) }.count, live.written, drained.seconds,
                     Double(live.written) / drained.seconds, live.dropped))

        // 2. Writer stalled while enqueueing (no lock contention), then one big drain.
        let stalled = try CallRecordStore(path: dir + "/stalled.sqlite", logger: StoreFixtures.logger, capacity: count)
        stalled.suspendWriter()
        let enqueueStart = clock.now
        for record in records { stalled.record(record) }
        let enqueueOnly = clock.now - enqueueStart
        let drainStart = clock.now
        stalled.resumeWriter()
        stalled.flush()
        let drainOnly = clock.now - drainStart
        stalled.close()
        print(String(format: "[bench] uncontended record() %.2f us/call; writer drained %d records (%d attempts) in %.2f s = %.0f records/s",
                     enqueueOnly.microseconds / Double(count), stalled.written,
                     records.reduce(0) { $0 + $1.attempts.count }, drainOnly.seconds,
                     Double(stalled.written) / drainOnly.seconds))
        #expect(stalled.written == count)
    }
}

private extension Duration {
    var seconds: Double { Double(components.seconds) + Double(components.attoseconds) / 1e18 }
    var microseconds: Double { seconds * 1e6 }
}
