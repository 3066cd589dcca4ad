import SIPCore
import Yams

/// A network zone: one listening address with its SIP ports, facing one kind of peer
/// (YAML list `zones`, one entry per zone).
///
/// Why zones: the SBC's whole point is topology hiding between networks, and a zone is one side of
/// that boundary. Trunks live in a zone, routes can match "anything arriving from this zone", and
/// the address the SBC advertises in Via/Contact/SDP is the zone's, so the platform never sees the
/// carrier-side address and vice versa.
public struct ZoneSettings: Sendable, Equatable {
    /// Unique zone name (key `name`, required), referenced by `trunks[].zone` and `routes[].from_zone`.
    public var name: String

    /// Local address the zone's sockets bind (key `bind`, required): an IPv4 or IPv6 literal, or
    /// the wildcard `0.0.0.0`/`::` to listen on every address of that family.
    ///
    /// Why a literal: sockets are bound before any DNS is trusted, and an explicit address is what
    /// keeps two zones on one host apart.
    public var bind: String

    /// UDP port to listen on (key `udp_port`, 1-65535, no default: absent means no UDP in this zone).
    public var udpPort: UInt16?

    /// TCP port to listen on (key `tcp_port`, 1-65535, no default: absent means no TCP in this zone).
    /// A zone needs at least one of `udp_port`, `tcp_port` and `tls_port`.
    public var tcpPort: UInt16?

    /// TLS port to listen on (key `tls_port`, 1-65535, usually 5061; absent means no TLS in this
    /// zone). Requires `tls`.
    public var tlsPort: UInt16?

    /// The certificate this zone's TLS listener presents, and its versions and ciphers (key
    /// `tls`, a mapping, required with `tls_port`). See ``ZoneTLSSettings``.
    public var tls: ZoneTLSSettings?

    /// Address written into Via, Contact, Record-Route and SDP for this zone (key
    /// `advertised_address`, default: the `bind` address). An IP literal or a host name.
    ///
    /// Why: behind a 1:1 NAT (a cloud instance's private address mapped to an elastic public one)
    /// the bound address is not the one peers can reach. Required when `bind` is a wildcard,
    /// because a wildcard is no address a peer could send to.
    public var advertisedAddress: String?

    /// Local address the zone's RTP/RTCP relay sockets bind (key `media_address`, default: `bind`,
    /// wildcard included: behind 1:1 NAT the advertised address is not a local one). Why separate:
    /// media often leaves through another interface than signalling (a dedicated media VLAN).
    public var mediaAddress: String?

    /// Address written into c= lines of SDP sent into this zone (key `advertised_media_address`,
    /// default: `media_address`, else the zone's advertised address). For 1:1 NAT, like
    /// `advertised_address`.
    public var advertisedMediaAddress: String?

    /// Creates a zone; ports and the advertised address default to absent.
    public init(name: String, bind: String, udpPort: UInt16? = nil, tcpPort: UInt16? = nil, tlsPort: UInt16? = nil,
                tls: ZoneTLSSettings? = nil, advertisedAddress: String? = nil, mediaAddress: String? = nil,
                advertisedMediaAddress: String? = nil) {
        self.name = name
        self.bind = bind
        self.udpPort = udpPort
        self.tcpPort = tcpPort
        self.tlsPort = tlsPort
        self.tls = tls
        self.advertisedAddress = advertisedAddress
        self.mediaAddress = mediaAddress
        self.advertisedMediaAddress = advertisedMediaAddress
    }

    /// Where this zone's media sockets bind: `media_address`, else `bind`.
    public var effectiveMediaAddress: String {
        mediaAddress ?? bind
    }

    /// What SDP sent into this zone names as the SBC's media address.
    public var effectiveAdvertisedMediaAddress: String {
        advertisedMediaAddress ?? mediaAddress ?? effectiveAdvertisedAddress
    }

    /// The address peers should use to reach this zone: `advertisedAddress`, else `bind`.
    public var effectiveAdvertisedAddress: String {
        advertisedAddress ?? bind
    }

    /// The port this zone listens on for `transport`, if it does.
    public func port(for transport: TransportProtocol) -> UInt16? {
        switch transport {
        case .udp: udpPort
        case .tcp: tcpPort
        case .tls: tlsPort
        }
    }
}

extension ZoneSettings {
    /// The keys of one `zones` entry.
    static let keys = ["name", "bind", "udp_port", "tcp_port", "tls_port", "tls", "advertised_address",
                       "media_address", "advertised_media_address"]

    /// Reads one entry of `zones`. Always returns a value (with empty strings for what could not
    /// be read) so that list indexes in later problems keep matching the file.
    static func read(_ node: Node, at path: String, problems: ProblemCollector) -> ZoneSettings {
        var zone = ZoneSettings(name: "", bind: "")
        guard let reader = MappingReader(node, at: path, keys: keys, problems: problems) else {
            if MappingReader.isNull(node) { problems.report(path, at: node.mark, "is empty; a zone needs name and bind") }
            return zone
        }
        zone.name = reader.name("zone")

        var bindIsWildcard = false
        if reader.require("bind", "the local IP address to listen on"),
           let (text, address) = reader.ipAddress("bind", allowWildcard: true) {
            zone.bind = text
            bindIsWildcard = address.isWildcard
        }
        zone.udpPort = reader.port("udp_port")
        zone.tcpPort = reader.port("tcp_port")
        zone.tlsPort = reader.port("tls_port")
        if reader.value("udp_port") == nil, reader.value("tcp_port") == nil, reader.value("tls_port") == nil {
            problems.report(path, "listens on nothing: set udp_port, tcp_port, tls_port or several")
        }
        zone.tls = ZoneTLSSettings.read(reader)
        if reader.value("tls_port") != nil, reader.value("tls") == nil {
            problems.report(reader.path("tls"), "is required with tls_port (the certificate and key this zone presents)")
        } else if reader.value("tls") != nil, reader.value("tls_port") == nil {
            problems.report(reader.path("tls_port"), "is required with tls (the port the TLS listener binds, usually 5061)")
        }

        if let advertised = reader.string("advertised_address") {
            if IPAddressLiteral.isAdvertisable(advertised) {
                zone.advertisedAddress = advertised
            } else {
                problems.report(reader.path("advertised_address"),
                                "must be a specific IP address or a host name, got \(MappingReader.describe(.init(advertised)))")
            }
        } else if bindIsWildcard, reader.value("advertised_address") == nil {
            problems.report(reader.path("advertised_address"),
                            "is required when bind is the wildcard \(zone.bind): peers need a real address in Via, Contact and SDP")
        }
        zone.mediaAddress = reader.ipAddress("media_address", allowWildcard: false)?.text
        zone.advertisedMediaAddress = reader.ipAddress("advertised_media_address", allowWildcard: false)?.text
        return zone
    }
}
