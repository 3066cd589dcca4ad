/// The typed headers the parser already had to parse to validate a message (or the B2BUA built
/// from typed values), kept so that the transaction layer and the B2BUA do not parse them again
/// for every lookup.
///
/// Immutable (so `SIPMessage` stays `Sendable`). Each header is cached on its own: an edit of
/// one drops that one (nil: the typed view parses the current text again) and keeps the others,
/// and a message built by the SBC holds only what it was built from.
final class SIPHeaderIndex: Sendable {
    let vias: [SIPVia]?
    let from: SIPNameAddress?
    let to: SIPNameAddress?
    let cseq: SIPCSeq?
    let contacts: [SIPNameAddress]?
    let recordRoutes: [SIPNameAddress]?

    /// Whether `name` is one of the headers held here, whose change must drop it from the index.
    static func holds(_ name: SIPHeaderName) -> Bool {
        name == .via || name == .from || name == .to || name == .cseq || name == .contact || name == .recordRoute
    }

    init(vias: [SIPVia]?, from: SIPNameAddress?, to: SIPNameAddress?, cseq: SIPCSeq?, contacts: [SIPNameAddress]?,
         recordRoutes: [SIPNameAddress]?)
    {
        self.vias = vias
        self.from = from
        self.to = to
        self.cseq = cseq
        self.contacts = contacts
        self.recordRoutes = recordRoutes
    }

    /// The same index with the top Via replaced (a Via rewritten in place, its others as they were).
    func replacingTopVia(_ via: SIPVia) -> SIPHeaderIndex {
        SIPHeaderIndex(vias: vias.map { [via] + $0.dropFirst() }, from: from, to: to, cseq: cseq, contacts: contacts,
                       recordRoutes: recordRoutes)
    }

    /// The index without `name` (self when it does not hold it), or nil when nothing is left.
    func dropping(_ name: SIPHeaderName) -> SIPHeaderIndex? {
        let index = SIPHeaderIndex(
            vias: name == .via ? nil : vias, from: name == .from ? nil : from, to: name == .to ? nil : to,
            cseq: name == .cseq ? nil : cseq, contacts: name == .contact ? nil : contacts,
            recordRoutes: name == .recordRoute ? nil : recordRoutes)
        return index.isEmpty ? nil : index
    }

    private var isEmpty: Bool {
        vias == nil && from == nil && to == nil && cseq == nil && contacts == nil && recordRoutes == nil
    }
}
