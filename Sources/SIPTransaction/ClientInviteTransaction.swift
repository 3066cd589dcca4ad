import SIPCore

/// The INVITE client transaction of RFC 3261 17.1.1, with the Accepted state of RFC 6026.
///
/// ```
///            start: send INVITE, A=T1 (unreliable), B=64*T1
///   Calling --1xx--> Proceeding --2xx--> Accepted (M=64*T1) --M--> Terminated
///      |  \________________________/ \--300-699--> Completed (D) --D--> Terminated
///      +--B--> timeout, Terminated
/// ```
///
/// RFC 6026 replaces RFC 3261's "2xx terminates the transaction": the transaction stays in
/// Accepted for 64*T1 so that retransmitted 2xx (and 2xx from other forks) still reach the TU,
/// which must ACK each one, instead of being treated as strays.
///
/// For 300-699 the transaction generates the ACK itself (17.1.1.3) because it is hop-by-hop and
/// must be re-sent, without the TU's involvement, for every retransmitted final.
public struct ClientInviteTransaction: Sendable {
    public enum State: Sendable, Hashable {
        case calling
        case proceeding
        case accepted
        case completed
        case terminated
    }

    public enum Event: Sendable, Equatable {
        /// Send the INVITE for the first time and arm A and B.
        case start
        case response(SIPMessage)
        case timer(TransactionTimer)
        case transportError
        /// The TU sent a CANCEL for this INVITE. RFC 3261 9.1: if no final arrives within 64*T1
        /// the transaction is considered cancelled and destroyed, so Timer B is re-armed for
        /// that. Without this a transaction stuck in Proceeding (1xx, then silence) would live
        /// forever, since Timer B only guards Calling.
        case cancelSent
    }

    public typealias Action = TransactionAction

    public let request: SIPMessage
    public let reliable: Bool
    public let timers: TransactionTimers
    public private(set) var state: State = .calling
    /// The ACK sent for the non-2xx final, re-sent for every retransmission of that final.
    public private(set) var ack: SIPMessage?
    private var intervalA: Duration
    private var cancelled = false

    public init(request: SIPMessage, reliable: Bool, timers: TransactionTimers) {
        self.request = request
        self.reliable = reliable
        self.timers = timers
        intervalA = timers.t1
    }

    public mutating func handle(_ event: Event) -> [Action] {
        guard state != .terminated else { return [] }
        switch event {
        case .start:
            var actions: [Action] = [.send(request)]
            if !reliable { actions.append(.startTimer(.a, after: intervalA)) }
            actions.append(.startTimer(.b, after: timers.transactionTimeout))
            return actions
        case .response(let response):
            return receive(response)
        case .timer(let timer):
            return fire(timer)
        case .transportError:
            state = .terminated
            return [.transportError, .terminate]
        case .cancelSent:
            guard state == .calling || state == .proceeding, !cancelled else { return [] }
            cancelled = true
            return [.startTimer(.b, after: timers.transactionTimeout)]
        }
    }

    private mutating func receive(_ response: SIPMessage) -> [Action] {
        guard let statusClass = response.statusClass else { return [] }
        switch (state, statusClass) {
        case (.calling, 1), (.proceeding, 1):
            // Timer B only guards Calling (17.1.1.2): ringing may last as long as the callee
            // likes; the TU's no-answer timer (or `cancelSent`) bounds it.
            var actions: [Action] = []
            if state == .calling {
                actions.append(.cancelTimer(.a))
                if !cancelled { actions.append(.cancelTimer(.b)) }
            }
            state = .proceeding
            return actions + [.deliver(response)]
        case (.calling, 2), (.proceeding, 2):
            state = .accepted
            return [.cancelTimer(.a), .cancelTimer(.b), .startTimer(.m, after: timers.transactionTimeout),
                    .deliver(response)]
        case (.accepted, 2):
            return [.deliver(response)]
        case (.calling, 3...6), (.proceeding, 3...6):
            let ack = Self.ack(for: request, response: response)
            self.ack = ack
            state = .completed
            var actions: [Action] = [.cancelTimer(.a), .cancelTimer(.b), .send(ack), .deliver(response)]
            if reliable {
                state = .terminated
                actions.append(.terminate)
            } else {
                actions.append(.startTimer(.d, after: timers.timerD))
            }
            return actions
        case (.completed, 3...6):
            // A retransmitted final means our ACK was lost: re-send it, tell the TU nothing.
            return ack.map { [.send($0)] } ?? []
        default:
            // Late provisionals, a 2xx after a non-2xx: nothing the TU could use.
            return []
        }
    }

    private mutating func fire(_ timer: TransactionTimer) -> [Action] {
        switch (timer, state) {
        case (.a, .calling):
            intervalA = intervalA * 2
            return [.send(request), .startTimer(.a, after: intervalA)]
        case (.b, .calling), (.b, .proceeding):
            state = .terminated
            return [.cancelTimer(.a), .timeout, .terminate]
        case (.d, .completed), (.m, .accepted):
            state = .terminated
            return [.terminate]
        default:
            return []
        }
    }

    /// The ACK for a non-2xx final (RFC 3261 17.1.1.3): the INVITE's Request-URI, Call-ID, From
    /// and CSeq number, the To of the response (with the tag it added), only the INVITE's top
    /// Via (same branch, so it reaches the same server transaction) and its Route set, since the
    /// ACK must follow the INVITE hop by hop.
    static func ack(for invite: SIPMessage, response: SIPMessage) -> SIPMessage {
        var ack = SIPMessage(startLine: .request(method: .ack, uri: invite.requestURIText ?? ""))
        if let raw = invite.firstValue(.via) {
            let list = SIPVia.parseList(raw) ?? []
            ack.add(.via, list.count > 1 ? list[0].description : raw)
        }
        for field in invite.headers where field.name == .route {
            ack.headers.append(field)
        }
        ack.add(.maxForwards, "70")
        for (name, source) in [(SIPHeaderName.from, invite), (.to, response), (.callID, invite)] {
            if let field = source.headers.first(where: { $0.name == name }) { ack.headers.append(field) }
        }
        ack.add(.cseq, "\(invite.cseq?.number ?? 0) ACK")
        ack.add(.contentLength, "0")
        return ack
    }
}
