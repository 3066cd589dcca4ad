import Glibc
import Logging
import Synchronization
import Testing
@testable import SBCStore

/// A lingering writer gathers what arrives within the linger into one commit, and never makes
/// anyone wait for it: a flush or a stop takes the batch at once.
@Suite("Store writer linger: one commit for what arrives together, none of it held from a flush or a stop")
struct StoreQueueLingerTests {
    /// Records the size of every batch it commits.
    final class RecordingWriter: StoreBatchWriter, @unchecked Sendable {
        typealias Element = Int
        let batches = Mutex<[Int]>([])

        func write(_ batch: [[Int]]) throws(StoreError) {
            let count = batch.reduce(0) { $0 + $1.count }
            batches.withLock { $0.append(count) }
        }

        func close() {}
    }

    static func start(_ writer: RecordingWriter, linger: Duration) throws -> StoreWriterThread<Int> {
        try StoreWriterThread(name: "test-linger", label: "test", writer: writer, capacity: 1_000, linger: linger,
                              logger: Logger(label: "test"))
    }

    /// The first item wakes the writer; the rest come 50 ms later, within a 2 s linger (and
    /// well after a writer without one has committed the first alone). Blocking sleeps, not
    /// `Task.sleep`: a task resumed late by a busy test pool would miss the linger.
    static func batches(linger: Duration) throws -> [Int] {
        let writer = RecordingWriter()
        let thread = try Self.start(writer, linger: linger)
        thread.queue.enqueue(1)
        usleep(50_000)
        for item in 2...10 { thread.queue.enqueue(item) }
        for _ in 0..<200 where thread.queue.counters.backlog > 0 { usleep(20_000) }
        thread.stop()
        return writer.batches.withLock { $0 }
    }

    @Test("items arriving within the linger are committed together; without one, the first goes alone")
    func gathersOneBatch() throws {
        let lingering: [Int] = try Self.batches(linger: .seconds(2))
        #expect(lingering == [10])
        let immediate: [Int] = try Self.batches(linger: .zero)
        #expect(immediate == [1, 9])
    }

    @Test("a flush takes the batch at once instead of waiting out the linger")
    func flushDoesNotWait() throws {
        let writer = RecordingWriter()
        let thread = try Self.start(writer, linger: .seconds(5))
        thread.queue.enqueue(1)
        let started = ContinuousClock.now
        #expect(thread.queue.waitUntilCompleted(timeout: .seconds(3)))
        #expect(started.duration(to: .now) < .seconds(1))
        #expect(writer.batches.withLock { $0 } == [1])
        thread.stop()
    }

    @Test("a stop during the linger writes what is queued and exits at once")
    func stopDoesNotWait() throws {
        let writer = RecordingWriter()
        let thread = try Self.start(writer, linger: .seconds(5))
        for item in 1...3 { thread.queue.enqueue(item) }
        let started = ContinuousClock.now
        thread.stop()
        #expect(started.duration(to: .now) < .seconds(1))
        #expect(writer.batches.withLock { $0 }.reduce(0, +) == 3)
    }
}
