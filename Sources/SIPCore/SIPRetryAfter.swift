/// `Retry-After: delta-seconds [comment] *(;params)`: how long a carrier asks us to stay away
/// after a 503; routing quarantines the trunk for (a bounded version of) this long.
public struct SIPRetryAfter: Sendable, Hashable {
    public var seconds: UInt32
    public var comment: String?
    /// `duration` parameter: how long the service is expected to be available once it is back.
    public var duration: UInt32?

    public init(seconds: UInt32, comment: String? = nil, duration: UInt32? = nil) {
        self.seconds = seconds
        self.comment = comment
        self.duration = duration
    }

    public static func parse(_ value: String) -> SIPRetryAfter? {
        var scanner = SIPScanner(value)
        scanner.skipWhitespace()
        guard let digits = scanner.readToken(), let seconds = SIPGrammar.boundedDecimal(digits, max: UInt64(UInt32.max))
        else { return nil }
        scanner.skipWhitespace()
        var comment: String?
        if scanner.peek == 0x28 {  // "(" comment ")"
            let text = scanner.read { $0 == 0x29 }
            guard scanner.peek == 0x29 else { return nil }
            scanner.index += 1
            comment = String(text.dropFirst())
        }
        guard let parameters = scanner.readParameters() else { return nil }
        scanner.skipWhitespace()
        guard scanner.isAtEnd else { return nil }
        let duration = (parameters[parameter: "duration"] ?? nil).flatMap {
            SIPGrammar.boundedDecimal($0, max: UInt64(UInt32.max))
        }
        return SIPRetryAfter(seconds: UInt32(seconds), comment: comment, duration: duration.map(UInt32.init))
    }
}
