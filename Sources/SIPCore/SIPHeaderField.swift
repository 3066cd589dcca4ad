/// One header line. The name is kept as written so that headers the SBC does not touch are
/// re-serialised as they arrived; the value has folding (RFC 3261 7.3.1) replaced by one space.
public struct SIPHeaderField: Sendable, Equatable {
    public let name: SIPHeaderName
    public var rawName: String
    public var value: String

    public init(_ name: SIPHeaderName, _ value: String) {
        self.name = name
        rawName = name.displayName
        self.value = value
    }

    init(name: SIPHeaderName, rawName: String, value: String) {
        self.name = name
        self.rawName = rawName
        self.value = value
    }

    public init(rawName: String, value: String) {
        name = SIPHeaderName(rawName)
        self.rawName = rawName
        self.value = value
    }
}
