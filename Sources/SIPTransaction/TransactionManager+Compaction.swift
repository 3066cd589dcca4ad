import SBCTimers

extension TransactionManager {
    /// Gives back table and timer-heap storage beyond what the live transactions need
    /// (`StorageShrinking`). Called by the driver when the load has dropped, before it returns
    /// freed heap to the kernel: transactions linger 64 × T1 after a storm, and the tables kept
    /// the capacity of its peak.
    public mutating func shrinkStorage() {
        StorageShrinking.shrink(&table)
        StorageShrinking.shrink(&acceptedByDialog)
        queue.shrinkStorage()
    }

    /// Capacity of the transaction table, in entries (for tests and memory reports).
    public var tableCapacity: Int { table.capacity }
}
