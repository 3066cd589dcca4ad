/// A transport address as SDP and logs speak it: a numeric IPv4 or IPv6 literal and a port.
///
/// Text because that is what signalling has in hand; the relay converts it once to a
/// `MediaEndpoint` (integers) when a session is applied and never compares strings per packet.
public struct MediaAddress: Hashable, Sendable, CustomStringConvertible {
    /// Numeric IPv4 ("192.0.2.1") or IPv6 ("2001:db8::1", brackets allowed) literal; no names.
    public var host: String
    public var port: UInt16

    public init(host: String, port: UInt16) {
        self.host = host
        self.port = port
    }

    /// "192.0.2.1:4000" or "[2001:db8::1]:4000".
    public var description: String {
        host.contains(":") && !host.hasPrefix("[") ? "[\(host)]:\(port)" : "\(host):\(port)"
    }
}
