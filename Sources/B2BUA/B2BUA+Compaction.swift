import SBCTimers

extension B2BUA {
    /// Gives back storage the signalling state no longer needs: the tables of calls, dialogs,
    /// transactions and their timers keep the capacity of their peak (Swift collections never
    /// shrink by themselves), and ended dialogs are only forgotten when a new one is remembered.
    /// The driver calls it once the load has dropped, right before returning freed heap to the
    /// kernel (docs/OVERLOAD.md: memory after a storm). O(live entries); nothing is copied for a
    /// table that still uses a quarter of its capacity.
    public mutating func shrinkStorage(now: Duration) {
        transactions.shrinkStorage()
        StorageShrinking.shrink(&calls)
        StorageShrinking.shrink(&dialogs)
        StorageShrinking.shrink(&mediaSessions)
        callTimers.shrinkStorage()
        endedDialogs.shrinkStorage(now: now)
    }

    /// Entries the signalling tables have room for (calls, dialogs, transactions, call timers):
    /// what `shrinkStorage` can give back shows here.
    public var storageCapacity: Int {
        calls.capacity + dialogs.capacity + transactions.tableCapacity + callTimers.storageCapacity
    }
}
