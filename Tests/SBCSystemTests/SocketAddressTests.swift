import Glibc
import Testing
@testable import SBCSystem

@Suite("SocketAddress")
struct SocketAddressTests {
    @Test("IPv4 parse, describe, sockaddr round trip")
    func ipv4() throws {
        let a = try SocketAddress(host: "192.168.10.20", port: 5060)
        #expect(a.description == "192.168.10.20:5060")
        #expect(a.ip == .v4(0xC0A8_0A14))
        #expect(a.isIPv4 && a.family == AF_INET)
        let (storage, length) = a.storage
        #expect(length == socklen_t(MemoryLayout<sockaddr_in>.size))
        #expect(SocketAddress(storage: storage) == a)
        #expect(try SocketAddress(parsing: "192.168.10.20:5060") == a)
    }

    @Test("IPv6 parse, describe, round trip")
    func ipv6() throws {
        let a = try SocketAddress(host: "2001:db8::1", port: 5061)
        #expect(a.description == "[2001:db8::1]:5061")
        #expect(!a.isIPv4)
        #expect(SocketAddress(storage: a.storage.0) == a)
        #expect(try SocketAddress(host: "[::1]", port: 1).host == "::1")
        #expect(try SocketAddress(parsing: "[2001:db8::1]:5061") == a)
    }

    @Test("invalid hosts throw with context", arguments: ["", "1.2.3", "1.2.3.4.5", "256.1.1.1", "carrier.example", "1.2.3.4 "])
    func invalid(host: String) {
        #expect {
            _ = try SocketAddress(host: host, port: 5060)
        } throws: { error in
            // (Foundation's `contains` is false for an empty needle, the standard library's true.)
            guard let error = error as? SystemError else { return false }
            return host.isEmpty ? error.context.hasSuffix(": ") : error.context.contains(host)
        }
    }

    @Test("Hashable: equal endpoints hash equal, ports distinguish")
    func hashing() throws {
        let set: Set<SocketAddress> = [
            try SocketAddress(host: "10.0.0.1", port: 5060),
            try SocketAddress(host: "10.0.0.1", port: 5060),
            try SocketAddress(host: "10.0.0.1", port: 5061),
        ]
        #expect(set.count == 2)
    }

    @Test("kernel-assigned addresses decode (getsockname round trip)")
    func kernelRoundTrip() throws {
        let socket = try UDPSocket(bind: .localhost())
        defer { socket.close() }
        #expect(socket.localAddress.host == "127.0.0.1")
        #expect(socket.localAddress.port != 0)
        #expect(SocketAddress.anyIPv4.isUnspecified)
    }
}
