// A stranger's connection flood, from the test process: many idle TCP connections from several
// loopback addresses, each kept open for as long as the server keeps it. A connection the server
// closes or resets (refused at accept) is noticed and closed here at once, so the test holds no
// more descriptors than the server accepted plus one wave in flight, whatever the attempt count.
import Foundation
#if canImport(Glibc)
import Glibc
#endif

final class ConnectionFlood {
    /// What the flood saw, per source address.
    struct Tally: CustomStringConvertible {
        var attempted = 0
        /// Connections the server closed or reset after the handshake (refused at accept), seen
        /// as end of stream, as a reset on read, or as a reset before the connect was polled.
        var closedByServer = 0
        /// connect() failures (refused by the kernel, or still pending at the wave's deadline).
        var connectFailed = 0
        var closedBySource: [String: Int] = [:]

        var description: String {
            "attempted \(attempted), closed by the server \(closedByServer), connect failed \(connectFailed), "
                + "closed by source \(closedBySource.sorted { $0.key < $1.key })"
        }
    }

    private struct Connection {
        let fd: Int32
        let source: String
    }

    let target: Endpoint
    private(set) var tally = Tally()
    private var open: [Connection] = []

    init(target: Endpoint) {
        self.target = target
    }

    deinit { closeAll() }

    /// Connections still open, by source address.
    var heldBySource: [String: Int] {
        open.reduce(into: [:]) { $0[$1.source, default: 0] += 1 }
    }

    var held: Int { open.count }

    /// Opens `perSource` connections from each address of `sources` in turn, `wave` at a time:
    /// each wave's connects finish (or fail) before the next starts, so the server's accept
    /// queue never overflows into SYN retransmissions, and what it refused is reaped between waves.
    func open(from sources: [String], perSource: Int, wave: Int = 250, waveTimeout: Duration = .seconds(5)) throws {
        for source in sources {
            var remaining = perSource
            while remaining > 0 {
                let count = min(wave, remaining)
                remaining -= count
                var pending: [Connection] = []
                pending.reserveCapacity(count)
                for _ in 0..<count {
                    pending.append(try connect(from: source))
                }
                tally.attempted += count
                finishConnects(pending, timeout: waveTimeout)
                reap()
            }
        }
    }

    /// Polls every open connection once, without waiting, and closes those the server ended.
    func reap() {
        guard !open.isEmpty else { return }
        var fds = open.map { pollfd(fd: $0.fd, events: Int16(POLLIN), revents: 0) }
        guard poll(&fds, nfds_t(fds.count), 0) > 0 else { return }
        var kept: [Connection] = []
        kept.reserveCapacity(open.count)
        for (index, connection) in open.enumerated() {
            if fds[index].revents != 0, Self.endedByPeer(connection.fd) {
                _ = Glibc.close(connection.fd)
                tally.closedByServer += 1
                tally.closedBySource[connection.source, default: 0] += 1
            } else {
                kept.append(connection)
            }
        }
        open = kept
    }

    /// Reaps every 100 ms until `condition` holds or `timeout` passes; true if it held.
    @discardableResult
    func reap(until condition: (ConnectionFlood) -> Bool, timeout: Duration) -> Bool {
        let deadline = ContinuousClock.now + timeout
        while true {
            reap()
            if condition(self) { return true }
            if ContinuousClock.now >= deadline { return false }
            usleep(100_000)
        }
    }

    func closeAll() {
        for connection in open { _ = Glibc.close(connection.fd) }
        open = []
    }

    // MARK: - sockets

    private func connect(from source: String) throws -> Connection {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_NONBLOCK.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { throw SocketError(code: errno, what: "socket (flood from \(source))") }
        do {
            var local = try Self.address(source, 0)
            try Self.check(withUnsafePointer(to: &local) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
            }, "bind \(source)")
            var remote = try Self.address(target.ip, target.port)
            let rc = withUnsafePointer(to: &remote) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { Glibc.connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
            }
            if rc != 0 && errno != EINPROGRESS { throw SocketError(code: errno, what: "connect \(source) -> \(target)") }
        } catch {
            _ = Glibc.close(fd)
            throw error
        }
        return Connection(fd: fd, source: source)
    }

    /// Waits until every connect of `pending` completed or failed (bounded by `timeout`); the
    /// established ones join `open`, the rest are closed and counted.
    private func finishConnects(_ pending: [Connection], timeout: Duration) {
        let deadline = ContinuousClock.now + timeout
        var waiting = pending
        while !waiting.isEmpty {
            var fds = waiting.map { pollfd(fd: $0.fd, events: Int16(POLLOUT), revents: 0) }
            let ready = poll(&fds, nfds_t(fds.count), 50)
            var still: [Connection] = []
            for (index, connection) in waiting.enumerated() {
                if ready > 0, fds[index].revents != 0 {
                    var error: Int32 = 0
                    var length = socklen_t(MemoryLayout<Int32>.size)
                    getsockopt(connection.fd, SOL_SOCKET, SO_ERROR, &error, &length)
                    if error == 0 {
                        open.append(connection)
                    } else {
                        _ = Glibc.close(connection.fd)
                        if error == ECONNRESET || error == EPIPE {
                            // Accepted and reset before this poll saw the connect finish.
                            tally.closedByServer += 1
                            tally.closedBySource[connection.source, default: 0] += 1
                        } else {
                            tally.connectFailed += 1
                        }
                    }
                } else if ContinuousClock.now >= deadline {
                    _ = Glibc.close(connection.fd)
                    tally.connectFailed += 1
                } else {
                    still.append(connection)
                }
            }
            waiting = still
        }
    }

    /// True when the peer closed (EOF) or reset the connection; false for data or a spurious wake.
    private static func endedByPeer(_ fd: Int32) -> Bool {
        var byte: UInt8 = 0
        let n = recv(fd, &byte, 1, Int32(MSG_DONTWAIT))
        if n == 0 { return true }
        return n < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR
    }

    private static func address(_ ip: String, _ port: UInt16) throws -> sockaddr_in {
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_port = port.bigEndian
        guard inet_pton(AF_INET, ip, &addr.sin_addr) == 1 else { throw HarnessError("bad IPv4 address \(ip)") }
        return addr
    }

    private static func check(_ rc: Int32, _ what: String) throws {
        if rc != 0 { throw SocketError(code: errno, what: what) }
    }
}
