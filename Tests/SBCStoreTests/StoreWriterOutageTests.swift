import Logging
import Synchronization
import Testing
@testable import SBCStore

/// The writer thread through a database outage, with a writer that fails as PostgreSQL does
/// (`unreachable` while it is away, `refused` for a statement it will never take): the holding
/// and dropping rules, without a server.
@Suite("Store writer: batches held through an outage, dropped only when refused or over the buffer")
struct StoreWriterOutageTests {
    /// Fails while `away`, refuses batches holding a negative number, records what it commits.
    final class FlakyWriter: StoreBatchWriter, @unchecked Sendable {
        typealias Element = Int
        let away = Mutex(true)
        let committed = Mutex<[Int]>([])
        let attempts = Mutex(0)

        func write(_ batch: [[Int]]) throws(StoreError) {
            attempts.withLock { $0 += 1 }
            if away.withLock({ $0 }) { throw .unreachable("connection refused") }
            let items = batch.flatMap { $0 }
            if items.contains(where: { $0 < 0 }) { throw .refused("check constraint") }
            committed.withLock { $0 += items }
        }

        func close() {}
    }

    /// A writer thread on `writer` with a buffer of 50 writes.
    static func start(_ writer: FlakyWriter, _ name: String) throws -> StoreWriterThread<Int> {
        try StoreWriterThread(name: name, label: "test", writer: writer, capacity: 50, logger: Logger(label: "test"))
    }

    static func waitUntil(_ condition: () -> Bool) async {
        for _ in 0..<200 where !condition() { try? await Task.sleep(for: .milliseconds(20)) }
    }

    @Test("while the database is away nothing is lost up to the buffer; on return the held writes commit in order")
    func holdsThenFlushes() async throws {
        let writer = FlakyWriter()
        let thread = try Self.start(writer, "test-outage")
        for item in 1...40 { thread.queue.enqueue(item) }
        await Self.waitUntil { writer.attempts.withLock { $0 } >= 3 }
        #expect(thread.queue.counters.reachable == false)
        #expect(thread.queue.counters.backlog == 40)
        #expect(thread.queue.counters.failed == 0, "an unreachable database loses nothing")
        let waited = ContinuousClock.now
        #expect(!thread.queue.waitUntilCompleted(timeout: .milliseconds(200)), "a bounded flush gives up")
        #expect(waited.duration(to: .now) < .seconds(2))
        for item in 41...60 { thread.queue.enqueue(item) }  // 10 over the buffer of 50
        #expect(thread.queue.counters.dropped == 10)

        writer.away.withLock { $0 = false }
        await Self.waitUntil { thread.queue.counters.backlog == 0 }
        let counters = thread.queue.counters
        #expect(counters.reachable && counters.written == 50 && counters.failed == 0)
        #expect(writer.committed.withLock { $0 } == Array(1...50), "held writes commit once, in order")
        thread.stop()
    }

    @Test("a refused batch is counted as failed and not retried; later batches go on")
    func refusedIsDropped() async throws {
        let writer = FlakyWriter()
        writer.away.withLock { $0 = false }
        let thread = try Self.start(writer, "test-refused")
        thread.queue.enqueue(-1)
        await Self.waitUntil { thread.queue.counters.backlog == 0 }
        thread.queue.enqueue(7)
        await Self.waitUntil { thread.queue.counters.backlog == 0 }
        let counters = thread.queue.counters
        #expect(counters.failed == 1 && counters.written == 1 && counters.reachable)
        #expect(writer.committed.withLock { $0 } == [7])
        thread.stop()
    }

    @Test("a stop while the database is away gives up after the stop patience, counting the held writes as failed")
    func stopGivesUp() async throws {
        let writer = FlakyWriter()
        let thread = try Self.start(writer, "test-stop")
        for item in 1...5 { thread.queue.enqueue(item) }
        await Self.waitUntil { writer.attempts.withLock { $0 } >= 1 }
        let started = ContinuousClock.now
        thread.stop()
        let waited = started.duration(to: .now)
        #expect(waited >= StoreWriterThread<Int>.stopPatience - .milliseconds(200) && waited < .seconds(8))
        #expect(thread.queue.counters.failed == 5)
    }
}
