import Foundation
import Testing
@testable import SBCStore

/// DID validation runs and their results: written by the state writer thread as a run goes,
/// the newest run read back with its results, the newest finished run of each trunk for
/// `require_validation`, and runs left running by a stopped process marked interrupted.
@Suite struct ValidationStoreTests {
    static func run(_ id: String, trunk: String = "carrier-b", state: ValidationRunRecord.State, passed: Bool? = nil,
                    at started: Double) -> ValidationRunRecord {
        ValidationRunRecord(run: id, trunk: trunk, state: state, passed: passed, dids: 2, actor: "ops", reason: "r \(id)",
                            startedAt: started, finishedAt: state == .finished ? started + 5 : nil)
    }

    static func result(_ run: String, _ did: String, status: Int?, verdict: String) -> ValidationResultRecord {
        ValidationResultRecord(run: run, did: did, status: status, reason: status == nil ? "no response" : "x",
                               firstResponseMs: status == nil ? nil : 12.5, verdict: verdict,
                               startedAt: 1_800_000_001, endedAt: 1_800_000_002)
    }

    @Test func runsAndResultsSurviveAReopen() throws {
        let dir = StoreFixtures.temporaryDirectory()
        defer { StoreFixtures.remove(dir) }
        let path = CallRecordStore.defaultPath(stateDirectory: dir)
        let store = try OperationalStore(path: path, logger: StoreFixtures.logger)
        store.save(Self.run("val-1", state: .running, at: 1_800_000_000))
        store.append(Self.result("val-1", "+15550200", status: 200, verdict: "reachable"))
        store.append(Self.result("val-1", "+15550000", status: nil, verdict: "timeout"))
        store.save(Self.run("val-1", state: .finished, passed: false, at: 1_800_000_000))
        store.save(Self.run("val-2", trunk: "carrier-a", state: .finished, passed: true, at: 1_800_000_100))
        store.save(Self.run("val-3", state: .running, at: 1_800_000_200))
        store.flush()

        let latest = try #require(try store.latestValidation(trunk: "carrier-b"))
        #expect(latest.run == "val-3" && latest.state == .running && latest.results.isEmpty)
        let finished = try store.latestFinishedValidations().sorted { $0.trunk < $1.trunk }
        #expect(finished.map(\.run) == ["val-2", "val-1"])
        #expect(finished.map(\.passed) == [true, false])
        store.close()

        // A restart: the run left running is interrupted; the finished one reads back with its results.
        let reopened = try OperationalStore(path: path, logger: StoreFixtures.logger)
        defer { reopened.close() }
        reopened.interruptValidationRuns()
        reopened.flush()
        #expect(try reopened.latestValidation(trunk: "carrier-b")?.state == .interrupted)
        #expect(try reopened.latestValidation(trunk: "nowhere") == nil)
        let database = try SQLiteDatabase(path: path, mode: .readOnly)
        defer { database.close() }
        let rows = try database.prepare("SELECT COUNT(*) FROM validation_results WHERE run_id = 'val-1'")
        defer { rows.finalize() }
        #expect(try rows.step() && rows.int(at: 0) == 2)
    }
}
