import SIPCore

/// The INVITE server transaction of RFC 3261 17.2.1, with the Accepted state of RFC 6026.
///
/// ```
///   Proceeding --TU 2xx--> Accepted (L=64*T1; G paces 2xx retransmissions) --L--> Terminated
///       |  TU 1xx: send     ACK: stop G, pass to TU
///       +--TU 300-699--> Completed (G, H) --ACK--> Confirmed (I) --I--> Terminated
///                            +--H--> timeout, Terminated
/// ```
///
/// Retransmitting the 2xx until the ACK arrives is, in RFC 3261 13.3.1.4, the UAS core's job.
/// It lives here instead (on Timer G, bounded by Timer L) so that the B2BUA needs no timer of
/// its own per dialog; the ACK for a 2xx has its own branch, so `TransactionManager` routes it
/// here by dialog identity and still hands it to the TU (`.ackForDialog`). Timer L expiring
/// without that ACK is reported as a timeout so the TU can tear the dialog down with a BYE.
///
/// Timer I is armed even when it is zero (reliable transports): the ACK that starts it reaches
/// the manager through `receiveRequest`, whose result carries no events, so the termination is
/// reported by the next `advance`, due immediately.
public struct ServerInviteTransaction: Sendable {
    public enum State: Sendable, Hashable {
        case proceeding
        case accepted
        case completed
        case confirmed
        case terminated
    }

    public enum Event: Sendable, Equatable {
        /// The INVITE was received again.
        case retransmittedRequest
        /// An ACK matched this transaction: by branch for a non-2xx final, by dialog for a 2xx.
        case ack
        /// The TU's response.
        case respond(SIPMessage)
        case timer(TransactionTimer)
        case transportError
    }

    public typealias Action = TransactionAction

    public let request: SIPMessage
    public let reliable: Bool
    public let timers: TransactionTimers
    public private(set) var state: State = .proceeding
    /// The last provisional sent, re-sent for an INVITE retransmitted in Proceeding.
    public private(set) var lastProvisional: SIPMessage?
    /// The final (2xx or not) being retransmitted and re-sent for retransmitted INVITEs.
    public private(set) var finalResponse: SIPMessage?
    /// In Accepted: whether the ACK for the 2xx has arrived.
    public private(set) var acknowledged = false
    private var intervalG: Duration

    public init(request: SIPMessage, reliable: Bool, timers: TransactionTimers) {
        self.request = request.compacted
        self.reliable = reliable
        self.timers = timers
        intervalG = timers.t1
    }

    public mutating func handle(_ event: Event) -> [Action] {
        guard state != .terminated else { return [] }
        switch event {
        case .retransmittedRequest:
            switch state {
            case .proceeding: return lastProvisional.map { [.send($0)] } ?? []
            case .completed: return finalResponse.map { [.send($0)] } ?? []
            // The client has not seen the 2xx yet (or it would not retransmit): send it now
            // rather than wait for G. Once ACKed there is nothing left to tell it.
            case .accepted where !acknowledged: return finalResponse.map { [.send($0)] } ?? []
            default: return []
            }
        case .ack:
            return receiveACK()
        case .respond(let response):
            return respond(response)
        case .timer(let timer):
            return fire(timer)
        case .transportError:
            state = .terminated
            return [.transportError, .terminate]
        }
    }

    private mutating func receiveACK() -> [Action] {
        switch state {
        case .completed:
            state = .confirmed
            return [.cancelTimer(.g), .cancelTimer(.h), .startTimer(.i, after: reliable ? .zero : timers.t4)]
        case .accepted where !acknowledged:
            acknowledged = true
            return [.cancelTimer(.g)]
        default:
            return []
        }
    }

    private mutating func respond(_ response: SIPMessage) -> [Action] {
        guard let statusClass = response.statusClass else { return [] }
        switch (state, statusClass) {
        case (.proceeding, 1):
            lastProvisional = response
            return [.send(response)]
        case (.proceeding, 2):
            state = .accepted
            finalResponse = response
            var actions: [Action] = [.send(response)]
            if !reliable { actions.append(.startTimer(.g, after: intervalG)) }
            actions.append(.startTimer(.l, after: timers.transactionTimeout))
            return actions
        case (.accepted, 2):
            // RFC 6026 8.5: a 2xx from the TU in Accepted is passed to the transport; it becomes
            // the one retransmitted.
            finalResponse = response
            return [.send(response)]
        case (.proceeding, 3...6):
            state = .completed
            finalResponse = response
            var actions: [Action] = [.send(response)]
            if !reliable { actions.append(.startTimer(.g, after: intervalG)) }
            actions.append(.startTimer(.h, after: timers.transactionTimeout))
            return actions
        default:
            return []
        }
    }

    private mutating func fire(_ timer: TransactionTimer) -> [Action] {
        switch (timer, state) {
        case (.g, .completed), (.g, .accepted):
            guard let finalResponse, !acknowledged else { return [] }
            intervalG = timers.doubledCapped(intervalG)
            return [.send(finalResponse), .startTimer(.g, after: intervalG)]
        case (.h, .completed):
            state = .terminated
            return [.cancelTimer(.g), .timeout, .terminate]
        case (.i, .confirmed):
            state = .terminated
            return [.terminate]
        case (.l, .accepted):
            state = .terminated
            return acknowledged ? [.cancelTimer(.g), .terminate] : [.cancelTimer(.g), .timeout, .terminate]
        default:
            return []
        }
    }
}
