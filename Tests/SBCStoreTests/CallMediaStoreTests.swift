import Foundation
import Testing
@testable import SBCStore

/// Per-leg media statistics (`call_media`, migration 3) end to end: written with the call by the
/// real writer thread into a real file, read back through `CallRecordQuery`, and files left by
/// the release before it.
@Suite struct CallMediaStoreTests {
    @Test func twoMediaLegsRoundTripInSideOrder() throws {
        let dir = StoreFixtures.temporaryDirectory()
        defer { StoreFixtures.remove(dir) }
        let path = CallRecordStore.defaultPath(stateDirectory: dir)
        let store = try CallRecordStore(path: path, logger: StoreFixtures.logger)
        var withMedia = StoreFixtures.sampleRecord(1)
        withMedia.media = StoreFixtures.sampleMedia(1)
        // Recorded b before a: the query orders by side, not by insertion.
        var reversed = StoreFixtures.sampleRecord(2)
        reversed.media = StoreFixtures.sampleMedia(2).reversed()
        let without = StoreFixtures.sampleRecord(3)  // failed call: no media
        for record in [withMedia, reversed, without] {
            store.record(record)
        }
        store.close()
        #expect(store.written == 3)
        #expect(store.failed == 0)

        let read = try CallRecordQuery.recent(path: path, limit: 10)
        #expect(read.count == 3)
        let byID = Dictionary(uniqueKeysWithValues: read.map { ($0.callID, $0) })
        #expect(byID[withMedia.callID] == withMedia)
        #expect(byID[reversed.callID]?.media == StoreFixtures.sampleMedia(2))
        #expect(byID[without.callID] == without)
        #expect(byID[without.callID]?.media == [])

        // The columns themselves, as an operator's sqlite3 query sees them.
        let db = try SQLiteDatabase(path: path, mode: .readOnly)
        defer { db.close() }
        let rows = try db.prepare("""
            SELECT m.side, m.trunk, m.packets_received, m.bytes_received, m.packets_forwarded,
                   m.packets_dropped, m.rtcp_packets, m.packets_lost, m.jitter_ms, m.latched_source
            FROM call_media m JOIN calls c ON m.call_id = c.id
            WHERE c.call_id = ?1 ORDER BY m.side
            """)
        defer { rows.finalize() }
        try rows.bind(withMedia.callID, at: 1)
        #expect(try rows.step())
        #expect(rows.string(at: 0) == "a")
        #expect(rows.optionalString(at: 1) == "platform")
        #expect(rows.int64(at: 2) == 1_501)
        #expect(rows.int64(at: 3) == 258_001)
        #expect(rows.int64(at: 4) == 1_499)
        #expect(rows.int64(at: 5) == 3)
        #expect(rows.int64(at: 6) == 6)
        #expect(rows.int64(at: 7) == 2)
        #expect(rows.double(at: 8) == 1.525)
        #expect(rows.optionalString(at: 9) == "127.0.0.10:6000")
        #expect(try rows.step())
        #expect(rows.string(at: 0) == "b")
        #expect(rows.isNull(at: 9))  // never latched: NULL, not ""
        #expect(try rows.step() == false)
    }

    @Test func countersBeyond32BitsSurvive() throws {
        let dir = StoreFixtures.temporaryDirectory()
        defer { StoreFixtures.remove(dir) }
        let path = dir + "/cdr.sqlite"
        let store = try CallRecordStore(path: path, logger: StoreFixtures.logger)
        var record = StoreFixtures.sampleRecord(4)
        record.media = [CallMediaLeg(side: "a", packetsReceived: 5_000_000_000, bytesReceived: Int64.max,
                                     packetsForwarded: 4_999_999_999, packetsDropped: 1, rtcpPackets: 0,
                                     packetsLost: -3,  // RFC 3550: duplicates can make it negative
                                     jitterMs: 0)]
        store.record(record)
        store.close()
        #expect(try CallRecordQuery.recent(path: path, limit: 1) == [record])
    }

    @Test func migration2FileUpgradesTo3AndOldCallsHaveNoMedia() throws {
        let dir = StoreFixtures.temporaryDirectory()
        defer { StoreFixtures.remove(dir) }
        let path = CallRecordStore.defaultPath(stateDirectory: dir)

        // A file as the previous release left it: migrations 1 and 2, with CDRs in it.
        let old = try SQLiteDatabase(path: path)
        #expect(try old.migrate(Array(StateSchema.migrations.prefix(2))) == 0)
        let cdrs = (0..<20).map { StoreFixtures.sampleRecord($0) }
        try StoreFixtures.writeLegacy(cdrs, to: old)
        old.close()

        // `sbc cdr` run by the new binary before the new SBC has opened (and migrated) the file.
        let beforeUpgrade = try CallRecordQuery.recent(path: path, limit: 100)
        #expect(beforeUpgrade.count == 20)
        #expect(beforeUpgrade.allSatisfy { $0.media.isEmpty })
        #expect(try SQLiteDatabase(path: path, mode: .readOnly).userVersion == 2)  // reading did not migrate

        let store = try CallRecordStore(path: path, logger: StoreFixtures.logger)
        var fresh = StoreFixtures.sampleRecord(20)
        fresh.media = StoreFixtures.sampleMedia(20)
        store.record(fresh)
        store.close()
        #expect(store.written == 1)
        #expect(try SQLiteDatabase(path: path, mode: .readOnly).userVersion == StateSchema.migrations.count)

        let read = try CallRecordQuery.recent(path: path, limit: 100)
        #expect(read.count == 21)
        #expect(read.first == fresh)  // newest first, both legs
        let byID = Dictionary(uniqueKeysWithValues: read.map { ($0.callID, $0) })
        for record in cdrs {
            #expect(byID[record.callID] == record)
            #expect(byID[record.callID]?.media == [])
        }
    }

    @Test func deletingCallsCascadesToTheirMediaLegs() throws {
        let dir = StoreFixtures.temporaryDirectory()
        defer { StoreFixtures.remove(dir) }
        let path = dir + "/cdr.sqlite"
        let store = try CallRecordStore(path: path, logger: StoreFixtures.logger)
        for index in 0..<10 {
            var record = StoreFixtures.sampleRecord(index)
            record.media = StoreFixtures.sampleMedia(index)
            store.record(record)
        }
        store.close()

        // The retention statement docs/CDR.md gives (SQLiteDatabase turns foreign_keys on).
        let db = try SQLiteDatabase(path: path)
        defer { db.close() }
        try db.prepare("DELETE FROM calls WHERE started_at < ?1").run([.real(1_700_000_005)])
        let count = try db.prepare("SELECT count(*), count(DISTINCT call_id) FROM call_media")
        defer { count.finalize() }
        #expect(try count.step())
        #expect(count.int(at: 0) == 10)  // two legs for each of the five calls left
        #expect(count.int(at: 1) == 5)
        let orphans = try db.prepare("SELECT count(*) FROM call_media WHERE call_id NOT IN (SELECT id FROM calls)")
        defer { orphans.finalize() }
        #expect(try orphans.step())
        #expect(orphans.int(at: 0) == 0)

        let read = try CallRecordQuery.recent(path: path, limit: 100)
        #expect(read.map(\.callID).sorted() == (5..<10).map { StoreFixtures.sampleRecord($0).callID }.sorted())
        #expect(read.allSatisfy { $0.media.count == 2 })
    }

    /// `sbc cdr --json` encodes with `.convertToSnakeCase`: a leg's keys must then be exactly
    /// the `call_media` columns (minus the row and call ids), like the other CDR keys.
    @Test func jsonKeysAreTheColumnNames() throws {
        let dir = StoreFixtures.temporaryDirectory()
        defer { StoreFixtures.remove(dir) }
        let db = try SQLiteDatabase(path: dir + "/cdr.sqlite")
        defer { db.close() }
        try db.migrate(StateSchema.migrations)
        let info = try db.prepare("SELECT name FROM pragma_table_info('call_media')")
        defer { info.finalize() }
        var columns: Set<String> = []
        while try info.step() { columns.insert(info.string(at: 0)) }

        let encoder = JSONEncoder()
        encoder.keyEncodingStrategy = .convertToSnakeCase
        let leg = CallMediaLeg(side: "a", trunk: "platform", packetsReceived: 1, bytesReceived: 2, packetsForwarded: 3,
                               packetsDropped: 4, rtcpPackets: 5, packetsLost: 6, jitterMs: 7, latchedSource: "10.0.0.1:4000")
        let object = try #require(try JSONSerialization.jsonObject(with: encoder.encode(leg)) as? [String: Any])
        #expect(Set(object.keys) == columns.subtracting(["id", "call_id"]))

        var record = StoreFixtures.sampleRecord(1)
        record.media = [leg]
        let call = try #require(try JSONSerialization.jsonObject(with: encoder.encode(record)) as? [String: Any])
        #expect((call["media"] as? [[String: Any]])?.first?["packets_received"] as? Int == 1)
    }
}
