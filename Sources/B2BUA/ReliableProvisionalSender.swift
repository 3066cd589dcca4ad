import SIPCore

/// The SBC as UAS sending reliable provisional responses (RFC 3262 §3) on the leg whose INVITE
/// it answers: numbering (RSeq), one unacknowledged provisional at a time, retransmission until
/// the PRACK, and a 2xx held back while a provisional with SDP is unacknowledged.
///
/// Sans-IO with a manual clock: the B2BUA passes `now` in and arms one per-call timer at
/// `deadline`; this type never sends anything itself, it returns what to send.
///
/// Why queue rather than send further provisionals unreliably: once the caller requires 100rel
/// every 18x must be reliable, and RFC 3262 forbids a second reliable one before the first is
/// PRACKed; a carrier that sends 180 then 183 with SDP at once would otherwise lose the 183.
struct ReliableProvisionalSender: Sendable {
    /// The provisional waiting for its PRACK.
    struct Outstanding: Sendable {
        /// As sent, RSeq and `Require: 100rel` included.
        let response: SIPMessage
        let rseq: UInt32
        let firstSent: Duration
        var interval: Duration
        var nextRetransmission: Duration
        /// It carried SDP: a 2xx must wait for its PRACK (RFC 3262 §3).
        var carriesSDP: Bool { !response.body.isEmpty }
    }

    enum PRACKOutcome {
        /// The PRACK matched: `next` is a queued provisional to send now, `final` a held 2xx.
        case acknowledged(next: SIPMessage?, final: SIPMessage?)
        /// Nothing outstanding has this RSeq (481, RFC 3262 §3).
        case unknown
    }

    enum Due {
        case retransmit(SIPMessage)
        /// 64*T1 without a PRACK: RFC 3262 §3 says to reject the INVITE with a 5xx.
        case gaveUp
    }

    let t1: Duration
    private(set) var nextRSeq: UInt32
    private(set) var outstanding: Outstanding?
    private(set) var queued: [SIPMessage] = []
    /// A 2xx that waits for the PRACK of the outstanding provisional with SDP.
    private(set) var heldFinal: SIPMessage?
    /// The per-call timer armed for the retransmission (stale heap entries carry another sequence).
    var timer: UInt64?

    /// Most provisionals queued behind an unacknowledged one; more are dropped (a carrier
    /// sending 18x in a loop must not grow the call without bound).
    static let queueLimit = 8

    /// `firstRSeq` should be random in 1...2^31-1 (RFC 3262 §3).
    init(t1: Duration, firstRSeq: UInt32) {
        self.t1 = t1
        nextRSeq = max(1, firstRSeq & 0x7FFF_FFFF)
    }

    var deadline: Duration? { outstanding?.nextRetransmission }

    /// A provisional for the leg: returned numbered, to be sent now, or nil when it waits behind
    /// an unacknowledged one.
    mutating func send(_ response: SIPMessage, now: Duration) -> SIPMessage? {
        guard outstanding == nil else {
            if queued.count < Self.queueLimit { queued.append(response) }
            return nil
        }
        var numbered = response
        numbered.addOptionTag("100rel", to: .require)
        numbered.set(SIPMessage.rseqHeader, String(nextRSeq))
        outstanding = Outstanding(response: numbered, rseq: nextRSeq, firstSent: now, interval: t1,
                                  nextRetransmission: now + t1)
        nextRSeq &+= 1
        return numbered
    }

    /// A PRACK whose RAck named `rseq` (its CSeq part already checked against the INVITE).
    mutating func prack(rseq: UInt32, now: Duration) -> PRACKOutcome {
        guard let current = outstanding, current.rseq == rseq else { return .unknown }
        outstanding = nil
        if let final = heldFinal {
            heldFinal = nil
            queued.removeAll()
            return .acknowledged(next: nil, final: final)
        }
        guard !queued.isEmpty else { return .acknowledged(next: nil, final: nil) }
        let next = queued.removeFirst()
        return .acknowledged(next: send(next, now: now), final: nil)
    }

    /// The final response to the INVITE: true when it goes now (and nothing is retransmitted any
    /// more), false when it is a 2xx held for the PRACK of a provisional with SDP.
    mutating func final(_ response: SIPMessage) -> Bool {
        queued.removeAll()
        if (200..<300).contains(response.statusCode ?? 0), outstanding?.carriesSDP == true {
            heldFinal = response
            return false
        }
        outstanding = nil
        heldFinal = nil
        return true
    }

    /// The retransmission timer fired: T1, 2*T1, 4*T1... until 64*T1 after the first send.
    mutating func fire(now: Duration) -> Due? {
        guard var current = outstanding, now >= current.nextRetransmission else { return nil }
        let limit = current.firstSent + t1 * 64
        if now >= limit {
            outstanding = nil
            heldFinal = nil
            queued.removeAll()
            return .gaveUp
        }
        current.interval = current.interval * 2
        current.nextRetransmission = min(now + current.interval, limit)
        outstanding = current
        return .retransmit(current.response)
    }
}
