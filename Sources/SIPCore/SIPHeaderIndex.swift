/// The typed headers the parser already had to parse to validate a message, kept so that the
/// transaction layer and the B2BUA do not parse them again for every lookup.
///
/// Immutable (so `SIPMessage` stays `Sendable`) and dropped as soon as the message's header
/// list is modified: after that, the typed views parse the current text again.
final class SIPHeaderIndex: Sendable {
    let vias: [SIPVia]
    let from: SIPNameAddress
    let to: SIPNameAddress
    let cseq: SIPCSeq
    let contacts: [SIPNameAddress]
    let recordRoutes: [SIPNameAddress]

    /// Whether `name` is one of the headers held here, whose change must drop the index.
    static func holds(_ name: SIPHeaderName) -> Bool {
        name == .via || name == .from || name == .to || name == .cseq || name == .contact || name == .recordRoute
    }

    /// The same index with the top Via replaced (a Via rewritten in place, its others as they were).
    func replacingTopVia(_ via: SIPVia) -> SIPHeaderIndex {
        SIPHeaderIndex(vias: [via] + vias.dropFirst(), from: from, to: to, cseq: cseq, contacts: contacts,
                       recordRoutes: recordRoutes)
    }

    init(vias: [SIPVia], from: SIPNameAddress, to: SIPNameAddress, cseq: SIPCSeq, contacts: [SIPNameAddress],
         recordRoutes: [SIPNameAddress])
    {
        self.vias = vias
        self.from = from
        self.to = to
        self.cseq = cseq
        self.contacts = contacts
        self.recordRoutes = recordRoutes
    }
}
