/// How the peer's certificate is checked.
///
/// The modes are the ones an operator chooses per trunk: relaxed for a lab, chain and name as the
/// normal case, chain and pin where a carrier hands out its key and the name cannot be relied on
/// (certificates issued for a pool, addresses that change).
public enum TLSPeerVerification: Sendable, Equatable {
    /// Lab and testing: any certificate (or none) is accepted. A certificate the peer presents is
    /// still requested and recorded, so expiry monitoring sees it.
    case none
    /// The chain must lead to the CA bundle and the leaf must carry this name in its subject
    /// alternative names: a DNS name (`X509_VERIFY_PARAM_set1_host`, no partial wildcards) or an
    /// IP literal (`X509_VERIFY_PARAM_set1_ip_asc`). It is independent of SNI.
    case chainAndName(String)
    /// The chain must lead to the CA bundle and the base64 SHA-256 of the leaf's
    /// SubjectPublicKeyInfo must be one of these (as in HPKP and curl's
    /// `--pinnedpubkey sha256//...`; a `sha256//` prefix is accepted). Several pins allow a key roll-over.
    case chainAndPin([String])

    /// Whether the chain is checked against the CA bundle.
    var checksChain: Bool {
        if case .none = self { return false }
        return true
    }

    /// The pins without an optional `sha256//` prefix.
    var normalizedPins: [String] {
        guard case .chainAndPin(let pins) = self else { return [] }
        return pins.map { $0.hasPrefix("sha256//") ? String($0.dropFirst("sha256//".count)) : $0 }
    }
}
