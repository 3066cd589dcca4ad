import SBCSystem

/// The transport a SIP message travelled on; raw values match the Via transport token in
/// lowercase and the config file spelling.
public enum TransportProtocol: String, Sendable, Hashable, CaseIterable, CustomStringConvertible {
    case udp
    case tcp

    public var description: String { rawValue }
}

/// Identifies one TCP connection for the lifetime of the process (never reused), so a response
/// can be sent back over the connection its request came in on (RFC 3261 sec. 18.2.2) even
/// after the peer address has been reused by a newer connection.
public struct ConnectionID: Hashable, Sendable, CustomStringConvertible {
    public let rawValue: UInt64

    public init(rawValue: UInt64) {
        self.rawValue = rawValue
    }

    public var description: String { "conn#\(rawValue)" }
}

/// A complete SIP message as it came off the wire, not yet parsed.
public struct InboundMessage: Sendable {
    public let bytes: [UInt8]
    public let source: SocketAddress
    public let transport: TransportProtocol
    /// The configured zone (network side) it arrived in; routing and ACLs key on it.
    public let zone: String
    /// Set for stream transports: where responses to it must go.
    public let connection: ConnectionID?
    public let receivedAt: MonotonicInstant

    public init(bytes: [UInt8], source: SocketAddress, transport: TransportProtocol, zone: String,
                connection: ConnectionID?, receivedAt: MonotonicInstant) {
        self.bytes = bytes
        self.source = source
        self.transport = transport
        self.zone = zone
        self.connection = connection
        self.receivedAt = receivedAt
    }
}

/// A destination proved unreachable at the transport level: ICMP unreachable for UDP, refused
/// or reset for TCP. Reported so routing can fail over to the next carrier at once instead of
/// waiting for SIP Timer B/F.
public struct TransportFailure: Error, Sendable, CustomStringConvertible {
    public let destination: SocketAddress
    public let transport: TransportProtocol
    public let zone: String
    public let error: SystemError

    public init(destination: SocketAddress, transport: TransportProtocol, zone: String, error: SystemError) {
        self.destination = destination
        self.transport = transport
        self.zone = zone
        self.error = error
    }

    public var description: String {
        "\(transport) to \(destination) in zone \(zone): \(error)"
    }
}

/// Counters for metrics; monotonically increasing over the layer's life.
public struct TransportCounters: Sendable, Equatable {
    public var udpReceived = 0
    public var udpSent = 0
    /// Datagrams larger than maxMessageBytes.
    public var udpOversizeDropped = 0
    /// Sends dropped because the socket buffer was full.
    public var udpSendDropped = 0
    public var tcpMessagesReceived = 0
    public var tcpAccepted = 0
    public var tcpConnected = 0
    public var tcpClosedIdle = 0
    public var tcpFramingErrors = 0
    public var keepAlivesAnswered = 0
    /// Outbound messages larger than maxMessageBytes.
    public var outboundOversizeDropped = 0
    public var transportFailures = 0

    public init() {}
}
