/// A binary min-heap of timer deadlines, ordered by (deadline, arming order).
///
/// Cancelling is lazy: `TransactionManager` keeps, per transaction, the id of the currently
/// armed instance of each timer, and an entry whose id no longer matches (re-armed, cancelled,
/// or its transaction gone) is simply skipped when it surfaces. That makes cancel O(1) and
/// guarantees a terminated transaction's timers never fire, at the price of stale entries that
/// the manager compacts away (`removeAll(where:)`) when they outnumber the live ones.
struct TimerQueue: Sendable {
    struct Entry: Sendable, Equatable {
        var deadline: Duration
        /// Globally unique, increasing: ties on the deadline fire in arming order, deterministically.
        var id: UInt64
        var key: TransactionKey
        var timer: TransactionTimer
    }

    private(set) var entries: [Entry] = []

    var count: Int { entries.count }
    var first: Entry? { entries.first }

    mutating func push(_ entry: Entry) {
        entries.append(entry)
        siftUp(entries.count - 1)
    }

    @discardableResult
    mutating func popFirst() -> Entry? {
        guard !entries.isEmpty else { return nil }
        entries.swapAt(0, entries.count - 1)
        let top = entries.removeLast()
        if !entries.isEmpty { siftDown(0) }
        return top
    }

    /// Drops every matching entry and restores the heap property in O(n).
    mutating func removeAll(where shouldRemove: (Entry) -> Bool) {
        entries.removeAll(where: shouldRemove)
        var index = entries.count / 2 - 1
        while index >= 0 {
            siftDown(index)
            index -= 1
        }
    }

    private static func precedes(_ a: Entry, _ b: Entry) -> Bool {
        a.deadline < b.deadline || (a.deadline == b.deadline && a.id < b.id)
    }

    private mutating func siftUp(_ start: Int) {
        var child = start
        while child > 0 {
            let parent = (child - 1) / 2
            guard Self.precedes(entries[child], entries[parent]) else { return }
            entries.swapAt(child, parent)
            child = parent
        }
    }

    private mutating func siftDown(_ start: Int) {
        var parent = start
        while true {
            let left = 2 * parent + 1
            guard left < entries.count else { return }
            var smallest = left
            if left + 1 < entries.count, Self.precedes(entries[left + 1], entries[left]) { smallest = left + 1 }
            guard Self.precedes(entries[smallest], entries[parent]) else { return }
            entries.swapAt(parent, smallest)
            parent = smallest
        }
    }
}
