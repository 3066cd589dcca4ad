import Glibc
import CSBCLinux

/// One nonblocking TCP stream bound to an `EventLoop`, for SIP over TCP.
///
/// Writes never block and never fail synchronously: bytes that the kernel does not take are kept
/// in a pending buffer flushed on EPOLLOUT (writable interest is on only while bytes wait), and
/// bytes written while the connect is in progress simply wait for it. Failures surface once, via
/// `onClose`, with the `SystemError` that ended the connection; that is how a refused connect to a
/// carrier reaches the failover logic.
///
/// Loop-confined like everything registered on the loop.
public final class TCPConnection: CustomStringConvertible {
    public enum State: Sendable, Equatable {
        case connecting, established, closed
    }

    /// Reusable read storage, meant to be shared by every connection of one loop: reads are
    /// consumed synchronously by `onRead`, so one buffer serves all of them.
    public final class ReadBuffer {
        let bytes: UnsafeMutableRawBufferPointer
        public init(capacity: Int = 65_536) {
            bytes = .allocate(byteCount: capacity, alignment: 16)
        }
        deinit { bytes.deallocate() }
    }

    public let fd: Int32
    public let loop: EventLoop
    public let peerAddress: SocketAddress
    public private(set) var localAddress: SocketAddress?
    public private(set) var state: State
    /// Last read or write, for idle timeouts.
    public private(set) var lastActivity: MonotonicInstant
    /// Pending output beyond which the peer is considered stuck and the connection is dropped.
    public var maxPendingBytes: Int

    public var onConnected: () -> Void = {}
    /// Bytes valid only during the call.
    public var onRead: (UnsafeRawBufferPointer) -> Void = { _ in }
    /// Called once when the connection ends by itself: nil for an orderly close by the peer,
    /// otherwise the error (ECONNREFUSED from connect, ECONNRESET, ...). Not called for `close()`.
    public var onClose: (SystemError?) -> Void = { _ in }

    private let readBuffer: ReadBuffer
    private var pending: [UInt8] = []
    private var pendingStart = 0
    private var registered = false

    /// Starts a nonblocking connect. Call `start()` after setting the callbacks.
    ///
    /// `source` pins the local address (port 0 for ephemeral) so a multi-homed SBC dials each
    /// carrier from the interface of that carrier's zone rather than wherever routing picks.
    public static func connect(to peer: SocketAddress, from source: SocketAddress? = nil, loop: EventLoop,
                               readBuffer: ReadBuffer? = nil,
                               maxPendingBytes: Int = 4 << 20) throws(SystemError) -> TCPConnection {
        let fd = try SocketSetup.open(family: peer.family, type: Int32(SOCK_STREAM.rawValue),
                                      context: "tcp connect \(peer)")
        _ = csbc_set_int_option(fd, Int32(IPPROTO_TCP), TCP_NODELAY, 1)
        let state: State
        do throws(SystemError) {
            if let source {
                try SocketSetup.bind(fd, to: source)
            }
            let result = try peer.withSockAddr { (sa, length) throws(SystemError) in
                try Syscall.retrying("connect", context: "tcp \(peer)") { Glibc.connect(fd, sa, length) }
            }
            state = result.value != nil ? .established : .connecting
        } catch {
            if error.errno == EINPROGRESS {
                state = .connecting
            } else {
                _ = Glibc.close(fd)
                throw error
            }
        }
        return TCPConnection(fd: fd, peer: peer, state: state, loop: loop, readBuffer: readBuffer,
                             maxPendingBytes: maxPendingBytes)
    }

    /// Wraps an accepted descriptor (from `TCPListener.accept()`).
    public convenience init(accepted fd: Int32, peer: SocketAddress, loop: EventLoop,
                            readBuffer: ReadBuffer? = nil, maxPendingBytes: Int = 4 << 20) {
        _ = csbc_set_int_option(fd, Int32(IPPROTO_TCP), TCP_NODELAY, 1)
        self.init(fd: fd, peer: peer, state: .established, loop: loop, readBuffer: readBuffer,
                  maxPendingBytes: maxPendingBytes)
    }

    private init(fd: Int32, peer: SocketAddress, state: State, loop: EventLoop, readBuffer: ReadBuffer?,
                 maxPendingBytes: Int) {
        self.fd = fd
        self.peerAddress = peer
        self.state = state
        self.loop = loop
        self.readBuffer = readBuffer ?? ReadBuffer(capacity: 16_384)
        self.maxPendingBytes = maxPendingBytes
        self.lastActivity = loop.now
        self.localAddress = SocketSetup.localAddress(fd)
    }

    deinit {
        if state != .closed {
            _ = Glibc.close(fd)
        }
    }

    /// Registers with the loop. The registration keeps the connection alive until it closes.
    public func start() throws(SystemError) {
        precondition(!registered, "start() twice")
        let interest: IOInterest = state == .connecting ? .writable : currentInterest
        try loop.register(fd: fd, interest: interest) { [self] events in self.handle(events) }
        registered = true
    }

    public var pendingByteCount: Int { pending.count - pendingStart }

    /// Queues and tries to send `bytes`. Returns false if the connection is closed or the pending
    /// buffer limit was exceeded (in which case the connection is failed with ENOBUFS).
    @discardableResult
    public func write(_ bytes: UnsafeRawBufferPointer) -> Bool {
        guard state != .closed else { return false }
        if state == .established && pendingByteCount == 0 {
            // Fast path: straight to the kernel, buffering only the remainder.
            var offset = 0
            while offset < bytes.count {
                let n = csbc_send_nosignal(fd, bytes.baseAddress! + offset, bytes.count - offset)
                if n > 0 { offset += n; continue }
                let err = csbc_errno()
                if n < 0 && err == EINTR { continue }
                if n < 0 && (err == EAGAIN || err == EWOULDBLOCK) { break }
                fail(SystemError(syscall: "send", errno: err, context: "tcp \(description)"))
                return false
            }
            lastActivity = loop.now
            if offset == bytes.count { return true }
            pending.append(contentsOf: bytes[offset...])
        } else {
            pending.append(contentsOf: bytes)
        }
        if pendingByteCount > maxPendingBytes {
            fail(SystemError(syscall: "send", errno: ENOBUFS,
                             context: "tcp \(description): \(pendingByteCount) bytes pending, peer not reading"))
            return false
        }
        updateInterest()
        return true
    }

    @discardableResult
    public func write(_ bytes: [UInt8]) -> Bool {
        bytes.withUnsafeBytes { write($0) }
    }

    /// Closes without calling `onClose`; pending output is discarded.
    public func close() {
        guard state != .closed else { return }
        state = .closed
        if registered {
            loop.unregister(fd: fd)
            registered = false
        }
        _ = Glibc.close(fd)
        pending = []
        pendingStart = 0
        onConnected = {}
        onRead = { _ in }
        onClose = { _ in }
    }

    public var description: String {
        "\(localAddress.map(String.init(describing:)) ?? "?")->\(peerAddress)"
    }

    // MARK: - Event handling

    private var currentInterest: IOInterest {
        pendingByteCount > 0 ? .readWrite : .readable
    }

    private func updateInterest() {
        guard registered, state == .established else { return }
        do {
            try loop.modify(fd: fd, interest: currentInterest)
        } catch {
            fail(error)
        }
    }

    private func handle(_ events: IOEvents) {
        if state == .connecting {
            finishConnect(events)
            return
        }
        if events.contains(.writable) {
            flush()
            guard state == .established else { return }
        }
        if events.contains(.readable) || events.contains(.hangup) || events.contains(.error) {
            readAvailable(events)
        }
    }

    private func finishConnect(_ events: IOEvents) {
        let err = csbc_socket_error(fd)
        if err != 0 {
            fail(SystemError(syscall: "connect", errno: err, context: "tcp \(peerAddress)"))
            return
        }
        guard events.contains(.writable) else { return }
        state = .established
        localAddress = SocketSetup.localAddress(fd)
        lastActivity = loop.now
        onConnected()
        guard state == .established else { return }
        flush()
        updateInterest()
    }

    private func flush() {
        while pendingByteCount > 0 {
            let n = pending.withUnsafeBytes { raw in
                csbc_send_nosignal(fd, raw.baseAddress! + pendingStart, raw.count - pendingStart)
            }
            if n > 0 {
                pendingStart += n
                lastActivity = loop.now
                continue
            }
            let err = csbc_errno()
            if n < 0 && err == EINTR { continue }
            if n < 0 && (err == EAGAIN || err == EWOULDBLOCK) { break }
            fail(SystemError(syscall: "send", errno: err, context: "tcp \(description)"))
            return
        }
        if pendingStart == pending.count {
            pending.removeAll(keepingCapacity: pending.capacity <= 65_536)
            pendingStart = 0
        } else if pendingStart > 65_536 && pendingStart * 2 > pending.count {
            pending.removeSubrange(0..<pendingStart)
            pendingStart = 0
        }
        updateInterest()
    }

    /// Reads a bounded number of chunks so one busy peer cannot monopolise the loop; level-
    /// triggered epoll calls again if more is waiting.
    private func readAvailable(_ events: IOEvents) {
        let buffer = readBuffer.bytes
        for _ in 0..<8 {
            let n = read(fd, buffer.baseAddress, buffer.count)
            if n > 0 {
                lastActivity = loop.now
                onRead(UnsafeRawBufferPointer(rebasing: buffer[0..<n]))
                guard state == .established else { return }
                if n < buffer.count { break }
                continue
            }
            if n == 0 {
                fail(nil)
                return
            }
            let err = csbc_errno()
            if err == EINTR { continue }
            if err == EAGAIN || err == EWOULDBLOCK { break }
            fail(SystemError(syscall: "read", errno: err, context: "tcp \(description)"))
            return
        }
        if events.contains(.error) {
            let err = csbc_socket_error(fd)
            if err != 0 {
                fail(SystemError(syscall: "read", errno: err, context: "tcp \(description)"))
            }
        }
    }

    private func fail(_ error: SystemError?) {
        guard state != .closed else { return }
        let callback = onClose
        close()
        callback(error)
    }
}
