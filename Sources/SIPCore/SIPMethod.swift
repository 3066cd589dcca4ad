/// A request method. A struct rather than an enum: extension methods are tokens we must carry
/// through (RFC 4475 intmeth), and case matters (RFC 3261 7.1: methods are case-sensitive).
public struct SIPMethod: Sendable, Hashable, CustomStringConvertible {
    public let name: String

    public init(_ name: String) { self.name = name }

    public var description: String { name }

    public static let invite = SIPMethod("INVITE")
    public static let ack = SIPMethod("ACK")
    public static let bye = SIPMethod("BYE")
    public static let cancel = SIPMethod("CANCEL")
    public static let options = SIPMethod("OPTIONS")
    public static let register = SIPMethod("REGISTER")
    public static let update = SIPMethod("UPDATE")
    public static let info = SIPMethod("INFO")
    public static let prack = SIPMethod("PRACK")
    public static let subscribe = SIPMethod("SUBSCRIBE")
    public static let notify = SIPMethod("NOTIFY")
    public static let refer = SIPMethod("REFER")
    public static let message = SIPMethod("MESSAGE")
    public static let publish = SIPMethod("PUBLISH")

    /// Methods this SBC knows the semantics of; others are "unknown" for the 501/relay policy.
    public static let known: Set<SIPMethod> = [
        .invite, .ack, .bye, .cancel, .options, .register, .update, .info, .prack, .subscribe, .notify, .refer,
        .message, .publish,
    ]
}
