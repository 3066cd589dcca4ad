extension DeadlineHeap {
    /// Gives back storage the heap no longer needs (`StorageShrinking`): after a storm armed
    /// hundreds of thousands of timers, the heap's array would otherwise keep that capacity for
    /// the life of the process.
    public mutating func shrinkStorage() {
        StorageShrinking.shrink(&entries)
    }

    /// The capacity of the heap's storage, in entries (for tests and memory reports).
    public var storageCapacity: Int { entries.capacity }
}
