/// Binary min-heap of timer deadlines behind the loop's single timerfd.
///
/// One kernel timer for all SIP timers keeps syscalls per timer at zero: the fd is re-armed
/// only when the earliest deadline changes. Cancelled entries are removed lazily (the callback
/// table is the source of truth) and compacted when they dominate, so cancel is O(1) and the
/// common pattern "schedule Timer B, cancel on response" costs no heap surgery.
struct TimerHeap {
    struct Entry {
        var deadline: UInt64
        /// Doubles as insertion order: equal deadlines fire first-scheduled-first.
        var id: UInt64

        @inline(__always)
        static func before(_ a: Entry, _ b: Entry) -> Bool {
            a.deadline != b.deadline ? a.deadline < b.deadline : a.id < b.id
        }
    }

    private(set) var entries: [Entry] = []

    var isEmpty: Bool { entries.isEmpty }
    var count: Int { entries.count }
    var top: Entry? { entries.first }

    init() {
        entries.reserveCapacity(256)
    }

    mutating func push(_ entry: Entry) {
        entries.append(entry)
        siftUp(entries.count - 1)
    }

    @discardableResult
    mutating func pop() -> Entry? {
        guard !entries.isEmpty else { return nil }
        let first = entries[0]
        let last = entries.removeLast()
        if !entries.isEmpty {
            entries[0] = last
            siftDown(0)
        }
        return first
    }

    /// Drops every entry for which `keep` is false and restores heap order in O(n).
    mutating func compact(keep: (Entry) -> Bool) {
        entries.removeAll { !keep($0) }
        var i = entries.count / 2
        while i > 0 {
            i -= 1
            siftDown(i)
        }
    }

    private mutating func siftUp(_ index: Int) {
        var child = index
        let item = entries[child]
        while child > 0 {
            let parent = (child - 1) / 2
            guard Entry.before(item, entries[parent]) else { break }
            entries[child] = entries[parent]
            child = parent
        }
        entries[child] = item
    }

    private mutating func siftDown(_ index: Int) {
        var parent = index
        let count = entries.count
        let item = entries[parent]
        while true {
            let left = 2 * parent + 1
            guard left < count else { break }
            let right = left + 1
            let child = right < count && Entry.before(entries[right], entries[left]) ? right : left
            guard Entry.before(entries[child], item) else { break }
            entries[parent] = entries[child]
            parent = child
        }
        entries[parent] = item
    }
}
