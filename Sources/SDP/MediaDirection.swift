/// The direction attribute of a stream (RFC 3264 §5.1), as written by the side that sent it.
public enum MediaDirection: String, Sendable, CaseIterable {
    case sendrecv, sendonly, recvonly, inactive

    /// The direction seen from the other end: what one side sends the other receives, so an
    /// answer to `sendonly` is `recvonly` (RFC 3264 §6.1).
    public var reversed: MediaDirection {
        switch self {
        case .sendrecv: .sendrecv
        case .sendonly: .recvonly
        case .recvonly: .sendonly
        case .inactive: .inactive
        }
    }

    /// Whether the side that wrote this attribute sends media.
    public var sends: Bool { self == .sendrecv || self == .sendonly }

    /// Whether the side that wrote this attribute wants to receive media.
    public var receives: Bool { self == .sendrecv || self == .recvonly }

    /// The direction named by the text after `a=`, ignoring ASCII case; nil for any other
    /// attribute. All four names are eight letters, which rules out most lines without a look.
    init?(attributeValue value: String) {
        guard value.utf8.count == 8 else { return nil }
        for direction in MediaDirection.allCases
            where SDPGrammar.equalsIgnoringASCIICase(value.utf8, direction.rawValue.utf8)
        {
            self = direction
            return
        }
        return nil
    }
}
