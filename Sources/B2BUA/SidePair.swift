/// A value per side of a call (a, b), each optional: what `[LegSide: Value]` held, inline.
///
/// Why not a dictionary: a dictionary of two keys is a heap allocation sized for four entries
/// (its load factor), so the per-stream ports, remote addresses and the per-call SDP origins cost
/// about 1.5 KiB a call in storage that was mostly empty buckets (issue 15: RSS per established
/// call). The subset of the dictionary's API the call code uses is kept, so call sites read the same.
struct SidePair<Value> {
    private var a: Value?
    private var b: Value?

    init() {}

    subscript(side: LegSide) -> Value? {
        get { side == .a ? a : b }
        _modify {
            if side == .a { yield &a } else { yield &b }
        }
    }

    subscript(side: LegSide, default value: @autoclosure () -> Value) -> Value {
        get { self[side] ?? value() }
        _modify {
            var current = self[side] ?? value()
            defer { self[side] = current }
            yield &current
        }
    }

    /// The values present, a's first.
    var values: [Value] { [a, b].compactMap { $0 } }

    var isEmpty: Bool { a == nil && b == nil }
}

extension SidePair: ExpressibleByDictionaryLiteral {
    init(dictionaryLiteral elements: (LegSide, Value)...) {
        for (side, value) in elements { self[side] = value }
    }
}

extension SidePair: Sendable where Value: Sendable {}
extension SidePair: Equatable where Value: Equatable {}
extension SidePair: Hashable where Value: Hashable {}
