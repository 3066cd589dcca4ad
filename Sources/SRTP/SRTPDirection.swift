/// Which way an ``SRTPContext`` processes packets.
public enum SRTPDirection: Sendable, Hashable {
    /// Unprotects what a peer sends, keyed with the peer's key (any SSRC it uses).
    case inbound
    /// Protects what the SBC sends a peer, keyed with the SBC's key (any SSRC it relays).
    case outbound
}
