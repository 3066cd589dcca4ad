import SIPCore

/// What an ACK for a 2xx shares with the INVITE server transaction it acknowledges (RFC 3261
/// 17.2.3 and 12.2.1.1): the dialog (Call-ID, From tag, and the To tag our 2xx added) and the
/// CSeq number.
///
/// Needed because that ACK is a transaction of its own with a fresh branch, so the branch key
/// cannot find the Accepted transaction whose 2xx retransmissions it must stop. The To tag is
/// part of the identity so that an ACK for some other dialog on the same Call-ID (a fork, or a
/// forged one) cannot silence our retransmissions.
struct DialogACKKey: Sendable, Hashable {
    var callID: String
    var cseqNumber: UInt32
    var fromTag: String
    var toTag: String

    /// From the 2xx when indexing, from the ACK when looking up: both carry the same four fields.
    init?(_ message: SIPMessage) {
        guard let callID = message.callID, let cseq = message.cseq else { return nil }
        self.callID = callID
        cseqNumber = cseq.number
        fromTag = message.from?.tag ?? ""
        toTag = message.to?.tag ?? ""
    }
}
