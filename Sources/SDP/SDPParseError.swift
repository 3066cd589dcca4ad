/// Why a body is not SDP the SBC can anchor. The SBC must understand every address and port in
/// a body before it forwards it, so a body it cannot read is refused (488) instead of being
/// passed on half-rewritten; `line` lets an operator find the fault in a captured INVITE.
public struct SDPParseError: Error, Sendable, Equatable, CustomStringConvertible {
    /// 1-based line number in the body, counting lines by LF.
    public var line: Int
    public var reason: String

    public init(line: Int, reason: String) {
        self.line = line
        self.reason = reason
    }

    public var description: String { "SDP line \(line): \(reason)" }
}
