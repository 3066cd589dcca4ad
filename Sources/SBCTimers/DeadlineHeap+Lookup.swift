extension DeadlineHeap {
    /// The deadline of the entry armed with `sequence`, if it is still in the heap.
    ///
    /// A linear scan: it serves inspection (an operator looking at one call's timers), never the
    /// message path, which knows its own deadlines and has no reason to search the heap.
    public func deadline(of sequence: UInt64) -> Duration? {
        entries.first { $0.sequence == sequence }?.deadline
    }
}
