import Testing
import SBCTimers

@Suite struct DeadlineHeapTests {
    @Test func popsInDeadlineOrderThenArmingOrder() {
        var heap = DeadlineHeap<String>()
        heap.push("c", at: .seconds(3))
        heap.push("a1", at: .seconds(1))
        heap.push("b", at: .seconds(2))
        heap.push("a2", at: .seconds(1))
        var order: [String] = []
        while let entry = heap.popFirst() { order.append(entry.payload) }
        #expect(order == ["a1", "a2", "b", "c"])
    }

    @Test func sequencesIdentifyArmedInstancesAndCompactionKeepsOrder() {
        var heap = DeadlineHeap<Int>()
        var live: Set<UInt64> = []
        for value in 0..<1000 {
            let sequence = heap.push(value, at: .milliseconds((value * 7919) % 1000))
            if value % 3 == 0 { live.insert(sequence) }
        }
        heap.removeAll { !live.contains($0.sequence) }
        #expect(heap.count == live.count)
        var last = Duration.zero
        while let entry = heap.popFirst() {
            #expect(entry.deadline >= last)
            #expect(entry.payload % 3 == 0)
            last = entry.deadline
        }
    }
}
