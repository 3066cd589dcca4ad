/// `CSeq: number method`. The number is bounded to 32 bits: larger values are malformed, not
/// wrapped (RFC 3261 8.1.1.5; RFC 4475 scalar02).
public struct SIPCSeq: Sendable, Hashable, CustomStringConvertible {
    public var number: UInt32
    public var method: SIPMethod

    public init(number: UInt32, method: SIPMethod) {
        self.number = number
        self.method = method
    }

    public var description: String { "\(number) \(method)" }

    public static func parse(_ value: String) -> SIPCSeq? {
        var scanner = SIPScanner(value)
        scanner.skipWhitespace()
        guard let digits = scanner.readToken(), let number = SIPGrammar.boundedDecimal(digits, max: UInt64(UInt32.max))
        else { return nil }
        scanner.skipWhitespace()
        guard let method = scanner.readToken() else { return nil }
        scanner.skipWhitespace()
        return scanner.isAtEnd ? SIPCSeq(number: UInt32(number), method: SIPMethod(method)) : nil
    }
}
