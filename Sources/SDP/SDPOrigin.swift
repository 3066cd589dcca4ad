/// The `o=` line: who created the description and which version of it this is. RFC 3264 §8
/// makes the version the signal of a changed offer or answer, so the SBC never forwards a
/// peer's o= but writes its own per leg (``SDPOriginState``).
public struct SDPOrigin: Sendable, Hashable {
    /// Login of the originating user, or "-".
    public var username: String
    /// Kept as text: RFC 8866 calls it numeric, yet some user agents put other tokens here and
    /// the SBC never computes with a peer's value.
    public var sessionID: String
    public var sessionVersion: UInt64
    public var networkType: String
    public var addressType: String
    public var address: String

    public init(username: String, sessionID: String, sessionVersion: UInt64, networkType: String = "IN",
                addressType: String, address: String)
    {
        self.username = username
        self.sessionID = sessionID
        self.sessionVersion = sessionVersion
        self.networkType = networkType
        self.addressType = addressType
        self.address = address
    }

    /// The text after `o=`.
    public var value: String {
        "\(username) \(sessionID) \(sessionVersion) \(networkType) \(addressType) \(address)"
    }

    /// Parses `username sess-id sess-version nettype addrtype unicast-address`.
    init(parsing bytes: SDPGrammar.Bytes, line: Int) throws(SDPParseError) {
        let fields = SDPGrammar.fields(bytes)
        guard fields.count == 6 else {
            throw SDPParseError(
                line: line,
                reason: "o= line has \(fields.count) fields, expected 6 (username sess-id sess-version nettype addrtype address)"
            )
        }
        guard let version = SDPGrammar.decimal(fields[2], max: UInt64.max) else {
            let what = SDPGrammar.isNumeric(fields[2]) ? "is too large" : "is not a number"
            throw SDPParseError(line: line, reason: "o= session version '\(SDPGrammar.excerpt(fields[2]))' \(what)")
        }
        username = SDPGrammar.string(fields[0])
        sessionID = SDPGrammar.string(fields[1])
        sessionVersion = version
        networkType = SDPGrammar.string(fields[3])
        addressType = SDPGrammar.string(fields[4])
        address = SDPGrammar.string(fields[5])
    }
}
