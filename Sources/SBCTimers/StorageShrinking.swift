/// Shrinks Swift collections whose storage outgrew what they hold.
///
/// Why: a Swift `Dictionary`, `Set` or `Array` keeps the capacity of its largest size when
/// elements are removed. The signalling state (transactions, calls, dialogs, their timers) grows
/// with the load and empties 64 × T1 after it, so after a storm its tables kept hundreds of
/// megabytes of empty buckets that `malloc_trim` cannot return because they are still allocated
/// (docs/OVERLOAD.md, memory after a storm). The owner calls these when the load has dropped; each
/// copies the live elements into storage sized for them, only when less than a quarter of the
/// capacity is used, so calling them often costs nothing.
public enum StorageShrinking {
    /// Below this capacity nothing is worth copying.
    public static let minimumCapacity = 1024

    public static func shrink<Key: Hashable, Value>(_ dictionary: inout [Key: Value]) {
        guard dictionary.capacity > minimumCapacity, dictionary.count * 4 < dictionary.capacity else { return }
        var fitted = [Key: Value](minimumCapacity: dictionary.count)
        for (key, value) in dictionary { fitted[key] = value }
        dictionary = fitted
    }

    public static func shrink<Element: Hashable>(_ set: inout Set<Element>) {
        guard set.capacity > minimumCapacity, set.count * 4 < set.capacity else { return }
        var fitted = Set<Element>(minimumCapacity: set.count)
        for element in set { fitted.insert(element) }
        set = fitted
    }

    public static func shrink<Element>(_ array: inout [Element]) {
        guard array.capacity > minimumCapacity, array.count * 4 < array.capacity else { return }
        var fitted: [Element] = []
        fitted.reserveCapacity(array.count)
        fitted.append(contentsOf: array)
        array = fitted
    }
}
