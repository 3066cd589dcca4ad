import Glibc
import Testing
@testable import SBCSystem

@Suite("UDPSocket")
struct UDPSocketTests {
    @Test("batch send/receive on loopback through the event loop")
    func batch() throws {
        let loop = try EventLoop()
        let server = try UDPSocket(bind: .localhost())
        let client = try UDPSocket(bind: .localhost())
        defer { server.close(); client.close() }
        let sizes = [1, 100, 1500, 9000, 60_000] + Array(repeating: 200, count: 60)
        for (i, size) in sizes.enumerated() {
            let payload = [UInt8](repeating: UInt8(truncatingIfNeeded: i), count: size)
            #expect(try client.send(payload, to: server.localAddress))
        }
        var received: [(Int, UInt8)] = []
        var batches: [Int] = []
        try loop.register(fd: server.fd, interest: .readable) { _ in
            let count = try? server.receiveBatch { bytes, source in
                #expect(source == client.localAddress)
                received.append((bytes.count, bytes.first ?? 0))
            }
            batches.append(count ?? -1)
            if received.count == sizes.count { loop.stop() }
        }
        #expect(try LoopHarness.run(loop))
        loop.unregister(fd: server.fd)
        #expect(received.map(\.0) == sizes)
        #expect(received.map(\.1) == sizes.indices.map { UInt8(truncatingIfNeeded: $0) })
        #expect(batches.allSatisfy { $0 <= UDPSocket.batchSize })
        #expect(batches.contains { $0 > 1 }, "recvmmsg should return several datagrams per call")
    }

    @Test("IP_PKTINFO reports the local address a datagram was sent to")
    func pktinfo() throws {
        let server = try UDPSocket(bind: SocketAddress(host: "0.0.0.0", port: 0))
        let client = try UDPSocket(bind: .localhost())
        defer { server.close(); client.close() }
        #expect(try client.send(Array("hi".utf8), to: .localhost(server.localAddress.port)))
        var destinations: [SocketAddress?] = []
        let deadline = MonotonicInstant.now() + .seconds(2)
        while destinations.isEmpty && MonotonicInstant.now() < deadline {
            try server.receiveBatchWithDestination { _, _, destination in destinations.append(destination) }
            if destinations.isEmpty { usleep(1_000) }
        }
        #expect(destinations == [.localhost(server.localAddress.port)])
    }

    @Test("receive on an empty socket returns 0 without blocking")
    func empty() throws {
        let socket = try UDPSocket(bind: .localhost())
        defer { socket.close() }
        #expect(try socket.receiveBatch { _, _ in Issue.record("unexpected datagram") } == 0)
    }

    @Test("socket buffers are enlarged beyond the default")
    func buffers() throws {
        let socket = try UDPSocket(bind: .localhost(), receiveBufferBytes: 1 << 20, sendBufferBytes: 1 << 20)
        defer { socket.close() }
        #expect(socket.bufferSizes.receive >= 200_000)
        #expect(socket.bufferSizes.send >= 200_000)
    }

    @Test("binding an address this host does not own fails with the address in context")
    func bindFailure() throws {
        #expect {
            _ = try UDPSocket(bind: try SocketAddress(host: "203.0.113.7", port: 5060))
        } throws: { error in
            guard let error = error as? SystemError else { return false }
            return error.syscall == "bind" && error.context.contains("203.0.113.7:5060")
        }
    }

    @Test("ICMP port unreachable surfaces as a typed error naming the destination")
    func icmpUnreachable() throws {
        let socket = try UDPSocket(bind: .localhost())
        defer { socket.close() }
        let dead = SocketAddress.localhost(try closedUDPPort())
        #expect(try socket.send(Array("OPTIONS".utf8), to: dead))
        var errors: [UDPSocket.AsyncError] = []
        let deadline = MonotonicInstant.now() + .seconds(2)
        while errors.isEmpty && MonotonicInstant.now() < deadline {
            socket.drainErrors { errors.append($0) }
            if errors.isEmpty { usleep(1_000) }
        }
        #expect(errors.count == 1)
        #expect(errors.first?.destination == dead)
        #expect(errors.first?.error.errno == ECONNREFUSED)
        #expect(errors.first?.error.isUnreachable == true)
        // The socket stays usable, and a later send is not poisoned by the old error.
        #expect(try socket.send(Array("x".utf8), to: socket.localAddress))
        #expect(try socket.receiveBatch { _, _ in } == 1)
    }
}
