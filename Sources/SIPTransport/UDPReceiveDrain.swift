/// What one drain of a zone's SIP UDP socket showed, for overload control (docs/OVERLOAD.md).
///
/// Why the oldest wait: the kernel queue is FIFO, so the first datagram read in a drain is the
/// one that waited longest; how long it waited is how far behind the SBC is on that socket. The
/// queue fill after the drain says how close the kernel is to dropping datagrams.
public struct UDPReceiveDrain: Sendable, Equatable {
    /// The zone whose socket was drained.
    public let zone: String
    /// How long the drain's first datagram had waited in the socket when it was read; nil when
    /// nothing was read or the kernel gave no receive time.
    public let oldestWait: Duration?
    /// Bytes still queued after the drain (kernel accounting, `SO_MEMINFO`); 0 if unknown.
    public let queuedBytes: Int
    /// The socket's receive buffer in bytes; 0 if unknown.
    public let bufferBytes: Int

    public init(zone: String, oldestWait: Duration?, queuedBytes: Int, bufferBytes: Int) {
        self.zone = zone
        self.oldestWait = oldestWait
        self.queuedBytes = queuedBytes
        self.bufferBytes = bufferBytes
    }
}
