import Media

/// How the relay runs. Comes from configuration; the defaults suit a lab box.
public struct MediaRelaySettings: Sendable {
    /// How packets reach the workers (`media.socket_layout`).
    public enum SocketLayout: String, Sendable, CaseIterable {
        /// One socket per RTP/RTCP port, each in its worker's epoll set (the default).
        case perPort = "per_port"
        /// One receive socket per worker for all of its IPv4 ports, fed by a BPF sk_lookup program
        /// (`RelayLookupSteering`); the port sockets stay bound and send, but are not read.
        /// Falls back to `perPort` (with a warning) where the program cannot be attached.
        case lookup
    }

    /// How a worker sends what it relays (`media.send_batching`).
    public enum SendBatching: String, Sendable, CaseIterable {
        /// io_uring where the kernel allows it (one IORING_OP_SENDMSG per packet, a whole batch
        /// per io_uring_enter), else `sendmmsg` with one warning naming why (the default).
        case auto
        /// One sendmmsg per distinct source socket of a batch: with a socket per port, in
        /// practice one send syscall per packet.
        case sendmmsg
    }

    /// The send path a relay's workers use (`MediaRelay.sendMode`): what `SendBatching` came to.
    public enum SendMode: String, Sendable, CaseIterable {
        /// Every worker's batch has an io_uring ring.
        case ioUring = "io_uring"
        /// sendmmsg: asked for, or `auto` where io_uring is refused.
        case sendmmsg
    }

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
    /// The layout asked for; `MediaRelay.socketLayout` tells the one in effect.
    public var socketLayout: SocketLayout
    /// The relay's port range (`media.port_min...port_max`): the ports `lookup` steers. Without
    /// it `lookup` falls back to `perPort`.
    public var portRange: ClosedRange<Int>?
    /// The local addresses media sockets bind (the zones' `media_address`): `lookup` steers only
    /// packets to these (IPv4 only; `0.0.0.0` means any local address). Ports bound elsewhere
    /// (IPv6, another address) keep their own socket in the read set.
    public var mediaAddresses: [String]
    /// The send path asked for; `MediaRelay.sendMode` tells the one in effect.
    public var sendBatching: SendBatching
    /// Submission entries of each worker's io_uring ring (0: the batch size, so a batch is one
    /// io_uring_enter). Smaller only to exercise chunking in tests; the kernel rounds it up to a
    /// power of two.
    public var sendRingEntries: Int

    public init(workers: Int = 1, latchPolicy: SourceLatchPolicy = .signalledAddress,
                socketBufferBytes: Int32 = 256 << 10, timeoutCheckInterval: Duration = .milliseconds(50),
                socketLayout: SocketLayout = .perPort, portRange: ClosedRange<Int>? = nil,
                mediaAddresses: [String] = [], sendBatching: SendBatching = .auto, sendRingEntries: Int = 0) {
        self.workers = workers
        self.latchPolicy = latchPolicy
        self.socketBufferBytes = socketBufferBytes
        self.timeoutCheckInterval = timeoutCheckInterval
        self.socketLayout = socketLayout
        self.portRange = portRange
        self.mediaAddresses = mediaAddresses
        self.sendBatching = sendBatching
        self.sendRingEntries = sendRingEntries
    }

    /// One core for signalling, the rest for media, at least one worker.
    public static func defaultWorkerCount(cores: Int) -> Int {
        max(1, cores - 1)
    }
}
