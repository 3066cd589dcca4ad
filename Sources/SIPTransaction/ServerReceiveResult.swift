/// The outcome of handing a received request to `TransactionManager.receiveRequest`.
///
/// Requests are the one input whose effect the TU must see synchronously (is this new work, or
/// something the layer already dealt with?), hence a dedicated result rather than a list of
/// events.
public enum ServerReceiveResult<Context: Sendable>: Sendable {
    /// A new request for the TU (INVITE, or any non-INVITE including CANCEL): it must answer it
    /// through `respond(_:with:now:)`.
    case newTransaction(TransactionKey)
    /// A retransmission absorbed by an existing server transaction; the events carry the last
    /// response re-sent, if there was one. Also returned for a request that cannot be keyed
    /// (no Via / CSeq), which is dropped.
    case retransmission([TransactionEvent<Context>])
    /// An ACK for a non-2xx final, consumed by its server INVITE transaction.
    case ackAbsorbed
    /// An ACK for a 2xx, or an ACK that matches no transaction: it belongs to the dialog and the
    /// TU must handle it. When it matches an Accepted server INVITE transaction, that
    /// transaction has stopped retransmitting its 2xx.
    case ackForDialog
}

extension ServerReceiveResult: Equatable where Context: Equatable {}
