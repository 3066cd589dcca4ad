/// One `x=value` line kept as text. Lines the SBC does not interpret (s=, t=, b=, unknown
/// attributes, future line types) travel this way, so they leave exactly as they arrived.
public struct SDPLine: Sendable, Hashable {
    /// The single-character line type (`a`, `b`, `s`, ...), case-significant.
    public var type: Character
    /// Everything after `=`, without the line ending.
    public var value: String

    public init(type: Character, value: String) {
        self.type = type
        self.value = value
    }

    /// The a= line carrying `attribute`.
    public init(_ attribute: SDPAttribute) {
        type = "a"
        value = attribute.lineValue
    }

    /// The attribute of an a= line; nil for other line types.
    public var attribute: SDPAttribute? {
        type == "a" ? SDPAttribute(lineValue: value) : nil
    }

    /// Whether this is `a=<name>` or `a=<name>:...`, comparing the name without regard to ASCII
    /// case so that an oddly capitalised ICE attribute is stripped all the same. Works on the
    /// bytes: the relay rewriter asks this of every line for every candidate attribute name.
    func isAttribute(named name: String) -> Bool {
        guard type == "a" else { return false }
        var bytes = value.utf8.makeIterator()
        for expected in name.utf8 {
            guard let byte = bytes.next(), SDPGrammar.lowercased(byte) == SDPGrammar.lowercased(expected) else {
                return false
            }
        }
        guard let next = bytes.next() else { return true }
        return next == SDPGrammar.colon
    }

    /// The value of `a=<name>:<value>` when this line is that attribute: `.some(nil)` for a flag.
    func attributeValue(named name: String) -> String?? {
        attributeText(named: name).map { $0.map(String.init) }
    }

    /// ``attributeValue(named:)`` without copying the value out of the line.
    func attributeText(named name: String) -> Substring?? {
        guard isAttribute(named: name) else { return nil }
        let utf8 = value.utf8
        let nameEnd = utf8.index(utf8.startIndex, offsetBy: name.utf8.count)
        guard nameEnd < utf8.endIndex else { return .some(nil) }
        return .some(value[utf8.index(after: nameEnd)...])
    }
}

/// Attribute helpers shared by the session level and media sections, which both keep their a=
/// lines among other lines so that the original order survives.
extension [SDPLine] {
    func firstAttributeValue(named name: String) -> String?? {
        for line in self {
            if let value = line.attributeValue(named: name) { return value }
        }
        return nil
    }

    mutating func removeAttributes(named name: String) {
        removeAll { $0.isAttribute(named: name) }
    }

    mutating func removeAttributes(where shouldRemove: (SDPAttribute) -> Bool) {
        removeAll { line in line.attribute.map(shouldRemove) ?? false }
    }

    /// Replaces the first `a=name` in place (keeping its position), else appends one.
    mutating func setAttribute(_ name: String, _ value: String?) {
        let line = SDPLine(SDPAttribute(name: name, value: value))
        if let index = firstIndex(where: { $0.isAttribute(named: name) }) {
            self[index] = line
        } else {
            append(line)
        }
    }

    /// The first direction attribute among these lines.
    var direction: MediaDirection? {
        for line in self where line.type == "a" {
            if let direction = MediaDirection(attributeValue: line.value) { return direction }
        }
        return nil
    }
}
