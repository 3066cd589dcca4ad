import SBCSystem
import SIPCore
import TLS

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
/// or reset for TCP, a failed handshake or a rejected certificate for TLS. Reported so routing can
/// fail over to the next carrier at once instead of waiting for SIP Timer B/F, and so a health
/// probe can name the certificate problem.
public struct TransportFailure: Error, Sendable, CustomStringConvertible {
    /// What went wrong, with its own type per layer.
    public enum Cause: Sendable, CustomStringConvertible {
        case system(SystemError)
        case tls(TLSFailure)

        public var description: String {
            switch self {
            case .system(let error): "\(error)"
            case .tls(let failure): "TLS \(failure)"
            }
        }
    }

    public let destination: SocketAddress
    public let transport: TransportProtocol
    public let zone: String
    public let cause: Cause

    public init(destination: SocketAddress, transport: TransportProtocol, zone: String, cause: Cause) {
        self.destination = destination
        self.transport = transport
        self.zone = zone
        self.cause = cause
    }

    public init(destination: SocketAddress, transport: TransportProtocol, zone: String, error: SystemError) {
        self.init(destination: destination, transport: transport, zone: zone, cause: .system(error))
    }

    /// The socket error, when the failure was one.
    public var systemError: SystemError? {
        if case .system(let error) = cause { error } else { nil }
    }

    public var description: String {
        "\(transport) to \(destination) in zone \(zone): \(cause)"
    }
}

/// How a TLS connection's handshake ended, for certificate expiry monitoring, metrics and logs.
public struct TLSHandshakeReport: Sendable {
    public enum Outcome: Sendable {
        case established(TLSHandshakeSummary)
        case failed(TLSFailure)
    }

    public let zone: String
    public let peer: SocketAddress
    /// We dialled the peer (it is a server to us) rather than accepted its connection.
    public let outbound: Bool
    public let outcome: Outcome
}

/// What the transport needs to dial a TLS peer: the context with the trunk's verification and
/// client certificate, the SNI and the key under which its sessions are resumed.
public struct TLSClientTarget {
    public let context: TLSContext
    public let serverName: String?
    public let resumptionKey: String

    public init(context: TLSContext, serverName: String?, resumptionKey: String) {
        self.context = context
        self.serverName = serverName
        self.resumptionKey = resumptionKey
    }
}

/// How the transport manages TCP and TLS connections (from the `sip` and `tls` config sections).
public struct StreamConnectionPolicy: Sendable {
    /// An idle connection is closed after this.
    public var idleTimeout: Duration
    /// A TLS handshake not finished in this time fails the connection.
    public var handshakeTimeout: Duration
    /// RFC 5626 CRLF pings on connections the SBC dialled; zero turns them off.
    public var keepAliveInterval: Duration
    /// Connections open at once, and accepted from one source address.
    public var maxConnections: Int
    public var maxConnectionsPerSource: Int
    /// A message whose first byte arrived this long ago and is still incomplete closes its
    /// connection (slowloris); `sip.message_deadline_s`.
    public var messageDeadline: Duration = .seconds(10)

    public init(idleTimeout: Duration = .seconds(300), handshakeTimeout: Duration = .seconds(5),
                keepAliveInterval: Duration = .seconds(30), maxConnections: Int = 4096, maxConnectionsPerSource: Int = 64) {
        self.idleTimeout = idleTimeout
        self.handshakeTimeout = handshakeTimeout
        self.keepAliveInterval = keepAliveInterval
        self.maxConnections = maxConnections
        self.maxConnectionsPerSource = maxConnectionsPerSource
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
    public var keepAlivesSent = 0
    /// Connections refused at accept: over `maxConnections` or `maxConnectionsPerSource`.
    public var connectionsRefused = 0
    public var tlsHandshakes = 0
    public var tlsResumed = 0
    public var tlsHandshakeFailures = 0
    /// Outbound messages larger than maxMessageBytes.
    public var outboundOversizeDropped = 0
    public var transportFailures = 0
    /// ICMP errors for a UDP destination already reported within `UnreachableReportGate`'s window.
    public var transportFailuresCoalesced = 0
    /// Connections closed because a message stayed incomplete past `messageDeadline`.
    public var tcpClosedSlow = 0
    /// Connections accepted and closed at once because descriptors ran out (EMFILE/ENFILE).
    public var connectionsShed = 0
    /// Connections refused at accept by `admitsConnection` (strangers under `unknown_source: drop`).
    public var connectionsFromStrangersRefused = 0

    public init() {}
}
