import Foundation
import Testing
@testable import SBCStore

/// The state database shared by its stores at the same time: the CDR writer, the state writer
/// and the admin thread's idempotency writes all commit to one WAL file.
@Suite struct StateDatabaseConcurrencyTests {
    @Test func cdrAndStateWritersShareTheFileWithoutLosses() throws {
        let dir = StoreFixtures.temporaryDirectory()
        defer { StoreFixtures.remove(dir) }
        let path = CallRecordStore.defaultPath(stateDirectory: dir)
        let cdrs = try CallRecordStore(path: path, logger: StoreFixtures.logger)
        let state = try OperationalStore(path: path, logger: StoreFixtures.logger)
        let keys = try IdempotencyStore(path: path)

        let cdrThreads = 2, perThread = 1_000, stateWrites = 500
        // 0, 1: calls ending; 2: trunk transitions and their audit lines; 3: admin thread,
        // idempotency writes and reads of the state while it changes.
        DispatchQueue.concurrentPerform(iterations: cdrThreads + 2) { worker in
            switch worker {
            case 0..<cdrThreads:
                for index in 0..<perThread {
                    cdrs.record(StoreFixtures.sampleRecord(index, thread: worker))
                }
            case cdrThreads:
                for index in 0..<stateWrites {
                    state.save(TrunkStateRecord(trunk: "carrier-\(index % 5)", state: index % 2 == 0 ? "down" : "up",
                                                since: Double(index)))
                    state.append(AuditEntry(at: Double(index), subject: "carrier-\(index % 5)", kind: "trunk",
                                            cause: "c\(index)"))
                    if index % 50 == 0 { state.flush() }  // commits interleave with the CDR batches
                }
            default:
                for index in 0..<100 {
                    let response = IdempotencyStore.StoredResponse(method: "POST", path: "/\(index)", status: 200, body: [1])
                    try! keys.save(key: "k\(index)", token: "t", response: response)
                    _ = try! state.loadTrunkStates()
                    _ = try! state.audit(since: nil, limit: 10)
                }
            }
        }
        cdrs.close()
        state.close()

        #expect(cdrs.written == cdrThreads * perThread)
        #expect(cdrs.failed == 0 && cdrs.dropped == 0)
        #expect(state.written == 2 * stateWrites)
        #expect(state.failed == 0 && state.dropped == 0)
        #expect(try CallRecordQuery.recent(path: path, limit: 10_000).count == cdrThreads * perThread)
        let trunks = try state.loadTrunkStates()
        #expect(trunks.map(\.trunk) == (0..<5).map { "carrier-\($0)" })
        #expect(trunks.map(\.since) == [495, 496, 497, 498, 499])  // the last save of each
        let audit = try state.audit(since: nil, limit: 10_000)
        #expect(audit.map(\.cause) == (0..<stateWrites).map { "c\($0)" })  // every entry, in order
        #expect(try keys.lookup(key: "k99", token: "t")?.path == "/99")
        #expect(try SQLiteDatabase(path: path, mode: .readOnly).journalMode == "wal")
    }

    @Test func storesOpeningAFreshFileTogetherMigrateItOnce() throws {
        let dir = StoreFixtures.temporaryDirectory()
        defer { StoreFixtures.remove(dir) }
        for round in 0..<20 {
            let path = dir + "/round-\(round)/cdr.sqlite"
            let failures = FailureList()
            DispatchQueue.concurrentPerform(iterations: 3) { which in
                do throws(SQLiteError) {
                    switch which {
                    case 0: try CallRecordStore(path: path, logger: StoreFixtures.logger).close()
                    case 1: try OperationalStore(path: path, logger: StoreFixtures.logger).close()
                    default: _ = try IdempotencyStore(path: path)
                    }
                } catch {
                    failures.append("\(error)")
                }
            }
            #expect(failures.all.isEmpty, "round \(round)")
            #expect(try SQLiteDatabase(path: path, mode: .readOnly).userVersion == StateSchema.migrations.count)
        }
    }
}

/// Errors collected from `concurrentPerform` workers.
private final class FailureList: @unchecked Sendable {
    private let lock = NSLock()
    private var items: [String] = []
    func append(_ item: String) { lock.withLock { items.append(item) } }
    var all: [String] { lock.withLock { items } }
}
