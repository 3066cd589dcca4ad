/// How long a side may stay silent before the relay reports a media timeout.
///
/// Two values because a party that signalled it does not send (hold: sendonly from us,
/// recvonly/inactive from it) is legitimately silent for as long as the hold lasts; holding it to
/// the short active timeout would end every held call.
public struct MediaTimeouts: Sendable, Equatable {
    /// Applies while the remote party's direction says it sends (sendrecv/sendonly). nil = off.
    public var active: Duration?
    /// Applies while it does not (recvonly/inactive). nil = off.
    public var hold: Duration?

    public init(active: Duration? = nil, hold: Duration? = nil) {
        self.active = active
        self.hold = hold
    }

    public static let disabled = MediaTimeouts()
}
