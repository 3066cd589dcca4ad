/// A min-heap of deadlines with a payload, ordered by (deadline, insertion order) so that ties
/// fire in the order they were armed, deterministically.
///
/// Cancellation is left to the owner and is lazy: it remembers the `sequence` a push returned
/// for the timer it considers armed, and skips entries whose sequence no longer matches when they
/// surface; `removeAll(where:)` compacts once stale entries dominate. Cancel is then O(1), and a
/// timer of something already gone can never fire. Used by the transaction layer and the B2BUA.
///
/// Inlinable so that clients get it specialised for their payload: unspecialised generic code
/// copied every entry through value witnesses, which made the heap a visible share of a call.
public struct DeadlineHeap<Payload: Sendable>: Sendable {
    public struct Entry: Sendable {
        public let deadline: Duration
        /// Unique and increasing across the heap's life.
        public let sequence: UInt64
        public let payload: Payload

        @inlinable
        init(deadline: Duration, sequence: UInt64, payload: Payload) {
            self.deadline = deadline
            self.sequence = sequence
            self.payload = payload
        }
    }

    @usableFromInline var entries: [Entry] = []
    @usableFromInline var lastSequence: UInt64 = 0

    @inlinable
    public init() {}

    @inlinable public var count: Int { entries.count }
    @inlinable public var first: Entry? { entries.first }

    /// Arms a deadline; the returned sequence identifies this instance of it.
    @inlinable @discardableResult
    public mutating func push(_ payload: Payload, at deadline: Duration) -> UInt64 {
        lastSequence += 1
        entries.append(Entry(deadline: deadline, sequence: lastSequence, payload: payload))
        siftUp(entries.count - 1)
        return lastSequence
    }

    @inlinable @discardableResult
    public mutating func popFirst() -> Entry? {
        guard !entries.isEmpty else { return nil }
        entries.swapAt(0, entries.count - 1)
        let top = entries.removeLast()
        if !entries.isEmpty { siftDown(0) }
        return top
    }

    /// Drops every matching entry and restores the heap property in O(n).
    @inlinable
    public mutating func removeAll(where shouldRemove: (Entry) -> Bool) {
        entries.removeAll(where: shouldRemove)
        var index = entries.count / 2 - 1
        while index >= 0 {
            siftDown(index)
            index -= 1
        }
    }

    @inlinable
    static func precedes(_ a: Entry, _ b: Entry) -> Bool {
        a.deadline < b.deadline || (a.deadline == b.deadline && a.sequence < b.sequence)
    }

    @inlinable
    mutating func siftUp(_ start: Int) {
        var child = start
        while child > 0 {
            let parent = (child - 1) / 2
            guard Self.precedes(entries[child], entries[parent]) else { return }
            entries.swapAt(child, parent)
            child = parent
        }
    }

    @inlinable
    mutating func siftDown(_ start: Int) {
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
