import SBCConfig
import SIPCore

/// A transport address on one side of the SBC: where a message came from, or where one goes.
/// Hosts are IP literals (the SBC never resolves names on the signalling path).
public struct SIPEndpoint: Sendable, Hashable, CustomStringConvertible {
    public var host: String
    public var port: UInt16
    public var transport: TransportProtocol
    /// The zone (listener set) the message arrived on or must leave from.
    public var zone: String
    /// The TCP or TLS connection a request came in on: its responses and the dialog's requests to
    /// that peer go back over it while it is open (RFC 3261 18.2.2, RFC 5923), because a client
    /// behind NAT or a TLS peer that authenticated this connection can be reached on no other.
    /// Host and port remain the fallback when it has closed.
    public var connection: ConnectionID?

    public init(host: String, port: UInt16, transport: TransportProtocol, zone: String, connection: ConnectionID? = nil) {
        self.host = host
        self.port = port
        self.transport = transport
        self.zone = zone
        self.connection = connection
    }

    public var description: String {
        "\(transport.rawValue)/\(host):\(port)@\(zone)" + (connection.map { "/\($0)" } ?? "")
    }
    var isReliable: Bool { transport.isReliable }

    /// Same host, port and transport (the zone a failure was reported in may differ).
    func sameTransportAddress(as other: SIPEndpoint) -> Bool {
        host == other.host && port == other.port && transport == other.transport
    }
}

/// The SBC's own presence in a zone: what goes into its Via, Contact and From hosts there.
struct ZoneIdentity: Sendable {
    var name: String
    var host: String
    var udpPort: UInt16?
    var tcpPort: UInt16?
    var tlsPort: UInt16?
    /// Where this zone's media sockets bind, and what SDP sent into the zone names instead.
    var mediaBind: String
    var mediaAdvertised: String
    /// SDP's addrtype of `mediaAdvertised` (RFC 8866 c= and o= lines).
    var mediaAddressType: String { mediaAdvertised.contains(":") ? "IP6" : "IP4" }

    init(_ zone: ZoneSettings) {
        name = zone.name
        host = zone.advertisedAddress ?? zone.bind
        udpPort = zone.udpPort
        tcpPort = zone.tcpPort
        tlsPort = zone.tlsPort
        mediaBind = zone.effectiveMediaAddress
        mediaAdvertised = zone.effectiveAdvertisedMediaAddress
    }

    func port(for transport: TransportProtocol) -> UInt16 {
        switch transport {
        case .udp: udpPort ?? tcpPort ?? 5060
        case .tcp: tcpPort ?? udpPort ?? 5060
        case .tls: tlsPort ?? 5061
        }
    }

    /// The SBC's Contact in this zone. Over TLS it is a `sips:` URI when the peer's own dialog is
    /// (RFC 3261 8.1.1.8 wants a SIPS Contact in a SIPS dialog), and a `sip:` URI with
    /// `transport=tls` otherwise, which is what carriers that take TLS but not SIPS expect.
    func contact(user: String, transport: TransportProtocol, secure: Bool = false) -> String {
        if secure && transport == .tls {
            return "<sips:\(user)@\(host):\(port(for: transport))>"
        }
        let suffix = transport == .udp ? "" : ";transport=\(transport.rawValue)"
        return "<sip:\(user)@\(host):\(port(for: transport))\(suffix)>"
    }

    /// `SIP/2.0/UDP host:port;branch=...;rport` (RFC 3581: responses come back to the port we send from).
    func via(branch: String, transport: TransportProtocol) -> SIPVia {
        SIPVia(transport: transport.viaToken, host: host, port: port(for: transport),
               parameters: [SIPParameter(name: "branch", value: branch), SIPParameter(name: "rport", value: nil)])
    }
}
