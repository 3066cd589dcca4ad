import SBCConfig
import SIPCore

/// What the SBC lets cross from one leg to the other (docs/SIP.md "What the SBC forwards"):
/// requests with unfit headers are refused at the edge, whichever side they come from; fields are
/// filtered again as they are copied (`HeaderFilter`); an INVITE too large for UDP is never sent
/// to a UDP trunk.
extension B2BUA {
    /// The 400 for a request whose headers break `sip.max_header_length`/`sip.max_headers` or
    /// hold a bare CR, LF or NUL, before anything else looks at it.
    func edgeRejection(for request: SIPMessage) -> SIPRejection? {
        settings.headerLimits.rejection(for: request)
    }

    /// A B-leg INVITE over `sip.max_udp_message_bytes` for a UDP trunk: the trunk is skipped with
    /// 513 (RFC 3261 18.1.1 wants such a request on TCP; the SBC does not switch a trunk's
    /// transport behind the operator's back, so a large INVITE needs a trunk with `transport: tcp`).
    /// Measured before the SDP is anchored, which changes its size by a few bytes only.
    func udpSizeRefusal(_ invite: SIPMessage, trunk: TrunkSettings) -> Refusal? {
        guard trunk.transport == .udp else { return nil }
        let size = invite.serializedCount
        guard size > settings.maxUDPMessageBytes else { return nil }
        return Refusal(status: 513, reason: "Message Too Large (INVITE of \(size) bytes over UDP, limit \(settings.maxUDPMessageBytes))")
    }
}
