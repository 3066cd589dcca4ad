/// The address of a `c=` line (and of the connection part of `a=rtcp`): where the peer wants
/// media sent. This is exactly what the SBC replaces with its own relay address.
public struct SDPConnection: Sendable, Hashable {
    /// "IN" for every network SIP runs on.
    public var networkType: String
    /// "IP4" or "IP6".
    public var addressType: String
    /// Unicast address or host name, without any multicast `/ttl/count` suffix.
    public var address: String
    /// The `/ttl[/count]` of a multicast address, as received. Kept only so that such a line
    /// round-trips; the SBC relays unicast media and never writes one.
    public var multicastSuffix: String?

    public init(networkType: String = "IN", addressType: String, address: String, multicastSuffix: String? = nil) {
        self.networkType = networkType
        self.addressType = addressType
        self.address = address
        self.multicastSuffix = multicastSuffix
    }

    /// The text after `c=`.
    public var value: String {
        "\(networkType) \(addressType) \(address)\(multicastSuffix ?? "")"
    }

    /// `0.0.0.0` or `::` in the given address family: a syntactically valid address that points
    /// nowhere, for descriptions whose every stream is rejected.
    public static func unspecified(addressType: String) -> SDPConnection {
        let isIPv6 = SDPGrammar.equalsIgnoringASCIICase(addressType.utf8, "IP6".utf8)
        return SDPConnection(addressType: addressType, address: isIPv6 ? "::" : "0.0.0.0")
    }

    /// Parses `nettype addrtype address[/ttl[/count]]` from a c= line.
    init(parsing bytes: SDPGrammar.Bytes, line: Int) throws(SDPParseError) {
        let fields = SDPGrammar.fields(bytes)
        guard fields.count == 3 else {
            throw SDPParseError(line: line, reason: "c= line has \(fields.count) fields, expected 3 (nettype addrtype address)")
        }
        guard let parsed = SDPConnection(fields: fields[0], fields[1], fields[2]) else {
            throw SDPParseError(line: line, reason: "c= address '\(SDPGrammar.excerpt(fields[2]))' is empty before '/'")
        }
        self = parsed
    }

    /// The three fields of a connection; nil when the address part before a `/` is empty.
    init?(fields networkType: SDPGrammar.Bytes, _ addressType: SDPGrammar.Bytes, _ address: SDPGrammar.Bytes) {
        let slash = address.firstIndex(of: SDPGrammar.slash) ?? address.endIndex
        guard slash > address.startIndex else { return nil }
        self.networkType = SDPGrammar.string(networkType)
        self.addressType = SDPGrammar.string(addressType)
        self.address = SDPGrammar.string(address[..<slash])
        multicastSuffix = slash < address.endIndex ? SDPGrammar.string(address[slash...]) : nil
    }
}
