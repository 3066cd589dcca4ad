import CSBCSQLite
import Foundation
import Testing
@testable import SBCStore

/// Trunk state, group state and the audit log end to end: real file, real writer thread, read
/// back through the store's read-only connections, and across reopen (the restart case).
@Suite struct OperationalStoreTests {
    @Test func migration2UpgradesAVersion1FileAndCDRsSurvive() throws {
        let dir = StoreFixtures.temporaryDirectory()
        defer { StoreFixtures.remove(dir) }
        let path = CallRecordStore.defaultPath(stateDirectory: dir)

        // A file as the previous release left it: migration 1 only, with CDRs in it.
        let old = try SQLiteDatabase(path: path)
        #expect(try old.migrate(Array(StateSchema.migrations.prefix(1))) == 0)
        let cdrs = (0..<50).map { StoreFixtures.sampleRecord($0) }
        try StoreFixtures.writeLegacy(cdrs, to: old)
        old.close()

        let store = try OperationalStore(path: path, logger: StoreFixtures.logger)
        defer { store.close() }
        let check = try SQLiteDatabase(path: path, mode: .readOnly)
        defer { check.close() }
        // Opening brings the file all the way up (migration 3, call_media, and 4, attempts'
        // ended_at, came later).
        #expect(try check.userVersion == StateSchema.migrations.count)
        let tables = try check.prepare("""
            SELECT group_concat(name, ',') FROM (SELECT name FROM sqlite_master
            WHERE type IN ('table', 'index') AND name NOT LIKE 'sqlite_%' ORDER BY name)
            """)
        #expect(try tables.step())
        #expect(tables.string(at: 0) == "audit_log,audit_log_at,call_attempts,call_attempts_call_id,"
                + "call_attempts_trunk_started_at,call_media,call_media_call_id,calls,calls_call_id,calls_started_at,"
                + "cluster_nodes,established_calls,group_activations,group_state,idempotency_keys,node_trunk_state,"
                + "trunk_locks,trunk_state,validation_results,validation_results_run_id,validation_runs,"
                + "validation_runs_trunk_started_at")
        tables.finalize()

        let read = try CallRecordQuery.recent(path: path, limit: 100)
        #expect(read.count == 50)
        #expect(Set(read.map(\.callID)) == Set(cdrs.map(\.callID)))
        #expect(read.first == cdrs.last)  // newest first, attempts intact

        // A CallRecordStore opened afterwards sees the version as current and keeps writing.
        let cdrStore = try CallRecordStore(path: path, logger: StoreFixtures.logger)
        cdrStore.record(StoreFixtures.sampleRecord(50))
        cdrStore.close()
        #expect(cdrStore.written == 1)
        #expect(try CallRecordQuery.recent(path: path, limit: 100).count == 51)
    }

    @Test func savesUpsertOneRowPerTrunkAndGroup() throws {
        let dir = StoreFixtures.temporaryDirectory()
        defer { StoreFixtures.remove(dir) }
        let path = dir + "/cdr.sqlite"
        let store = try OperationalStore(path: path, logger: StoreFixtures.logger)
        defer { store.close() }

        let before = Date().timeIntervalSince1970
        store.save(TrunkStateRecord(trunk: "carrier-a", state: "up", since: 100))
        store.save(TrunkStateRecord(trunk: "carrier-b", state: "up", since: 101))
        let quarantined = TrunkStateRecord(trunk: "carrier-a", state: "quarantined", cause: "retry_after",
                                           detail: "503 Retry-After: 120", since: 200, quarantineUntil: 320)
        store.save(quarantined)
        store.save(GroupStateRecord(group: "uk-outbound", forcedFailover: true, actor: "alice", reason: "carrier-a maintenance"))
        let cleared = GroupStateRecord(group: "uk-outbound", forcedFailover: false, actor: "bob")
        store.save(cleared)
        store.flush()
        #expect(store.written == 5)
        #expect(store.failed == 0)

        #expect(try store.loadTrunkStates() == [quarantined, TrunkStateRecord(trunk: "carrier-b", state: "up", since: 101)])
        let stored = try store.loadGroupStates()
        #expect(stored.map(Self.decision) == [cleared])  // reason cleared, not kept from the first save
        #expect(stored.first?.updatedAt != nil, "the save time tells one decision from the next")

        // updated_at is stamped at save time; flags are stored as 0/1.
        let db = try SQLiteDatabase(path: path, mode: .readOnly)
        defer { db.close() }
        let row = try db.prepare("SELECT updated_at, awaiting_approval, typeof(quarantine_until) FROM trunk_state WHERE trunk = 'carrier-a'")
        defer { row.finalize() }
        #expect(try row.step())
        #expect(row.double(at: 0) >= before)
        #expect(row.double(at: 0) <= Date().timeIntervalSince1970)
        #expect(row.int(at: 1) == 0)
        #expect(row.string(at: 2) == "real")
    }

    @Test func auditIsOldestFirstWithExclusiveSinceAndLimit() throws {
        let dir = StoreFixtures.temporaryDirectory()
        defer { StoreFixtures.remove(dir) }
        let store = try OperationalStore(path: dir + "/cdr.sqlite", logger: StoreFixtures.logger)
        defer { store.close() }

        // Appended out of timestamp order, two sharing a timestamp; a caller-set id is ignored.
        let entries = [
            AuditEntry(at: 30, subject: "carrier-a", kind: "trunk", fromState: "up", toState: "down",
                       cause: "options_timeout", detail: "3 timeouts in 30 s"),
            AuditEntry(id: 999, at: 10, subject: "carrier-b", kind: "trunk", toState: "up", cause: "startup"),
            AuditEntry(at: 20, subject: "uk-outbound", kind: "group", fromState: "normal", toState: "forced_failover",
                       cause: "operator", detail: "maintenance 'tonight' ✓", actor: "alice"),
            AuditEntry(at: 20, subject: "carrier-a", kind: "trunk", fromState: "up", toState: "locked",
                       cause: "operator_lock", actor: "alice"),
        ]
        for entry in entries { store.append(entry) }
        store.flush()

        let all = try store.audit(since: nil, limit: 100)
        #expect(all.map(\.at) == [10, 20, 20, 30])
        // Ties keep append order; ids are the database's, in append order.
        #expect(all.map(\.subject) == ["carrier-b", "uk-outbound", "carrier-a", "carrier-a"])
        #expect(all.map(\.id) == [2, 3, 4, 1])
        var expected = entries[2]
        expected.id = 3
        #expect(all[1] == expected)

        #expect(try store.audit(since: 10, limit: 100).map(\.at) == [20, 20, 30])  // exclusive
        #expect(try store.audit(since: 20, limit: 100).map(\.id) == [1])
        #expect(try store.audit(since: 30, limit: 100).isEmpty)
        #expect(try store.audit(since: 9.999, limit: 2).map(\.id) == [2, 3])  // the oldest two after since
        #expect(try store.audit(since: nil, limit: 0).isEmpty)
        #expect(try store.audit(since: nil, limit: -1).isEmpty)  // not SQLite's "no limit"
    }

    @Test func stateIsRestoredAfterReopen() throws {
        let dir = StoreFixtures.temporaryDirectory()
        defer { StoreFixtures.remove(dir) }
        let path = CallRecordStore.defaultPath(stateDirectory: dir)
        let trunks = [
            TrunkStateRecord(trunk: "carrier-a", state: "locked", cause: "operator", since: 1_700_000_000.25,
                             lockedBy: "alice", lockReason: "fraud investigation \"INC-42\""),
            TrunkStateRecord(trunk: "carrier-b", state: "quarantined", cause: "retry_after", detail: "503",
                             since: 1_700_000_100, quarantineUntil: 1_700_000_400.5),
            TrunkStateRecord(trunk: "carrier-c", state: "down", cause: "options_timeout", since: 1_700_000_200,
                             awaitingApproval: true),
            TrunkStateRecord(trunk: "ça-marche 🚀", state: "up", detail: "", since: 0),
        ]
        let groups = [
            GroupStateRecord(group: "de-outbound", forcedFailover: false),
            GroupStateRecord(group: "uk-outbound", forcedFailover: true, actor: "alice", reason: "carrier-a locked"),
        ]
        do {
            let store = try OperationalStore(path: path, logger: StoreFixtures.logger)
            for trunk in trunks.reversed() { store.save(trunk) }
            for group in groups { store.save(group) }
            store.append(AuditEntry(at: 1_700_000_000.25, subject: "carrier-a", kind: "trunk", fromState: "up",
                                    toState: "locked", cause: "operator_lock", actor: "alice"))
            store.close()  // no flush: close must write what is queued
        }

        let reopened = try OperationalStore(path: path, logger: StoreFixtures.logger)
        defer { reopened.close() }
        #expect(try reopened.loadTrunkStates() == trunks)  // sorted by name
        #expect(try reopened.loadGroupStates().map(Self.decision) == groups)
        #expect(try reopened.audit(since: nil, limit: 10).map(\.toState) == ["locked"])
        #expect(try reopened.loadTrunkStates().first { $0.trunk == "ça-marche 🚀" }?.detail == "")  // not NULL

        // The reads need no writer: a bare query on the file sees the same.
        #expect(try OperationalQuery.trunkStates(path: path) == trunks)
    }

    @Test func closeFlushesQueuedWritesAndLaterOnesAreDropped() throws {
        let dir = StoreFixtures.temporaryDirectory()
        defer { StoreFixtures.remove(dir) }
        let store = try OperationalStore(path: dir + "/cdr.sqlite", logger: StoreFixtures.logger)
        store.suspendWriter()  // everything stays queued until close
        for index in 0..<300 {
            store.save(TrunkStateRecord(trunk: "t\(index % 10)", state: "s\(index)", since: Double(index)))
            store.append(AuditEntry(at: Double(index), subject: "t\(index % 10)", kind: "trunk", cause: "c\(index)"))
        }
        #expect(store.written == 0)
        store.close()
        #expect(store.written == 600)
        #expect(store.backlog == 0)
        let trunks = try store.loadTrunkStates()  // reads still work after close
        #expect(trunks.count == 10)
        #expect(trunks.first { $0.trunk == "t9" }?.state == "s299")  // last save wins
        #expect(try store.audit(since: nil, limit: 1_000).count == 300)

        store.save(GroupStateRecord(group: "g", forcedFailover: true))
        #expect(store.dropped == 1)
        store.close()  // idempotent
        store.flush()  // returns at once after close
    }

    @Test func fullQueueDropsWithoutBlocking() throws {
        let dir = StoreFixtures.temporaryDirectory()
        defer { StoreFixtures.remove(dir) }
        let store = try OperationalStore(path: dir + "/cdr.sqlite", logger: StoreFixtures.logger, capacity: 5)
        defer { store.close() }
        store.suspendWriter()
        let started = ContinuousClock.now
        for index in 0..<8 {
            store.append(AuditEntry(at: Double(index), subject: "x", kind: "trunk", cause: "c"))
        }
        #expect(ContinuousClock.now - started < .seconds(1))
        #expect(store.dropped == 3)
        store.resumeWriter()
        store.flush()
        #expect(try store.audit(since: nil, limit: 100).map(\.at) == [0, 1, 2, 3, 4])
    }

    @Test func readsOfAMissingDatabaseFailWithCantOpen() throws {
        let dir = StoreFixtures.temporaryDirectory()
        defer { StoreFixtures.remove(dir) }
        do throws(SQLiteError) {
            _ = try OperationalQuery.audit(path: dir + "/missing.sqlite", since: nil, limit: 10)
            Issue.record("a missing database must fail")
        } catch {
            #expect(error.primaryCode == SQLITE_CANTOPEN)
            #expect(error.context?.contains("missing.sqlite") == true)
        }
    }

    /// A group row as saved: without the save time the store adds.
    static func decision(_ record: GroupStateRecord) -> GroupStateRecord {
        var record = record
        record.updatedAt = nil
        return record
    }
}
