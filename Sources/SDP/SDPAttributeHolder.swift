/// A level of an SDP body that carries a= lines: the session, or one media section.
///
/// Why a protocol: both levels read and edit their attributes the same way (RFC 8866 section 5.13,
/// names compared ignoring ASCII case), so the accessors are written once here over the lines
/// each level keeps in order.
public protocol SDPAttributeHolder {
    /// The level's lines in their original order, a= lines among them.
    var attributeLines: [SDPLine] { get set }
}

extension SDPAttributeHolder {
    /// The a= lines of this level, parsed, in order.
    public var attributes: [SDPAttribute] { attributeLines.compactMap(\.attribute) }

    /// The value of the first `a=name` (name compared ignoring ASCII case): nil when absent,
    /// `.some(nil)` for a flag attribute such as `a=rtcp-mux`.
    public func attribute(_ name: String) -> String?? { attributeLines.firstAttributeValue(named: name) }

    /// Removes every `a=name` (name compared ignoring ASCII case).
    public mutating func removeAttributes(named name: String) { attributeLines.removeAttributes(named: name) }

    public mutating func removeAttributes(where shouldRemove: (SDPAttribute) -> Bool) {
        attributeLines.removeAttributes(where: shouldRemove)
    }

    /// Replaces the first `a=name` where it stands, else appends the attribute at the end.
    public mutating func setAttribute(_ name: String, _ value: String?) { attributeLines.setAttribute(name, value) }
}
