/// An optional property kept out of line: nil costs a pointer instead of the value's full size.
///
/// Why: a call stays in memory for its whole duration, and several of its fields are large values
/// that are nil for nearly every call (an in-dialog offer in flight, 100rel state towards the
/// caller, a critical call's re-origination data). Inline, each made every call hundreds of bytes
/// larger (issue 15: RSS per established call). The box is immutable and replaced on each
/// assignment, so the property keeps value semantics; mutating through it costs an allocation,
/// which is fine for fields that rarely change.
@propertyWrapper
struct OutOfLine<Wrapped> {
    private final class Storage {
        let value: Wrapped
        init(_ value: Wrapped) { self.value = value }
    }

    private var storage: Storage?

    init(wrappedValue: Wrapped?) {
        storage = wrappedValue.map(Storage.init)
    }

    var wrappedValue: Wrapped? {
        get { storage?.value }
        set { storage = newValue.map(Storage.init) }
    }
}

/// Sendable when the value is: the box is immutable, shared only by copies of the wrapper.
extension OutOfLine: @unchecked Sendable where Wrapped: Sendable {}
