import Foundation
import Glibc
import Testing
@testable import SBCStore

/// Established-call snapshots (`established_calls`, migration 9) on a real SQLite file through
/// the real writer thread: upsert, delete, read back by a new store (the restarted process),
/// and the file's owner-only mode (the rows hold SRTP keys).
@Suite struct EstablishedCallStoreTests {
    struct Sample: Codable, Sendable, Equatable {
        var v: Int
        var secret: [UInt8] = []
    }

    @Test func snapshotsRoundTripAcrossAReopenAndDeletesStick() throws {
        let dir = StoreFixtures.temporaryDirectory()
        defer { StoreFixtures.remove(dir) }
        let path = CallRecordStore.defaultPath(stateDirectory: dir)
        let store = try EstablishedCallStore(path: path, logger: StoreFixtures.logger)
        store.save(key: "call-1;a", record: Sample(v: 1))
        store.save(key: "call-2;a", record: Sample(v: 2))
        store.save(key: "call-1;a", record: Sample(v: 3))  // a change replaces the row
        store.save(key: "call-3;a", record: Sample(v: 4, secret: [0, 1, 2, 255]))
        store.remove(key: "call-2;a")
        store.close()
        #expect(store.written == 5 && store.failed == 0 && store.dropped == 0)

        let reopened = try EstablishedCallStore(path: path, logger: StoreFixtures.logger)
        defer { reopened.close() }
        let rows = try reopened.load()
        #expect(rows.map(\.key).sorted() == ["call-1;a", "call-3;a"])
        let decoder = JSONDecoder()
        #expect(try rows.first { $0.key == "call-1;a" }.map { try decoder.decode(Sample.self, from: Data($0.record)) }
                == Sample(v: 3))
        #expect(try rows.first { $0.key == "call-3;a" }.map { try decoder.decode(Sample.self, from: Data($0.record)) }
                == Sample(v: 4, secret: [0, 1, 2, 255]), "encoded as JSON on the writer thread")
        #expect(rows.allSatisfy { abs($0.updatedAt - Date().timeIntervalSince1970) < 60 })
        reopened.remove(key: "call-1;a")
        reopened.flush()
        #expect(try reopened.load().map(\.key) == ["call-3;a"])
    }

    @Test func theStateFileIsReadableByItsOwnerOnly() throws {
        let dir = StoreFixtures.temporaryDirectory()
        defer { StoreFixtures.remove(dir) }
        let path = CallRecordStore.defaultPath(stateDirectory: dir)
        let store = try EstablishedCallStore(path: path, logger: StoreFixtures.logger)
        store.save(key: "k", record: Sample(v: 1))
        store.close()
        var info = stat()
        #expect(stat(path, &info) == 0)
        #expect(info.st_mode & 0o777 == 0o600)
    }

    @Test func theCDRRecoveredMarkRoundTrips() throws {
        let dir = StoreFixtures.temporaryDirectory()
        defer { StoreFixtures.remove(dir) }
        let path = CallRecordStore.defaultPath(stateDirectory: dir)
        let store = try CallRecordStore(path: path, logger: StoreFixtures.logger)
        var recovered = StoreFixtures.sampleRecord(1)
        recovered.recovered = true
        let plain = StoreFixtures.sampleRecord(2)
        store.record(recovered)
        store.record(plain)
        store.close()
        let byID = Dictionary(uniqueKeysWithValues: try CallRecordQuery.recent(path: path, limit: 10).map { ($0.callID, $0) })
        #expect(byID[recovered.callID]?.recovered == true)
        #expect(byID[plain.callID]?.recovered == false)
    }
}
