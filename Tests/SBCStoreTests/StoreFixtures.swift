import Foundation
import Logging
@testable import SBCStore

/// Temp directories and sample CDRs shared by the store tests.
enum StoreFixtures {
    /// A fresh directory under the system temp dir; every test gets its own, so tests can run
    /// in parallel against real files.
    static func temporaryDirectory(_ name: String = #function) -> String {
        let safe = name.filter { $0.isLetter || $0.isNumber }
        let path = NSTemporaryDirectory() + "sbcstore-\(safe)-\(UUID().uuidString.prefix(8))"
        try! FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        return path
    }

    static func remove(_ path: String) {
        try? FileManager.default.removeItem(atPath: path)
    }

    static let logger = Logger(label: "sbcstore-tests")

    /// A failed-over call: 503 from carrier-a, then answered by carrier-b. `index` varies
    /// every field so read-back comparisons catch a swapped column.
    static func sampleRecord(_ index: Int, thread: Int = 0) -> CallRecord {
        let start = 1_700_000_000.0 + Double(index) + Double(thread) * 0.001
        let answered = index % 3 != 0
        var attempts = [
            CallAttempt(trunk: "carrier-a", startedAt: start + 0.01, responseCode: 503,
                        reason: "Service Unavailable", responseTimeMs: 12.5 + Double(index % 7), outcome: "failed_over"),
        ]
        if answered {
            attempts.append(CallAttempt(trunk: "carrier-b", startedAt: start + 0.03, responseCode: 200,
                                        reason: "OK", responseTimeMs: 800.25, outcome: "answered"))
        } else if index % 2 == 0 {
            attempts.append(CallAttempt(trunk: "carrier-b", startedAt: start + 0.03, outcome: "timeout"))
        }
        return CallRecord(
            callID: "call-\(thread)-\(index)@platform.example",
            legBCallID: answered ? "b2b-\(thread)-\(index)" : nil,
            fromURI: "sip:+1555000\(index)@platform.example",
            toURI: "sip:+4420\(index)@carrier.example",
            ingressTrunk: "platform",
            route: index % 5 == 0 ? nil : "outbound",
            startedAt: start,
            answeredAt: answered ? start + 1.5 : nil,
            endedAt: start + (answered ? 61.5 : 32.0),
            disposition: answered ? "answered" : "failed",
            finalStatus: answered ? 200 : 408,
            finalTrunk: "carrier-b",
            endedBy: answered ? (index % 2 == 0 ? "caller" : "callee") : nil,
            attempts: attempts)
    }

    /// Both legs of an answered call as the relay reports them: `index` varies every counter
    /// so read-back comparisons catch a swapped column.
    static func sampleMedia(_ index: Int) -> [CallMediaLeg] {
        let n = Int64(index)
        return [
            CallMediaLeg(side: "a", trunk: "platform", packetsReceived: 1_500 + n, bytesReceived: 258_000 + n,
                         packetsForwarded: 1_498 + n, packetsDropped: 3, rtcpPackets: 6, packetsLost: 2,
                         jitterMs: 1.4 + Double(index) / 8, latchedSource: "127.0.0.10:6000"),
            CallMediaLeg(side: "b", trunk: "carrier-b", packetsReceived: 1_400 + n, bytesReceived: 240_800 + n,
                         packetsForwarded: 1_400 + n, packetsDropped: 0, rtcpPackets: 5, packetsLost: 17 + n,
                         jitterMs: 12.625, latchedSource: nil),
        ]
    }

    /// Writes `records` as an SBC before migration 3 did: `calls` and `call_attempts` only, because
    /// today's `CallRecordWriter` prepares its `call_media` insert and so needs a current file.
    /// For upgrade tests on files left by older releases; `media` is ignored.
    static func writeLegacy(_ records: [CallRecord], to database: SQLiteDatabase) throws {
        // The call columns of migration 1 (`recovered` came with migration 9).
        let insertCall = try database.prepare("""
            INSERT INTO calls (call_id, leg_b_call_id, from_uri, to_uri, ingress_trunk, route, started_at,
                               answered_at, ended_at, duration_s, disposition, final_status, final_trunk, ended_by)
            VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14)
            """)
        // The attempt columns of migration 1 (`ended_at` came with migration 4).
        let insertAttempt = try database.prepare("""
            INSERT INTO call_attempts (call_id, attempt, trunk, started_at, response_code, reason,
                                       response_time_ms, outcome)
            VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)
            """)
        defer {
            insertCall.finalize()
            insertAttempt.finalize()
        }
        try database.transaction { () throws(SQLiteError) in
            for record in records {
                try insertCall.run([
                    .text(record.callID), record.legBCallID.map(SQLiteValue.text) ?? .null, .text(record.fromURI),
                    .text(record.toURI), .text(record.ingressTrunk), record.route.map(SQLiteValue.text) ?? .null,
                    .real(record.startedAt), record.answeredAt.map(SQLiteValue.real) ?? .null, .real(record.endedAt),
                    record.durationSeconds.map(SQLiteValue.real) ?? .null, .text(record.disposition),
                    record.finalStatus.map { .integer(Int64($0)) } ?? .null,
                    record.finalTrunk.map(SQLiteValue.text) ?? .null, record.endedBy.map(SQLiteValue.text) ?? .null,
                ])
                let rowID = database.lastInsertRowID
                for (index, attempt) in record.attempts.enumerated() {
                    try insertAttempt.run([
                        .integer(rowID), .integer(Int64(index + 1)), .text(attempt.trunk), .real(attempt.startedAt),
                        attempt.responseCode.map { .integer(Int64($0)) } ?? .null,
                        attempt.reason.map(SQLiteValue.text) ?? .null,
                        attempt.responseTimeMs.map(SQLiteValue.real) ?? .null, .text(attempt.outcome),
                    ])
                }
            }
        }
    }
}
