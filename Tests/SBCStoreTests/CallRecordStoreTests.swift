import Foundation
import Testing
@testable import SBCStore

/// The store end to end: real file, real writer thread, read back through `CallRecordQuery`.
@Suite struct CallRecordStoreTests {
    @Test func concurrentRecordsFromFourThreadsAreAllWrittenExactly() throws {
        let dir = StoreFixtures.temporaryDirectory()
        defer { StoreFixtures.remove(dir) }
        let path = CallRecordStore.defaultPath(stateDirectory: dir)
        let store = try CallRecordStore(path: path, logger: StoreFixtures.logger)
        defer { store.close() }

        let threads = 4, perThread = 250
        DispatchQueue.concurrentPerform(iterations: threads) { thread in
            for index in 0..<perThread {
                store.record(StoreFixtures.sampleRecord(index, thread: thread))
            }
        }
        store.flush()
        #expect(store.written == threads * perThread)
        #expect(store.dropped == 0)
        #expect(store.failed == 0)
        #expect(store.backlog == 0)

        let read = try CallRecordQuery.recent(path: path, limit: 10_000)
        #expect(read.count == threads * perThread)
        let expected = (0..<threads).flatMap { thread in
            (0..<perThread).map { StoreFixtures.sampleRecord($0, thread: thread) }
        }
        let byID = Dictionary(uniqueKeysWithValues: read.map { ($0.callID, $0) })
        for record in expected {
            #expect(byID[record.callID] == record)
        }
        // Newest first.
        #expect(read.map(\.startedAt) == read.map(\.startedAt).sorted(by: >))
    }

    @Test func fullQueueDropsAndCountsWithoutBlocking() throws {
        let dir = StoreFixtures.temporaryDirectory()
        defer { StoreFixtures.remove(dir) }
        let path = dir + "/cdr.sqlite"
        let store = try CallRecordStore(path: path, logger: StoreFixtures.logger, capacity: 10)
        defer { store.close() }

        store.suspendWriter()  // as if the disk hung
        let started = ContinuousClock.now
        for index in 0..<25 {
            store.record(StoreFixtures.sampleRecord(index))
        }
        #expect(ContinuousClock.now - started < .seconds(1))  // never waited for the writer
        #expect(store.dropped == 15)
        #expect(store.backlog == 10)
        #expect(store.written == 0)

        store.resumeWriter()
        store.flush()
        #expect(store.written == 10)
        #expect(store.dropped == 15)
        let read = try CallRecordQuery.recent(path: path, limit: 100)
        #expect(Set(read.map(\.callID)) == Set((0..<10).map { StoreFixtures.sampleRecord($0).callID }))

        // With room again, records are accepted.
        store.record(StoreFixtures.sampleRecord(100))
        store.flush()
        #expect(store.written == 11)
    }

    @Test func closeFlushesAndLaterRecordsAreDropped() throws {
        let dir = StoreFixtures.temporaryDirectory()
        defer { StoreFixtures.remove(dir) }
        let path = dir + "/cdr.sqlite"
        let store = try CallRecordStore(path: path, logger: StoreFixtures.logger)
        for index in 0..<500 {
            store.record(StoreFixtures.sampleRecord(index))
        }
        store.close()
        #expect(store.written == 500)
        #expect(try CallRecordQuery.recent(path: path, limit: 1_000).count == 500)

        store.record(StoreFixtures.sampleRecord(999))
        #expect(store.dropped == 1)
        store.close()  // idempotent
        store.flush()  // returns at once after close
    }

    @Test func closeWhileSuspendedStillWritesEverything() throws {
        let dir = StoreFixtures.temporaryDirectory()
        defer { StoreFixtures.remove(dir) }
        let path = dir + "/cdr.sqlite"
        let store = try CallRecordStore(path: path, logger: StoreFixtures.logger)
        store.suspendWriter()
        for index in 0..<20 {
            store.record(StoreFixtures.sampleRecord(index))
        }
        store.close()
        #expect(store.written == 20)
    }

    @Test func unicodeAndQuotesRoundTrip() throws {
        let dir = StoreFixtures.temporaryDirectory()
        defer { StoreFixtures.remove(dir) }
        let path = dir + "/cdr.sqlite"
        let store = try CallRecordStore(path: path, logger: StoreFixtures.logger)
        let record = CallRecord(
            callID: "x'); DROP TABLE calls; --\"@host",
            legBCallID: "",
            fromURI: "\"Zoë O'Brien 🚀\" <sip:+33123@exämple.fr>;tag=a\"b",
            toURI: "sip:日本語@carrier.example",
            ingressTrunk: "platform",
            route: "route with \"quotes\" and 'apostrophes'",
            startedAt: 1_700_000_000.123456,
            endedAt: 1_700_000_001.5,
            disposition: "failed",
            finalStatus: 486,
            attempts: [CallAttempt(trunk: "ça-marche", startedAt: 1_700_000_000.2, responseCode: 486,
                                   reason: "Busy Here \u{0} with NUL and ✓", outcome: "rejected")])
        store.record(record)
        store.close()
        let read = try CallRecordQuery.recent(path: path, limit: 5)
        #expect(read == [record])
        #expect(read.first?.legBCallID == "")  // empty string is not NULL
    }

    @Test func aLegReplacedMidCallKeepsWhenItEnded() throws {
        let dir = StoreFixtures.temporaryDirectory()
        defer { StoreFixtures.remove(dir) }
        let path = dir + "/cdr.sqlite"
        let store = try CallRecordStore(path: path, logger: StoreFixtures.logger)
        let record = CallRecord(
            callID: "critical@platform", legBCallID: "critical@platform", fromURI: "sip:+1555@platform",
            toURI: "sip:+19995550100@sbc", ingressTrunk: "platform", route: "critical-lines",
            startedAt: 1_700_000_000, answeredAt: 1_700_000_000.5, endedAt: 1_700_000_060, disposition: "answered",
            finalStatus: 200, finalTrunk: "carrier-b",
            attempts: [
                CallAttempt(trunk: "carrier-a", startedAt: 1_700_000_000.01, responseCode: 200, reason: "media_timeout",
                            responseTimeMs: 480, outcome: "mid_call_failover", endedAt: 1_700_000_030),
                CallAttempt(trunk: "carrier-b", startedAt: 1_700_000_030, responseCode: 200, responseTimeMs: 120,
                            outcome: "answered", endedAt: 1_700_000_060),
            ])
        store.record(record)
        store.close()
        #expect(try CallRecordQuery.recent(path: path, limit: 1) == [record])
    }

    @Test func queryByCallIDReturnsOnlyThatCallNewestFirst() throws {
        let dir = StoreFixtures.temporaryDirectory()
        defer { StoreFixtures.remove(dir) }
        let path = dir + "/cdr.sqlite"
        let store = try CallRecordStore(path: path, logger: StoreFixtures.logger)
        defer { store.close() }
        var older = StoreFixtures.sampleRecord(1)
        older.callID = "wanted@platform"
        var newer = StoreFixtures.sampleRecord(2)
        newer.callID = "wanted@platform"
        for record in [older, StoreFixtures.sampleRecord(3), newer, StoreFixtures.sampleRecord(4)] {
            store.record(record)
        }
        store.flush()

        #expect(try CallRecordQuery.recent(path: path, limit: 10, callID: "wanted@platform") == [newer, older])
        #expect(try CallRecordQuery.recent(path: path, limit: 1, callID: "wanted@platform") == [newer])
        #expect(try CallRecordQuery.recent(path: path, limit: 10, callID: "nobody").isEmpty)
        #expect(try CallRecordQuery.recent(path: path, limit: 2).map(\.callID)
                == [StoreFixtures.sampleRecord(4).callID, StoreFixtures.sampleRecord(3).callID])
    }

    @Test func schemaStoresDurationAndAttemptNumbers() throws {
        let dir = StoreFixtures.temporaryDirectory()
        defer { StoreFixtures.remove(dir) }
        let path = dir + "/cdr.sqlite"
        let store = try CallRecordStore(path: path, logger: StoreFixtures.logger)
        store.record(StoreFixtures.sampleRecord(1))  // answered: 60 s talk time, 2 attempts
        store.record(StoreFixtures.sampleRecord(3))  // failed: no duration
        store.close()

        let db = try SQLiteDatabase(path: path, mode: .readOnly)
        let rows = try db.prepare("""
            SELECT c.duration_s, group_concat(a.attempt || ':' || a.trunk, ',')
            FROM calls c JOIN call_attempts a ON a.call_id = c.id GROUP BY c.id ORDER BY c.id
            """)
        #expect(try rows.step())
        #expect(rows.optionalDouble(at: 0) == 60)
        #expect(rows.string(at: 1) == "1:carrier-a,2:carrier-b")
        #expect(try rows.step())
        #expect(rows.optionalDouble(at: 0) == nil)
        #expect(rows.string(at: 1) == "1:carrier-a")
    }

    @Test func defaultPathIsInsideStateDirectory() {
        #expect(CallRecordStore.defaultPath(stateDirectory: "./lab-state") == "./lab-state/cdr.sqlite")
        #expect(CallRecordStore.defaultPath(stateDirectory: "/var/lib/sbc/") == "/var/lib/sbc/cdr.sqlite")
    }
}
