import SIPCore

/// The early dialogs one INVITE to a carrier created, told apart by To-tag (RFC 3261 12.1.2):
/// a carrier (or a forking proxy behind it) may answer one INVITE from several endpoints, each
/// with its own tag, remote target, RSeq space and early SDP.
///
/// Why not one dialog overwritten by each 18x: the PRACK for a reliable 18x must go to the dialog
/// that sent it, with that dialog's RSeq (RFC 3262 §4), and when the 2xx comes from one fork its
/// early SDP is the answer that holds, not whichever fork spoke last. The fork that answers
/// becomes the call's carrier dialog; the others end with the INVITE transaction, and a 2xx from
/// one of them afterwards is acknowledged and hung up.
struct EarlyDialogs: Sendable {
    struct Dialog: Sendable {
        var remoteTarget: SIPURI?
        var routeSet: [SIPNameAddress]
        /// RSeq of the last in-order reliable provisional; nil before the first.
        var lastRSeq: UInt32?
        /// The latest SDP this dialog sent in a provisional and its Content-Type, for a 2xx that
        /// carries none (the answer was in the 18x) or an 18x whose SDP was withheld.
        var sdp: (body: [UInt8], contentType: String?)?
        /// A reliable provisional whose SDP was an offer: its PRACK waits for the caller's answer.
        var prackAwaitingAnswer: UInt32?
    }

    /// What to do with one provisional response.
    enum Verdict: Equatable {
        /// Unreliable, or the next reliable one in order: relay it (and PRACK it when `rseq`).
        case process(rseq: UInt32?)
        /// A retransmission of a reliable provisional already taken, or one out of order: drop it
        /// without PRACK (RFC 3262 §4); the UAS retransmits what it still needs acknowledged.
        case discard
    }

    private(set) var dialogs: [String: Dialog] = [:]
    /// To-tags in the order their dialogs appeared (bounded like `dialogs`).
    private(set) var order: [String] = []
    /// Under `early_media: ringback` the caller was sent its one 180.
    var ringing = false

    /// A carrier forking into more than this many endpoints is cut short: the later forks'
    /// provisionals are relayed, but no state is kept for them.
    static let limit = 16

    subscript(tag: String) -> Dialog? { dialogs[tag] }

    /// Takes a provisional with a To-tag (one without creates no dialog).
    mutating func receive(_ response: SIPMessage, tag: String) -> Verdict {
        var dialog = dialogs[tag] ?? Dialog(remoteTarget: nil, routeSet: [])
        guard dialogs[tag] != nil || dialogs.count < Self.limit else {
            return response.isReliableProvisional ? .discard : .process(rseq: nil)
        }
        if dialogs[tag] == nil { order.append(tag) }
        if let contact = response.contacts.first?.uri { dialog.remoteTarget = contact }
        // RFC 3261 12.1.2: the route set of an early dialog comes from its provisional.
        dialog.routeSet = response.recordRoutes.reversed()
        var verdict = Verdict.process(rseq: nil)
        if response.isReliableProvisional, let rseq = response.rseq {
            if let last = dialog.lastRSeq, rseq != last &+ 1 {
                verdict = .discard
            } else {
                dialog.lastRSeq = rseq
                verdict = .process(rseq: rseq)
            }
        }
        if verdict != .discard, !response.body.isEmpty {
            dialog.sdp = (response.body, response.firstValue(.contentType))
        }
        dialogs[tag] = dialog
        return verdict
    }

    mutating func awaitAnswer(tag: String, rseq: UInt32) {
        dialogs[tag]?.prackAwaitingAnswer = rseq
    }

    /// The dialog whose PRACK waits for the caller's answer, taken off the wait.
    mutating func takeAwaitingAnswer() -> (tag: String, rseq: UInt32)? {
        for tag in order {
            guard let rseq = dialogs[tag]?.prackAwaitingAnswer else { continue }
            dialogs[tag]?.prackAwaitingAnswer = nil
            return (tag, rseq)
        }
        return nil
    }

    /// Whether more than one dialog exists (the call forked).
    var forked: Bool { dialogs.count > 1 }
}
