/// The SBC's own o= line towards one peer. The SBC is that peer's only SDP counterpart, so it
/// owns the session ID and version it shows there, independently of the other leg: RFC 3264
/// §8 lets a peer tell a changed offer or answer from a resent one only by the version, which
/// must grow by exactly one when the body changes and stay put when it does not (§5, §8).
/// A peer's own o= would carry its address and unrelated version numbers across the SBC.
public struct SDPOriginState: Sendable, Equatable {
    public let username: String
    public let sessionID: UInt64
    public let address: String
    public let addressType: String
    /// The version of the last stamped description (`initialVersion` until a change).
    public private(set) var sessionVersion: UInt64
    /// The last stamped body; o= is ignored when comparing.
    private var lastStamped: SessionDescription?

    /// `initialVersion` need only be small enough that increments never approach 2^63: some
    /// stacks read the version as a signed 64-bit number.
    public init(username: String = "SwiftSBC", sessionID: UInt64, address: String, addressType: String,
                initialVersion: UInt64 = 1)
    {
        self.username = username
        self.sessionID = sessionID
        self.address = address
        self.addressType = addressType
        sessionVersion = initialVersion
    }

    /// The o= line for the current version.
    public var origin: SDPOrigin {
        SDPOrigin(username: username, sessionID: String(sessionID), sessionVersion: sessionVersion,
                  addressType: addressType, address: address)
    }

    /// Replaces `description.origin` with ours; bumps the version iff the body (ignoring o=)
    /// differs from the last stamped one. The first stamp uses `initialVersion`.
    public mutating func stamp(_ description: inout SessionDescription) {
        if let lastStamped, !lastStamped.equalsIgnoringOrigin(description) {
            sessionVersion &+= 1
        }
        description.origin = origin
        lastStamped = description
    }
}
