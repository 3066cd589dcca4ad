import SBCConfig

/// A transport address on one side of the SBC: where a message came from, or where one goes.
/// Hosts are IP literals (the SBC never resolves names on the signalling path).
public struct SIPEndpoint: Sendable, Hashable, CustomStringConvertible {
    public var host: String
    public var port: UInt16
    public var transport: TransportKind
    /// The zone (listener set) the message arrived on or must leave from.
    public var zone: String

    public init(host: String, port: UInt16, transport: TransportKind, zone: String) {
        self.host = host
        self.port = port
        self.transport = transport
        self.zone = zone
    }

    public var description: String { "\(transport.rawValue)/\(host):\(port)@\(zone)" }
    var isReliable: Bool { transport != .udp }

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
        mediaBind = zone.effectiveMediaAddress
        mediaAdvertised = zone.effectiveAdvertisedMediaAddress
    }

    func port(for transport: TransportKind) -> UInt16 {
        switch transport {
        case .udp: udpPort ?? tcpPort ?? 5060
        case .tcp: tcpPort ?? udpPort ?? 5060
        }
    }

    func contact(user: String, transport: TransportKind) -> String {
        let suffix = transport == .udp ? "" : ";transport=\(transport.rawValue)"
        return "<sip:\(user)@\(host):\(port(for: transport))\(suffix)>"
    }

    func via(branch: String, transport: TransportKind) -> String {
        "SIP/2.0/\(transport.rawValue.uppercased()) \(host):\(port(for: transport));branch=\(branch);rport"
    }
}
