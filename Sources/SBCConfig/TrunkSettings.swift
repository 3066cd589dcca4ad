import Yams

/// Transport used to reach a trunk (key `trunks[].transport`).
public enum TransportKind: String, Sendable, Equatable, CaseIterable {
    /// UDP (the default): what nearly every carrier interconnect uses.
    case udp
    /// TCP: for peers that send messages too large for UDP, or require connection-oriented SIP.
    case tcp
}

/// How the B-leg's Call-ID is chosen (key `trunks[].call_id`), applied when calls are sent to the
/// trunk.
public enum CallIDPolicy: String, Sendable, Equatable, CaseIterable {
    /// The B-leg keeps the A-leg's Call-ID (the default). Why: the platform and the carrier can
    /// then correlate a call in their own logs and CDRs by one identifier, which support teams
    /// rely on.
    case preserve
    /// A fresh Call-ID on the B-leg. Why: full topology hiding; some carriers' Call-IDs embed
    /// internal host names that must not reach the other side.
    case new
}

/// A SIP peer the SBC exchanges calls with: a carrier or the platform (YAML list `trunks`).
///
/// Why trunks are addresses and not host names: the SBC recognizes which trunk a request comes
/// from by its source address, which must be known without DNS, and only the configured trunks
/// may send requests at all (see ``SecuritySettings``).
public struct TrunkSettings: Sendable, Equatable {
    /// Unique trunk name (key `name`, required), referenced by trunk groups and routes, and used as
    /// the trunk's label in logs, metrics and CDRs.
    public var name: String

    /// Name of the zone the trunk is reached through (key `zone`, required, must exist): the SBC
    /// sends to the trunk from that zone's socket and advertises that zone's address.
    public var zone: String

    /// The peer's IP address (key `address`, required, IPv4 or IPv6 literal, not a wildcard).
    /// Requests from this address are attributed to this trunk; requests are sent to it.
    public var address: String

    /// The peer's SIP port (key `port`, default 5060, range 1-65535).
    public var port: UInt16

    /// Transport to the peer (key `transport`, default `udp`); the trunk's zone must listen on it.
    public var transport: TransportKind

    /// Call-ID handling on calls sent to this trunk (key `call_id`, default `preserve`).
    public var callIDPolicy: CallIDPolicy

    public static let defaultPort: UInt16 = 5060

    /// Creates a trunk; port, transport and Call-ID policy default to the documented defaults.
    public init(name: String, zone: String, address: String, port: UInt16 = TrunkSettings.defaultPort,
                transport: TransportKind = .udp, callIDPolicy: CallIDPolicy = .preserve) {
        self.name = name
        self.zone = zone
        self.address = address
        self.port = port
        self.transport = transport
        self.callIDPolicy = callIDPolicy
    }
}

extension TrunkSettings {
    /// The keys of one `trunks` entry.
    static let keys = ["name", "zone", "address", "port", "transport", "call_id"]

    /// Reads one entry of `trunks`. Always returns a value (with empty strings for what could not
    /// be read) so that list indexes in later problems keep matching the file. Whether `zone`
    /// exists is checked later by ``ConfigValidator``, once all zones are known.
    static func read(_ node: Node, at path: String, problems: ProblemCollector) -> TrunkSettings {
        var trunk = TrunkSettings(name: "", zone: "", address: "")
        guard let reader = MappingReader(node, at: path, keys: keys, problems: problems) else {
            if MappingReader.isNull(node) {
                problems.report(path, at: node.mark, "is empty; a trunk needs name, zone and address")
            }
            return trunk
        }
        trunk.name = reader.name("trunk")
        if reader.require("zone", "the name of the zone this trunk is reached through") {
            trunk.zone = reader.string("zone") ?? ""
        }
        if reader.require("address", "the peer's IP address") {
            trunk.address = reader.ipAddress("address", allowWildcard: false)?.text ?? ""
        }
        trunk.port = reader.port("port") ?? trunk.port
        trunk.transport = reader.choice("transport") ?? trunk.transport
        trunk.callIDPolicy = reader.choice("call_id") ?? trunk.callIDPolicy
        return trunk
    }
}
