import SIPCore

/// What the transaction layer asks the driver / TU to do, in the order it must be done.
///
/// Every event carries the `Context` the transaction was created with (typically the
/// destination address, transport and the TU's leg handle), so the driver can act on an event
/// without another table lookup, even on `.terminated` when the transaction is already gone.
public enum TransactionEvent<Context: Sendable>: Sendable {
    /// Put the message on the wire to the transaction's destination: the first send and every
    /// retransmission, requests and responses alike, plus the ACK a client INVITE transaction
    /// generates for a non-2xx final.
    case send(SIPMessage, Context)
    /// A client transaction delivers a response to the TU: provisionals, the final, and (RFC
    /// 6026 Accepted state) every further 2xx, which the TU must ACK again.
    case response(SIPMessage, TransactionKey, Context)
    /// The transaction gave up. Client: Timer B/F fired, the TU acts as on a 408. Server INVITE:
    /// Timer H fired (no ACK for a non-2xx final) or Timer L fired and the 2xx was never ACKed,
    /// so the TU should tear the dialog down (RFC 3261 13.3.1.4).
    case timeout(TransactionKey, Context)
    /// The transport failed to deliver: the TU acts as on a 503 or tries the next target.
    case transportError(TransactionKey, Context)
    /// The transaction was removed from the table; its key may now be forgotten by the TU.
    case terminated(TransactionKey, Context)
}

extension TransactionEvent: Equatable where Context: Equatable {}
