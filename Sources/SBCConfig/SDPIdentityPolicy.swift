/// Key `trunks[].sdp_identity`: see ``TrunkSettings/sdpIdentity``.
public enum SDPIdentityPolicy: String, Sendable, Equatable, CaseIterable {
    case strip
    case keep
}
