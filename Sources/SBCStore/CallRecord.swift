/// The call detail record of one A-leg call, written when the call ends.
///
/// A plain value so the signalling thread can build it from its call state and hand it to
/// `CallRecordStore.record(_:)` without sharing anything mutable with the writer thread.
/// Field meanings are those of the `calls` table, documented in docs/CDR.md.
public struct CallRecord: Sendable, Equatable, Codable {
    /// Call-ID of the A-leg (the platform's side), the key operators search by.
    public var callID: String
    /// Call-ID of the last B-leg (carrier side), nil if none was sent.
    public var legBCallID: String?
    public var fromURI: String
    public var toURI: String
    /// The trunk the INVITE came in on.
    public var ingressTrunk: String
    /// Name of the route that matched, nil when none did.
    public var route: String?
    /// Unix seconds: INVITE received.
    public var startedAt: Double
    /// Unix seconds: 200 OK relayed to the caller, nil if never answered.
    public var answeredAt: Double?
    /// Unix seconds: the call ended (BYE, final failure, CANCEL, ...).
    public var endedAt: Double
    /// "answered", "failed", "cancelled", "no_route", "media_timeout", "shutdown", ...
    public var disposition: String
    /// Final status sent to the caller (200 for answered calls), nil if none was sent.
    public var finalStatus: Int?
    /// Trunk that answered or gave the final failure.
    public var finalTrunk: String?
    /// Who hung up: "caller", "callee" or "sbc"; nil if the call never connected.
    public var endedBy: String?
    /// The call was restored after a restart of the SBC (`calls.recovered`, docs/RESTART.md).
    public var recovered = false
    /// Trunks tried, in order.
    public var attempts: [CallAttempt]
    /// RTP relay statistics per side ("a" then "b"); empty when the call had no relayed media
    /// (never answered, media not anchored) or was recorded before the SBC relayed RTP.
    public var media: [CallMediaLeg]

    public init(callID: String, legBCallID: String? = nil, fromURI: String, toURI: String, ingressTrunk: String,
                route: String? = nil, startedAt: Double, answeredAt: Double? = nil, endedAt: Double,
                disposition: String, finalStatus: Int? = nil, finalTrunk: String? = nil, endedBy: String? = nil,
                attempts: [CallAttempt] = [], media: [CallMediaLeg] = []) {
        self.callID = callID
        self.legBCallID = legBCallID
        self.fromURI = fromURI
        self.toURI = toURI
        self.ingressTrunk = ingressTrunk
        self.route = route
        self.startedAt = startedAt
        self.answeredAt = answeredAt
        self.endedAt = endedAt
        self.disposition = disposition
        self.finalStatus = finalStatus
        self.finalTrunk = finalTrunk
        self.endedBy = endedBy
        self.attempts = attempts
        self.media = media
    }

    /// Talk time in seconds (answer to end), nil for calls never answered: stored as
    /// `calls.duration_s` so billing-style queries need no arithmetic.
    public var durationSeconds: Double? {
        answeredAt.map { max(0, endedAt - $0) }
    }
}
