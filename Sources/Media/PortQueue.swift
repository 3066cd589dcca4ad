/// A FIFO of port-pair numbers: an array consumed from a moving head, compacted when the dead
/// prefix dominates, so both ends are amortised O(1) without a Deque dependency.
///
/// FIFO on purpose: a freed pair goes to the back, so ports are reused as late as possible and a
/// late packet of an old call is least likely to meet a new one.
struct PortQueue<Element: Sendable>: Sendable {
    private var storage: [Element] = []
    private var head = 0

    var count: Int { storage.count - head }
    var isEmpty: Bool { head == storage.count }
    var first: Element? { isEmpty ? nil : storage[head] }

    mutating func append(_ element: Element) {
        storage.append(element)
    }

    mutating func popFirst() -> Element? {
        guard !isEmpty else { return nil }
        let element = storage[head]
        head += 1
        if head >= 64 && head * 2 >= storage.count {
            storage.removeFirst(head)
            head = 0
        }
        return element
    }
}
