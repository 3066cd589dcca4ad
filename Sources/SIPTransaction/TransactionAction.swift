import SIPCore

/// What one of the four transaction state machines asks its owner to do.
///
/// The machines know neither the clock, the destination nor the TU's context: they only say
/// "send this", "arm Timer X in d", and so on. `TransactionManager` turns these into
/// `TransactionEvent`s (adding key and context) and into absolute deadlines in its timer heap.
/// Keeping the machines this ignorant is what makes each one testable on its own.
public enum TransactionAction: Sendable, Equatable {
    /// Put a message on the wire to the transaction's destination.
    case send(SIPMessage)
    /// Pass a response up to the TU (client transactions only).
    case deliver(SIPMessage)
    /// Arm a timer `after` from now, replacing any pending instance of the same timer.
    case startTimer(TransactionTimer, after: Duration)
    /// Disarm a timer; a no-op when it is not pending.
    case cancelTimer(TransactionTimer)
    /// Tell the TU the transaction gave up (Timer B, F, H, or L without an ACK).
    case timeout
    /// Tell the TU the transport could not deliver (RFC 3261 17.1.4 / 17.2.4).
    case transportError
    /// The machine reached Terminated: remove it and forget its timers.
    case terminate
}

/// Helpers shared by the machines; internal so they do not leak into the public surface.
extension SIPMessage {
    /// Status class of a response (1 for 1xx ... 6 for 6xx), nil for requests.
    var statusClass: Int? { statusCode.map { $0 / 100 } }
}
