import SIPCore
import Testing
@testable import SIPTransaction

/// Storage given back after a storm (docs/OVERLOAD.md): the transaction table and its timer heap
/// keep their peak capacity until `shrinkStorage()`.
@Suite struct TransactionStorageTests {
    @Test("after a burst of transactions has ended, shrinkStorage gives the table and heap capacity back")
    func shrinkAfterBurst() {
        var manager = Manager()
        // 5,000 BYEs answered 200 over UDP: each server transaction lingers 64 x T1 (Timer J).
        for i in 0..<5000 {
            let bye = request("BYE", branch: "z9hG4bK-b\(i)", callID: "call-\(i)", fromTag: "a\(i)", toTag: "b\(i)")
            guard case .newTransaction(let key) = manager.receiveRequest(bye, reliable: false, context: "c\(i)", now: .zero)
            else {
                Issue.record("BYE \(i) was not a new transaction")
                return
            }
            _ = manager.respond(key, with: response(to: bye, 200), now: .zero)
        }
        #expect(manager.count == 5000)
        let peakCapacity = manager.tableCapacity
        #expect(peakCapacity >= 5000)
        // Nothing to give back while they live.
        manager.shrinkStorage()
        #expect(manager.tableCapacity == peakCapacity)
        // 64 x T1 later every one has ended; the table is empty but still as large.
        _ = manager.advance(to: .seconds(33))
        #expect(manager.count == 0)
        #expect(manager.tableCapacity == peakCapacity, "a Swift dictionary keeps its capacity")
        manager.shrinkStorage()
        #expect(manager.tableCapacity < 1024, "capacity \(manager.tableCapacity)")
        // Still a working layer afterwards.
        let bye = request("BYE", branch: "z9hG4bK-after")
        guard case .newTransaction = manager.receiveRequest(bye, reliable: false, context: "x", now: .seconds(34)) else {
            Issue.record("a new transaction after shrinking")
            return
        }
        #expect(manager.count == 1)
    }
}
