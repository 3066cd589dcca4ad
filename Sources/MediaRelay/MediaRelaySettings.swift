import Media

/// How the relay runs. Comes from configuration; the defaults suit a lab box.
public struct MediaRelaySettings: Sendable {
    /// Worker threads, each owning a slice of the port range (see `MediaPortAllocator`).
    public var workers: Int
    public var latchPolicy: SourceLatchPolicy
    /// SO_RCVBUF/SO_SNDBUF of every media socket. A limit, not an allocation: it is what lets a
    /// socket absorb a burst while its worker is busy elsewhere. The kernel caps it at
    /// net.core.rmem_max/wmem_max.
    public var socketBufferBytes: Int32
    /// How often workers scan their sessions for media timeouts: detection lands within about
    /// four intervals of a deadline at worst, one on average.
    public var timeoutCheckInterval: Duration

    public init(workers: Int = 1, latchPolicy: SourceLatchPolicy = .signalledAddress,
                socketBufferBytes: Int32 = 256 << 10, timeoutCheckInterval: Duration = .milliseconds(50)) {
        self.workers = workers
        self.latchPolicy = latchPolicy
        self.socketBufferBytes = socketBufferBytes
        self.timeoutCheckInterval = timeoutCheckInterval
    }

    /// One core for signalling, the rest for media, at least one worker.
    public static func defaultWorkerCount(cores: Int) -> Int {
        max(1, cores - 1)
    }
}
