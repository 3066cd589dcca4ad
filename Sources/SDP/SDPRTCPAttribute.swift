/// `a=rtcp:port [nettype addrtype address]` (RFC 3605): where RTCP goes when it is not on the
/// RTP port + 1. A peer's value names its own address, so the relay rewriter replaces it.
public struct SDPRTCPAttribute: Sendable, Hashable {
    public var port: Int
    /// nil when RTCP goes to the stream's c= address.
    public var connection: SDPConnection?

    public init(port: Int, connection: SDPConnection? = nil) {
        self.port = port
        self.connection = connection
    }

    /// Parses the value after `a=rtcp:`; nil when it is not a port optionally followed by the
    /// three connection fields.
    public init?(value: String) {
        var value = value
        let parsed = value.withUTF8 { bytes -> SDPRTCPAttribute? in
            let fields = SDPGrammar.fields(bytes[...])
            guard fields.count == 1 || fields.count == 4, let port = SDPGrammar.decimal(fields[0], max: 65535) else {
                return nil
            }
            guard fields.count == 4 else { return SDPRTCPAttribute(port: Int(port)) }
            guard let connection = SDPConnection(fields: fields[1], fields[2], fields[3]) else { return nil }
            return SDPRTCPAttribute(port: Int(port), connection: connection)
        }
        guard let parsed else { return nil }
        self = parsed
    }

    /// The text after `a=rtcp:`.
    public var value: String {
        connection.map { "\(port) \($0.value)" } ?? String(port)
    }
}
