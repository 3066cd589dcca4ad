// Raw UDP/TCP sockets on loopback: free-port discovery, waiting for a peer to bind, and a small
// UDP socket used to send hand-written (or deliberately broken) SIP datagrams.
import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

#if os(Linux)
private let udpType = Int32(SOCK_DGRAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue)
private let tcpType = Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue)
#else
private let udpType = SOCK_DGRAM
private let tcpType = SOCK_STREAM
#endif

struct Endpoint: Sendable, Hashable, CustomStringConvertible {
    let ip: String
    let port: UInt16
    var description: String { "\(ip):\(port)" }
}

private func makeAddress(_ ip: String, _ port: UInt16) throws -> sockaddr_in {
    var addr = sockaddr_in()
    addr.sin_family = sa_family_t(AF_INET)
    addr.sin_port = port.bigEndian
    guard inet_pton(AF_INET, ip, &addr.sin_addr) == 1 else { throw HarnessError("bad IPv4 address \(ip)") }
    return addr
}

private func bindSocket(_ fd: Int32, _ ip: String, _ port: UInt16) throws {
    var addr = try makeAddress(ip, port)
    let rc = withUnsafePointer(to: &addr) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
            bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
        }
    }
    if rc != 0 {
        let err = errno
        throw SocketError(code: err, what: "bind \(ip):\(port)")
    }
}

private func localPort(_ fd: Int32) -> UInt16 {
    var addr = sockaddr_in()
    var len = socklen_t(MemoryLayout<sockaddr_in>.size)
    _ = withUnsafeMutablePointer(to: &addr) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &len) }
    }
    return UInt16(bigEndian: addr.sin_port)
}

private func closeDescriptor(_ fd: Int32) {
    #if canImport(Glibc)
    _ = Glibc.close(fd)
    #elseif canImport(Musl)
    _ = Musl.close(fd)
    #else
    _ = Darwin.close(fd)
    #endif
}

struct SocketError: Error, CustomStringConvertible {
    let code: Int32
    let what: String
    var description: String { "\(what): \(String(cString: strerror(code))) (errno \(code))" }
}

enum Ports {
    /// A port free for both UDP and TCP on `ip`: bind UDP to port 0, then TCP to the same port.
    /// There is a window between this check and the real bind; per-test addresses make it harmless.
    static func free(on ip: String, avoiding used: Set<UInt16> = []) throws -> UInt16 {
        for _ in 0..<64 {
            let udp = socket(AF_INET, udpType, 0)
            guard udp >= 0 else { throw SocketError(code: errno, what: "socket") }
            defer { close(udp) }
            try bindSocket(udp, ip, 0)
            let port = localPort(udp)
            if used.contains(port) { continue }
            let tcp = socket(AF_INET, tcpType, 0)
            guard tcp >= 0 else { throw SocketError(code: errno, what: "socket") }
            defer { close(tcp) }
            if (try? bindSocket(tcp, ip, port)) != nil { return port }
        }
        throw HarnessError("no free UDP+TCP port found on \(ip)")
    }

    /// True if something already holds UDP `ip:port` (our own bind fails with EADDRINUSE).
    static func udpInUse(_ endpoint: Endpoint) -> Bool {
        let fd = socket(AF_INET, udpType, 0)
        guard fd >= 0 else { return false }
        defer { close(fd) }
        do {
            try bindSocket(fd, endpoint.ip, endpoint.port)
            return false
        } catch let error as SocketError {
            return error.code == EADDRINUSE
        } catch {
            return false
        }
    }
}

/// A UDP socket bound to one loopback address. Not thread-safe; used from one test at a time.
final class UDPSocket {
    private(set) var fd: Int32
    let local: Endpoint

    init(bind ip: String, port: UInt16 = 0) throws {
        let fd = socket(AF_INET, udpType, 0)
        guard fd >= 0 else { throw SocketError(code: errno, what: "socket") }
        do {
            var size: Int32 = 1 << 20
            _ = setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &size, socklen_t(MemoryLayout<Int32>.size))
            _ = setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &size, socklen_t(MemoryLayout<Int32>.size))
            try bindSocket(fd, ip, port)
        } catch {
            closeDescriptor(fd)
            throw error
        }
        self.fd = fd
        self.local = Endpoint(ip: ip, port: localPort(fd))
    }

    deinit { close() }

    func close() {
        if fd >= 0 {
            closeDescriptor(fd)
            fd = -1
        }
    }

    @discardableResult
    func send(_ bytes: [UInt8], to endpoint: Endpoint) throws -> Int {
        var addr = try makeAddress(endpoint.ip, endpoint.port)
        let sent = bytes.withUnsafeBytes { buf in
            withUnsafePointer(to: &addr) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                    sendto(fd, buf.baseAddress, buf.count, 0, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
                }
            }
        }
        if sent < 0 { throw SocketError(code: errno, what: "sendto \(endpoint) (\(bytes.count) bytes)") }
        return sent
    }

    @discardableResult
    func send(_ text: String, to endpoint: Endpoint) throws -> Int {
        try send(Array(text.utf8), to: endpoint)
    }

    /// One datagram, or nil after `timeout`. Polls in short slices so the task stays cooperative.
    func receive(timeout: Duration) async -> (bytes: [UInt8], from: Endpoint)? {
        let deadline = ContinuousClock.now + timeout
        var buffer = [UInt8](repeating: 0, count: 65536)
        while fd >= 0 {
            let remaining = deadline - ContinuousClock.now
            let sliceMs = max(0, min(20, Int(remaining / .milliseconds(1))))
            var pfd = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
            let ready = poll(&pfd, 1, Int32(sliceMs))
            if ready > 0 {
                var addr = sockaddr_in()
                var len = socklen_t(MemoryLayout<sockaddr_in>.size)
                let n = buffer.withUnsafeMutableBytes { buf in
                    withUnsafeMutablePointer(to: &addr) {
                        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                            recvfrom(fd, buf.baseAddress, buf.count, 0, $0, &len)
                        }
                    }
                }
                if n >= 0 {
                    var ipBuf = [CChar](repeating: 0, count: Int(INET_ADDRSTRLEN))
                    inet_ntop(AF_INET, &addr.sin_addr, &ipBuf, socklen_t(INET_ADDRSTRLEN))
                    let ip = String(decoding: ipBuf.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
                    return (Array(buffer.prefix(n)), Endpoint(ip: ip, port: UInt16(bigEndian: addr.sin_port)))
                }
                // ECONNREFUSED from an earlier ICMP port-unreachable, EINTR: keep going.
            }
            if ContinuousClock.now >= deadline { return nil }
            await Task.yield()
        }
        return nil
    }

    /// Every datagram already queued or arriving within `quiet` of the previous one.
    func drain(quiet: Duration = .milliseconds(200)) async -> [(bytes: [UInt8], from: Endpoint)] {
        var out: [(bytes: [UInt8], from: Endpoint)] = []
        while let d = await receive(timeout: quiet) { out.append(d) }
        return out
    }

    /// SIP messages that arrived while `awaitResponse` waited for something else (probes,
    /// retransmissions, provisional responses).
    private(set) var ignored: [SIPMessage] = []

    /// Waits for a SIP response whose top Via carries `branch`; provisional responses are skipped
    /// unless `acceptProvisional`. Everything else is kept in `ignored`.
    func awaitResponse(branch: String, timeout: Duration, acceptProvisional: Bool = false) async -> SIPMessage? {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            guard let datagram = await receive(timeout: deadline - ContinuousClock.now) else { return nil }
            guard let message = SIPMessage(bytes: datagram.bytes) else { continue }
            if message.isResponse, message.topViaBranch == branch {
                if let code = message.statusCode, code < 200, !acceptProvisional {
                    ignored.append(message)
                    continue
                }
                return message
            }
            ignored.append(message)
        }
        return nil
    }
}

/// Waits until `endpoint` is bound by somebody else (SIPp), or the deadline passes.
func waitUntilBound(_ endpoint: Endpoint, timeout: Duration, while alive: () -> Bool) async -> Bool {
    let deadline = ContinuousClock.now + timeout
    while ContinuousClock.now < deadline {
        if Ports.udpInUse(endpoint) { return true }
        if !alive() { return false }
        try? await Task.sleep(for: .milliseconds(25))
    }
    return Ports.udpInUse(endpoint)
}
