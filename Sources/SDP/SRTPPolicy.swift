/// A trunk's SRTP policy: what the SBC asks of, and accepts from, the peer on that trunk's leg.
///
/// Each leg is keyed on its own (a key never crosses from one side to the other), so the
/// platform leg can be SRTP while the carrier leg is plain RTP. The RFC 4568 consequences per
/// policy, for an offer the leg sends and for the offer the SBC sends it:
///
/// | offer received | `none` | `optional` | `required` |
/// |---|---|---|---|
/// | RTP/AVP, no a=crypto | plain | plain | refused (488) |
/// | RTP/AVP with a=crypto (best-effort SRTP) | plain, crypto dropped | SRTP if a line is acceptable, else plain | SRTP if a line is acceptable, else refused |
/// | RTP/SAVP with a=crypto | refused | SRTP if a line is acceptable, else refused | same |
/// | RTP/SAVP without a=crypto (MIKEY, ZRTP...) | refused | refused | refused |
/// | UDP/TLS/RTP/SAVP (DTLS-SRTP) | refused here; relaying it opaquely is the caller's choice | same | same |
///
/// | offer sent | `none` | `optional` | `required` |
/// |---|---|---|---|
/// | profile | RTP/AVP | RTP/AVP + a=crypto (best effort: a plain peer just ignores them) | RTP/SAVP + a=crypto |
/// | answer without a=crypto | plain | plain | refused |
///
/// The `F` (feedback) forms follow the same rules: RTP/AVPF <-> RTP/SAVPF.
public enum SRTPPolicy: String, Sendable, Hashable, CaseIterable {
    /// Plain RTP only: SRTP offers are refused, offers sent carry no keys.
    case none
    /// SRTP when the peer offers or accepts it (best effort), plain RTP otherwise.
    case optional
    /// SRTP only: a plain offer is refused with 488, and so is a plain answer to our offer.
    case required
}
