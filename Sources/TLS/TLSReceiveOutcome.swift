/// What one `TLSSession.receive` call brought that the connection's owner must act on (the
/// plaintext itself goes to the `deliver` closure).
public struct TLSReceiveOutcome: Sendable, Equatable {
    /// Set on the call that completed the handshake: the owner logs it, records the peer's
    /// certificate for expiry monitoring and starts using the connection.
    public var handshakeCompleted: TLSHandshakeSummary?
    /// The peer sent close_notify. Our own close_notify is already queued in reply: the owner
    /// drains it and closes the socket.
    public var peerClosed: Bool

    public init(handshakeCompleted: TLSHandshakeSummary? = nil, peerClosed: Bool = false) {
        self.handshakeCompleted = handshakeCompleted
        self.peerClosed = peerClosed
    }
}
