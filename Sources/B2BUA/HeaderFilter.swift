import SIPCore

/// Which headers cross from one leg to the other. Everything that names a hop, a dialog or an
/// address of the far side is rebuilt by the SBC (topology hiding); end-to-end information
/// (identity, privacy, custom `X-` headers, session timer, body description) is carried.
enum HeaderFilter {
    /// Rebuilt per leg or meaningful for one hop only.
    static let perLeg: Set<SIPHeaderName> = [
        .via, .from, .to, .callID, .cseq, .contact, .recordRoute, .route, .maxForwards, .contentLength,
        .proxyRequire, SIPHeaderName("rseq"), SIPHeaderName("rack"), .server, .userAgent,
        // Authentication is per leg (docs/AUTH.md): the platform's credentials never reach a
        // carrier, and a carrier's challenge, addressed to the SBC, never reaches the platform.
        SIPHeaderName("authorization"), SIPHeaderName("proxy-authorization"), SIPHeaderName("www-authenticate"),
        SIPHeaderName("proxy-authenticate"), SIPHeaderName("authentication-info"),
        SIPHeaderName("proxy-authentication-info"),
    ]

    /// Describe a body: meaningless, and a fuzzer's favourite place for 30 KB of junk (issue 14),
    /// on a message without one, so they are not copied then.
    static let bodyDescription: Set<SIPHeaderName> = [
        .contentType, SIPHeaderName("content-encoding"), SIPHeaderName("content-disposition"),
        SIPHeaderName("content-language"),
    ]

    /// Copies the end-to-end headers of `source` into `target`; `Supported`/`Require` lose
    /// `100rel`, which each leg negotiates for itself (B2BUA+ReliableProvisionals.swift). A field
    /// `limits` finds unfit (too long, bare CR/LF/NUL) and body headers without a body are left
    /// out (docs/SIP.md "What the SBC forwards"): requests with such fields were already refused
    /// at the edge, so this strips only what responses and ACKs carry.
    static func copyEndToEnd(from source: SIPMessage, into target: inout SIPMessage,
                             limits: SIPHeaderLimits = .standard) {
        let bodyless = source.body.isEmpty
        for field in source.headers where !perLeg.contains(field.name) {
            if bodyless, bodyDescription.contains(field.name) { continue }
            guard limits.allows(field) else { continue }
            if field.name == .supported || field.name == .require {
                let kept = field.value.split(separator: ",")
                    .map { $0.trimmingWhitespace() }
                    .filter { !$0.isEmpty && !$0.equalsIgnoringASCIICase("100rel") }
                if !kept.isEmpty { target.headers.append(SIPHeaderField(field.name, kept.joined(separator: ", "))) }
                continue
            }
            target.headers.append(field)
        }
        target.body = source.body
    }
}
