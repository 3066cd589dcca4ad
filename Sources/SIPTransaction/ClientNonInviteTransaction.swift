import SIPCore

/// The non-INVITE client transaction of RFC 3261 17.1.2 (BYE, CANCEL, OPTIONS, REGISTER, ...).
///
/// ```
///          start: send request, E=T1 (unreliable), F=64*T1
///   Trying --1xx--> Proceeding --200-699--> Completed (K) --K--> Terminated
///     \________________________/--F--> timeout, Terminated
/// ```
///
/// Unlike INVITE, a non-INVITE request is retransmitted even after a provisional (at T2) because
/// it has no ACK: the retransmissions are the only way the client learns that the final was
/// lost. That is also why the whole exchange, provisional or not, is bounded by Timer F.
public struct ClientNonInviteTransaction: Sendable {
    public enum State: Sendable, Hashable {
        case trying
        case proceeding
        case completed
        case terminated
    }

    public enum Event: Sendable, Equatable {
        /// Send the request for the first time and arm E and F.
        case start
        case response(SIPMessage)
        case timer(TransactionTimer)
        case transportError
    }

    public typealias Action = TransactionAction

    public let request: SIPMessage
    public let reliable: Bool
    public let timers: TransactionTimers
    public private(set) var state: State = .trying
    private var intervalE: Duration

    public init(request: SIPMessage, reliable: Bool, timers: TransactionTimers) {
        self.request = request
        self.reliable = reliable
        self.timers = timers
        intervalE = timers.t1
    }

    public mutating func handle(_ event: Event) -> [Action] {
        guard state != .terminated else { return [] }
        switch event {
        case .start:
            var actions: [Action] = [.send(request)]
            if !reliable { actions.append(.startTimer(.e, after: intervalE)) }
            actions.append(.startTimer(.f, after: timers.transactionTimeout))
            return actions
        case .response(let response):
            return receive(response)
        case .timer(let timer):
            return fire(timer)
        case .transportError:
            state = .terminated
            return [.transportError, .terminate]
        }
    }

    private mutating func receive(_ response: SIPMessage) -> [Action] {
        guard let statusClass = response.statusClass else { return [] }
        switch (state, statusClass) {
        case (.trying, 1), (.proceeding, 1):
            // E keeps running: its next firing re-arms at T2 (17.1.2.2).
            state = .proceeding
            return [.deliver(response)]
        case (.trying, 2...6), (.proceeding, 2...6):
            state = .completed
            var actions: [Action] = [.cancelTimer(.e), .cancelTimer(.f), .deliver(response)]
            if reliable {
                state = .terminated
                actions.append(.terminate)
            } else {
                // Linger T4 so that retransmitted finals are absorbed rather than seen as strays.
                actions.append(.startTimer(.k, after: timers.t4))
            }
            return actions
        default:
            return []
        }
    }

    private mutating func fire(_ timer: TransactionTimer) -> [Action] {
        switch (timer, state) {
        case (.e, .trying):
            intervalE = timers.doubledCapped(intervalE)
            return [.send(request), .startTimer(.e, after: intervalE)]
        case (.e, .proceeding):
            intervalE = timers.t2
            return [.send(request), .startTimer(.e, after: intervalE)]
        case (.f, .trying), (.f, .proceeding):
            state = .terminated
            return [.cancelTimer(.e), .timeout, .terminate]
        case (.k, .completed):
            state = .terminated
            return [.terminate]
        default:
            return []
        }
    }
}
