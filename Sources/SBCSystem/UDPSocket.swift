import Glibc
import CSBCLinux

/// A nonblocking UDP socket with batched receive into preallocated buffers.
///
/// The receive path allocates nothing: `recvmmsg` fills `batchSize` fixed slots, and the handler
/// sees each datagram as an `UnsafeRawBufferPointer` into a slot, valid only during the call.
/// Anything kept must be copied, which the SIP layer does once when it builds its message.
///
/// ICMP errors: Linux drops them for unconnected UDP sockets unless IP_RECVERR is on, so it is
/// always on here. They then arrive on the error queue, each naming the original destination
/// (`drainErrors`), which is what carrier failover needs to react within milliseconds.
public final class UDPSocket {
    public static let batchSize = 32
    /// Largest UDP payload is 65,507 (IPv4) / 65,527 (IPv6); the slack lets MSG_TRUNC never fire
    /// and keeps each slot 16-byte aligned.
    public static let slotBytes = 65_536 + 64

    public let fd: Int32
    public let localAddress: SocketAddress
    private let storage: UnsafeMutableRawPointer
    private let slots: UnsafeMutablePointer<csbc_datagram>
    private let batch: OpaquePointer
    private var closed = false

    /// Binds a new socket. Requested buffer sizes are best effort: the kernel caps them at
    /// net.core.rmem_max/wmem_max, and a small buffer is a tuning problem, not a failure.
    public init(bind address: SocketAddress, receiveBufferBytes: Int32 = 4 << 20,
                sendBufferBytes: Int32 = 4 << 20) throws(SystemError) {
        let fd = try SocketSetup.open(family: address.family, type: Int32(SOCK_DGRAM.rawValue), context: "udp \(address)")
        do throws(SystemError) {
            try SocketSetup.setOption(fd, SOL_SOCKET, SO_REUSEADDR, 1, "SO_REUSEADDR", context: "\(address)")
            _ = csbc_set_int_option(fd, SOL_SOCKET, SO_RCVBUF, receiveBufferBytes)
            _ = csbc_set_int_option(fd, SOL_SOCKET, SO_SNDBUF, sendBufferBytes)
            try Syscall.checked("setsockopt", context: "IP_RECVERR \(address)") {
                csbc_enable_recverr(fd, address.family)
            }
            if address.isIPv4 {
                try Syscall.checked("setsockopt", context: "IP_PKTINFO \(address)") {
                    csbc_enable_pktinfo(fd, address.family)
                }
            }
            try SocketSetup.bind(fd, to: address)
        } catch {
            _ = Glibc.close(fd)
            throw error
        }
        self.fd = fd
        self.localAddress = SocketSetup.localAddress(fd) ?? address

        let count = UDPSocket.batchSize
        storage = .allocate(byteCount: count * UDPSocket.slotBytes, alignment: 16)
        slots = .allocate(capacity: count)
        slots.initialize(repeating: csbc_datagram(), count: count)
        for i in 0..<count {
            slots[i].buffer = storage + i * UDPSocket.slotBytes
            slots[i].capacity = UDPSocket.slotBytes
        }
        guard let batch = csbc_mmsg_batch_create(slots, Int32(count)) else {
            fatalError("csbc_mmsg_batch_create: out of memory")
        }
        self.batch = batch
    }

    deinit {
        close()
        csbc_mmsg_batch_destroy(batch)
        slots.deinitialize(count: UDPSocket.batchSize)
        slots.deallocate()
        storage.deallocate()
    }

    /// Effective kernel buffer sizes (the kernel reports double the requested value).
    public var bufferSizes: (receive: Int32, send: Int32) {
        (SocketSetup.intOption(fd, SOL_SOCKET, SO_RCVBUF) ?? 0, SocketSetup.intOption(fd, SOL_SOCKET, SO_SNDBUF) ?? 0)
    }

    /// Receives up to `batchSize` datagrams in one syscall and hands each to `handler`.
    /// Returns how many were received; 0 means the socket is drained.
    ///
    /// A pending asynchronous error (an ICMP error not yet taken from the error queue) makes
    /// recvmmsg fail once; it is thrown so the caller can `drainErrors` and call again.
    @discardableResult
    public func receiveBatch(_ handler: (UnsafeRawBufferPointer, SocketAddress) -> Void) throws(SystemError) -> Int {
        try receiveBatchTimed { bytes, source, _ in handler(bytes, source) }
    }

    /// Makes the kernel stamp each received datagram with its arrival time, which
    /// `receiveBatchTimed` reports: how long a datagram waited before it was read is what
    /// overload control measures (docs/OVERLOAD.md). Best effort: false if the kernel refused.
    @discardableResult
    public func enableReceiveTimestamps() -> Bool {
        csbc_enable_receive_timestamps(fd) == 0
    }

    /// `receiveBatch` that also reports when the kernel received each datagram, on the
    /// `MonotonicInstant` scale (nil unless `enableReceiveTimestamps()` succeeded).
    @discardableResult
    public func receiveBatchTimed(
        _ handler: (UnsafeRawBufferPointer, SocketAddress, MonotonicInstant?) -> Void
    ) throws(SystemError) -> Int {
        try receiveSlots { slot, source in
            let received = slot.has_received_ns != 0 ? MonotonicInstant(nanoseconds: slot.received_ns) : nil
            handler(UnsafeRawBufferPointer(start: slot.buffer, count: slot.length), source, received)
        }
    }

    /// `receiveBatch` that also reports the local address each datagram was sent to (IP_PKTINFO;
    /// nil for IPv6 or when the kernel gave none). A socket bound to 0.0.0.0 needs this to answer
    /// from, and advertise, the address the peer actually used.
    @discardableResult
    public func receiveBatchWithDestination(
        _ handler: (UnsafeRawBufferPointer, SocketAddress, SocketAddress?) -> Void
    ) throws(SystemError) -> Int {
        try receiveSlots { slot, source in
            let destination = slot.has_pktinfo != 0
                ? SocketAddress(ip: .v4(UInt32(bigEndian: slot.pktinfo_addr.s_addr)), port: localAddress.port)
                : nil
            handler(UnsafeRawBufferPointer(start: slot.buffer, count: slot.length), source, destination)
        }
    }

    /// One `recvmmsg` into the fixed slots; `body` sees each filled slot with its source address.
    private func receiveSlots(_ body: (csbc_datagram, SocketAddress) -> Void) throws(SystemError) -> Int {
        let result = try Syscall.retrying("recvmmsg", context: "udp \(localAddress)") {
            csbc_recvmmsg(fd, batch, Int32(UDPSocket.batchSize))
        }
        guard case .value(let count) = result else { return 0 }
        for i in 0..<Int(count) {
            let slot = slots[i]
            guard let source = SocketAddress(storage: slot.address) else { continue }
            body(slot, source)
        }
        return Int(count)
    }

    /// Sends one datagram. Returns false when the socket buffer is full (EAGAIN): UDP callers
    /// drop and let SIP retransmission recover, rather than queue unboundedly.
    ///
    /// An unreachable-class errno here usually belongs to an earlier datagram (the kernel reports
    /// a pending ICMP error on the next send and clears it), so the send is retried once and the
    /// error itself is left for `drainErrors`, which knows the destination it applies to.
    @discardableResult
    public func send(_ bytes: UnsafeRawBufferPointer, to destination: SocketAddress) throws(SystemError) -> Bool {
        var (address, length) = destination.storage
        var attempts = 0
        while true {
            attempts += 1
            do throws(SystemError) {
                let result = try Syscall.retrying("sendto", context: "udp \(localAddress) -> \(destination)") {
                    csbc_sendto(fd, bytes.baseAddress, bytes.count, &address, length)
                }
                return result.value != nil
            } catch {
                if error.isUnreachable && attempts == 1 { continue }
                throw error
            }
        }
    }

    @discardableResult
    public func send(_ bytes: [UInt8], to destination: SocketAddress) throws(SystemError) -> Bool {
        // Array.withUnsafeBytes only rethrows untyped errors; carry the typed one out in a Result.
        try bytes.withUnsafeBytes { raw in
            Result { () throws(SystemError) -> Bool in try send(raw, to: destination) }
        }.get()
    }

    /// An ICMP error reported for a datagram this socket sent.
    public struct AsyncError: Sendable, CustomStringConvertible {
        /// Where the failed datagram was going.
        public let destination: SocketAddress?
        /// The host or router that reported it.
        public let reporter: SocketAddress?
        public let error: SystemError

        public var description: String {
            "\(error) destination=\(destination.map(String.init(describing:)) ?? "?")"
        }
    }

    /// Takes every queued ICMP error (call on `.error` events). Bounded so a flood cannot pin the loop.
    @discardableResult
    public func drainErrors(limit: Int = 64, _ handler: (AsyncError) -> Void) -> Int {
        var info = csbc_socket_error_info()
        var count = 0
        while count < limit {
            guard (try? SocketErrorQueue.take(fd, into: &info)) == true else { break }
            count += 1
            let destination = SocketAddress(storage: info.destination)
            let reporter = info.has_offender != 0 ? SocketAddress(storage: info.offender) : nil
            let context = "udp \(localAddress) -> \(destination.map(String.init(describing:)) ?? "?")"
            handler(AsyncError(destination: destination, reporter: reporter,
                               error: SystemError(syscall: "sendto(icmp)", errno: Int32(info.error), context: context)))
        }
        return count
    }

    /// Closes the descriptor. The owner must unregister it from its loop first.
    public func close() {
        guard !closed else { return }
        closed = true
        _ = Glibc.close(fd)
    }
}
