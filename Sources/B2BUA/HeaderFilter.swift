import SIPCore

/// Which headers cross from one leg to the other. Everything that names a hop, a dialog or an
/// address of the far side is rebuilt by the SBC (topology hiding); end-to-end information
/// (identity, privacy, custom `X-` headers, session timer, body description) is carried.
enum HeaderFilter {
    /// Rebuilt per leg or meaningful for one hop only.
    static let perLeg: Set<SIPHeaderName> = [
        .via, .from, .to, .callID, .cseq, .contact, .recordRoute, .route, .maxForwards, .contentLength,
        .proxyRequire, SIPHeaderName("rseq"), SIPHeaderName("rack"), .server, .userAgent,
    ]

    /// Copies the end-to-end headers of `source` into `target`; `Supported`/`Require` lose the
    /// option tags the SBC does not implement across legs (100rel is not bridged yet).
    static func copyEndToEnd(from source: SIPMessage, into target: inout SIPMessage) {
        for field in source.headers where !perLeg.contains(field.name) {
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
