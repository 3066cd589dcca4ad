import Testing
import Media

@Suite("MediaPortAllocator")
struct MediaPortAllocatorTests {
    @Test("pairs are even, inside the range, round-robin over worker slices")
    func roundRobin() {
        var allocator = MediaPortAllocator(range: 20001...20010, workers: 2, reuseDelay: .seconds(10))
        #expect(allocator.capacity == 4)  // 20002, 20004, 20006, 20008 (20010 has no RTCP port)
        var pairs: [MediaPortPair] = []
        while let pair = allocator.allocate(now: .zero) { pairs.append(pair) }
        #expect(pairs.map(\.rtp) == [20002, 20004, 20006, 20008])
        #expect(pairs.allSatisfy { $0.rtp % 2 == 0 && $0.rtcp == $0.rtp + 1 && $0.rtcp <= 20010 })
        #expect(pairs.map { allocator.worker(for: $0) } == [0, 1, 0, 1])
        #expect(allocator.inUse == 4)
    }

    @Test("exhaustion returns nil; an empty slice falls through to the next worker")
    func exhaustion() {
        var allocator = MediaPortAllocator(range: 30000...30005, workers: 2, reuseDelay: .zero)
        let first = allocator.allocate(now: .zero)     // worker 0
        let second = allocator.allocate(now: .zero)    // worker 1
        let third = allocator.allocate(now: .zero)     // worker 0 (30004)
        #expect([first, second, third].map { $0?.rtp } == [30000, 30002, 30004])
        #expect(allocator.allocate(now: .zero) == nil)
        allocator.release(second!, now: .zero)
        // Worker 1's slice is the only one with a pair, wherever the cursor stands.
        #expect(allocator.allocate(now: .zero) == second)
    }

    @Test("allocating for a worker takes its slice first, then falls back to the others")
    func allocateForWorker() {
        var allocator = MediaPortAllocator(range: 20000...20011, workers: 3, reuseDelay: .zero)
        let first = allocator.allocate(now: .zero, worker: 1)!
        let second = allocator.allocate(now: .zero, worker: 1)!
        #expect([first.rtp, second.rtp] == [20002, 20008])
        #expect(allocator.worker(for: first) == 1 && allocator.worker(for: second) == 1)
        // Slice 1 is empty now: the next pair comes from slice 2, then 0.
        let third = allocator.allocate(now: .zero, worker: 1)!
        #expect(allocator.worker(for: third) == 2)
        #expect(allocator.allocate(now: .zero, worker: 4)?.rtp == 20010)   // 4 wraps to slice 1 -> 2
        #expect(allocator.allocate(now: .zero, worker: 1).map { allocator.worker(for: $0) } == 0)
        #expect(allocator.allocate(now: .zero, worker: 0) != nil)
        #expect(allocator.allocate(now: .zero, worker: 0) == nil)
        #expect(allocator.inUse == 6)
    }

    @Test("a released pair comes back only after the reuse delay")
    func reuseDelay() {
        var allocator = MediaPortAllocator(range: 40000...40001, workers: 1, reuseDelay: .seconds(30))
        let pair = allocator.allocate(now: .seconds(1))!
        allocator.release(pair, now: .seconds(5))
        #expect(allocator.cooling == 1)
        #expect(allocator.inUse == 0)
        #expect(allocator.allocate(now: .seconds(34)) == nil)
        #expect(allocator.allocate(now: .seconds(35)) == pair)
        #expect(allocator.cooling == 0)
        // Double release and foreign pairs are ignored.
        allocator.release(pair, now: .seconds(36))
        allocator.release(pair, now: .seconds(36))
        allocator.release(MediaPortPair(rtp: 50000), now: .seconds(36))
        #expect(allocator.cooling == 1)
    }

    @Test("freed pairs are reused oldest first")
    func fifoReuse() {
        var allocator = MediaPortAllocator(range: 40000...40005, workers: 1, reuseDelay: .zero)
        let a = allocator.allocate(now: .zero)!, b = allocator.allocate(now: .zero)!, c = allocator.allocate(now: .zero)!
        allocator.release(b, now: .zero)
        allocator.release(a, now: .zero)
        #expect(allocator.allocate(now: .zero) == b)
        #expect(allocator.allocate(now: .zero) == a)
        _ = c
    }

    @Test("a quarantined pair is never handed out again")
    func quarantine() {
        var allocator = MediaPortAllocator(range: 40000...40003, workers: 1, reuseDelay: .zero)
        let bad = allocator.allocate(now: .zero)!
        allocator.quarantine(bad)
        #expect(allocator.capacity == 1)
        #expect(allocator.inUse == 0)
        allocator.release(bad, now: .zero)
        let good = allocator.allocate(now: .zero)!
        #expect(good != bad)
        allocator.release(good, now: .zero)
        #expect(allocator.allocate(now: .seconds(1)) == good)
        #expect(allocator.allocate(now: .seconds(1)) == nil)
        // Quarantining a free or cooling pair works too.
        var other = MediaPortAllocator(range: 40000...40003, workers: 1, reuseDelay: .seconds(5))
        let p = other.allocate(now: .zero)!
        other.release(p, now: .zero)
        other.quarantine(p)
        other.quarantine(MediaPortPair(rtp: 40002))
        #expect(other.cooling == 0)
        #expect(other.capacity == 0)
        #expect(other.allocate(now: .seconds(10)) == nil)
    }

    @Test("an empty or degenerate range has no capacity")
    func emptyRange() {
        var allocator = MediaPortAllocator(range: 40001...40001, workers: 4, reuseDelay: .zero)
        #expect(allocator.capacity == 0)
        #expect(allocator.allocate(now: .zero) == nil)
    }
}
