import Testing
@testable import SBCTimers

/// Collections that outgrew their contents give the storage back (docs/OVERLOAD.md).
@Suite struct StorageShrinkingTests {
    @Test("a dictionary, set and array emptied after a peak are shrunk; well-used ones are left alone")
    func shrink() {
        var dictionary: [Int: String] = [:]
        var set: Set<Int> = []
        var array: [Int] = []
        for i in 0..<50_000 { dictionary[i] = "v\(i)"; set.insert(i); array.append(i) }
        for i in 100..<50_000 { dictionary[i] = nil; set.remove(i) }
        array.removeLast(49_900)
        let peak = (dictionary.capacity, set.capacity, array.capacity)
        StorageShrinking.shrink(&dictionary)
        StorageShrinking.shrink(&set)
        StorageShrinking.shrink(&array)
        #expect(dictionary.capacity < peak.0 / 100 && set.capacity < peak.1 / 100 && array.capacity < peak.2 / 100)
        #expect(dictionary.count == 100 && dictionary[42] == "v42" && set.contains(99) && array == Array(0..<100))
        // A table still using more than a quarter of its room is not copied.
        var used = [Int: Int](minimumCapacity: 4096)
        for i in 0..<2000 { used[i] = i }
        let capacity = used.capacity
        StorageShrinking.shrink(&used)
        #expect(used.capacity == capacity)
    }

    @Test("a timer heap drained after a storm shrinks and keeps its order")
    func heap() {
        var heap = DeadlineHeap<Int>()
        for i in 0..<20_000 { heap.push(i, at: .milliseconds(20_000 - i)) }
        while heap.count > 10 { heap.popFirst() }
        let peak = heap.storageCapacity
        heap.shrinkStorage()
        #expect(heap.storageCapacity < peak / 100)
        var popped: [Duration] = []
        while let entry = heap.popFirst() { popped.append(entry.deadline) }
        #expect(popped == popped.sorted() && popped.count == 10)
    }
}
