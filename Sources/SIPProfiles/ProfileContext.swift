import SIPCore

/// The values a profile's variables (`${from.user}`, `${to.user}`, `${ruri.user}`,
/// `${trunk.name}`, `${call.id}`) take for one message.
///
/// Why the caller passes them rather than the profile reading them from the message it rewrites:
/// the B2BUA builds the B-leg request from scratch (its Request-URI and To name the trunk), so the
/// numbers worth templating are those of the call as received; and the values must not change
/// while the profile runs, or the outcome of a template would depend on the order of steps.
public struct ProfileContext: Sendable, Equatable {
    /// User part of the caller's From URI; nil renders as empty text.
    public var fromUser: String?
    /// User part of the To URI.
    public var toUser: String?
    /// User part of the Request-URI (the number dialled).
    public var requestUser: String?
    /// Name of the trunk the message goes to (outbound profile) or came from (inbound profile).
    public var trunkName: String
    /// Call-ID of the leg being rewritten.
    public var callID: String

    /// Creates a context from explicit values.
    public init(fromUser: String? = nil, toUser: String? = nil, requestUser: String? = nil,
                trunkName: String, callID: String) {
        self.fromUser = fromUser
        self.toUser = toUser
        self.requestUser = requestUser
        self.trunkName = trunkName
        self.callID = callID
    }

    /// A context with the user parts and Call-ID of `message` (typically the A-leg request as
    /// received) and `trunkName`.
    public init(message: SIPMessage, trunkName: String) {
        self.init(fromUser: message.from?.uri.user, toUser: message.to?.uri.user,
                  requestUser: message.requestURI?.user, trunkName: trunkName, callID: message.callID ?? "")
    }
}

/// Why a profile refused to produce a message: applying it would have sent broken SIP (a header
/// value with a line break, a URI that does not parse, a P-Asserted-Identity that is not a
/// name-addr). The B2BUA treats it like any failure to build the request: the attempt fails
/// rather than the carrier receiving garbage.
public struct ProfileError: Error, Sendable, Equatable, CustomStringConvertible {
    /// Name of the profile.
    public var profile: String
    /// The header (or `Request-URI`) that would have been invalid.
    public var header: String
    /// What was wrong, in one sentence.
    public var reason: String

    public init(profile: String, header: String, reason: String) {
        self.profile = profile
        self.header = header
        self.reason = reason
    }

    /// `profile "carrier-b": P-Asserted-Identity: ...`, for logs.
    public var description: String {
        "profile \"\(profile)\": \(header): \(reason)"
    }
}
