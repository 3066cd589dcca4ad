/// The transport a SIP message travels on, in config (`trunks[].transport`) and at run time alike:
/// one enum, so a trunk configured for TLS can never quietly become UDP on the way to a socket.
/// Raw values are the config spelling and the lowercase Via transport token.
public enum TransportProtocol: String, Sendable, Hashable, CaseIterable, CustomStringConvertible {
    /// UDP (the default): what nearly every carrier interconnect uses.
    case udp
    /// TCP: for peers that send messages too large for UDP, or require connection-oriented SIP.
    case tcp
    /// TLS over TCP (RFC 3261 26.2, RFC 5630): BYOC and Direct Routing-style interconnects and
    /// carriers that require encrypted signalling, often with mutual authentication.
    case tls

    public var description: String { rawValue }

    /// Streams carry their own reliability: no retransmission timers (RFC 3261 17.1.1.2).
    public var isReliable: Bool { self != .udp }

    /// The token in a Via header (`SIP/2.0/TLS`).
    public var viaToken: String {
        switch self {
        case .udp: "UDP"
        case .tcp: "TCP"
        case .tls: "TLS"
        }
    }

    /// The transport a Via token names, if the SBC speaks it.
    public init?(viaToken: String) {
        self.init(rawValue: viaToken.lowercased())
    }
}

/// Identifies one TCP or TLS connection for the lifetime of the process (never reused), so a
/// response can be sent back over the connection its request came in on (RFC 3261 18.2.2) even
/// after the peer address has been reused by a newer connection.
public struct ConnectionID: Hashable, Sendable, CustomStringConvertible {
    public let rawValue: UInt64

    public init(rawValue: UInt64) {
        self.rawValue = rawValue
    }

    public var description: String { "conn#\(rawValue)" }
}
