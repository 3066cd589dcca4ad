/// How an `m=` line's transport protocol secures RTP, which decides what SDES can do with it.
public enum RTPSecurityProfile: Sendable, Hashable {
    /// RTP/AVP or RTP/AVPF: plain RTP (or best-effort SRTP when a=crypto lines come with it).
    case plain
    /// RTP/SAVP or RTP/SAVPF: SRTP, keyed here by SDES a=crypto.
    case secure
    /// UDP/TLS/RTP/SAVP(F) and the TCP forms: SRTP keyed by a DTLS handshake in the media path.
    case dtls
    /// Not RTP (udptl, UDP, TCP/MSRP, ...): SRTP does not apply.
    case notRTP

    public init(proto: String) {
        if Self.matches(proto, "RTP/AVP") || Self.matches(proto, "RTP/AVPF") {
            self = .plain
        } else if Self.matches(proto, "RTP/SAVP") || Self.matches(proto, "RTP/SAVPF") {
            self = .secure
        } else if ["UDP/TLS/RTP/SAVP", "UDP/TLS/RTP/SAVPF", "TCP/TLS/RTP/SAVP", "TCP/TLS/RTP/SAVPF",
                   "TCP/DTLS/RTP/SAVP", "TCP/DTLS/RTP/SAVPF"].contains(where: { Self.matches(proto, $0) })
        {
            self = .dtls
        } else {
            self = .notRTP
        }
    }

    /// `proto` with SRTP: RTP/AVP -> RTP/SAVP, RTP/AVPF -> RTP/SAVPF; any other protocol is
    /// returned as it is.
    public static func secured(_ proto: String) -> String {
        if matches(proto, "RTP/AVP") { return "RTP/SAVP" }
        if matches(proto, "RTP/AVPF") { return "RTP/SAVPF" }
        return proto
    }

    /// `proto` without SRTP: RTP/SAVP -> RTP/AVP, RTP/SAVPF -> RTP/AVPF; any other protocol is
    /// returned as it is.
    public static func plain(_ proto: String) -> String {
        if matches(proto, "RTP/SAVP") { return "RTP/AVP" }
        if matches(proto, "RTP/SAVPF") { return "RTP/AVPF" }
        return proto
    }

    /// Protocol names compare without regard to ASCII case (RFC 8866 §5.14 registers them in
    /// upper case, but some user agents write `rtp/avp`).
    private static func matches(_ proto: String, _ name: String) -> Bool {
        SDPGrammar.equalsIgnoringASCIICase(proto.utf8, name.utf8)
    }
}
