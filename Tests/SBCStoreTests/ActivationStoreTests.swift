import Foundation
import Testing
@testable import SBCStore

/// Activation versions and the overflow flag of CDR attempts: written by the writer threads,
/// read back after a reopen (the restart case), with the migration found by its content.
@Suite struct ActivationStoreTests {
    static func version(_ number: Int, _ member: String, state: ActivationRecord.State, applied: Double? = nil)
        -> ActivationRecord
    {
        ActivationRecord(group: "pstn-out", version: number, firstMember: member, reason: "reason \(number)", actor: "ops",
                         requestedAt: 1_800_000_000 + Double(number), appliedAt: applied, rollbackOf: number == 3 ? 1 : nil,
                         forced: number == 2, state: state, draining: state == .queued ? "carrier-a" : nil,
                         threshold: state == .queued ? 5 : nil)
    }

    @Test func theMigrationCreatesTheTableAndTheOverflowColumn() {
        let migration = StateSchema.migrations.first { $0.contains("CREATE TABLE group_activations") }
        #expect(migration?.contains("ALTER TABLE call_attempts ADD COLUMN overflow") == true)
    }

    @Test func versionsAndTheQueueSurviveAReopen() throws {
        let dir = StoreFixtures.temporaryDirectory()
        defer { StoreFixtures.remove(dir) }
        let path = CallRecordStore.defaultPath(stateDirectory: dir)
        let store = try OperationalStore(path: path, logger: StoreFixtures.logger)
        store.save(Self.version(1, "carrier-b", state: .applied, applied: 1_800_000_001))
        store.save(Self.version(2, "carrier-c", state: .cancelled))
        store.save(Self.version(3, "carrier-b", state: .queued))
        // The queued version applies later: its row is updated, not duplicated.
        store.save(Self.version(3, "carrier-b", state: .applied, applied: 1_800_000_050))
        store.save(Self.version(4, "carrier-a", state: .queued))
        store.flush()
        store.close()

        let reopened = try OperationalStore(path: path, logger: StoreFixtures.logger)
        defer { reopened.close() }
        let records = try reopened.loadActivations()
        #expect(records.map(\.version) == [1, 2, 3, 4])
        #expect(records.map(\.state) == [.applied, .cancelled, .applied, .queued])
        #expect(records[2].appliedAt == 1_800_000_050)
        #expect(records[2].rollbackOf == 1)
        #expect(records[1].forced)
        #expect(records[3] == Self.version(4, "carrier-a", state: .queued))
    }

    @Test func cdrAttemptsKeepTheOverflowFlag() throws {
        let dir = StoreFixtures.temporaryDirectory()
        defer { StoreFixtures.remove(dir) }
        let path = CallRecordStore.defaultPath(stateDirectory: dir)
        let store = try CallRecordStore(path: path, logger: StoreFixtures.logger)
        var record = StoreFixtures.sampleRecord(1)
        record.attempts.append(CallAttempt(trunk: "announcements", startedAt: record.startedAt + 1, responseCode: 200,
                                           reason: "OK", responseTimeMs: 20, outcome: "answered", overflow: true))
        store.record(record)
        store.flush()
        store.close()
        let read = try #require(try CallRecordQuery.recent(path: path, limit: 1).first)
        #expect(read.attempts.map(\.overflow) == [false, false, true])
    }
}
