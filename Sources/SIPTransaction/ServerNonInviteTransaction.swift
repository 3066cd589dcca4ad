import SIPCore

/// The non-INVITE server transaction of RFC 3261 17.2.2 (also used for CANCEL, whose key
/// differs from its INVITE's by method).
///
/// ```
///   Trying --TU 1xx--> Proceeding --TU 200-699--> Completed (J) --J--> Terminated
///     \____________________________/
/// ```
///
/// It never retransmits on its own: the client's retransmissions drive it, and each one is
/// answered with the last response sent. In Trying there is nothing to answer with yet; the TU
/// is still working on the request, and RFC 3261 17.2.2 forbids a 100 from the transaction for
/// non-INVITE (it would only delay the client's Timer E at T2).
public struct ServerNonInviteTransaction: Sendable {
    public enum State: Sendable, Hashable {
        case trying
        case proceeding
        case completed
        case terminated
    }

    public enum Event: Sendable, Equatable {
        /// The request was received again.
        case retransmittedRequest
        /// The TU's response.
        case respond(SIPMessage)
        case timer(TransactionTimer)
        case transportError
    }

    public typealias Action = TransactionAction

    public let request: SIPMessage
    public let reliable: Bool
    public let timers: TransactionTimers
    public private(set) var state: State = .trying
    /// The last response sent, re-sent for each retransmitted request.
    public private(set) var lastResponse: SIPMessage?

    public init(request: SIPMessage, reliable: Bool, timers: TransactionTimers) {
        self.request = request.compacted
        self.reliable = reliable
        self.timers = timers
    }

    public mutating func handle(_ event: Event) -> [Action] {
        guard state != .terminated else { return [] }
        switch event {
        case .retransmittedRequest:
            guard state != .trying, let lastResponse else { return [] }
            return [.send(lastResponse)]
        case .respond(let response):
            return respond(response)
        case .timer(.j) where state == .completed:
            state = .terminated
            return [.terminate]
        case .timer:
            return []
        case .transportError:
            state = .terminated
            return [.transportError, .terminate]
        }
    }

    private mutating func respond(_ response: SIPMessage) -> [Action] {
        guard let statusClass = response.statusClass, state == .trying || state == .proceeding else { return [] }
        lastResponse = response
        if statusClass == 1 {
            state = .proceeding
            return [.send(response)]
        }
        state = .completed
        if reliable {
            state = .terminated
            return [.send(response), .terminate]
        }
        // 64*T1: as long as the client may keep retransmitting (its Timer F).
        return [.send(response), .startTimer(.j, after: timers.transactionTimeout)]
    }
}
