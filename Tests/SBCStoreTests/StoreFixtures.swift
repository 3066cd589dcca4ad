import Foundation
import Logging
import SBCStore

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
}
