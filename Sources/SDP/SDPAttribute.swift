/// An `a=name[:value]` attribute, split at the first colon.
public struct SDPAttribute: Sendable, Hashable {
    public var name: String
    /// nil for property (flag) attributes such as `a=rtcp-mux`; empty for `a=name:` with nothing
    /// after the colon, so that both forms are written back as they came.
    public var value: String?

    public init(name: String, value: String? = nil) {
        self.name = name
        self.value = value
    }

    /// Splits the text after `a=`.
    public init(lineValue: String) {
        if let colon = lineValue.utf8.firstIndex(of: SDPGrammar.colon) {
            name = String(lineValue[..<colon])
            value = String(lineValue[lineValue.utf8.index(after: colon)...])
        } else {
            name = lineValue
            value = nil
        }
    }

    /// The text after `a=`.
    public var lineValue: String {
        value.map { name + ":" + $0 } ?? name
    }
}
