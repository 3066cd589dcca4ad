/// The heap sequence of each armed timer of one transaction, in place (0: not armed; a
/// `DeadlineHeap` sequence starts at 1).
///
/// Why not a dictionary: a transaction arms or cancels a timer on most messages it sees, and a
/// dictionary per transaction cost an allocation, a hash per change and a reference count on
/// every copy of the transaction's entry (issue 15).
struct ArmedTimerSlots: Sendable {
    private var slots = InlineArray<12, UInt64>(repeating: 0)

    subscript(timer: TransactionTimer) -> UInt64? {
        get {
            let sequence = slots[timer.slot]
            return sequence == 0 ? nil : sequence
        }
        set { slots[timer.slot] = newValue ?? 0 }
    }
}

extension TransactionTimer {
    /// Position in `ArmedTimerSlots`.
    var slot: Int {
        switch self {
        case .a: 0
        case .b: 1
        case .d: 2
        case .e: 3
        case .f: 4
        case .g: 5
        case .h: 6
        case .i: 7
        case .j: 8
        case .k: 9
        case .l: 10
        case .m: 11
        }
    }
}
