/// What the SBC does with a REFER (blind transfer, RFC 3515) that a trunk sends inside a call
/// (key `trunks[].refer`, default `relay`). docs/SIP.md, "Transfers (REFER)".
///
/// Why per trunk: a contact-center platform transfers callers with REFER, and carriers differ:
/// some take REFER and connect the caller themselves (their trunk channel to the platform is
/// released), many refuse it. The SBC either passes the REFER on, does the transfer itself with
/// its own routing and failover, or refuses it so that the platform falls back to bridging the
/// call itself.
public enum ReferPolicy: String, Sendable, Equatable, CaseIterable {
    /// The REFER goes to the other leg (what the SBC did before this key existed), its Refer-To
    /// and Referred-By rewritten to name the other leg's side (topology hiding); the far end's
    /// 202 and its NOTIFYs come back. For carriers that support REFER.
    case relay
    /// The SBC answers 202 itself, places the new call through its own routing (with failover),
    /// reports progress with NOTIFY (`message/sipfrag`), and on success replaces the call's
    /// carrier leg with the new one and hangs up the old one.
    case terminate
    /// The REFER is answered `603 Decline` and nothing else changes: the platform keeps the
    /// call and may bridge the transfer itself.
    case reject
}
